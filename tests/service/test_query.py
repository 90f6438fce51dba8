"""Reading a collection: keyset pages and filters (invariants 2 and 3).

The services are called directly with the query a TAXII request would parse;
the rows they return are compared with the rows stored, read with SQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from federation.domain.errors import NotFoundError
from federation.domain.filters import ObjectQuery, VersionFilter, format_date_added, parse_query
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.visibility import Viewer
from federation.services.access import accounts, collections
from federation.services.objects import ingest, query
from federation.services.objects.query import Page
from federation.storage.database import Database
from federation.storage.models import ObjectVersion
from federation.storage.objects import select_versions
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator

PARAMETERS = frozenset(
    {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]"}
)
RED = TLP2_MARKING_IDS[Tlp.RED]
GREEN = TLP2_MARKING_IDS[Tlp.GREEN]


def viewer_of(db: Database, member: Member) -> Viewer:
    with db.session() as session:
        return accounts.viewer_for(accounts.account_named(session, member.account))


def add(db: Database, viewer: Viewer, collection: str, objects: list[Any]) -> None:
    with db.session() as session:
        access = collections.collection_for(session, viewer, ROOT, collection)
        status = ingest.add_objects(session, viewer, access, objects)
    assert status.failure_count == 0, status.failures


def add_many(db: Database, viewer: Viewer, collection: str, count: int, **extra: Any) -> None:
    for start in range(0, count, 100):
        add(db, viewer, collection, [indicator(**extra) for _ in range(min(100, count - start))])


def get_objects(db: Database, viewer: Viewer, collection: str, **args: str) -> Page:
    """One GET objects request, parsed as the TAXII layer parses it."""
    filters = parse_query(args, allowed=PARAMETERS, default_limit=100, max_limit=1000)
    with db.session() as session:
        access = collections.collection_for(session, viewer, ROOT, collection)
        return query.get_objects(session, viewer, access, filters)


def walk(db: Database, viewer: Viewer, collection: str, **args: str) -> Iterator[Page]:
    """Every page, following ``next`` as a client does."""
    page = get_objects(db, viewer, collection, **args)
    yield page
    while page.more:
        assert page.next is not None, "more is true, so next must be present"
        page = get_objects(db, viewer, collection, **args, next=page.next)
        yield page


def stored_ids(db: Database, collection: str) -> list[str]:
    with db.session() as session:
        stmt = (
            select(ObjectVersion.stix_id)
            .where(ObjectVersion.collection_id == uuid.UUID(collection))
            .order_by(ObjectVersion.date_added)
        )
        return list(session.scalars(stmt))


@pytest.fixture
def analyst(db: Database, factory: Factory) -> Viewer:
    return viewer_of(db, factory.member("Example ISP"))


@pytest.fixture
def outsider(db: Database, factory: Factory) -> Viewer:
    return viewer_of(db, factory.member("Other ISP"))


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


# -- invariant 3: keyset pages -----------------------------------------------------


def test_paging_through_a_thousand_rows_returns_each_exactly_once(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add_many(db, analyst, collection, 1000)

    pages = list(walk(db, analyst, collection, limit="7"))

    seen = [row.stix_id for page in pages for row in page.rows]
    assert len(seen) == len(set(seen)) == 1000
    assert seen == stored_ids(db, collection)
    assert len(pages) == 143  # 142 full pages of 7 and one of 6
    assert [len(p.rows) for p in pages[:-1]] == [7] * 142
    assert len(pages[-1].rows) == 6
    assert all(p.more and p.next for p in pages[:-1])
    assert (pages[-1].more, pages[-1].next) == (False, None)
    added = [row.date_added for page in pages for row in page.rows]
    assert all(a < b for a, b in pairwise(added))


def test_more_is_false_when_the_page_ends_on_the_last_row(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add_many(db, analyst, collection, 14)
    pages = list(walk(db, analyst, collection, limit="7"))
    assert [(len(p.rows), p.more, p.next is not None) for p in pages] == [
        (7, True, True),
        (7, False, False),
    ]


def test_an_empty_collection_is_one_empty_page(
    db: Database, analyst: Viewer, collection: str
) -> None:
    page = get_objects(db, analyst, collection)
    assert (page.rows, page.more, page.next) == ([], False, None)
    assert page.first_added is page.last_added is None


def test_next_points_after_the_last_row_of_its_page(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add_many(db, analyst, collection, 10)
    first = get_objects(db, analyst, collection, limit="4")
    assert first.next is not None
    cursor = parse_query(
        {"next": first.next}, allowed=PARAMETERS, default_limit=1, max_limit=1
    ).after_cursor
    assert cursor == first.last_added == first.rows[-1].date_added


def test_rows_added_while_paging_come_at_the_end_and_only_once(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add_many(db, analyst, collection, 20)
    seen: list[str] = []
    late: list[str] = []
    for number, page in enumerate(walk(db, analyst, collection, limit="6")):
        seen.extend(row.stix_id for row in page.rows)
        if number < 3:
            batch = [indicator() for _ in range(2)]
            add(db, analyst, collection, batch)
            late.extend(o["id"] for o in batch)

    assert len(seen) == len(set(seen)) == 26
    assert seen[-6:] == late
    assert seen == stored_ids(db, collection)


def test_hidden_rows_neither_shorten_pages_nor_show_through(
    db: Database, analyst: Viewer, outsider: Viewer, collection: str
) -> None:
    for _ in range(4):
        add(db, analyst, collection, [indicator(object_marking_refs=[RED]) for _ in range(5)])
        add(db, analyst, collection, [indicator(object_marking_refs=[GREEN]) for _ in range(5)])

    outsider_pages = list(walk(db, outsider, collection, limit="6"))
    assert [len(p.rows) for p in outsider_pages] == [6, 6, 6, 2]
    assert all(row.tlp == int(Tlp.GREEN) for p in outsider_pages for row in p.rows)
    owner_rows = [row for p in walk(db, analyst, collection, limit="6") for row in p.rows]
    assert len(owner_rows) == 40


def query_plan(db: Database, is_postgres: bool, stmt: Any) -> str:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as connection:
        if is_postgres:
            # Tiny test tables make a sequential scan cheapest; forbid it so
            # the plan shows what the indexes allow.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_sort = off")
            rows = connection.exec_driver_sql("EXPLAIN " + sql)
            return "\n".join(str(r[0]) for r in rows)
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(r[-1]) for r in rows)


def test_a_deep_page_is_an_index_range_not_a_scan_of_earlier_rows(
    db: Database, is_postgres: bool, analyst: Viewer, collection: str
) -> None:
    """The page query seeks on (collection_id, date_added) and reads in index order."""
    add_many(db, analyst, collection, 30)
    first = get_objects(db, analyst, collection, limit="10")
    filters = parse_query(
        {"limit": "10", "next": first.next or ""},
        allowed=PARAMETERS,
        default_limit=10,
        max_limit=10,
    )
    with db.session() as session:
        access = collections.collection_for(session, analyst, ROOT, collection)
        stmt = select_versions(access.collection.id, analyst, access.default_tlp, filters)

    plan = query_plan(db, is_postgres, stmt)
    if is_postgres:
        index = "uq_object_versions_collection_id_date_added"
        seek = rf"Index Scan using {index} on object_versions\s.*\n\s+Index Cond: .*date_added >"
        assert re.search(seek, plan), plan
        assert "Sort" not in plan, plan
    else:
        # SQLite names the index of a unique constraint itself.
        seek = r"SEARCH object_versions USING INDEX \S+ \(collection_id=\? AND date_added>\?\)"
        assert re.search(seek, plan), plan
        assert "TEMP B-TREE" not in plan, plan


def test_sqlite_looks_one_object_up_by_id_instead_of_walking_the_collection(
    db: Database, is_postgres: bool, analyst: Viewer, collection: str
) -> None:
    """Without statistics SQLite preferred the date_added index to skip a sort."""
    if is_postgres:
        pytest.skip("PostgreSQL weighs the id's selectivity; this was SQLite's choice")
    add_many(db, analyst, collection, 30)
    ids = stored_ids(db, collection)
    with db.session() as session:
        access = collections.collection_for(session, analyst, ROOT, collection)
        single = select_versions(
            access.collection.id,
            analyst,
            access.default_tlp,
            ObjectQuery(limit=10, versions=VersionFilter(all=True)),
            stix_id=ids[3],
        )
        listed = select_versions(
            access.collection.id,
            analyst,
            access.default_tlp,
            ObjectQuery(limit=10, ids=(ids[3], ids[7])),
        )
        assert [r.stix_id for r in session.scalars(single)] == [ids[3]]
        assert [r.stix_id for r in session.scalars(listed)] == [ids[3], ids[7]]

    seek = r"SEARCH object_versions USING INDEX \S+ \(collection_id=\? AND stix_id=\?\)"
    for stmt in (single, listed):
        plan = query_plan(db, is_postgres, stmt)
        assert re.search(seek, plan.splitlines()[0]), plan


# -- added_after (invariant 2, seen from a poller) ------------------------------------


def test_added_after_is_exclusive(db: Database, analyst: Viewer, collection: str) -> None:
    add_many(db, analyst, collection, 10)
    ids = stored_ids(db, collection)
    everything = get_objects(db, analyst, collection)
    fifth = everything.rows[4].date_added

    after = get_objects(db, analyst, collection, added_after=format_date_added(fifth))
    assert [r.stix_id for r in after.rows] == ids[5:]


def test_polling_with_the_last_date_added_never_repeats_or_misses(
    db: Database, analyst: Viewer, collection: str
) -> None:
    seen: list[str] = []
    last: str | None = None
    for round_ in range(6):
        add_many(db, analyst, collection, 3 + round_)
        args = {"limit": "4"}
        while True:
            page = get_objects(
                db, analyst, collection, **args, **({"added_after": last} if last else {})
            )
            seen.extend(r.stix_id for r in page.rows)
            if page.last_added is not None:
                last = format_date_added(page.last_added)
            if not page.more:
                break
    assert seen == stored_ids(db, collection)
    assert len(seen) == len(set(seen)) == sum(3 + r for r in range(6))


def test_the_later_of_added_after_and_next_wins(
    db: Database, analyst: Viewer, collection: str
) -> None:
    add_many(db, analyst, collection, 12)
    ids = stored_ids(db, collection)
    first = get_objects(db, analyst, collection, limit="3")
    late = get_objects(db, analyst, collection).rows[8].date_added

    page = get_objects(
        db,
        analyst,
        collection,
        limit="3",
        next=first.next or "",
        added_after=format_date_added(late),
    )
    assert [r.stix_id for r in page.rows] == ids[9:12]


# -- filters -------------------------------------------------------------------------


def test_match_type_and_id_filter_in_sql(db: Database, analyst: Viewer, collection: str) -> None:
    address = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid4()}",
        "value": "198.51.100.1",
    }
    wanted = indicator()
    add(db, analyst, collection, [indicator(), address, wanted, indicator()])

    by_type = get_objects(db, analyst, collection, **{"match[type]": "ipv4-addr"})
    assert [r.stix_id for r in by_type.rows] == [address["id"]]
    by_id = get_objects(db, analyst, collection, **{"match[id]": f"{wanted['id']},{address['id']}"})
    assert [r.stix_id for r in by_id.rows] == [address["id"], wanted["id"]]


def test_type_filter_pages_with_the_cursor(db: Database, analyst: Viewer, collection: str) -> None:
    for _ in range(5):
        add_many(db, analyst, collection, 3)
        add(
            db,
            analyst,
            collection,
            [
                {
                    "type": "ipv4-addr",
                    "spec_version": "2.1",
                    "id": f"ipv4-addr--{uuid.uuid4()}",
                    "value": f"198.51.100.{n}",
                }
                for n in range(2)
            ],
        )
    pages = list(walk(db, analyst, collection, limit="4", **{"match[type]": "indicator"}))
    rows = [r for p in pages for r in p.rows]
    assert len(rows) == len({r.stix_id for r in rows}) == 15
    assert {r.type for r in rows} == {"indicator"}


@pytest.fixture
def three_versions(db: Database, analyst: Viewer, collection: str) -> str:
    v1 = indicator(modified="2024-01-01T00:00:00.000Z")
    add(db, analyst, collection, [{**v1, "modified": "2024-02-01T00:00:00.000Z"}])
    add(db, analyst, collection, [v1, {**v1, "modified": "2024-03-01T00:00:00.000Z"}])
    return str(v1["id"])


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("last", ["2024-03-01T00:00:00.000Z"]),
        ("first", ["2024-01-01T00:00:00.000Z"]),
        ("first,last", ["2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]),
        (
            "all",
            ["2024-02-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
        ),
        ("2024-02-01T00:00:00Z", ["2024-02-01T00:00:00.000Z"]),
        ("last,2024-02-01T00:00:00Z", ["2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]),
        ("2023-01-01T00:00:00Z", []),
    ],
)
def test_version_filter(
    db: Database,
    analyst: Viewer,
    collection: str,
    three_versions: str,
    version: str,
    expected: list[str],
) -> None:
    """Pages are in date_added order, whatever order the versions have."""
    page = get_objects(db, analyst, collection, **{"match[version]": version})
    assert [query.version_label(r) for r in page.rows] == expected


def test_first_and_last_are_judged_among_the_versions_the_viewer_sees(
    db: Database, analyst: Viewer, outsider: Viewer, collection: str
) -> None:
    v1 = indicator(modified="2024-01-01T00:00:00.000Z", object_marking_refs=[GREEN])
    v2 = {**v1, "modified": "2024-02-01T00:00:00.000Z", "object_marking_refs": [RED]}
    add(db, analyst, collection, [v1, v2])

    def latest(viewer: Viewer) -> list[str]:
        return [query.version_label(r) for r in get_objects(db, viewer, collection).rows]

    assert latest(analyst) == ["2024-02-01T00:00:00.000Z"]
    assert latest(outsider) == ["2024-01-01T00:00:00.000Z"]


def test_a_hidden_object_is_as_absent_as_a_missing_one(
    db: Database, analyst: Viewer, outsider: Viewer, collection: str
) -> None:
    secret = indicator(object_marking_refs=[RED])
    add(db, analyst, collection, [secret])
    with db.session() as session:
        access = collections.collection_for(session, outsider, ROOT, collection)
        with pytest.raises(NotFoundError) as hidden:
            query.get_object(session, outsider, access, secret["id"], ObjectQuery(limit=10))
        with pytest.raises(NotFoundError) as missing:
            query.get_object(session, outsider, access, indicator()["id"], ObjectQuery(limit=10))
        owner_access = collections.collection_for(session, analyst, ROOT, collection)
        mine = query.get_object(session, analyst, owner_access, secret["id"], ObjectQuery(limit=10))
    assert str(hidden.value) == str(missing.value)
    assert [r.stix_id for r in mine.rows] == [secret["id"]]
