"""CPU use of an idle ``federation worker`` with N configured peers.

A source hub serves one empty collection; a target hub gets N peers on it
(created through ``POST /api/v1/peers`` as a hub admin, quicker than N
console commands) and runs ``federation worker``. Once every peer has had
its first pass, the worker's user+system CPU time is read from
/proc/PID/stat over a window and printed as a percentage of one core. With
an interval shorter than the window, the figure includes the empty polls.
Linux only; everything binds 127.0.0.1 and is removed at the end.

    .venv/bin/python bench/idle_worker_bench.py [--peers 100] [--seconds 60] [--interval 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubs import FEDERATION, BenchHub, say

WARM_UP_TIMEOUT = 600.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window")
    parser.add_argument("--interval", type=int, default=300, help="each peer's interval, s")
    parser.add_argument("--poll", type=float, default=5.0, help="the worker's --poll, s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="idle-worker-bench-"))
    source, target = BenchHub(folder / "source"), BenchHub(folder / "target")
    worker: subprocess.Popen[bytes] | None = None
    try:
        admin = set_up(source, target, args.peers, args.interval)
        worker = subprocess.Popen(
            [str(FEDERATION), "worker", "--poll", str(args.poll)],
            env=target.environ(),
            cwd=target.folder,
            stdout=subprocess.DEVNULL,
            stderr=(target.folder / "worker.log").open("wb"),
            start_new_session=True,
        )
        warm_up(target, admin, args.peers, worker)
        say(f"measuring the idle worker for {args.seconds:.0f} s")
        before, started = cpu_seconds(worker.pid), time.monotonic()
        time.sleep(args.seconds)
        used, window = cpu_seconds(worker.pid) - before, time.monotonic() - started
        if worker.poll() is not None:
            raise SystemExit("the worker exited during the measurement")
        figures = {
            "peers": args.peers,
            "interval_seconds": args.interval,
            "poll_seconds": args.poll,
            "window_seconds": round(window, 1),
            "cpu_seconds": round(used, 3),
            "cpu_percent_of_one_core": round(100 * used / window, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        source.stop()
        target.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


def set_up(source: BenchHub, target: BenchHub, peers: int, interval: int) -> str:
    """Both hubs served, N peers on the target; returns the target admin's token."""
    say("setting up the source and target hubs")
    source.run_all([("db", "upgrade")])
    target.run_all([("db", "upgrade")])
    source.run_all(
        [("org", "add", "Hub T", "--sector", "hub"), ("root", "add", "hub", "--title", "S")]
    )
    target.run_all(
        [("org", "add", "Operators", "--sector", "hub"), ("root", "add", "hub", "--title", "T")]
    )
    remote = source.run("collection", "add", "--root", "hub", "--title", "feed").strip()
    local = target.run("collection", "add", "--root", "hub", "--title", "feed").strip()
    token = source.issue("hub-t", "Hub T", "peer")
    admin = target.issue("operator", "Operators", "hub-admin")
    source.serve(workers=1)
    target.serve(workers=1)
    say(f"adding {peers} peers through the REST API")
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {admin}"
        for n in range(peers):
            answer = http.post(
                f"{target.url}/api/v1/peers",
                json={
                    "name": f"peer-{n:03d}",
                    "url": source.root_url,
                    "collection": remote,
                    "local_collection": local,
                    "direction": "both",
                    "interval": interval,
                    "user": "hub-t",
                    "password": token,
                },
                timeout=30,
            )
            if answer.status_code != 201:
                raise SystemExit(f"adding a peer: HTTP {answer.status_code}: {answer.text[:300]}")
    return admin


def warm_up(target: BenchHub, admin: str, peers: int, worker: subprocess.Popen[bytes]) -> None:
    """Wait until every peer has had one successful pass."""
    say("waiting for every peer's first pass")
    deadline = time.monotonic() + WARM_UP_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {target.folder / 'worker.log'}")
        listed = requests.get(
            f"{target.url}/api/v1/peers", headers={"Authorization": f"Bearer {admin}"}, timeout=30
        ).json()["peers"]
        done = sum(1 for peer in listed if peer["last_success"])
        failed = [peer["last_error"] for peer in listed if peer["last_error"]]
        if failed:
            raise SystemExit(f"a peer failed: {failed[0]}")
        if done == peers:
            return
        time.sleep(1)
    raise SystemExit("the peers' first passes did not finish in time")


if __name__ == "__main__":
    sys.exit(main())
