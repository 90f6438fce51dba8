"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, Flask, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy.exc import SQLAlchemyError

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
    return current_app.response_class(payload, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Register the operations endpoints."""
    app.register_blueprint(ops)
