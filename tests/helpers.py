"""Test helpers importable from any test module."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE

ROOT = "hub"
PROBLEM = "application/problem+json"
TIME_SCALE_VARIABLE = "FEDERATION_TEST_TIME_SCALE"


def _time_scale() -> float:
    raw = os.environ.get(TIME_SCALE_VARIABLE, "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not scale > 0:
        raise ValueError(f"{TIME_SCALE_VARIABLE} must be a positive number, not {raw!r}")
    return scale


# Read once, here only: a slow or busy machine (or many xdist workers) sets
# FEDERATION_TEST_TIME_SCALE=3 to give every wall-clock window of the tests
# three times as long, instead of each test guessing what a slow machine needs.
TIME_SCALE = _time_scale()


def scaled(seconds: float) -> float:
    """A wall-clock window of the tests (a timeout, deadline or wait) times the time scale."""
    return seconds * TIME_SCALE


@dataclass(frozen=True)
class Member:
    """An account created for a test, with its token and ready-made headers."""

    account: str
    organisation: str
    token: str
    identity_id: str

    @property
    def auth(self) -> dict[str, str]:
        raw = f"{self.account}:{self.token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    @property
    def headers(self) -> dict[str, str]:
        return {**self.auth, "Accept": TAXII_MEDIA_TYPE}

    @property
    def post_headers(self) -> dict[str, str]:
        return {**self.headers, "Content-Type": TAXII_MEDIA_TYPE}


def objects_url(collection_id: str, root: str = ROOT) -> str:
    return f"/taxii2/{root}/collections/{collection_id}/objects/"


def indicator(
    *, stix_id: str | None = None, modified: str = "2024-01-01T00:00:00.000Z", **extra: Any
) -> dict[str, Any]:
    """A valid STIX 2.1 indicator."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": modified,
        "name": "test indicator",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        **extra,
    }


def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


def assert_problem(response: TestResponse, status: int | None) -> dict[str, Any]:
    """The body of a problem JSON answer (RFC 9457) with ``status``, or any 4xx when None."""
    text = response.get_data(as_text=True)
    if status is None:
        assert 400 <= response.status_code < 500, text
    else:
        assert response.status_code == status, text
    assert response.headers["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == response.status_code
    assert body["title"]
    assert body["detail"]
    return body
