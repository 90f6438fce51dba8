"""API token secrets: generation and the keyed hash that is all the hub stores.

Tokens are 256 random bits, so a fast keyed hash (HMAC-SHA256) is as strong as a
slow password hash here and costs microseconds on each request instead of
hundreds of milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

TOKEN_PREFIX = "fed_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    """A fresh token secret, shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret_key: str, token: str) -> str:
    """The keyed hash stored in place of ``token``."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def display_prefix(token: str) -> str:
    """The few leading characters shown in listings to tell tokens apart."""
    return token[: len(TOKEN_PREFIX) + 6]


def capped_expiry(requested: datetime | None, parent: datetime | None) -> datetime | None:
    """When a child token expires: as asked, but never after its parent.

    A token made with another one must not outlive it, so a child asked
    without an expiry, or with a later one, gets its parent's.
    """
    if parent is None:
        return requested
    if requested is None:
        return parent
    return min(requested, parent)
