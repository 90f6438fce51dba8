"""Configuration: defaults, then a TOML file (``FEDERATION_CONFIG``), then ``FEDERATION_*``.

The defaults give a working SQLite hub under ``instance/``; the secret key is
generated on first use and kept in ``instance/secret_key`` (mode 0600) so tokens
stay valid across restarts. The TOML file is checked against the JSON Schema the
hub publishes, ``schemas/config.schema.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

ENV_PREFIX = "FEDERATION_"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.json"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "TITLE": "Federation hub",
    "DESCRIPTION": "Incident sharing between ISPs, law enforcement, government and business.",
    "CONTACT": "",
    "DEFAULT_API_ROOT": None,
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "PAGE_LIMIT_DEFAULT": 1000,
    "PAGE_LIMIT_MAX": 10000,
    "LOG_LEVEL": "INFO",
    # Webhooks to loopback, private and link-local addresses are refused unless
    # set: an org admin must not make the hub POST into the operator's network.
    "WEBHOOK_ALLOW_PRIVATE": False,
    # Seconds to wait for a peer to answer one request before the pass fails.
    "PEER_TIMEOUT": 30,
}

_INTEGERS = {"MAX_CONTENT_LENGTH", "PAGE_LIMIT_DEFAULT", "PAGE_LIMIT_MAX", "PEER_TIMEOUT"}
_BOOLEANS = {"WEBHOOK_ALLOW_PRIVATE"}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


def instance_path() -> Path:
    """Where the hub keeps its local state (SQLite database, secret key)."""
    return Path(os.environ.get(f"{ENV_PREFIX}INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The effective settings, upper-case keys, every value checked."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    config_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        settings.update(_read_toml(Path(config_file)))
    for key in DEFAULTS:
        if f"{ENV_PREFIX}{key}" in environ:
            settings[key] = environ[f"{ENV_PREFIX}{key}"]
    settings.update({k.upper(): v for k, v in (overrides or {}).items()})
    for key in _INTEGERS:
        settings[key] = _positive_int(key, settings[key])
    for key in _BOOLEANS:
        settings[key] = _boolean(key, settings[key])
    folder = instance_path()
    if not settings["DATABASE_URL"]:
        folder.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{folder / 'federation.db'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(folder)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc}") from None
    unknown = sorted(k for k in data if k.upper() not in DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in {path}")
    errors = sorted(_schema().iter_errors(data), key=lambda e: [str(p) for p in e.path])
    if errors:
        key = ".".join(str(part) for part in errors[0].path)
        raise ConfigError(f"setting {key!r} in {path}: {errors[0].message}")
    return {k.upper(): v for k, v in data.items()}


@cache
def _schema() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _positive_int(key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ConfigError(f"{key} must be positive")
    return number


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key} must be true or false, not {value!r}")


def _instance_secret(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
