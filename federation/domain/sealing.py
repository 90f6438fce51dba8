"""Peer credentials sealed with a key derived from the hub's secret.

Fernet (AES-128-CBC with HMAC-SHA256) under a key that HKDF derives from
SECRET_KEY with a purpose label, so the token-hashing use of the same secret and
this one never share key material. A new SECRET_KEY reads nothing sealed under
the old one: ``federation keys rotate`` re-seals with :func:`reseal`, given the
old key among the previous ones.

The database also records :func:`key_fingerprint` of the key it was set up
with, so a command started with another key stops before writing anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from federation.domain.errors import FederationError

_PURPOSE = b"federation peer credentials v1"
_FINGERPRINT_LABEL = b"federation secret key fingerprint v1"


class SealedCredentialsError(FederationError):
    status = 500
    title = "Peer credentials unreadable"


@dataclass(frozen=True, slots=True)
class PeerCredentials:
    """HTTP Basic (user and password), a bearer token, or nothing."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    @property
    def kind(self) -> str:
        if self.token:
            return "bearer"
        if self.user:
            return "basic"
        return "none"

    def __repr__(self) -> str:
        # Never let a secret reach a log line or a traceback.
        return f"PeerCredentials(kind={self.kind!r})"


def fernet_for(secret_key: str, purpose: bytes) -> Fernet:
    """Fernet under a key HKDF derives from ``secret_key`` for one ``purpose``
    label, so no two uses of the hub's secret share key material."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    key = hkdf.derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet(secret_key: str) -> Fernet:
    return fernet_for(secret_key, _PURPOSE)


def key_fingerprint(secret_key: str) -> str:
    """A keyed hash that tells whether two keys are the same without revealing either.

    HMAC-SHA256 of a fixed label under the key: recomputing it needs the key,
    and the hash gives no way back to it.
    """
    return hmac.new(secret_key.encode(), _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def reseal_with(secret_key: str, previous_keys: Sequence[str], purpose: bytes, sealed: str) -> str:
    """``sealed`` (made under ``secret_key`` or one of ``previous_keys`` for
    ``purpose``) sealed again under ``secret_key``; ``InvalidToken`` if no key opens it."""
    keys = [fernet_for(key, purpose) for key in (secret_key, *previous_keys)]
    return MultiFernet(keys).rotate(sealed.encode()).decode()


def reseal(secret_key: str, previous_keys: Sequence[str], sealed: str) -> str:
    """Peer credentials sealed again under ``secret_key``; see :func:`reseal_with`."""
    if not sealed:
        return sealed
    try:
        return reseal_with(secret_key, previous_keys, _PURPOSE, sealed)
    except InvalidToken:
        raise SealedCredentialsError(
            "the peer's credentials open under neither SECRET_KEY nor PREVIOUS_SECRET_KEYS"
        ) from None


def seal(secret_key: str, credentials: PeerCredentials) -> str:
    """``credentials`` encrypted for storage."""
    payload = {
        "user": credentials.user,
        "password": credentials.password,
        "token": credentials.token,
    }
    return _fernet(secret_key).encrypt(json.dumps(payload).encode()).decode()


def unseal(secret_key: str, sealed: str) -> PeerCredentials:
    """The credentials sealed by :func:`seal` under the same secret key."""
    if not sealed:
        return PeerCredentials()
    try:
        payload = json.loads(_fernet(secret_key).decrypt(sealed.encode()))
    except InvalidToken:
        raise SealedCredentialsError(
            "the peer's credentials cannot be decrypted (was SECRET_KEY changed?)"
        ) from None
    return PeerCredentials(payload.get("user"), payload.get("password"), payload.get("token"))
