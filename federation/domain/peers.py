"""Federation rules for peers: what a peer may carry, and when to try it again.

No I/O here: the sync service asks these functions, and unit tests check them
directly (DESIGN.md "Federation rules").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from federation.domain.errors import UnprocessableError
from federation.domain.tlp import Tlp
from federation.domain.visibility import effective_tlp

# A failing peer is retried after min(interval, 5 s * 2**failures), never
# later than this.
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 3600


class Direction(StrEnum):
    PULL = "pull"
    PUSH = "push"
    BOTH = "both"

    @property
    def pulls(self) -> bool:
        return self in (Direction.PULL, Direction.BOTH)

    @property
    def pushes(self) -> bool:
        return self in (Direction.PUSH, Direction.BOTH)


# The levels a peer link may be set to carry; AMBER+STRICT and RED never leave.
PEER_TLP_CHOICES = (Tlp.CLEAR.label, Tlp.GREEN.label, Tlp.AMBER.label)


def peer_max_tlp(label: str, *, trusted_amber: bool) -> Tlp:
    """The highest TLP a peer link may carry, checked against the federation rules."""
    try:
        level = Tlp.parse(label)
    except ValueError as exc:
        choices = ", ".join(PEER_TLP_CHOICES)
        raise UnprocessableError(
            f"{exc}; choose one of: {choices}",
            details={"max_tlp": [f"Must be one of: {choices}."]},
        ) from None
    if level > Tlp.AMBER:
        raise UnprocessableError(
            f"TLP:{level.label.upper()} is never shared with peers",
            details={"max_tlp": ["AMBER+STRICT and RED are never shared with peers."]},
        )
    if level == Tlp.AMBER and not trusted_amber:
        raise UnprocessableError(
            "a peer may carry AMBER only when it is marked trusted for AMBER",
            details={"max_tlp": ["AMBER needs trusted_amber."]},
        )
    return level


def peer_account_cap(links: Iterable[tuple[Tlp, bool]]) -> Tlp:
    """The TLP cap of a peer account's TAXII reads: the highest its links carry.

    ``links`` are the (max TLP, trusted for AMBER) of the peer links naming
    the account; an account no link names gets GREEN, the default of a link.
    """
    caps = [level if level != Tlp.AMBER or trusted else Tlp.GREEN for level, trusted in links]
    return min(max(caps, default=Tlp.GREEN), Tlp.AMBER)


@dataclass(frozen=True, slots=True)
class PushPolicy:
    """What one peer link lets through."""

    peer_name: str
    max_tlp: Tlp
    trusted_amber: bool
    peer_account_id: int | None = None


@dataclass(frozen=True, slots=True)
class PushCandidate:
    """The facts about a stored version that push eligibility needs."""

    tlp: Tlp | None
    withheld: bool
    source_peer: str | None
    source_account_id: int | None


def may_push(policy: PushPolicy, version: PushCandidate, collection_default: Tlp) -> bool:
    """Whether ``version`` may be sent to the peer of ``policy``.

    Never AMBER+STRICT or RED, AMBER only to a peer trusted for it, nothing
    above the link's own maximum, never a withheld identity, and never back to
    the peer it came from (by pull, or by the peer's own account pushing here).
    """
    level = effective_tlp(version.tlp, collection_default)
    if level > Tlp.AMBER or level > policy.max_tlp:
        return False
    if level == Tlp.AMBER and not policy.trusted_amber:
        return False
    if version.withheld:
        return False
    if version.source_peer == policy.peer_name:
        return False
    return policy.peer_account_id is None or version.source_account_id != policy.peer_account_id


def retry_delay(interval_seconds: int, consecutive_failures: int) -> timedelta:
    """How long to wait before trying a failing peer again.

    Exponential in the number of consecutive failures, starting at 10 s, never
    beyond the peer's own interval nor an hour.
    """
    exponent = min(max(consecutive_failures, 1), 20)  # 5 * 2**20 is far past the cap
    seconds = min(interval_seconds, BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_CAP_SECONDS)
    return timedelta(seconds=max(seconds, 1))


def next_attempt(now: datetime, interval_seconds: int, consecutive_failures: int) -> datetime:
    """When a peer is due again: one interval after a success, a backoff after a failure."""
    if consecutive_failures == 0:
        return now + timedelta(seconds=interval_seconds)
    return now + retry_delay(interval_seconds, consecutive_failures)


def peer_name(value: str) -> str:
    """A peer's name without surrounding blanks: 1 to 200 printable characters, no '/'."""
    value = value.strip()
    if not value or len(value) > 200 or any(ord(c) < 32 for c in value) or "/" in value:
        raise UnprocessableError(
            "peer names are 1 to 200 printable characters, without '/'",
            details={"name": ["1 to 200 printable characters, without '/'."]},
        )
    return value


def api_root_url(value: str) -> str:
    """The URL of a peer's TAXII API root, ending in '/'; credentials belong elsewhere."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnprocessableError(
            "the peer URL is an http(s) URL of a TAXII 2.1 API root",
            details={"url": ["An http(s) URL of a TAXII 2.1 API root."]},
        )
    if parts.username or parts.password:
        raise UnprocessableError(
            "put credentials in --user/--password or --token, not the URL",
            details={"url": ["No credentials in the URL."]},
        )
    url = parts.geturl()
    return url if url.endswith("/") else url + "/"
