"""Text every backend can store."""

from __future__ import annotations


def storable_text(value: str) -> bool:
    """Whether every backend can store ``value``: no NUL (PostgreSQL text refuses
    it) and no unpaired surrogate (not encodable as UTF-8)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
