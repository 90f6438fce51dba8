"""Configuration: defaults, then a TOML file (``FEDERATION_CONFIG``), then ``FEDERATION_*``.

The defaults give a working SQLite hub in the instance folder (see
:func:`instance_path`); the secret key is generated on first use and kept in
``<instance>/secret_key`` (mode 0600) so tokens stay valid across restarts.
The TOML file is checked against the JSON Schema the hub publishes,
``schemas/config.schema.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    # The widest prefixes an org admin's routing claim is granted without a hub
    # admin's approval; a wider claim waits (and routes nothing) until then.
    "CLAIM_PREFIX_LIMIT_IPV4": 16,
    "CLAIM_PREFIX_LIMIT_IPV6": 32,
    # Console sessions end after this long without a page view, and this long in all.
    "CONSOLE_IDLE_MINUTES": 30,
    "CONSOLE_ABSOLUTE_HOURS": 12,
    # Send the console's cookie over HTTPS only (set it behind TLS).
    "CONSOLE_SECURE_COOKIES": False,
    # This many failed sign-ins in a row lock an account for this long.
    "SIGNIN_LOCK_THRESHOLD": 10,
    "SIGNIN_LOCK_MINUTES": 15,
    # Keys SECRET_KEY had before a rotation: tokens hashed under them still
    # authenticate, and `federation keys rotate` re-seals what they encrypted.
    "PREVIOUS_SECRET_KEYS": [],
    # /metrics names peers and their errors: it answers only a request that
    # carries this token as a Bearer token, and nobody while it is unset.
    "METRICS_TOKEN": None,
}

_INTEGERS = {
    "MAX_CONTENT_LENGTH",
    "PAGE_LIMIT_DEFAULT",
    "PAGE_LIMIT_MAX",
    "PEER_TIMEOUT",
    "CLAIM_PREFIX_LIMIT_IPV4",
    "CLAIM_PREFIX_LIMIT_IPV6",
    "CONSOLE_IDLE_MINUTES",
    "CONSOLE_ABSOLUTE_HOURS",
    "SIGNIN_LOCK_THRESHOLD",
    "SIGNIN_LOCK_MINUTES",
}
# Prefix lengths: a limit outside these ranges is no prefix of that version.
_PREFIX_LENGTHS = {"CLAIM_PREFIX_LIMIT_IPV4": 32, "CLAIM_PREFIX_LIMIT_IPV6": 128}
_BOOLEANS = {"WEBHOOK_ALLOW_PRIVATE", "CONSOLE_SECURE_COOKIES"}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the hub keeps its local state (SQLite database, secret key).

    Never the working directory, so every command finds the same hub from
    anywhere: ``FEDERATION_INSTANCE_PATH`` when set; else ``instance/`` in the
    source checkout the package runs from (``make run``, an editable install);
    else ``<sys.prefix>/var/federation`` for an installed package (a container
    or a virtual environment of its own).
    """
    environ = os.environ if environ is None else environ
    configured = environ.get(f"{ENV_PREFIX}INSTANCE_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "setup.cfg").is_file() and (checkout / "migrations").is_dir():
        return checkout / "instance"
    return Path(sys.prefix).resolve() / "var" / "federation"


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
    for key, longest in _PREFIX_LENGTHS.items():
        if settings[key] > longest:
            raise ConfigError(f"{key} is a prefix length from 1 to {longest}")
    for key in _BOOLEANS:
        settings[key] = _boolean(key, settings[key])
    settings["PREVIOUS_SECRET_KEYS"] = _key_list(settings["PREVIOUS_SECRET_KEYS"])
    settings["METRICS_TOKEN"] = settings["METRICS_TOKEN"] or None
    folder = instance_path(environ)
    settings["DATABASE_URL"] = database_url(settings["DATABASE_URL"], folder)
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(folder)
    return settings


def database_url(configured: str | None, folder: Path) -> str:
    """The database URL, with SQLite paths made independent of the working directory.

    Unset means ``<instance>/federation.db``; a relative SQLite path
    (``sqlite:///hub-b.db``, three slashes) is taken inside the instance folder,
    an absolute one (``sqlite:////srv/hub-b.db``, four slashes) as it is.
    """
    if not configured:
        return f"sqlite:///{folder / 'federation.db'}"
    prefix, _, rest = configured.partition(":///")
    if prefix.startswith("sqlite") and rest and not rest.startswith((":memory:", "/", "file:")):
        return f"{prefix}:///{folder / rest}"
    return configured


def _key_list(value: Any) -> tuple[str, ...]:
    # From the environment a comma-separated list, from TOML a list of strings.
    items = value.split(",") if isinstance(value, str) else list(value or ())
    if not all(isinstance(item, str) for item in items):
        raise ConfigError("PREVIOUS_SECRET_KEYS must be a list of strings")
    return tuple(item.strip() for item in items if item.strip())


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
    # Imported only when a configuration file is read: jsonschema's import
    # builds grammars for its format checks, seconds of CPU that every command
    # and worker start would pay for nothing.
    from jsonschema import Draft202012Validator

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
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
