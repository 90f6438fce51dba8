"""First checks that the TAXII stack answers end to end through the Flask client."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Factory
from tests.helpers import indicator, objects_url


def test_posted_indicator_is_read_back(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    collection = factory.collection()
    obj = indicator()
    response = client.post(
        objects_url(collection), json={"objects": [obj]}, headers=member.post_headers
    )
    assert response.status_code == 202, response.json
    assert response.json["success_count"] == 1
    page = client.get(objects_url(collection), headers=member.headers)
    assert page.status_code == 200
    assert page.json["objects"] == [obj]
