"""Derived data obeys the visibility of its sources, at the services (issue 10).

The incident reads (lists, filters, details, bundles, correlations) and the
TAXII manifest as another organisation and the police get them, after the
acts of a hostile member.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from federation.api.incident_schemas import IncidentCreateSchema
from federation.domain.filters import ObjectQuery, VersionFilter
from federation.domain.incident_stix import Reporter, identity_object
from federation.domain.incidents import ip_range
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.visibility import Viewer
from federation.domain.vocabulary import INCIDENT_EXTENSION_ID
from federation.services.access.accounts import authenticate
from federation.services.access.collections import access_for, find_collection
from federation.services.incidents import reads, reports
from federation.services.objects import ingest, query
from federation.storage.database import Database
from federation.storage.incidents import IncidentFilter
from tests.api.incident_helpers import report
from tests.conftest import Factory
from tests.helpers import Member

SECRET = "test-secret-key"
HIDDEN = "203.0.113.99"
SHARED = [{"type": "ipv4-addr", "value": "198.51.100.7", "role": "source"}]


def _viewer(db: Database, member: Member) -> Viewer:
    with db.session() as session:
        return authenticate(session, SECRET, member.token)


def _report(db: Database, member: Member, collection: str, **overrides: Any) -> str:
    loaded = IncidentCreateSchema().load(report(collection, **overrides))
    with db.session() as session:
        return reports.create_incident(session, _viewer(db, member), loaded, SECRET)


def _post(db: Database, member: Member, collection: str, objects: list[Any]) -> int:
    """Post over ingest as TAXII would; the number of objects refused."""
    viewer = _viewer(db, member)
    with db.session() as session:
        access = access_for(viewer, find_collection(session, collection))
        return ingest.add_objects(session, viewer, access, objects).failure_count


def _found_by(db: Database, member: Member, network: str) -> list[str]:
    wanted = IncidentFilter(network=ip_range(network))
    with db.session() as session:
        page = reports.list_incidents(session, _viewer(db, member), wanted, 50, SECRET)
    return [i.row.stix_id for i in page.incidents]


def _indicators(db: Database, member: Member, stix_id: str) -> set[str]:
    with db.session() as session:
        incident = reads.get_incident(session, _viewer(db, member), stix_id, SECRET)
        return {v.value for v in incident.indicators}


def _green_version(stix_id: str, address: str) -> list[dict[str, Any]]:
    """A GREEN later version of ``stix_id`` with one indicator of its own."""
    green = [TLP2_MARKING_IDS[Tlp.GREEN]]
    indicator_id = f"indicator--{uuid.uuid4()}"
    return [
        {
            "type": "incident",
            "spec_version": "2.1",
            "id": stix_id,
            "created": "2026-11-30T10:00:00.000Z",
            "modified": "2030-01-01T00:00:00.000Z",
            "name": "Nothing to see",
            "object_marking_refs": green,
            "extensions": {
                INCIDENT_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "incident_types": ["ddos"],
                }
            },
        },
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": indicator_id,
            "created": "2030-01-01T00:00:00.000Z",
            "modified": "2030-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '{address}']",
            "pattern_type": "stix",
            "valid_from": "2030-01-01T00:00:00Z",
            "object_marking_refs": green,
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": f"relationship--{uuid.uuid4()}",
            "created": "2030-01-01T00:00:00.000Z",
            "modified": "2030-01-01T00:00:00.000Z",
            "relationship_type": "related-to",
            "source_ref": indicator_id,
            "target_ref": stix_id,
            "x_federation_role": "source",
            "object_marking_refs": green,
        },
    ]


def test_values_of_a_hidden_version_never_reach_a_reader_who_cannot_see_it(
    db: Database, factory: Factory
) -> None:
    """Finding 2, both ways a visible version can follow a hidden one."""
    owner = factory.member("Victim ISP")
    hostile = factory.member("Hostile ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    hidden = [{"type": "ipv4-addr", "value": HIDDEN, "role": "c2"}]
    by_hostile = _report(db, owner, collection, tlp="red", indicators=hidden)
    by_owner = _report(db, owner, collection, tlp="red", indicators=hidden)
    # The hostile member's version may be refused (only creators version an
    # object); what follows holds either way.
    _post(db, hostile, collection, _green_version(by_hostile, "192.0.2.5"))
    assert _post(db, owner, collection, _green_version(by_owner, "192.0.2.6")) == 0

    for reader in (hostile, police):
        assert _found_by(db, reader, HIDDEN) == []
        assert _found_by(db, reader, "203.0.113.0/24") == []
        assert _indicators(db, reader, by_owner) == {"192.0.2.6"}
        with db.session() as session:
            wanted = IncidentFilter(asn=64500)
            page = reports.list_incidents(session, _viewer(db, reader), wanted, 50, SECRET)
            assert page.incidents == []
            _, bundle = reads.incident_bundle(session, _viewer(db, reader), by_owner, SECRET)
            assert HIDDEN not in str(bundle)
    assert _found_by(db, police, "192.0.2.6") == [by_owner]
    assert sorted(_found_by(db, owner, HIDDEN)) == sorted([by_hostile, by_owner])
    assert _indicators(db, owner, by_owner) == {HIDDEN, "192.0.2.6"}


def test_related_objects_of_an_unattributed_report_never_name_its_poster(
    db: Database, factory: Factory
) -> None:
    """Finding 3: the poster's attributed report put its identity in the collection."""
    poster = factory.member("Quiet ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    attributed = _report(db, poster, collection)
    quiet = _report(db, poster, collection, unattributed=True)

    with db.session() as session:
        viewer = _viewer(db, police)
        detail = reads.get_incident(session, viewer, quiet, SECRET)
        _, bundle = reads.incident_bundle(session, viewer, quiet, SECRET)
        named = reads.get_incident(session, viewer, attributed, SECRET)
    for shown in (str(detail.objects), str(detail.document), str(bundle)):
        assert poster.identity_id not in shown
        assert "Quiet ISP" not in shown
    assert {o["type"] for o in detail.objects} == {
        "indicator",
        "relationship",
        "ipv4-addr",
        "domain-name",
        "autonomous-system",
    }
    assert poster.identity_id in {o["id"] for o in named.objects}
    with db.session() as session:
        own = reads.get_incident(session, _viewer(db, poster), quiet, SECRET)
    assert own.reporter_identity == poster.identity_id


def test_correlations_span_every_organisation_and_count_alike_for_every_report(
    db: Database, factory: Factory
) -> None:
    """Finding 4: which reports correlate with which names no unattributed reporter."""
    quiet = factory.member("Quiet ISP")
    other = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    named = _report(db, quiet, collection, indicators=SHARED)
    hidden = [_report(db, quiet, collection, indicators=SHARED, unattributed=True) for _ in "ab"]
    theirs = _report(db, other, collection, indicators=SHARED)
    everyone = {named, theirs, *hidden}

    with db.session() as session:
        viewer = _viewer(db, police)
        for stix_id in everyone:
            incident = reads.get_incident(session, viewer, stix_id, SECRET)
            assert {c.row.stix_id for c in incident.correlations} == everyone - {stix_id}
            assert reads.seen_by(incident) == 3
            for correlated in incident.correlations:
                if correlated.row.stix_id in hidden:
                    assert correlated.reporter_sector == "unattributed"
                    assert correlated.reporter_identity != quiet.identity_id


def test_a_red_first_report_leaves_other_readers_manifest_as_it_was(
    db: Database, factory: Factory
) -> None:
    """Finding 10: the reporter's identity is as hidden as the report it came with."""
    bystander = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    newcomer = factory.member("New ISP")
    collection = factory.collection()
    _report(db, bystander, collection)

    def manifest(member: Member) -> list[tuple[str, Any, Any]]:
        viewer = _viewer(db, member)
        with db.session() as session:
            access = access_for(viewer, find_collection(session, collection))
            everything = ObjectQuery(limit=1000, versions=VersionFilter(all=True))
            page = query.get_manifest(session, viewer, access, everything)
            return [(r.stix_id, r.version, r.date_added) for r in page.rows]

    before = manifest(bystander)
    _report(db, newcomer, collection, tlp="red", recipients=["Regional Police"])
    assert manifest(bystander) == before
    assert newcomer.identity_id in {stix_id for stix_id, _, _ in manifest(police)}

    _report(db, newcomer, collection, tlp="red", recipients=["Regional Police"])
    identities = [v for i, v, _ in manifest(police) if i == newcomer.identity_id]
    assert len(identities) == 1  # the same audience repeats the same version
    _report(db, newcomer, collection, tlp="green")
    seen = [v for i, v, _ in manifest(bystander) if i == newcomer.identity_id]
    assert len(seen) == 1
    assert len([v for i, v, _ in manifest(police) if i == newcomer.identity_id]) == 2


def test_an_identity_version_per_audience_cannot_be_computed_without_the_hubs_secret() -> None:
    """Nobody outside an audience can name its identity version and probe for it."""
    admitted = datetime(2026, 1, 1, tzinfo=UTC)
    red = Reporter("identity--" + str(uuid.UUID(int=1)), "B", admitted, Tlp.RED, ("identity--x",))
    green = Reporter(red.identity_id, "B", admitted, Tlp.GREEN, ())

    def version(reporter: Reporter, secret: str) -> Any:
        return identity_object(reporter, secret)["modified"]

    assert version(red, SECRET) == version(red, SECRET)
    assert version(red, SECRET) != version(green, SECRET)
    assert version(red, SECRET) != version(red, "another-hub-secret")
    assert identity_object(red, SECRET)["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.RED]]
    assert identity_object(red, SECRET)["x_federation_recipients"] == ["identity--x"]
