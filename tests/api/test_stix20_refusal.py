"""A STIX 2.0 bundle or envelope is refused whole, over TAXII and by ``federation
import``, with one message; ``federation import`` says how many rejections it
did not print."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from federation.cli import cli
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url


def attack_pattern_20() -> dict[str, Any]:
    """An ATT&CK-style STIX 2.0 object: no spec_version, as 2.0 objects have."""
    return {
        "type": "attack-pattern",
        "id": f"attack-pattern--{uuid.uuid4()}",
        "created": "2017-05-31T21:30:19.735Z",
        "modified": "2020-03-11T14:43:31.706Z",
        "name": "Spearphishing Attachment",
    }


def tactic_20() -> dict[str, Any]:
    """A custom ``x-mitre-tactic``: valid alone in 2.1 too, which is the trap."""
    return {
        "type": "x-mitre-tactic",
        "id": f"x-mitre-tactic--{uuid.uuid4()}",
        "created": "2018-10-17T00:14:20.652Z",
        "modified": "2019-07-19T17:44:53.176Z",
        "name": "Initial Access",
    }


def bundle_20(*objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "spec_version": "2.0",
        "objects": list(objects),
    }


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member()


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def stored_ids(client: FlaskClient, member: Member, collection: str) -> list[str]:
    body = client.get(objects_url(collection), headers=member.headers).json
    return [obj["id"] for obj in body.get("objects", [])]


def test_a_stix20_envelope_is_refused_whole_over_taxii(
    client: FlaskClient, member: Member, collection: str
) -> None:
    envelope = {"objects": [attack_pattern_20(), tactic_20(), tactic_20()]}
    response = client.post(objects_url(collection), json=envelope, headers=member.post_headers)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    description = response.json["description"]
    assert "STIX 2.0" in description
    assert "nothing was stored" in description
    assert stored_ids(client, member, collection) == []


def test_a_bundle_that_says_2_0_is_refused_even_with_only_custom_objects(
    client: FlaskClient, member: Member, collection: str
) -> None:
    response = client.post(
        objects_url(collection), json=bundle_20(tactic_20()), headers=member.post_headers
    )
    assert response.status_code == 422
    assert "spec_version is 2.0" in response.json["description"]
    assert stored_ids(client, member, collection) == []


def test_one_object_without_spec_version_in_a_21_envelope_fails_on_its_own(
    client: FlaskClient, member: Member, collection: str
) -> None:
    good = indicator()
    broken = {k: v for k, v in indicator().items() if k != "spec_version"}
    envelope = {"objects": [good, broken]}
    response = client.post(objects_url(collection), json=envelope, headers=member.post_headers)
    assert response.status_code == 202
    assert response.json["success_count"] == 1
    assert [f["id"] for f in response.json["failures"]] == [broken["id"]]
    assert stored_ids(client, member, collection) == [good["id"]]


def test_import_refuses_a_stix20_bundle_whole_with_one_line(
    runner: FlaskCliRunner, client: FlaskClient, member: Member, collection: str, tmp_path: Path
) -> None:
    path = tmp_path / "enterprise-attack-2.0.json"
    path.write_text(json.dumps(bundle_20(attack_pattern_20(), tactic_20())))
    result = runner.invoke(cli, args=["import", str(path), "--collection", collection])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "STIX 2.0" in lines[0]
    assert stored_ids(client, member, collection) == []


def test_import_says_how_many_rejections_it_left_out(
    runner: FlaskCliRunner, collection: str, tmp_path: Path
) -> None:
    bad = [{**indicator(), "pattern": "not a pattern"} for _ in range(23)]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": bad}))
    result = runner.invoke(cli, args=["import", str(path), "--collection", collection])
    assert result.exit_code == 1
    shown = [line for line in result.output.splitlines() if line.startswith("  indicator--")]
    assert len(shown) == 20
    assert "... and 3 more rejections not shown" in result.output
    assert "0 stored or already held, 23 rejected" in result.output


def test_import_of_20_rejections_prints_them_all_and_no_remainder(
    runner: FlaskCliRunner, collection: str, tmp_path: Path
) -> None:
    bad = [{**indicator(), "pattern": "not a pattern"} for _ in range(20)]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"objects": bad}))
    result = runner.invoke(cli, args=["import", str(path), "--collection", collection])
    shown = [line for line in result.output.splitlines() if line.startswith("  indicator--")]
    assert len(shown) == 20
    assert "more rejections not shown" not in result.output
