"""Adding objects: versions are immutable and date_added never lies (invariants 1 and 2).

The services are called directly, each call in its own session as a request
would; what was stored is then read back with SQL through the models.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select

from federation.domain.errors import ForbiddenError
from federation.domain.filters import ObjectQuery, VersionFilter
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.visibility import Viewer
from federation.services.access import accounts, collections
from federation.services.objects import ingest, query
from federation.storage import versions
from federation.storage.database import Database
from federation.storage.models import (
    Collection,
    ObjectRecipient,
    ObjectVersion,
    Organisation,
    Status,
)
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator

MICROSECOND = timedelta(microseconds=1)
V1 = "2024-01-01T00:00:00.000Z"
V2 = "2024-02-01T00:00:00.000Z"
V3 = "2024-03-01T00:00:00.000Z"


def viewer_of(db: Database, member: Member) -> Viewer:
    with db.session() as session:
        return accounts.viewer_for(accounts.account_named(session, member.account))


def add(db: Database, viewer: Viewer, collection: str, objects: list[Any]) -> Status:
    """One add-objects request, in its own session."""
    with db.session() as session:
        access = collections.collection_for(session, viewer, ROOT, collection)
        return ingest.add_objects(session, viewer, access, objects)


def stored(db: Database, collection: str) -> list[ObjectVersion]:
    """Every row of the collection, in insertion (pk) order."""
    with db.session() as session:
        stmt = (
            select(ObjectVersion)
            .where(ObjectVersion.collection_id == uuid.UUID(collection))
            .order_by(ObjectVersion.pk)
        )
        return list(session.scalars(stmt))


def row_count(db: Database, collection: str) -> int:
    with db.session() as session:
        stmt = select(func.count()).where(ObjectVersion.collection_id == uuid.UUID(collection))
        return session.scalar(stmt) or 0


def last_date_added(db: Database, collection: str) -> datetime | None:
    with db.session() as session:
        return session.scalar(
            select(Collection.last_date_added).where(Collection.id == uuid.UUID(collection))
        )


def ipv4(value: str = "198.51.100.7", **extra: Any) -> dict[str, Any]:
    """An SCO: no created, no modified, so it has exactly one version."""
    return {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid5(uuid.NAMESPACE_URL, value)}",
        "value": value,
        **extra,
    }


@pytest.fixture
def analyst(db: Database, factory: Factory) -> Viewer:
    return viewer_of(db, factory.member("Example ISP"))


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


# -- invariant 1: versions are immutable -----------------------------------------


def test_reposting_the_same_version_is_an_idempotent_success(
    db: Database, analyst: Viewer, collection: str
) -> None:
    obj = indicator(modified=V1)
    first = add(db, analyst, collection, [obj])
    again = add(db, analyst, collection, [obj])

    assert (first.success_count, first.failure_count) == (1, 0)
    assert (again.success_count, again.failure_count) == (1, 0)
    assert again.successes == [{"id": obj["id"], "version": V1, "message": "already held"}]
    assert row_count(db, collection) == 1


def test_a_repost_with_a_different_body_never_overwrites_the_stored_version(
    db: Database, factory: Factory, analyst: Viewer, collection: str
) -> None:
    original = indicator(modified=V1, name="original")
    add(db, analyst, collection, [original])
    [before] = stored(db, collection)

    changed = {**original, "name": "changed", "description": "sneaked in"}
    other_org = viewer_of(db, factory.member("Second ISP"))
    status = add(db, other_org, collection, [changed])

    # Another organisation may not post versions of it at all (STIX 2.1 section 3.6).
    assert (status.success_count, status.failure_count) == (0, 1)
    assert "only its creator may add versions" in status.failures[0]["message"]
    [after] = stored(db, collection)
    assert after.document == original
    assert (after.pk, after.date_added) == (before.pk, before.date_added)
    assert after.owner_organisation_id == analyst.organisation_id
    assert after.source_account_id == analyst.account_id


def test_the_same_version_twice_in_one_envelope_is_stored_once(
    db: Database, analyst: Viewer, collection: str
) -> None:
    obj = indicator(modified=V1, name="first copy")
    status = add(db, analyst, collection, [obj, {**obj, "name": "second copy"}])

    assert (status.total_count, status.success_count, status.failure_count) == (2, 2, 0)
    assert [s.get("message") for s in status.successes] == [None, "already held"]
    [row] = stored(db, collection)
    assert row.document["name"] == "first copy"


def test_the_same_instant_written_differently_is_the_same_version(
    db: Database, analyst: Viewer, collection: str
) -> None:
    obj = indicator(modified="2024-01-01T00:00:00.000Z")
    add(db, analyst, collection, [obj])
    status = add(db, analyst, collection, [{**obj, "modified": "2024-01-01T00:00:00.000000Z"}])
    assert status.success_count == 1
    assert row_count(db, collection) == 1


def test_a_newer_modified_adds_a_version(db: Database, analyst: Viewer, collection: str) -> None:
    v1 = indicator(modified=V1, name="first")
    v2 = {**v1, "modified": V2, "name": "second"}
    add(db, analyst, collection, [v1])
    status = add(db, analyst, collection, [v2])

    assert status.successes == [{"id": v1["id"], "version": V2}]
    rows = stored(db, collection)
    assert [r.document for r in rows] == [v1, v2]
    assert [r.stix_id for r in rows] == [v1["id"], v1["id"]]
    assert rows[0].version < rows[1].version
    assert rows[0].date_added < rows[1].date_added


def test_an_older_version_arriving_late_is_added_too(
    db: Database, analyst: Viewer, collection: str
) -> None:
    v2 = indicator(modified=V2)
    v1 = {**v2, "modified": V1}
    add(db, analyst, collection, [v2])
    add(db, analyst, collection, [v1])

    rows = stored(db, collection)
    assert [r.document["modified"] for r in rows] == [V2, V1]
    # date_added is when the hub got it, whatever the version says.
    assert rows[0].date_added < rows[1].date_added


def test_revocation_is_a_new_version(db: Database, analyst: Viewer, collection: str) -> None:
    v1 = indicator(modified=V1)
    revoked = {**v1, "modified": V2, "revoked": True}
    add(db, analyst, collection, [v1])
    add(db, analyst, collection, [revoked])

    rows = stored(db, collection)
    assert [r.document.get("revoked") for r in rows] == [None, True]
    assert rows[0].document == v1

    with db.session() as session:
        access = collections.collection_for(session, analyst, ROOT, collection)
        latest = query.get_object(session, analyst, access, v1["id"], ObjectQuery(limit=10))
        every = query.get_versions(
            session,
            analyst,
            access,
            v1["id"],
            ObjectQuery(limit=10, versions=VersionFilter(all=True)),
        )
    assert [r.document for r in latest.rows] == [revoked]
    assert [query.version_label(r) for r in every.rows] == [V1, V2]


def test_reposting_a_revoked_version_changes_nothing(
    db: Database, analyst: Viewer, collection: str
) -> None:
    v1 = indicator(modified=V1)
    revoked = {**v1, "modified": V2, "revoked": True}
    add(db, analyst, collection, [v1, revoked])
    add(db, analyst, collection, [{**revoked, "revoked": False}])

    rows = stored(db, collection)
    assert [r.document.get("revoked") for r in rows] == [None, True]


def test_an_sco_without_modified_is_one_version_per_organisation_however_often_posted(
    db: Database, factory: Factory, analyst: Viewer, collection: str
) -> None:
    address = ipv4()
    first = add(db, analyst, collection, [address])
    add(db, analyst, collection, [address])
    add(db, analyst, collection, [address, dict(address), ipv4("203.0.113.9")])
    second = viewer_of(db, factory.member("Second ISP"))
    add(db, second, collection, [address])
    add(db, second, collection, [address])

    rows = stored(db, collection)
    # Each organisation holds its own copy of a shared SCO (DESIGN.md invariant 1).
    assert [(r.stix_id, r.owner_organisation_id) for r in rows] == [
        (address["id"], analyst.organisation_id),
        (ipv4("203.0.113.9")["id"], analyst.organisation_id),
        (address["id"], second.organisation_id),
    ]
    sco = rows[0]
    assert sco.modified is None
    assert sco.created is None
    # An unversioned object's version is the date it was first added.
    assert sco.version == sco.date_added
    assert first.successes[0]["id"] == address["id"]


def test_an_sco_repost_reports_the_version_it_matched(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add(db, analyst, collection, [ipv4()])
    again = add(db, analyst, collection, [ipv4()])
    [row] = stored(db, collection)
    assert again.successes[0]["message"] == "already held"
    assert again.successes[0]["version"] == row.version.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_the_same_version_in_two_collections_is_stored_in_each(
    db: Database, factory: Factory, analyst: Viewer
) -> None:
    first, second = factory.collection(), factory.collection()
    obj = indicator(modified=V1)
    add(db, analyst, first, [obj])
    add(db, analyst, second, [obj])
    assert row_count(db, first) == row_count(db, second) == 1


def test_one_invalid_object_fails_alone(db: Database, analyst: Viewer, collection: str) -> None:
    good = indicator(modified=V1)
    bad = indicator(modified=V1, pattern="not a pattern")
    status = add(db, analyst, collection, [good, bad, "not even an object"])

    assert (status.total_count, status.success_count, status.failure_count) == (3, 1, 2)
    assert [f["id"] for f in status.failures] == [bad["id"], ""]
    assert [r.stix_id for r in stored(db, collection)] == [good["id"]]
    with db.session() as session:
        assert session.get(Status, status.id) is not None


def test_named_recipients_are_stored_with_their_own_version(
    db: Database, factory: Factory, analyst: Viewer, collection: str
) -> None:
    police = factory.member("National Police", sector="law-enforcement")
    csirt = factory.member("National CSIRT", sector="csirt")
    red = [TLP2_MARKING_IDS[Tlp.RED]]
    to_police = indicator(object_marking_refs=red, x_federation_recipients=[police.identity_id])
    to_both = indicator(
        object_marking_refs=red,
        x_federation_recipients=[police.identity_id, csirt.identity_id],
    )
    add(db, analyst, collection, [indicator(), to_police, indicator(), to_both])

    with db.session() as session:
        stmt = (
            select(ObjectVersion.stix_id, Organisation.identity_id)
            .join(ObjectRecipient, ObjectRecipient.version_pk == ObjectVersion.pk)
            .join(Organisation, Organisation.id == ObjectRecipient.organisation_id)
            .where(ObjectVersion.collection_id == uuid.UUID(collection))
        )
        named = {(stix_id, identity) for stix_id, identity in session.execute(stmt)}
    assert named == {
        (to_police["id"], police.identity_id),
        (to_both["id"], police.identity_id),
        (to_both["id"], csirt.identity_id),
    }


def test_a_reader_may_not_add_objects(db: Database, factory: Factory, collection: str) -> None:
    reader = viewer_of(db, factory.member(role="reader"))
    with pytest.raises(ForbiddenError):
        add(db, reader, collection, [indicator()])
    assert row_count(db, collection) == 0


def test_the_stored_tlp_is_the_most_restrictive_marking(
    db: Database, analyst: Viewer, collection: str
) -> None:
    marked = indicator(
        object_marking_refs=[TLP2_MARKING_IDS[Tlp.GREEN]],
        granular_markings=[{"marking_ref": TLP2_MARKING_IDS[Tlp.RED], "selectors": ["name"]}],
    )
    add(db, analyst, collection, [marked, indicator()])
    assert [r.tlp for r in stored(db, collection)] == [int(Tlp.RED), None]


# -- invariant 2: date_added never lies --------------------------------------------


def test_date_added_strictly_increases_within_and_across_requests(
    db: Database, analyst: Viewer, collection: str
) -> None:
    for _ in range(5):
        add(db, analyst, collection, [indicator() for _ in range(20)])

    added = [r.date_added for r in stored(db, collection)]
    assert len(added) == 100
    assert all(a < b for a, b in pairwise(added))
    assert last_date_added(db, collection) == added[-1]


def test_date_added_has_microsecond_precision(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add(db, analyst, collection, [indicator() for _ in range(50)])

    added = [r.date_added for r in stored(db, collection)]
    # Fifty objects are stored in well under a millisecond of hub time, so
    # they are told apart only by microseconds, which the database must keep.
    assert len(set(added)) == 50
    assert all(b - a == MICROSECOND for a, b in pairwise(added))
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in added)


def test_date_added_follows_commit_order(db: Database, analyst: Viewer, collection: str) -> None:
    batches = [[indicator() for _ in range(3)] for _ in range(4)]
    for batch in batches:
        add(db, analyst, collection, batch)

    rows = stored(db, collection)
    by_date = sorted(rows, key=lambda r: r.date_added)
    assert [r.stix_id for r in by_date] == [o["id"] for batch in batches for o in batch]


def test_date_added_keeps_increasing_when_the_clock_steps_back(
    db: Database, analyst: Viewer, collection: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(db, analyst, collection, [indicator(), indicator()])
    newest = last_date_added(db, collection)
    assert newest is not None

    # An NTP correction, or a worker whose clock lags behind the others.
    monkeypatch.setattr(versions, "utcnow", lambda: newest - timedelta(hours=1))
    add(db, analyst, collection, [indicator(), indicator()])
    monkeypatch.setattr(versions, "utcnow", lambda: newest)
    add(db, analyst, collection, [indicator()])

    added = [r.date_added for r in stored(db, collection)]
    assert added[2:] == [newest + n * MICROSECOND for n in (1, 2, 3)]


def test_a_request_that_stores_nothing_hands_out_no_date_added(
    db: Database, analyst: Viewer, collection: str
) -> None:
    obj = indicator()
    add(db, analyst, collection, [obj])
    newest = last_date_added(db, collection)
    add(db, analyst, collection, [obj, {"type": "indicator"}])
    assert last_date_added(db, collection) == newest


def test_two_collections_keep_independent_date_added(
    db: Database, factory: Factory, analyst: Viewer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = factory.collection(), factory.collection()
    frozen = datetime(2030, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(versions, "utcnow", lambda: frozen)

    add(db, analyst, first, [indicator() for _ in range(3)])
    add(db, analyst, second, [indicator() for _ in range(2)])
    add(db, analyst, first, [indicator()])

    expected_first = [frozen + n * MICROSECOND for n in range(4)]
    assert [r.date_added for r in stored(db, first)] == expected_first
    # The second collection's clock did not move on because of the first's writes.
    assert [r.date_added for r in stored(db, second)] == [frozen, frozen + MICROSECOND]
    assert last_date_added(db, first) == expected_first[-1]
    assert last_date_added(db, second) == frozen + MICROSECOND
