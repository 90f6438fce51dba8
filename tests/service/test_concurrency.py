"""Concurrent writers and a poller on one collection (DESIGN.md invariant 2).

Writers each use their own session, as requests on different workers do. A
poller asks for ``added_after`` = the last date_added it saw, the way member
SOC tooling polls, while the writers run, then drains what is left. It must
see every stored object exactly once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

import pytest
from sqlalchemy import event, select

from federation.domain.filters import ObjectQuery
from federation.domain.visibility import Viewer
from federation.services.access import accounts, collections
from federation.services.objects import ingest, query
from federation.storage.database import Database
from federation.storage.models import ObjectVersion, Status
from tests.conftest import Factory
from tests.helpers import ROOT, indicator

POLL_LIMIT = 50


@dataclass
class Run:
    """What the writers stored and what the poller saw."""

    statuses: list[Status] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    seen: list[tuple[str, datetime]] = field(default_factory=list)
    batches: int = 0
    out_of_order: list[tuple[datetime, datetime]] = field(default_factory=list)


def viewer_of(db: Database, factory: Factory, organisation: str) -> Viewer:
    member = factory.member(organisation)
    with db.session() as session:
        return accounts.viewer_for(accounts.account_named(session, member.account))


def guarded(run: Run, target: Callable[[], None]) -> Callable[[], None]:
    def body() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            run.errors.append(exc)

    return body


def write_and_poll(
    db: Database, factory: Factory, *, writers: int, envelopes: int, size: int
) -> tuple[Run, str]:
    collection = factory.collection()
    viewers = [viewer_of(db, factory, f"Writer ISP {n}") for n in range(writers)]
    reader = viewer_of(db, factory, "Polling CSIRT")
    run = Run()
    start = threading.Barrier(writers + 1)
    writers_done = threading.Event()
    lock = threading.Lock()

    def write(number: int) -> Callable[[], None]:
        def body() -> None:
            viewer = viewers[number]
            start.wait(timeout=30)
            for envelope in range(envelopes):
                objects: list[Any] = [
                    indicator(name=f"w{number}-e{envelope}-o{n}") for n in range(size)
                ]
                with db.session() as session:
                    access = collections.collection_for(session, viewer, ROOT, collection)
                    status = ingest.add_objects(session, viewer, access, objects)
                with lock:
                    run.statuses.append(status)

        return body

    def poll() -> None:
        last: datetime | None = None
        start.wait(timeout=30)
        while True:
            # Read the flag before querying: once it is set, every write has
            # committed, so an empty answer after it means the drain is done.
            finished = writers_done.is_set()
            with db.session() as session:
                access = collections.collection_for(session, reader, ROOT, collection)
                filters = ObjectQuery(limit=POLL_LIMIT, added_after=last)
                page = query.get_objects(session, reader, access, filters)
            if page.rows:
                run.batches += 1
                for row in page.rows:
                    if last is not None and row.date_added <= last:
                        run.out_of_order.append((row.date_added, last))
                    run.seen.append((row.stix_id, row.date_added))
                    last = row.date_added if last is None else max(last, row.date_added)
            elif finished:
                return
            elif not page.more:
                time.sleep(0.002)

    threads = [threading.Thread(target=guarded(run, write(n))) for n in range(writers)]
    poller = threading.Thread(target=guarded(run, poll))
    for thread in [*threads, poller]:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    writers_done.set()
    poller.join(timeout=300)
    assert not any(t.is_alive() for t in [*threads, poller]), "a thread hung"
    return run, collection


def assert_invariant_2(db: Database, run: Run, collection: str, *, expected: int) -> None:
    assert not run.errors, run.errors
    assert all(s.failure_count == 0 and s.success_count == s.total_count for s in run.statuses)

    with db.session() as session:
        stmt = (
            select(
                ObjectVersion.pk,
                ObjectVersion.stix_id,
                ObjectVersion.date_added,
                ObjectVersion.document,
            )
            .where(ObjectVersion.collection_id == uuid.UUID(collection))
            .order_by(ObjectVersion.pk)
        )
        rows = list(session.execute(stmt))
    assert len(rows) == expected

    # Every stored object was seen exactly once, in date_added order.
    seen_ids = [stix_id for stix_id, _ in run.seen]
    assert len(seen_ids) == len(set(seen_ids)) == expected
    assert set(seen_ids) == {r.stix_id for r in rows}
    assert run.out_of_order == []

    # date_added is unique and follows pk, which is assigned inside the
    # collection lock, hence in commit order.
    added = [r.date_added for r in rows]
    assert len(set(added)) == expected
    assert added == sorted(added)

    # Requests did not interleave: each envelope is one unbroken run of date_added.
    envelopes = [r.document["name"].rsplit("-", 1)[0] for r in rows]
    runs = [key for key, _ in groupby(envelopes)]
    assert len(runs) == len(set(runs)) == len(run.statuses)


@pytest.mark.postgres
def test_four_writers_and_a_poller_on_postgres(db: Database, factory: Factory) -> None:
    run, collection = write_and_poll(db, factory, writers=4, envelopes=30, size=10)
    assert_invariant_2(db, run, collection, expected=4 * 30 * 10)
    assert run.batches > 1


def test_two_writers_queue_instead_of_failing(db: Database, factory: Factory) -> None:
    """On SQLite, BEGIN IMMEDIATE makes writers wait for the lock, never 'database is locked'."""
    run, collection = write_and_poll(db, factory, writers=2, envelopes=25, size=10)
    assert_invariant_2(db, run, collection, expected=2 * 25 * 10)


def test_sqlite_writes_begin_immediate(db: Database, factory: Factory, is_postgres: bool) -> None:
    """A deferred BEGIN would upgrade its lock mid-transaction and fail under contention."""
    if is_postgres:
        pytest.skip("BEGIN IMMEDIATE is how SQLite writers queue")
    viewer = viewer_of(db, factory, "Example ISP")
    collection = factory.collection()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 2)[0].upper() + " " + statement[:40])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            access = collections.collection_for(session, viewer, ROOT, collection)
            statements.clear()
            ingest.add_objects(session, viewer, access, [indicator()])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    begins = [s for s in statements if s.startswith("BEGIN")]
    first_write = next(i for i, s in enumerate(statements) if s.startswith("INSERT"))
    assert any("IMMEDIATE" in s for s in begins), statements
    last_begin = max(i for i, s in enumerate(statements) if s.startswith("BEGIN"))
    assert "IMMEDIATE" in statements[last_begin], statements
    assert last_begin < first_write, statements
