"""Text every backend can store, and the names members give things."""

from __future__ import annotations

from federation.domain.errors import UnprocessableError


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


def checked_name(value: str) -> str:
    """``value`` without surrounding blanks: 422 unless 1 to 200 printable characters."""
    # The REST schemas check this too; the CLI reaches the services directly.
    value = value.strip()
    if not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise UnprocessableError(
            "names are 1 to 200 printable characters",
            details={"name": ["1 to 200 printable characters."]},
        )
    return value
