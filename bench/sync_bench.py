"""Pull N objects from another hub on this machine, end to end, and print objects/s.

Two hubs are set up with the console script in a temporary folder: the
source is filled with N GREEN indicators (``federation import``, not timed)
and served by ``federation serve``; the target gets a pull-only peer for it.
The figure is N divided by the wall-clock time of ``federation sync --peer``
on the target, start-up of the command included. The target's object count
is checked afterwards. Everything binds 127.0.0.1 and is removed at the end
unless ``--keep`` is given.

    .venv/bin/python bench/sync_bench.py [--count 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubs import BenchHub, check_local, say

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def indicators(count: int) -> list[dict[str, object]]:
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": f"bench indicator {n}",
            "pattern": f"[ipv4-addr:value = '10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}']",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": [GREEN],
        }
        for n in range(count)
    ]


def stored(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            count: int = connection.scalar(
                select(func.count()).select_from(table("object_versions"))
            )
            return count
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="objects to pull")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the source")
    parser.add_argument("--workdir", type=Path, help="folder for the hubs (default: a temp one)")
    parser.add_argument("--keep", action="store_true", help="keep the hubs' folder")
    parser.add_argument(
        "--target-database-url",
        default="",
        help="an EMPTY database for the pulling hub (default: SQLite in the folder)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.target_database_url:
        check_local(args.target_database_url)

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="sync-bench-"))
    source = BenchHub(folder / "source")
    target = BenchHub(folder / "target", database_url=args.target_database_url)
    try:
        figures = run(source, target, args.count, args.workers)
    finally:
        source.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


def run(source: BenchHub, target: BenchHub, count: int, workers: int) -> dict[str, object]:
    say("setting up the source and target hubs")
    source.run("db", "upgrade")
    target.run("db", "upgrade")
    source.run_all(
        [
            ("org", "add", "Bench ISP", "--sector", "isp"),
            ("org", "add", "Hub T", "--sector", "hub"),
            ("root", "add", "hub", "--title", "Source"),
        ]
    )
    target.run("root", "add", "hub", "--title", "Target")
    source_collection = source.run("collection", "add", "--root", "hub", "--title", "bench")
    source_collection = source_collection.strip()
    target_collection = target.run("collection", "add", "--root", "hub", "--title", "bench").strip()
    token = source.issue("hub-t", "Hub T", "peer")

    say(f"importing {count} indicators into the source (not timed)")
    bundle = source.folder / "bundle.json"
    bundle.write_text(
        json.dumps(
            {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": indicators(count)}
        )
    )
    started = time.perf_counter()
    source.run("import", str(bundle), "--collection", source_collection)
    seeded = time.perf_counter() - started
    bundle.unlink()
    source.serve(workers)

    target.run(
        "peer", "add", "source", "--url", source.root_url, "--collection", source_collection,
        "--local-collection", target_collection, "--direction", "pull", "--interval", "3600",
        "--user", "hub-t", "--password", token,
    )  # fmt: skip
    say(f"pulling {count} objects with 'federation sync --peer source'")
    started = time.perf_counter()
    target.run("sync", "--peer", "source")
    elapsed = time.perf_counter() - started
    held = stored(target.database_url)
    if held != count:
        raise SystemExit(f"the target holds {held} objects, not {count}")
    return {
        "objects": count,
        "target_database": target.database_url.split(":")[0],
        "seed_import_seconds": round(seeded, 1),
        "pull_seconds": round(elapsed, 2),
        "objects_per_second": round(count / elapsed),
        # Other work on the machine slows the figure down; say how much there was.
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    sys.exit(main())
