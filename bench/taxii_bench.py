#!/usr/bin/env python3
"""Throughput benchmark for a TAXII 2.1 API root.

Usage:
    python bench/taxii_bench.py --url http://127.0.0.1:5000/taxii2/ROOT/ \
        --collection COLLECTION_ID --user ACCOUNT --token TOKEN \
        [--count 10000] [--envelope 100] [--page 1000] [--singles 500] \
        [--preload N] [--timeout 60] [--json] [--allow-remote]

Phases (see bench/README.md for what each figure means):
  1. ingest      POST --count indicators in envelopes of --envelope
  2. page        GET objects/?limit=--page, following `next`
  3. type        the same with match[type]=indicator
  4. added_after read the manifest, take the median date_added, then page
                 objects/?added_after=<median>
  5. singles     GET objects/<id>/ for --singles random ingested ids
  6. deep-page   optional --preload, then median time of the first page vs. a
                 page at the end of the collection (reached via added_after)

Only `requests` and the standard library are needed.  The script talks only
to the API root given with --url; hosts other than 127.0.0.1, localhost and
::1 are refused unless --allow-remote is passed.  Redirects are not followed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ADDRESS_SPACE = 1 << 24  # 10.0.0.0/8 holds 2**24 distinct addresses
DEEP_REPEATS = 20
MANIFEST_WALK_LIMIT = 10000
MAX_PAGES = 1_000_000  # safety net against a server that never says more=false
BODY_PREVIEW = 2000

Params = dict[str, str | int]
Logger = Callable[[str], None]


class BenchError(Exception):
    """A fatal problem: printed on stderr, exit status 1."""


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    objects: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.objects / self.seconds if self.seconds > 0 else float("inf")

    def line(self) -> str:
        return (
            f"{self.name}: {self.objects} objects in {self.seconds:.3f} s"
            f" = {self.rate:.1f} objects/s"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "seconds": round(self.seconds, 6),
            "objects_per_s": round(self.rate, 3),
            **self.extra,
        }


@dataclass
class DeepPageResult:
    store_objects: int
    page: int
    deep_added_after: str
    deep_page_objects: int
    first_page_objects: int
    first_median_s: float
    deep_median_s: float

    @property
    def ratio(self) -> float:
        if self.first_median_s <= 0:
            return float("inf")
        return self.deep_median_s / self.first_median_s

    def line(self) -> str:
        return (
            f"deep-page: first page median {self.first_median_s * 1000:.2f} ms,"
            f" deep page median {self.deep_median_s * 1000:.2f} ms,"
            f" deep/first ratio {self.ratio:.2f}"
            f" (store {self.store_objects} objects, limit {self.page},"
            f" {DEEP_REPEATS} fetches each)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_objects": self.store_objects,
            "limit": self.page,
            "repeats": DEEP_REPEATS,
            "deep_added_after": self.deep_added_after,
            "first_page_objects": self.first_page_objects,
            "deep_page_objects": self.deep_page_objects,
            "first_page_median_s": round(self.first_median_s, 6),
            "deep_page_median_s": round(self.deep_median_s, 6),
            "deep_first_ratio": round(self.ratio, 4),
        }


@dataclass
class PageWalk:
    """Everything read by following `more`/`next` to the end."""

    items: list[dict[str, Any]]
    seconds: float
    page_times: list[float]


# --------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------


class TaxiiClient:
    """A keep-alive session bound to one API root and one collection."""

    def __init__(
        self, api_root: str, collection: str, user: str, token: str, timeout: float
    ) -> None:
        self.api_root = api_root
        self.collection_url = f"{api_root}collections/{quote(collection, safe='')}/"
        self.timeout = timeout
        self.session = requests.Session()
        # Never route through a proxy from the environment: talk to --url only.
        self.session.trust_env = False
        self.session.auth = (user, token)
        self.session.headers.update({"Accept": TAXII_MEDIA_TYPE})

    def close(self) -> None:
        self.session.close()

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": TAXII_MEDIA_TYPE} if body is not None else None
        try:
            resp = self.session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectionError as exc:
            raise BenchError(f"cannot reach the server at {url}: {exc}") from exc
        except requests.Timeout as exc:
            raise BenchError(f"{method} {url} timed out after {self.timeout} s: {exc}") from exc
        except requests.RequestException as exc:
            raise BenchError(f"{method} {url} failed: {exc}") from exc
        if not 200 <= resp.status_code < 300:
            raise BenchError(
                f"{method} {resp.url} answered HTTP {resp.status_code}"
                f" {resp.reason}\n{_preview(resp.text)}"
            )
        try:
            data = resp.json()
        except ValueError as exc:
            raise BenchError(
                f"{method} {resp.url} answered HTTP {resp.status_code} with a body"
                f" that is not JSON (Content-Type:"
                f" {resp.headers.get('Content-Type')!r})\n{_preview(resp.text)}"
            ) from exc
        if not isinstance(data, dict):
            raise BenchError(
                f"{method} {resp.url}: expected a JSON object, got"
                f" {type(data).__name__}\n{_preview(resp.text)}"
            )
        return data

    def post_envelope(self, body: bytes) -> dict[str, Any]:
        return self._request("POST", self.collection_url + "objects/", body=body)

    def get_objects(self, params: Params) -> dict[str, Any]:
        return self._request("GET", self.collection_url + "objects/", params=params)

    def get_manifest(self, params: Params) -> dict[str, Any]:
        return self._request("GET", self.collection_url + "manifest/", params=params)

    def get_object(self, object_id: str) -> dict[str, Any]:
        url = f"{self.collection_url}objects/{quote(object_id, safe='')}/"
        return self._request("GET", url)


def _preview(text: str) -> str:
    if len(text) <= BODY_PREVIEW:
        return text
    return text[:BODY_PREVIEW] + f"... [{len(text) - BODY_PREVIEW} more characters]"


def normalise_api_root(url: str, allow_remote: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BenchError(f"--url must be an http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise BenchError(f"--url must not carry a query or fragment: {url!r}")
    host = parts.hostname
    if not host:
        raise BenchError(f"--url has no host: {url!r}")
    if host.lower() not in LOCAL_HOSTS and not allow_remote:
        raise BenchError(
            f"refusing to benchmark host {host!r}: only 127.0.0.1, localhost and ::1"
            " are allowed without --allow-remote"
        )
    return url if url.endswith("/") else url + "/"


# --------------------------------------------------------------------------
# Data generation and helpers
# --------------------------------------------------------------------------


def stix_now() -> str:
    """Current UTC time as a STIX timestamp with millisecond precision."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class IndicatorFactory:
    """Makes distinct indicators: fresh uuid4 ids, distinct 10.x.y.z addresses."""

    def __init__(self, rng: random.Random) -> None:
        self._base = rng.randrange(ADDRESS_SPACE)
        self._issued = 0

    def make(self, count: int) -> list[dict[str, Any]]:
        if self._issued + count > ADDRESS_SPACE:
            raise BenchError(f"cannot make more than {ADDRESS_SPACE} distinct 10.x.y.z addresses")
        out: list[dict[str, Any]] = []
        for _ in range(count):
            n = (self._base + self._issued) % ADDRESS_SPACE
            self._issued += 1
            address = f"10.{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{n & 0xFF}"
            ts = stix_now()
            out.append(
                {
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": f"indicator--{uuid.uuid4()}",
                    "created": ts,
                    "modified": ts,
                    "name": f"taxii-bench {address}",
                    "pattern": f"[ipv4-addr:value = '{address}']",
                    "pattern_type": "stix",
                    "valid_from": ts,
                }
            )
        return out


_TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def timestamp_key(value: str) -> tuple[str, str]:
    """Sort key for TAXII timestamps whose fractional precision may vary."""
    m = _TS_RE.match(value)
    if m:
        return m.group(1), (m.group(2) or "").ljust(12, "0")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BenchError(f"unparseable timestamp from server: {value!r}") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S"), f"{parsed.microsecond:06d}".ljust(12, "0")


def median_s(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else 0.0


# --------------------------------------------------------------------------
# Paging
# --------------------------------------------------------------------------


def iter_pages(
    fetch: Callable[[Params], dict[str, Any]], params: Params, key: str
) -> Iterator[tuple[list[dict[str, Any]], float]]:
    """Yield (items, seconds) for each page, following `next` until more=false.

    The same params (limit and filters) are sent on every request, plus
    next=<value> from the previous page.
    """
    seen_next: set[str] = set()
    request_params: Params = dict(params)
    for _ in range(MAX_PAGES):
        t0 = time.perf_counter()
        envelope = fetch(request_params)
        elapsed = time.perf_counter() - t0
        items = envelope.get(key, [])
        if not isinstance(items, list):
            raise BenchError(f"envelope field {key!r} is not a list: {envelope!r:.300}")
        yield items, elapsed
        if not envelope.get("more", False):
            return
        nxt = envelope.get("next")
        if nxt is None or nxt == "":
            raise BenchError(
                "server said more=true but gave no `next` value"
                f" (page of {len(items)} {key}, params {request_params})"
            )
        nxt = str(nxt)
        if nxt in seen_next:
            raise BenchError(f"server repeated next={nxt!r}: paging would loop")
        if not items:
            raise BenchError(f"server said more=true on an empty page (next={nxt!r})")
        seen_next.add(nxt)
        request_params = dict(params)
        request_params["next"] = nxt
    raise BenchError(f"gave up after {MAX_PAGES} pages without more=false")


def walk(fetch: Callable[[Params], dict[str, Any]], params: Params, key: str) -> PageWalk:
    items: list[dict[str, Any]] = []
    page_times: list[float] = []
    t0 = time.perf_counter()
    for page_items, elapsed in iter_pages(fetch, params, key):
        items.extend(page_items)
        page_times.append(elapsed)
    return PageWalk(items, time.perf_counter() - t0, page_times)


def check_distinct(result_name: str, items: list[dict[str, Any]], log: Logger) -> int:
    """Warn when paging returned the same object version twice; return #ids."""
    versions = {(o.get("id"), o.get("modified") or o.get("version")) for o in items}
    if len(versions) != len(items):
        log(
            f"  WARNING: {result_name}: {len(items)} records but only"
            f" {len(versions)} distinct (id, version) pairs: paging overlaps"
        )
    return len({o.get("id") for o in items})


# --------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------


def ingest(
    client: TaxiiClient,
    factory: IndicatorFactory,
    count: int,
    envelope_size: int,
    name: str,
) -> tuple[PhaseResult, list[str]]:
    """POST `count` fresh indicators in envelopes; every envelope must complete."""
    objects = factory.make(count)
    bodies = [
        json.dumps({"objects": objects[i : i + envelope_size]}).encode()
        for i in range(0, count, envelope_size)
    ]
    t0 = time.perf_counter()
    for n, body in enumerate(bodies):
        status = client.post_envelope(body)
        expected = min(envelope_size, count - n * envelope_size)
        check_status(status, n, len(bodies), expected)
    elapsed = time.perf_counter() - t0
    ids = [o["id"] for o in objects]
    return PhaseResult(name, count, elapsed, {"envelopes": len(bodies)}), ids


def check_status(status: dict[str, Any], n: int, total: int, expected: int) -> None:
    problems = []
    if status.get("status") != "complete":
        problems.append(f"status={status.get('status')!r} (want 'complete')")
    if status.get("failure_count") != 0:
        problems.append(f"failure_count={status.get('failure_count')!r} (want 0)")
    if status.get("success_count") not in (None, expected):
        problems.append(f"success_count={status.get('success_count')!r} (sent {expected})")
    if problems:
        raise BenchError(
            f"INGEST FAILED at envelope {n + 1}/{total}: "
            + ", ".join(problems)
            + "\nstatus resource: "
            + _preview(json.dumps(status, indent=2))
        )


def page_phase(
    client: TaxiiClient, name: str, page: int, log: Logger, **filters: str
) -> PhaseResult:
    params: Params = {"limit": page, **filters}
    w = walk(client.get_objects, params, "objects")
    distinct = check_distinct(name, w.items, log)
    return PhaseResult(
        name,
        len(w.items),
        w.seconds,
        {
            "pages": len(w.page_times),
            "median_page_s": round(median_s(w.page_times), 6),
            "distinct_ids": distinct,
        },
    )


def manifest_dates(walked: PageWalk) -> list[str]:
    dates = []
    for record in walked.items:
        value = record.get("date_added")
        if not isinstance(value, str):
            raise BenchError(f"manifest record without date_added: {record!r:.300}")
        dates.append(value)
    return sorted(dates, key=timestamp_key)


def added_after_phase(
    client: TaxiiClient, page: int, log: Logger
) -> tuple[PhaseResult, PhaseResult]:
    """Read the manifest, take the median date_added, page objects after it."""
    mw = walk(client.get_manifest, {"limit": page}, "objects")
    manifest = PhaseResult(
        "manifest",
        len(mw.items),
        mw.seconds,
        {"pages": len(mw.page_times), "median_page_s": round(median_s(mw.page_times), 6)},
    )
    dates = manifest_dates(mw)
    if not dates:
        raise BenchError("the manifest is empty: nothing to take a median date_added of")
    midpoint = dates[len(dates) // 2]
    expected = sum(1 for d in dates if timestamp_key(d) > timestamp_key(midpoint))
    w = walk(client.get_objects, {"limit": page, "added_after": midpoint}, "objects")
    check_distinct("added_after", w.items, log)
    result = PhaseResult(
        "added_after",
        len(w.items),
        w.seconds,
        {
            "added_after": midpoint,
            "manifest_records": len(dates),
            "expected_from_manifest": expected,
            "pages": len(w.page_times),
            "median_page_s": round(median_s(w.page_times), 6),
        },
    )
    return manifest, result


def singles_phase(
    client: TaxiiClient, ids: Sequence[str], singles: int, rng: random.Random
) -> PhaseResult:
    if not ids:
        raise BenchError("no ingested ids to fetch")
    if singles <= len(ids):
        picked = rng.sample(list(ids), singles)
    else:
        picked = rng.choices(list(ids), k=singles)
    times: list[float] = []
    t0 = time.perf_counter()
    for object_id in picked:
        t1 = time.perf_counter()
        envelope = client.get_object(object_id)
        times.append(time.perf_counter() - t1)
        objects = envelope.get("objects") or []
        if not any(isinstance(o, dict) and o.get("id") == object_id for o in objects):
            raise BenchError(
                f"GET objects/{object_id}/ did not return that object:"
                f" {_preview(json.dumps(envelope))}"
            )
    elapsed = time.perf_counter() - t0
    return PhaseResult(
        "singles", len(picked), elapsed, {"median_request_s": round(median_s(times), 6)}
    )


def timed_fetches(client: TaxiiClient, params: Params, repeats: int) -> tuple[float, int]:
    """Median seconds of `repeats` identical object-page fetches; objects per page."""
    times: list[float] = []
    n_objects = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        envelope = client.get_objects(params)
        times.append(time.perf_counter() - t0)
        n_objects = len(envelope.get("objects") or [])
    return median_s(times), n_objects


def deep_page_phase(client: TaxiiClient, page: int, log: Logger) -> DeepPageResult:
    """First page vs. a page at the end of the collection, reached by added_after."""
    mw = walk(client.get_manifest, {"limit": MANIFEST_WALK_LIMIT}, "objects")
    dates = manifest_dates(mw)
    total = len(dates)
    if total == 0:
        raise BenchError("the manifest is empty: no deep page to fetch")
    # Warm-up fetch; it also shows the page size the server really serves
    # (it may cap limit below --page), so the deep page is the true last page.
    served = len(client.get_objects({"limit": page}).get("objects") or [])
    size = served if 0 < served < page else page
    if total <= size:
        log(
            f"  WARNING: deep-page: the store holds {total} objects <= page size"
            f" {size}; the 'deep' page is the whole collection"
        )
        # added_after the (virtual) start: an instant before the first object.
        deep_after = "1970-01-01T00:00:00.000Z"
    else:
        # added_after is exclusive; step back over equal date_added values (one
        # envelope may share a timestamp) so that at least one full page follows.
        i = total - size - 1
        while i > 0 and timestamp_key(dates[i]) == timestamp_key(dates[i + 1]):
            i -= 1
        deep_after = dates[i]
    first_median, first_n = timed_fetches(client, {"limit": page}, DEEP_REPEATS)
    deep_median, deep_n = timed_fetches(
        client, {"limit": page, "added_after": deep_after}, DEEP_REPEATS
    )
    if deep_n == 0:
        log(f"  WARNING: deep-page: added_after={deep_after} returned no objects")
    return DeepPageResult(
        store_objects=total,
        page=page,
        deep_added_after=deep_after,
        deep_page_objects=deep_n,
        first_page_objects=first_n,
        first_median_s=first_median,
        deep_median_s=deep_median,
    )


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def summary_table(results: Sequence[PhaseResult], deep: DeepPageResult) -> str:
    rows = [("phase", "objects", "seconds", "objects/s", "notes")]
    for r in results:
        notes = []
        if "median_page_s" in r.extra:
            notes.append(
                f"median page {r.extra['median_page_s'] * 1000:.2f} ms ({r.extra['pages']} pages)"
            )
        if "median_request_s" in r.extra:
            notes.append(f"median request {r.extra['median_request_s'] * 1000:.2f} ms")
        if r.name == "added_after":
            notes.append(
                f"{r.objects} of {r.extra['manifest_records']} after median"
                f" (manifest says {r.extra['expected_from_manifest']})"
            )
        if "envelopes" in r.extra:
            notes.append(f"{r.extra['envelopes']} envelopes")
        rows.append((r.name, str(r.objects), f"{r.seconds:.3f}", f"{r.rate:.1f}", "; ".join(notes)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}"
        f"  {row[3]:>{widths[3]}}  {row[4]}".rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    lines.append("")
    lines.append(
        f"deep-page (store {deep.store_objects} objects, limit {deep.page}):"
        f" first {deep.first_median_s * 1000:.2f} ms,"
        f" deep {deep.deep_median_s * 1000:.2f} ms,"
        f" deep/first ratio {deep.ratio:.2f}"
        f" (pages of {deep.first_page_objects} and {deep.deep_page_objects} objects)"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark a TAXII 2.1 API root (ingest, paging, filters, singles).",
    )
    p.add_argument("--url", required=True, help="API root, e.g. http://127.0.0.1:5000/taxii2/ROOT/")
    p.add_argument("--collection", required=True, help="collection id to write to and read from")
    p.add_argument("--user", required=True, help="account name (HTTP Basic user)")
    p.add_argument("--token", required=True, help="API token (HTTP Basic password)")
    p.add_argument(
        "--count", type=positive_int, default=10000, help="indicators to ingest (default 10000)"
    )
    p.add_argument(
        "--envelope", type=positive_int, default=100, help="objects per POST (default 100)"
    )
    p.add_argument(
        "--page", type=positive_int, default=1000, help="limit= for page reads (default 1000)"
    )
    p.add_argument(
        "--singles", type=positive_int, default=500, help="single-object GETs (default 500)"
    )
    p.add_argument(
        "--preload",
        type=non_negative_int,
        default=0,
        help="extra indicators ingested before the deep-page check (default 0)",
    )
    p.add_argument(
        "--timeout", type=float, default=60.0, help="per-request timeout in seconds (default 60)"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="seed for the random choices (default: random)"
    )
    p.add_argument(
        "--json", action="store_true", help="print the figures as one JSON object on stdout"
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a host other than 127.0.0.1/localhost/::1",
    )
    return p.parse_args(argv)


def run(args: argparse.Namespace, log: Logger) -> tuple[dict[str, Any], str]:
    """Run all phases; return (figures for --json, summary table)."""
    api_root = normalise_api_root(args.url, args.allow_remote)
    rng = random.Random(args.seed)
    factory = IndicatorFactory(rng)
    client = TaxiiClient(api_root, args.collection, args.user, args.token, args.timeout)
    results: list[PhaseResult] = []

    def report(r: PhaseResult) -> None:
        results.append(r)
        log(r.line())

    try:
        ingested, ids = ingest(client, factory, args.count, args.envelope, "ingest")
        report(ingested)

        paged = page_phase(client, "page", args.page, log)
        report(paged)
        log(
            f"  median page time: {paged.extra['median_page_s'] * 1000:.2f} ms"
            f" over {paged.extra['pages']} pages"
        )
        if paged.objects < args.count:
            log(f"  WARNING: read {paged.objects} objects but ingested {args.count}")

        typed = page_phase(client, "type_filter", args.page, log, **{"match[type]": "indicator"})
        report(typed)
        log(
            f"  median page time: {typed.extra['median_page_s'] * 1000:.2f} ms"
            f" over {typed.extra['pages']} pages"
        )

        manifest, after = added_after_phase(client, args.page, log)
        report(manifest)
        report(after)
        log(
            f"  added_after={after.extra['added_after']}: {after.objects} of"
            f" {after.extra['manifest_records']} objects came back"
            f" (manifest says {after.extra['expected_from_manifest']} are newer)"
        )

        report(singles_phase(client, ids, args.singles, rng))

        preload: PhaseResult | None = None
        if args.preload:
            preload, _ = ingest(client, factory, args.preload, args.envelope, "preload")
            log(preload.line() + " (not part of the figures)")
        deep = deep_page_phase(client, args.page, log)
        log(deep.line())
    finally:
        client.close()

    figures: dict[str, Any] = {
        "url": api_root,
        "collection": args.collection,
        "settings": {
            "count": args.count,
            "envelope": args.envelope,
            "page": args.page,
            "singles": args.singles,
            "preload": args.preload,
        },
        "phases": {r.name: r.as_dict() for r in results},
        "deep_page": deep.as_dict(),
    }
    if preload is not None:
        figures["preload"] = preload.as_dict()
    return figures, summary_table(results, deep)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # With --json, stdout carries only the JSON object; progress goes to stderr.
    out = sys.stderr if args.json else sys.stdout

    def log(message: str) -> None:
        print(message, file=out, flush=True)

    try:
        figures, table = run(args, log)
    except BenchError as exc:
        print(f"taxii_bench: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("taxii_bench: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print()
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
