"""Unattributed reporting (DESIGN.md invariant 6) and the audit trail around it (invariant 8)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from federation.cli import cli
from federation.services.access import audit
from federation.storage.models import AuditEvent, Organisation
from federation.web.db import database
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url


def _identity(member: Member) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": member.identity_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": member.organisation,
        "identity_class": "organization",
    }


def _post(client: FlaskClient, member: Member, collection: str, *objects: dict[str, Any]) -> None:
    response = client.post(
        objects_url(collection),
        data=json.dumps({"objects": list(objects)}),
        headers=member.post_headers,
    )
    assert response.status_code == 202
    assert response.json["failure_count"] == 0, response.json


def _everything(client: FlaskClient, member: Member, collection: str, ids: list[str]) -> str:
    """Every response body and header another organisation can get about ``ids``."""
    base = objects_url(collection)
    responses = [client.get(base, headers=member.headers)]
    responses += [client.get(f"{base}{i}/", headers=member.headers) for i in ids]
    responses += [client.get(f"{base}{i}/versions/", headers=member.headers) for i in ids]
    responses.append(client.get(base.replace("objects/", "manifest/"), headers=member.headers))
    return "\n".join(r.get_data(as_text=True) + str(dict(r.headers)) for r in responses)


def test_unattributed_report_hides_the_poster_from_other_organisations(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Quiet ISP")
    colleague = factory.member("Quiet ISP", role="reader")
    other = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    first = indicator(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    second = indicator(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    _post(client, poster, collection, _identity(poster), first, second)

    seen = _everything(client, other, collection, [first["id"], second["id"], poster.identity_id])
    assert poster.identity_id not in seen
    assert "Quiet ISP" not in seen
    listing = client.get(objects_url(collection), headers=other.headers).json["objects"]
    creators = {o["id"]: o["created_by_ref"] for o in listing}
    assert set(creators) == {first["id"], second["id"]}
    # Each report gets its own pseudonym, so two reports cannot be linked.
    assert creators[first["id"]] != creators[second["id"]]
    assert all(c.startswith("identity--") for c in creators.values())

    own = client.get(objects_url(collection), headers=colleague.headers).json["objects"]
    assert {o["id"] for o in own} == {poster.identity_id, first["id"], second["id"]}
    assert {o.get("created_by_ref") for o in own if o["type"] == "indicator"} == {
        poster.identity_id
    }


def test_pseudonym_is_stable_across_versions_of_one_object(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Quiet ISP")
    other = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    v1 = indicator(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    v2 = {**v1, "modified": "2024-02-01T00:00:00.000Z"}
    _post(client, poster, collection, v1, v2)
    url = objects_url(collection) + f"{v1['id']}/?match[version]=all"
    response = client.get(url, headers=other.headers)
    assert response.status_code == 200, response.json
    versions = response.json["objects"]
    assert len(versions) == 2
    assert versions[0]["created_by_ref"] == versions[1]["created_by_ref"] != poster.identity_id


def test_organisation_setting_makes_every_report_unattributed(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Quiet ISP")
    other = factory.member("Other ISP", role="reader")
    with database(app).session() as session:
        org = session.scalar(select(Organisation).where(Organisation.name == "Quiet ISP"))
        assert org is not None
        org.unattributed_default = True
        session.commit()
    collection = factory.collection()
    obj = indicator(created_by_ref=poster.identity_id)
    _post(client, poster, collection, obj)
    seen = _everything(client, other, collection, [obj["id"]])
    assert poster.identity_id not in seen


def test_attributed_report_shows_the_poster(client: FlaskClient, factory: Factory) -> None:
    poster = factory.member("Open ISP")
    other = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    obj = indicator(created_by_ref=poster.identity_id)
    _post(client, poster, collection, _identity(poster), obj)
    listing = client.get(objects_url(collection), headers=other.headers).json["objects"]
    assert {o["id"] for o in listing} == {poster.identity_id, obj["id"]}
    assert next(o for o in listing if o["id"] == obj["id"])["created_by_ref"] == poster.identity_id


def test_disclosure_reveals_the_poster_and_is_audited(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, factory: Factory
) -> None:
    poster = factory.member("Quiet ISP")
    collection = factory.collection()
    obj = indicator(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    _post(client, poster, collection, obj)
    args = ["disclose", obj["id"], "--collection", collection]
    refused = runner.invoke(cli, args=[*args, "--reason", "curious"])
    assert refused.exit_code == 1
    assert "legal basis" in refused.output
    result = runner.invoke(cli, args=[*args, "--reason", "court order 2026/123 under art. 6"])
    assert result.exit_code == 0, result.output
    assert "Quiet ISP" in result.output
    with database(app).session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure"))
        details = [e.detail for e in events]
    assert len(details) == 1
    assert "court order 2026/123" in details[0]


def test_reads_are_audited_and_counted_in_receipts_by_sector(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, factory: Factory
) -> None:
    poster = factory.member("Poster ISP")
    police = factory.member("Police", sector="law-enforcement", role="reader")
    isp = factory.member("Other ISP", role="reader")
    isp2 = factory.member("Third ISP", role="reader")
    collection = factory.collection()
    _post(client, poster, collection, indicator(), indicator())
    for reader in (police, isp, isp2):
        assert client.get(objects_url(collection), headers=reader.headers).status_code == 200
    with database(app).session() as session:
        owner = session.scalar(select(Organisation).where(Organisation.name == "Poster ISP"))
        assert owner is not None
        summary = {
            r.sector: (r.organisations, r.objects) for r in audit.receipts(session, owner.id)
        }
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "taxii.get_objects")
        ).all()
    assert summary == {"isp": (2, 4), "law-enforcement": (1, 2)}
    assert sorted(e.account_name for e in reads) == sorted(m.account for m in (police, isp, isp2))
    assert all(e.object_count == 2 and e.request_id for e in reads)
    listing = runner.invoke(cli, args=["audit", "--json", "--limit", "10"])
    assert listing.exit_code == 0, listing.output
    actions = [json.loads(line)["action"] for line in listing.output.splitlines()]
    assert actions.count("taxii.get_objects") == 3
    assert "taxii.add_objects" in actions
