"""TAXII 2.1 filter parameters, parsed into plain values (TAXII 2.1 section 3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from federation.domain.cursors import decode_cursor
from federation.domain.errors import BadRequestError
from federation.stix.timestamps import format_timestamp, parse_timestamp


@dataclass(frozen=True, slots=True)
class VersionFilter:
    """``match[version]``: any of first, last, all and explicit timestamps."""

    first: bool = False
    last: bool = False
    all: bool = False
    timestamps: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """A parsed TAXII object query; every field maps to an indexed SQL condition."""

    limit: int
    added_after: datetime | None = None
    after_cursor: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionFilter = field(default_factory=lambda: VersionFilter(last=True))
    spec_versions: tuple[str, ...] = ()

    @property
    def lower_bound(self) -> datetime | None:
        """The date_added every returned row must be later than."""
        bounds = [b for b in (self.added_after, self.after_cursor) if b is not None]
        return max(bounds, default=None)


def parse_query(
    args: Mapping[str, str],
    *,
    allowed: frozenset[str],
    default_limit: int,
    max_limit: int,
    default_version: str = "last",
) -> ObjectQuery:
    """Parse request arguments; unknown or malformed parameters are a 400."""
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise BadRequestError(f"unsupported parameter {unknown[0][:60]!r}")
    return ObjectQuery(
        limit=_limit(args.get("limit"), default_limit, max_limit),
        added_after=_timestamp("added_after", args.get("added_after")),
        after_cursor=decode_cursor(args["next"]) if "next" in args else None,
        ids=_list(args.get("match[id]")),
        types=_list(args.get("match[type]")),
        versions=parse_version_filter(args.get("match[version]") or default_version),
        spec_versions=_list(args.get("match[spec_version]")),
    )


def parse_version_filter(value: str) -> VersionFilter:
    """Parse ``match[version]`` (``first``, ``last``, ``all``, timestamps, comma-combined)."""
    first = last = every = False
    stamps: list[datetime] = []
    for item in _list(value):
        if item == "first":
            first = True
        elif item == "last":
            last = True
        elif item == "all":
            every = True
        else:
            stamp = _timestamp("match[version]", item)
            assert stamp is not None
            stamps.append(stamp)
    return VersionFilter(first=first, last=last, all=every, timestamps=tuple(stamps))


def format_date_added(value: datetime) -> str:
    """date_added as the wire shows it: microsecond precision, UTC."""
    return format_timestamp(value)


def _limit(value: str | None, default: int, maximum: int) -> int:
    if value is None:
        return default
    # isdigit() alone also passes digits like '²' that int() refuses.
    digits = value.lstrip("0") if value.isascii() and value.isdigit() else ""
    if not digits:
        raise BadRequestError("'limit' must be a positive integer")
    # Compare lengths first: int() refuses strings of more than 4,300 digits.
    if len(digits) > len(str(maximum)):
        return maximum
    return min(int(digits), maximum)


def _timestamp(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise BadRequestError(
            f"{name!r} is not a STIX timestamp (like 2024-01-31T12:00:00.000Z)"
        ) from None


def _list(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = tuple(part.strip() for part in value.split(","))
    if not all(items):
        raise BadRequestError("an empty value in a comma-separated filter")
    return items
