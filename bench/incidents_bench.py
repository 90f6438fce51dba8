#!/usr/bin/env python3
"""Latency of ``GET /api/v1/incidents`` with and without filters, at scale.

Usage:
    python bench/incidents_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB \
        [--incidents 100000] [--batch 500] [--repeats 50] [--json]

Seeds the database (migrated first) with ``--incidents`` incident reports
from 40 organisations, through the same ingest service as TAXII and the REST
API, then times the list endpoint through the Flask app (in process, no
network) as a law-enforcement reader. Prints the median and 95th percentile
of each query. Seeding resumes: a second run with the same database only adds
what is missing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from federation import create_app
from federation.domain.incident_stix import Reporter, build_report
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.services.access import accounts, collections
from federation.services.access.collections import access_for
from federation.services.objects import ingest
from federation.storage import migrations
from federation.storage.models import (
    Account,
    Collection,
    IncidentValue,
    IncidentVersion,
    Organisation,
)
from federation.web.db import database

ORGANISATIONS = 40
COLLECTION_ALIAS = "incident-bench"
CATEGORIES = ["ddos", "botnet", "c2", "phishing", "malware", "scanning", "spam", "intrusion"]
# Mostly shareable, some restricted: the reader must not see the RED ones.
TLPS = [Tlp.CLEAR, Tlp.GREEN, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER, Tlp.AMBER, Tlp.RED]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="incidents per ingest call")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    # One access-log line per request would drown the figures.
    logging.disable(logging.INFO)
    migrations.upgrade(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench-secret"})
    db = database(app)
    rng = random.Random(args.seed)
    token = _setup(app.config["SECRET_KEY"], db)
    started = time.perf_counter()
    added = _seed(db, args.incidents, args.batch, rng)
    seeded_s = time.perf_counter() - started
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with db.session() as session:
        # A /24 that holds at least one stored indicator, so the query finds something.
        sample = session.scalar(
            select(IncidentValue.value).where(IncidentValue.kind == "ipv4-addr").limit(1)
        )
    populated = ".".join(str(sample or "10.0.0.1").split(".")[:3]) + ".0/24"
    queries = {
        "newest page (limit 50)": {},
        "cidr /24": {"ip": "10.20.30.0/24"},
        "cidr /24 with matches": {"ip": populated},
        "cidr /16": {"ip": "10.20.0.0/16"},
        "single ip": {"ip": "10.20.30.40"},
        "cidr /24 + category": {"ip": "10.20.30.0/24", "category": "ddos"},
        "category": {"category": "phishing"},
        "text in title": {"q": "resolver 7"},
        "sector + status": {"sector": "isp", "investigation_status": "closed"},
    }
    figures: dict[str, Any] = {
        "incidents_added": added,
        "seed_s": round(seeded_s, 1),
        # Wall-clock figures include waiting for a CPU on a busy machine.
        "load_average_1min": os.getloadavg()[0],
    }
    for name, params in queries.items():
        timings, cpu, found = [], [], 0
        for _ in range(args.repeats):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get("/api/v1/incidents", query_string=params, headers=headers)
            timings.append(time.perf_counter() - begin)
            cpu.append(time.process_time() - begin_cpu)
            if response.status_code != 200:
                print(f"{name}: HTTP {response.status_code} {response.get_data(as_text=True)}")
                return 1
            found = len(response.get_json()["incidents"])
        timings.sort()
        figures[name] = {
            "median_ms": round(statistics.median(timings) * 1000, 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1] * 1000, 2),
            "hub_cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
            "returned": found,
        }
    with db.session() as session:
        figures["incidents_stored"] = session.scalar(select(func.count(IncidentVersion.pk)))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"incidents stored: {figures['incidents_stored']} (added {added} in {seeded_s:.1f} s)"
        )
        print(f"load average (1 min) before timing: {figures['load_average_1min']:.2f}")
        for name in queries:
            f = figures[name]
            print(
                f"{name:26} median {f['median_ms']:8.2f} ms   p95 {f['p95_ms']:8.2f} ms"
                f"   hub CPU {f['hub_cpu_median_ms']:7.2f} ms   ({f['returned']} returned)"
            )
    db.dispose()
    return 0


def _setup(secret: str, db: Any) -> str:
    """Members, the collection and a reader token (created once, reused after)."""
    with db.session() as session:
        for number in range(ORGANISATIONS):
            name = f"Bench ISP {number:02d}"
            if session.scalar(select(Organisation).where(Organisation.name == name)) is None:
                accounts.add_organisation(session, name, "isp" if number % 4 else "csirt")
                accounts.add_account(session, f"bench-analyst-{number:02d}", name, "analyst")
        if session.scalar(select(Organisation).where(Organisation.name == "Bench Police")) is None:
            accounts.add_organisation(session, "Bench Police", "law-enforcement")
            accounts.add_account(session, "bench-reader", "Bench Police", "reader")
        if session.scalar(select(Collection).where(Collection.alias == COLLECTION_ALIAS)) is None:
            try:
                collections.api_root_named(session, "bench")
            except Exception:
                collections.add_api_root(session, "bench", "Incident bench")
            collections.add_collection(
                session,
                root="bench",
                title="Incidents",
                alias=COLLECTION_ALIAS,
                read="*",
                write="*",
            )
        return accounts.issue_token(session, secret, "bench-reader").token


def _seed(db: Any, wanted: int, batch: int, rng: random.Random) -> int:
    with db.session() as session:
        have = session.scalar(select(func.count(IncidentVersion.pk))) or 0
    added = 0
    while have + added < wanted:
        size = min(batch, wanted - have - added)
        with db.session() as session:
            number = rng.randrange(ORGANISATIONS)
            account = session.scalar(
                select(Account).where(Account.name == f"bench-analyst-{number:02d}")
            )
            assert account is not None
            org = account.organisation
            viewer = Viewer(
                account_id=account.id,
                account_name=account.name,
                organisation_id=org.id,
                organisation_name=org.name,
                sector=org.sector,
                role=account.role,
                identity_id=org.identity_id,
            )
            collection = session.scalar(
                select(Collection).where(Collection.alias == COLLECTION_ALIAS)
            )
            assert collection is not None
            objects: list[dict[str, Any]] = []
            for _ in range(size):
                tlp = rng.choice(TLPS)
                reporter = Reporter(org.identity_id, org.name, org.created_at, tlp, ())
                objects += build_report(_report(rng), reporter, "bench-secret")[1:]
            status = ingest.add_objects(session, viewer, access_for(viewer, collection), objects)
            if status.failure_count:
                raise SystemExit(f"seeding failed: {status.failures[:1]}")
        added += size
        print(f"seeded {have + added}/{wanted}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return added


def _report(rng: random.Random) -> dict[str, Any]:
    first = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(480_000))
    address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
    return {
        "title": f"Incident at resolver {rng.randrange(1000)}",
        "description": "",
        "category": rng.choice(CATEGORIES),
        "determination": "confirmed",
        "investigation_status": rng.choice(["new", "open", "closed"]),
        "criticality": rng.randrange(101),
        "first_seen": first,
        "indicators": [{"type": "ipv4-addr", "value": address, "role": "source"}],
    }


if __name__ == "__main__":
    sys.exit(main())
