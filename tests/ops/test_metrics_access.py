"""/metrics names peers and counts their failures: only the holder of
METRICS_TOKEN reads it, and nobody while the token is unset."""

from __future__ import annotations

from flask.testing import FlaskClient

from federation import create_app
from federation.web.db import database

TOKEN = "test-metrics-token"  # tests/conftest.py


def test_metrics_answer_the_configured_bearer_token_only(client: FlaskClient) -> None:
    good = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200
    assert "federation_http_requests" in good.get_data(as_text=True)
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = client.get("/metrics", headers=header)
        assert refused.status_code == 401
        assert refused.content_type == "application/problem+json"
        assert "federation_" not in refused.get_data(as_text=True)


def test_metrics_are_closed_while_no_token_is_set(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key"})
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer "})
    database(app).dispose()
    assert response.status_code == 403
    assert "FEDERATION_METRICS_TOKEN" in response.json["detail"]
