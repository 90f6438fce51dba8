"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Flask, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from federation.services.peering.peers import PeerReport, reports
from federation.storage.migrations import head_revision
from federation.web.db import database

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> Response:
    """The process is up and serving."""
    return jsonify(status="ok")


@ops.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and is migrated to the code's head revision."""
    try:
        with database().engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return jsonify(status="unavailable", reason="database unreachable"), 503
    expected = head_revision()
    if current != expected:
        return jsonify(status="unavailable", reason="database not migrated", revision=current), 503
    return jsonify(status="ok", revision=current), 200


@ops.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus text exposition; aggregated across gunicorn workers when configured."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    peer_registry = CollectorRegistry(auto_describe=False)
    peer_registry.register(_PeerCollector(_peer_reports()))
    payload += generate_latest(peer_registry)
    return current_app.response_class(payload, content_type=CONTENT_TYPE_LATEST)


def _peer_reports() -> list[PeerReport]:
    # The worker runs in its own process, so peer figures come from the
    # database, where every worker records them, not from in-process counters.
    try:
        with database().session() as session:
            return reports(session)
    except SQLAlchemyError:
        return []


class _PeerCollector(Collector):
    """Per-peer figures: objects moved, last success, lag, consecutive failures."""

    def __init__(self, peer_reports: list[PeerReport]) -> None:
        self.peer_reports = peer_reports

    def collect(self) -> Iterator[Metric]:
        objects = CounterMetricFamily(
            "federation_peer_objects",
            "Object versions moved to or from each peer, by direction and outcome.",
            labels=["peer", "direction", "outcome"],
        )
        last_success = GaugeMetricFamily(
            "federation_peer_last_success_timestamp",
            "Unix time of the last successful sync pass with each peer.",
            labels=["peer"],
        )
        lag = GaugeMetricFamily(
            "federation_peer_lag_objects",
            "Local versions not yet considered for pushing to each peer.",
            labels=["peer"],
        )
        failures = GaugeMetricFamily(
            "federation_peer_failures",
            "Consecutive failed sync passes with each peer.",
            labels=["peer"],
        )
        for r in self.peer_reports:
            objects.add_metric([r.name, "pull", "stored"], r.pulled)
            objects.add_metric([r.name, "pull", "rejected"], r.rejected)
            objects.add_metric([r.name, "push", "success"], r.pushed)
            objects.add_metric([r.name, "push", "failure"], r.failed - r.rejected)
            if r.last_success is not None:
                last_success.add_metric([r.name], _unix(r.last_success))
            if r.lag_objects is not None:
                lag.add_metric([r.name], r.lag_objects)
            failures.add_metric([r.name], r.consecutive_failures)
        yield from (objects, last_success, lag, failures)


def _unix(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def init_app(app: Flask) -> None:
    """Register the operations endpoints."""
    app.register_blueprint(ops)
