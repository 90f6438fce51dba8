"""Prometheus metrics shared by every layer (no Flask here)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "federation_http_requests_total",
    "HTTP requests by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "federation_http_request_duration_seconds",
    "HTTP request latency by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OBJECTS_INGESTED = Counter(
    "federation_objects_ingested_total",
    "Object versions stored (new versions only; idempotent re-posts excluded).",
    ["source"],
)
OBJECTS_REJECTED = Counter(
    "federation_objects_rejected_total",
    "Objects refused at ingest because they failed validation.",
    ["source"],
)
