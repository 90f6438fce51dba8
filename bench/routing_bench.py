#!/usr/bin/env python3
"""What routing costs at ingest: indicators per second through ``add_objects``.

Usage:
    python bench/routing_bench.py [--database-url URL] [--count 5000] [--envelope 100]
        [--members 200] [--prefixes 5]

Runs three passes on a fresh database (a temporary SQLite file unless
--database-url names an empty PostgreSQL database, whose public schema is
dropped first):
  none     no member declared a network (routing costs one probe per request)
  miss     --members x --prefixes declared, no indicator names any of them
  routed   the same, and every indicator names an address in a declared
           prefix, so each is copied into the owner's inbox
Each indicator is new; envelopes of --envelope go through the service in-process
(no HTTP), which isolates the cost of routing from the web layer.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from federation.services.access import accounts, collections
from federation.services.objects import ingest
from federation.services.routing import networks
from federation.storage import migrations
from federation.storage.database import Database


def indicator(address: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '{address}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }


def run(db: Database, label: str, count: int, envelope: int, addresses: list[str]) -> None:
    with db.session() as session:
        viewer = accounts.viewer_for(accounts.account_named(session, "poster"))
        collection = collections.add_collection(
            session, root="bench", title=label, read="*", write="*"
        )
        access = collections.access_for(viewer, collection)
        objects = [indicator(random.choice(addresses)) for _ in range(count)]
        started = time.perf_counter()
        for start in range(0, count, envelope):
            ingest.add_objects(session, viewer, access, objects[start : start + envelope])
        elapsed = time.perf_counter() - started
    print(f"{label:8} {count / elapsed:8.0f} indicators/s ({elapsed:.2f} s for {count})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--envelope", type=int, default=100)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--prefixes", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrations.upgrade(url)
    db = Database(url)
    with db.session() as session:
        collections.add_api_root(session, "bench", "Routing bench")
        accounts.add_organisation(session, "Poster", "isp")
        accounts.add_account(session, "poster", "Poster", "analyst")

    unrouted = [f"203.0.113.{i}" for i in range(1, 255)]
    run(db, "none", args.count, args.envelope, unrouted)
    routed: list[str] = []
    with db.session() as session:
        for member in range(args.members):
            org = accounts.add_organisation(session, f"Member {member}", "isp")
            for prefix in range(args.prefixes):
                block = member * args.prefixes + prefix
                network = f"10.{block // 256}.{block % 256}.0/24"
                networks.add_network(session, None, org.id, network)
                routed.append(f"10.{block // 256}.{block % 256}.7")
    run(db, "miss", args.count, args.envelope, unrouted)
    run(db, "routed", args.count, args.envelope, routed)
    db.dispose()


if __name__ == "__main__":
    main()
