"""Operations: liveness, readiness and Prometheus metrics, and the readiness
check the CLI and ``federation serve`` run before they touch the database."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from federation.domain.errors import ForbiddenError, UnauthenticatedError
from federation.services.access.keys import KeyState, key_state
from federation.services.peering.peers import PeerReport, reports
from federation.storage.revision import HEAD_REVISION, current_revision
from federation.web.db import database

ops = Blueprint("ops", __name__)

DATABASE_MISSING = "database missing"
DATABASE_UNREACHABLE = "database unreachable"
NOT_MIGRATED = "database not migrated"
KEY_MISMATCH = "secret key mismatch"
ROTATION_PENDING = "secret key rotation pending"


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the hub can serve from its database, and if not, what to do."""

    reason: str | None  # None when ready; else one of the constants above
    detail: str  # one line for an operator, naming the database and the fix
    revision: str | None = None

    @property
    def ready(self) -> bool:
        return self.reason is None


def describe_database(url: str) -> str:
    """The database URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def readiness(app: Flask) -> Readiness:
    """Check, without writing anything, that the database exists, is migrated to
    the code's head revision and was set up with this SECRET_KEY."""
    url = app.config["DATABASE_URL"]
    name = describe_database(url)
    path = sqlite_file(url)
    # Connecting would create the file: only `db upgrade` may do that.
    if path is not None and not path.exists():
        return Readiness(
            DATABASE_MISSING, f"no database at {path}; create it with 'federation db upgrade'"
        )
    expected = HEAD_REVISION
    try:
        with database(app).engine.connect() as connection:
            current = current_revision(connection)
        if current != expected:
            return Readiness(
                NOT_MIGRATED,
                f"database {name} is at revision {current or 'none (empty)'}, the code needs "
                f"{expected}; run 'federation db upgrade'",
                current,
            )
        with database(app).session() as session:
            state = key_state(session, app.config["SECRET_KEY"], app.config["PREVIOUS_SECRET_KEYS"])
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return Readiness(
            DATABASE_UNREACHABLE,
            f"cannot use database {name}: {(reason or ['unknown error'])[0][:200]}",
        )
    if state is KeyState.OTHER:
        return Readiness(
            KEY_MISMATCH,
            f"database {name} was set up with another secret key; run with that hub's "
            "FEDERATION_SECRET_KEY (or its FEDERATION_INSTANCE_PATH)",
            current,
        )
    if state is KeyState.PREVIOUS:
        return Readiness(
            ROTATION_PENDING,
            f"database {name} was set up with a key now in FEDERATION_PREVIOUS_SECRET_KEYS; "
            "run 'federation keys rotate'",
            current,
        )
    return Readiness(None, f"database {name} is ready", current)


@ops.get("/healthz")
def healthz() -> Response:
    """The process is up and serving."""
    return jsonify(status="ok")


@ops.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database exists, answers, is migrated to the code's head revision and
    was set up with this hub's secret key."""
    state = readiness(current_app)
    if not state.ready:
        # The reason only: the detail names the database, which is the operator's business.
        return jsonify(status="unavailable", reason=state.reason, revision=state.revision), 503
    return jsonify(status="ok", revision=state.revision), 200


def _check_metrics_token() -> None:
    # The figures name peers and count their failures: only the scraper that
    # holds METRICS_TOKEN reads them, and nobody while it is unset.
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        raise ForbiddenError("metrics are disabled until FEDERATION_METRICS_TOKEN is set")
    scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), str(expected).encode()
    ):
        raise UnauthenticatedError("metrics need 'Authorization: Bearer <METRICS_TOKEN>'")


@ops.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus text exposition; aggregated across gunicorn workers when configured.

    Needs ``Authorization: Bearer <METRICS_TOKEN>`` (Prometheus: ``authorization``
    in the scrape config)."""
    _check_metrics_token()
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
