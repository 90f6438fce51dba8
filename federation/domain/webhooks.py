"""Signed webhooks: keeping the signing secret, signing a body, retry timing.

The secret must stay usable for signing, so it is encrypted (Fernet) under a key
derived from the hub's SECRET_KEY with HKDF, never hashed. A receiver checks
``X-Federation-Signature: sha256=<hex HMAC-SHA256 of the body>``; the body
carries the same timestamp as ``X-Federation-Timestamp``, so the signature
covers it and a receiver can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

from federation.domain.sealing import fernet_for, reseal_with

SIGNATURE_HEADER = "X-Federation-Signature"
TIMESTAMP_HEADER = "X-Federation-Timestamp"
MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512
# Ten attempts with doubling delays from 30 s reach about 4 hours in total.
MAX_ATTEMPTS = 10
_FIRST_DELAY = timedelta(seconds=30)
_MAX_DELAY = timedelta(hours=1)
_HKDF_INFO = b"federation webhook secrets v1"


class SecretUnreadableError(ValueError):
    """A stored secret cannot be decrypted: the hub's SECRET_KEY changed since it was set."""


def new_secret() -> str:
    """A random signing secret, for members who do not choose one."""
    return secrets.token_urlsafe(32)


def check_secret(secret: str) -> str:
    """``secret`` if it is long enough to sign with; ValueError otherwise."""
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise ValueError(
            f"a webhook secret has {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        )
    return secret


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL without credentials; ValueError otherwise."""
    value = url.strip()
    if len(value) > MAX_URL_LENGTH or any(ord(c) < 33 for c in value):
        raise ValueError(f"a webhook URL is up to {MAX_URL_LENGTH} characters, without blanks")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError("a webhook URL is an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be shown back in listings; use the secret.
        raise ValueError("a webhook URL must not hold credentials")
    return value


def _fernet(secret_key: str) -> Fernet:
    return fernet_for(secret_key, _HKDF_INFO)


def encrypt_secret(secret_key: str, secret: str) -> str:
    """``secret`` encrypted under a key derived from the hub's ``secret_key``."""
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(secret_key: str, token: str) -> str:
    """The secret :func:`encrypt_secret` encrypted, or :class:`SecretUnreadableError`."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadableError(
            "the webhook secret cannot be decrypted (the hub's SECRET_KEY changed); set it again"
        ) from None


def reseal_secret(secret_key: str, previous_keys: Sequence[str], token: str) -> str:
    """A secret encrypted under ``secret_key`` or one of ``previous_keys``,
    encrypted again under ``secret_key`` (``federation keys rotate``)."""
    try:
        return reseal_with(secret_key, previous_keys, _HKDF_INFO, token)
    except InvalidToken:
        raise SecretUnreadableError(
            "the webhook secret opens under neither SECRET_KEY nor PREVIOUS_SECRET_KEYS"
        ) from None


def signature(secret: str, body: bytes) -> str:
    """The ``X-Federation-Signature`` value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: doubling, capped at an hour."""
    delay: timedelta = _FIRST_DELAY * (2 ** min(max(attempts - 1, 0), 20))
    return min(delay, _MAX_DELAY)
