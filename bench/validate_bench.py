"""Objects per second: the hub's STIX validator against ``stix2.parse``, same objects.

The hub checks every object it ingests with ``federation.stix.validate``,
written by hand because building stix2's object model per object is far
slower. This measures both on one mix of typical incident content
(indicators with STIX patterns, observables, relationships, sightings,
identities, incidents, markings) and prints objects/s and the ratio.
No network, no database.

    .venv/bin/python bench/validate_bench.py [--count 5000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import stix2

from federation.stix.validate import validate_object

T0 = "2026-11-30T10:00:00.000Z"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def _id(type_: str, rng: random.Random) -> str:
    return f"{type_}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _address(rng: random.Random) -> str:
    return f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _sdo(type_: str, rng: random.Random, **props: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "spec_version": "2.1",
        "id": _id(type_, rng),
        "created": T0,
        "modified": T0,
        "object_marking_refs": [TLP_GREEN],
        **props,
    }


def mix(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``count`` valid STIX 2.1 objects in the proportions an incident feed has."""
    rng = random.Random(seed)
    reporter = _id("identity", rng)
    builders: list[Callable[[], dict[str, Any]]] = [
        lambda: _sdo(
            "indicator",
            rng,
            name="C2 address",
            pattern=f"[ipv4-addr:value = '{_address(rng)}']",
            pattern_type="stix",
            valid_from=T0,
            created_by_ref=reporter,
            labels=["malicious-activity"],
        ),
        lambda: _sdo(
            "indicator",
            rng,
            pattern=f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}'] AND "
            "[domain-name:value = 'bad.example']",
            pattern_type="stix",
            valid_from=T0,
        ),
        lambda: {
            "type": "ipv4-addr",
            "spec_version": "2.1",
            "id": _id("ipv4-addr", rng),
            "value": _address(rng),
        },
        lambda: {
            "type": "domain-name",
            "spec_version": "2.1",
            "id": _id("domain-name", rng),
            "value": f"host{rng.randrange(10**6)}.example",
        },
        lambda: {
            "type": "file",
            "spec_version": "2.1",
            "id": _id("file", rng),
            "name": "dropper.exe",
            "hashes": {"SHA-256": f"{rng.getrandbits(256):064x}"},
        },
        lambda: _sdo(
            "relationship",
            rng,
            relationship_type="indicates",
            source_ref=_id("indicator", rng),
            target_ref=_id("malware", rng),
        ),
        lambda: _sdo(
            "sighting",
            rng,
            sighting_of_ref=_id("indicator", rng),
            first_seen=T0,
            last_seen=T0,
            count=3,
            where_sighted_refs=[reporter],
        ),
        lambda: _sdo("incident", rng, name="DDoS on a resolver", description="x" * 200),
        lambda: _sdo("malware", rng, name="Mirai", is_family=True, malware_types=["bot"]),
        lambda: _sdo("identity", rng, name="Example ISP", identity_class="organization"),
    ]
    return [rng.choice(builders)() for _ in range(count)]


def rate(
    check: Callable[[dict[str, Any]], object], objects: list[dict[str, Any]], repeat: int
) -> float:
    """Best objects/s over ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for obj in objects:
            check(obj)
        best = min(best, time.perf_counter() - started)
    return len(objects) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    objects = mix(args.count)
    ours = rate(validate_object, objects, args.repeat)
    theirs = rate(lambda obj: stix2.parse(obj, allow_custom=True), objects, args.repeat)
    figures = {
        "objects": len(objects),
        "validate_object_per_s": round(ours),
        "stix2_parse_per_s": round(theirs),
        "ratio": round(ours / theirs, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"federation.stix.validate_object: {ours:,.0f} objects/s")
        print(f"stix2.parse:                     {theirs:,.0f} objects/s")
        print(f"ratio:                           {ours / theirs:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
