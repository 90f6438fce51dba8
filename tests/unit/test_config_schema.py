"""The configuration file is checked against the JSON Schema the hub publishes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from federation.cli import cli
from federation.config import DEFAULTS, SCHEMA_PATH, ConfigError, load_config
from tests.helpers import project_root

EXAMPLE = project_root() / "config" / "federation.example.toml"


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def test_the_schema_is_the_one_in_the_top_level_schemas_folder() -> None:
    assert project_root() / "schemas" / "config.schema.json" == SCHEMA_PATH
    Draft202012Validator.check_schema(schema())


def test_the_schema_names_every_setting_and_nothing_else() -> None:
    assert set(schema()["properties"]) == {key.lower() for key in DEFAULTS}


def test_the_example_file_is_valid_and_loads() -> None:
    example = tomllib.loads(EXAMPLE.read_text())
    assert list(Draft202012Validator(schema()).iter_errors(example)) == []
    settings = load_config(environ={"FEDERATION_CONFIG": str(EXAMPLE)})
    assert settings["TITLE"] == example["title"]
    assert settings["PEER_TIMEOUT"] == example["peer_timeout"]


def test_the_defaults_are_valid() -> None:
    # None means "not set" (a database and key under instance/), which TOML cannot say.
    defaults = {key.lower(): value for key, value in DEFAULTS.items() if value is not None}
    assert list(Draft202012Validator(schema()).iter_errors(defaults)) == []


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('page_limit_max = "many"', "page_limit_max"),
        ("peer_timeout = 0", "peer_timeout"),
        ('webhook_allow_private = "yes"', "webhook_allow_private"),
        ('log_level = "LOUD"', "log_level"),
        ("title = 5", "title"),
        ('database_url = ""', "database_url"),
    ],
)
def test_a_bad_setting_in_the_file_is_one_line_naming_the_key(
    tmp_path: Path, line: str, key: str
) -> None:
    path = tmp_path / "federation.toml"
    path.write_text(f'title = "Lab hub"\n{line}\n' if key != "title" else f"{line}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(environ={"FEDERATION_CONFIG": str(path)})
    message = str(raised.value)
    assert message.startswith(f"setting {key!r} in {path}: ")
    assert "\n" not in message


def test_the_console_script_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "federation.toml"
    path.write_text("max_content_length = -5\n")
    result = CliRunner().invoke(
        cli,
        ["db", "upgrade"],
        env={"FEDERATION_CONFIG": str(path), "FEDERATION_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"Error: setting 'max_content_length' in {path}: -5 is less than the minimum of 1"
    ]
