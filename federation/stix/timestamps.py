"""STIX 2.1 timestamps: RFC 3339, always UTC, always ending in ``Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# ASCII only: \d would otherwise accept other scripts' digits, which int() then
# happily converts.  Lower-case "t"/"z" are legal RFC 3339 but not STIX.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z",
    re.ASCII,
)
# The longest accepted form is 30 characters; anything longer is rejected
# before the regex sees it, so a megabyte string costs nothing.
_MAX_LENGTH = len("2016-04-06T20:03:48.123456789Z")
# How much of a rejected value an error message may quote.
_QUOTE_LIMIT = 50


def _quote(value: str) -> str:
    if len(value) > _QUOTE_LIMIT:
        return repr(value[:_QUOTE_LIMIT]) + "..."
    return repr(value)


def parse_timestamp(value: object) -> datetime:
    """Parse a STIX timestamp into a timezone-aware UTC datetime.

    Accepts ``YYYY-MM-DDTHH:MM:SS[.fraction]Z`` with 1 to 9 fractional digits;
    digits beyond microseconds are truncated, not rounded.  Raises
    ``ValueError`` for anything else: non-strings, offsets other than ``Z``,
    missing ``Z``, or impossible dates and times.  The message quotes at most
    50 characters of the input.
    """
    if not isinstance(value, str):
        raise ValueError(f"timestamp must be a string, got {type(value).__name__}")
    match = _TIMESTAMP.fullmatch(value) if len(value) <= _MAX_LENGTH else None
    if match is None:
        raise ValueError(
            f"{_quote(value)} is not in the STIX timestamp form YYYY-MM-DDTHH:MM:SS[.s]Z"
        )
    year, month, day, hour, minute, second, fraction = match.groups()
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            microsecond,
            tzinfo=UTC,
        )
    except ValueError as exc:
        # e.g. month 13, 30 February, second 60 (datetime has no leap seconds).
        raise ValueError(f"{_quote(value)} is not a valid date and time: {exc}") from None


def format_timestamp(dt: datetime) -> str:
    """Render a datetime as a STIX timestamp with exactly 6 fractional digits.

    Aware datetimes are converted to UTC; naive ones are taken to be UTC
    already.  The result always parses back with ``parse_timestamp`` to the
    same instant.
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    # Not strftime: %Y does not zero-pad years before 1000 on glibc.
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
        f"T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{dt.microsecond:06d}Z"
    )
