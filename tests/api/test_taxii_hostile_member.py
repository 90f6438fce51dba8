"""A hostile member posting crafted STIX over TAXII (issue 10, findings 1, 6, 7, 8, 12).

Two ISPs and a police force share one collection. The hostile ISP guesses
ids, posts versions of others' objects, names others as authors, counterfeits
TLP markings and re-posts observables; each test checks what the hostile
member, the victim and a bystander can and cannot see, status messages
included (DESIGN.md invariants 1, 4, 6 and 9; docs/trust.md).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.stix.markings import STANDARD_TLP_DEFINITIONS
from federation.storage.database import Database
from federation.storage.models import AuditEvent, ObjectVersion
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

V1 = "2024-01-01T00:00:00.000Z"
V2 = "2024-02-01T00:00:00.000Z"
RED = TLP2_MARKING_IDS[Tlp.RED]
GREEN = TLP2_MARKING_IDS[Tlp.GREEN]


@pytest.fixture
def victim(factory: Factory) -> Member:
    return factory.member("Victim ISP")


@pytest.fixture
def hostile(factory: Factory) -> Member:
    return factory.member("Hostile ISP")


@pytest.fixture
def police(factory: Factory) -> Member:
    return factory.member("Police", sector="law-enforcement", role="reader")


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def post(client: FlaskClient, member: Member, collection: str, *objects: Any) -> dict[str, Any]:
    response = client.post(
        objects_url(collection), json={"objects": list(objects)}, headers=member.post_headers
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    body: dict[str, Any] = response.json
    return body


def get(client: FlaskClient, member: Member, url: str, **query: str) -> dict[str, Any]:
    response = client.get(url, headers=member.headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.json
    return body


def seen(client: FlaskClient, member: Member, collection: str) -> list[dict[str, Any]]:
    return list(get(client, member, objects_url(collection)).get("objects", []))


def versions_of(client: FlaskClient, member: Member, collection: str, stix_id: str) -> int:
    """The status of the versions endpoint for one object (200 or 404)."""
    url = f"{objects_url(collection)}{stix_id}/versions/"
    return client.get(url, headers=member.headers).status_code


def incident(**extra: Any) -> dict[str, Any]:
    return {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": V1,
        "modified": V1,
        "name": "DDoS on a customer",
        **extra,
    }


def ipv4(value: str = "192.0.2.77", **extra: Any) -> dict[str, Any]:
    return {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid5(uuid.NAMESPACE_URL, value)}",
        "value": value,
        **extra,
    }


def rows(db: Database, stix_id: str) -> list[ObjectVersion]:
    with db.session() as session:
        stmt = select(ObjectVersion).where(ObjectVersion.stix_id == stix_id)
        return list(session.scalars(stmt.order_by(ObjectVersion.pk)))


# -- finding 1: only the creator versions (or revokes) an object ------------------


def test_a_member_cannot_version_or_revoke_another_members_object(
    client: FlaskClient, victim: Member, hostile: Member, police: Member, collection: str
) -> None:
    original = incident(object_marking_refs=[GREEN])
    assert post(client, victim, collection, original)["success_count"] == 1

    forged = {**original, "modified": V2, "revoked": True, "name": "written by the hostile ISP"}
    status = post(client, hostile, collection, forged)

    assert (status["success_count"], status["failure_count"]) == (0, 1)
    [failure] = status["failures"]
    assert failure["id"] == original["id"]
    assert "only its creator may add versions" in failure["message"]
    for reader in (victim, hostile, police):
        [latest] = seen(client, reader, collection)
        assert latest == original
    # The creator still versions and revokes its own object.
    revoked = {**original, "modified": V2, "revoked": True}
    assert post(client, victim, collection, revoked)["success_count"] == 1
    assert seen(client, police, collection) == [revoked]


# -- finding 6: a post's answer reveals nothing hidden -------------------------------


def test_a_post_answers_alike_for_visible_and_hidden_objects_of_another_member(
    client: FlaskClient, victim: Member, hostile: Member, collection: str
) -> None:
    hidden = incident(object_marking_refs=[RED])
    visible = incident(object_marking_refs=[GREEN])
    post(client, victim, collection, hidden, visible)
    assert versions_of(client, hostile, collection, hidden["id"]) == 404

    # Same id and modified, a newer modified, marked CLEAR or RED: one answer.
    attempts = [
        {**target, "modified": modified, "object_marking_refs": [marking]}
        for target in (hidden, visible)
        for modified in (V1, V2)
        for marking in (GREEN, RED)
    ]
    status = post(client, hostile, collection, *attempts)

    assert status["success_count"] == 0
    assert "successes" not in status or status["successes"] == []
    messages = {
        re.sub(r"incident--[0-9a-f-]+", "ID", failure["message"]) for failure in status["failures"]
    }
    assert len(status["failures"]) == len(attempts)
    assert len(messages) == 1
    assert "already held" not in messages.pop()
    assert versions_of(client, hostile, collection, hidden["id"]) == 404
    assert [o["id"] for o in seen(client, hostile, collection)] == [visible["id"]]


# -- finding 7: authorship ----------------------------------------------------------


def test_a_member_cannot_post_in_another_members_name(
    client: FlaskClient, victim: Member, hostile: Member, police: Member, collection: str
) -> None:
    spoofed = indicator(created_by_ref=victim.identity_id)
    victims_identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": victim.identity_id,
        "created": V1,
        "modified": V1,
        "name": "Victim ISP (as the hostile ISP tells it)",
        "identity_class": "organization",
    }
    own = indicator(created_by_ref=hostile.identity_id)
    anonymous = indicator()
    status = post(client, hostile, collection, spoofed, victims_identity, own, anonymous)

    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert "created_by_ref" in failures[spoofed["id"]]
    assert "only its creator may add versions" in failures[victim.identity_id]
    assert status["success_count"] == 2
    assert {o["id"] for o in seen(client, police, collection)} == {own["id"], anonymous["id"]}


# -- finding 8: TLP marking definitions are the hub's --------------------------------


def test_counterfeit_tlp_marking_definitions_are_refused(
    client: FlaskClient, hostile: Member, police: Member, collection: str
) -> None:
    counterfeit = {**STANDARD_TLP_DEFINITIONS[RED], "name": "TLP:CLEAR"}
    counterfeit["extensions"] = {
        name: {**value, "tlp_2_0": "clear"}
        for name, value in STANDARD_TLP_DEFINITIONS[RED]["extensions"].items()
    }
    fake_red = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": V1,
        "definition_type": "tlp",
        "name": "TLP:RED",
        "definition": {"tlp": "red"},
    }
    fake_red_2 = {
        **STANDARD_TLP_DEFINITIONS[RED],
        "id": f"marking-definition--{uuid.uuid4()}",
    }
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": V1,
        "definition_type": "statement",
        "definition": {"statement": "Copyright Victim ISP"},
    }
    status = post(client, hostile, collection, counterfeit, fake_red, fake_red_2, statement)

    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert set(failures) == {counterfeit["id"], fake_red["id"], fake_red_2["id"]}
    assert "reserved" in failures[counterfeit["id"]]
    assert "standard TLP id" in failures[fake_red["id"]]
    assert [o["id"] for o in seen(client, police, collection)] == [statement["id"]]


def test_the_standard_tlp_definitions_are_accepted_from_anyone_without_telling_who_was_first(
    client: FlaskClient, victim: Member, hostile: Member, collection: str
) -> None:
    standard = dict(STANDARD_TLP_DEFINITIONS[RED])
    first = post(client, victim, collection, standard)
    second = post(client, hostile, collection, standard)
    again = post(client, victim, collection, standard)

    for status in (first, second, again):
        assert status["success_count"] == 1
        assert [s.get("message") for s in status["successes"]] == [None]


# -- finding 12: shared observables ----------------------------------------------------


def test_an_observable_posted_by_two_members_is_each_ones_copy_under_its_own_marking(
    client: FlaskClient,
    db: Database,
    victim: Member,
    hostile: Member,
    police: Member,
    collection: str,
) -> None:
    hostile_copy = ipv4(object_marking_refs=[RED])
    victim_copy = ipv4(object_marking_refs=[GREEN])
    assert post(client, hostile, collection, hostile_copy)["success_count"] == 1

    status = post(client, victim, collection, victim_copy)

    # Nothing tells the victim that someone else holds the same observable.
    assert status["success_count"] == 1
    assert [s.get("message") for s in status["successes"]] == [None]
    assert len(rows(db, victim_copy["id"])) == 2
    # Each audience sees the copy it may see, never both.
    assert seen(client, police, collection) == [victim_copy]
    assert seen(client, victim, collection) == [victim_copy]
    assert seen(client, hostile, collection) == [hostile_copy]
    # A repost is "already held" for its own copy only.
    again = post(client, victim, collection, victim_copy)
    assert [s.get("message") for s in again["successes"]] == ["already held"]


def test_a_reader_who_may_see_several_copies_gets_one_on_every_path(
    client: FlaskClient, victim: Member, hostile: Member, police: Member, collection: str
) -> None:
    first = ipv4(object_marking_refs=[GREEN])
    post(client, victim, collection, first)
    post(client, hostile, collection, ipv4(object_marking_refs=[GREEN], x_note="hostile"))
    post(client, hostile, collection, indicator())
    base = objects_url(collection)
    manifest = f"/taxii2/{ROOT}/collections/{collection}/manifest/"

    for url in (base, manifest):
        ids: list[str] = []
        query: dict[str, str] = {"limit": "1"}
        while True:
            page = get(client, police, url, **query)
            ids.extend(o["id"] for o in page.get("objects", []))
            if not page["more"]:
                break
            query = {"limit": "1", "next": page["next"]}
        assert ids.count(first["id"]) == 1, url
        assert len(ids) == 2, url
    [only] = get(client, police, f"{base}{first['id']}/")["objects"]
    assert only == first
    assert len(get(client, police, f"{base}{first['id']}/versions/")["versions"]) == 1
    for version in ("first", "last", "all"):
        page = get(client, police, base, **{"match[version]": version, "match[id]": first["id"]})
        assert page["objects"] == [first], version


def test_a_member_deletes_its_own_copy_of_a_shared_observable(
    client: FlaskClient, db: Database, victim: Member, hostile: Member, collection: str
) -> None:
    post(client, victim, collection, ipv4(object_marking_refs=[GREEN]))
    post(client, hostile, collection, ipv4(object_marking_refs=[RED]))
    stix_id = ipv4()["id"]

    response = client.delete(f"{objects_url(collection)}{stix_id}/", headers=hostile.headers)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r.owner_organisation_id for r in rows(db, stix_id)] != []
    assert len(rows(db, stix_id)) == 1
    assert seen(client, victim, collection)[0]["object_marking_refs"] == [GREEN]


# -- issue 9: a write and its audit event commit together ------------------------------


@pytest.fixture
def audit_insert_fails() -> Any:
    """Make every audit insert fail, as a full disk or a lost connection would."""

    def refuse(*_args: Any) -> None:
        raise RuntimeError("the audit log cannot be written")

    event.listen(AuditEvent, "before_insert", refuse)
    yield
    event.remove(AuditEvent, "before_insert", refuse)


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        versions = session.scalar(select(func.count()).select_from(ObjectVersion))
        audits = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["taxii.add_objects", "taxii.delete_object"]))
        )
        return int(versions or 0), int(audits or 0)


def test_an_add_whose_audit_event_fails_stores_nothing(
    client: FlaskClient, db: Database, victim: Member, collection: str, audit_insert_fails: None
) -> None:
    response = client.post(
        objects_url(collection), json={"objects": [indicator()]}, headers=victim.post_headers
    )
    assert response.status_code == 500
    assert counts(db) == (0, 0)


def test_an_add_stores_its_objects_and_its_audit_event_together(
    client: FlaskClient, db: Database, victim: Member, collection: str
) -> None:
    post(client, victim, collection, indicator(), indicator())
    assert counts(db) == (2, 1)
    with db.session() as session:
        [audited] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "taxii.add_objects")
        )
    assert audited.object_count == 2


def test_a_delete_whose_audit_event_fails_deletes_nothing(
    client: FlaskClient, db: Database, victim: Member, collection: str
) -> None:
    obj = indicator()
    post(client, victim, collection, obj)

    def refuse(*_args: Any) -> None:
        raise RuntimeError("the audit log cannot be written")

    event.listen(AuditEvent, "before_insert", refuse)
    try:
        response = client.delete(f"{objects_url(collection)}{obj['id']}/", headers=victim.headers)
    finally:
        event.remove(AuditEvent, "before_insert", refuse)
    assert response.status_code == 500
    assert counts(db) == (1, 1)

    response = client.delete(f"{objects_url(collection)}{obj['id']}/", headers=victim.headers)
    assert response.status_code == 200
    assert counts(db) == (0, 2)
