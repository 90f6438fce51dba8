"""Who may version an object, and whom a post may name as its creator.

STIX 2.1 section 3.6: only the creator of an object may add versions of it.
On this hub the creator is whoever added the object's first version here: a
member organisation, or for an object pulled from a peer, that peer's link.
Revocation is a version, under the same rule (DESIGN.md invariant 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CREATED_BY_REF = "created_by_ref"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who adds or added a version: an organisation, through a peer link or not."""

    organisation_id: int | None
    source_peer: str | None


def may_version(poster: Holder, creator: Holder) -> bool:
    """Whether ``poster`` may add a version of an object ``creator`` added first.

    A peer's link versions what came through it; a local poster versions what
    its organisation posted locally. Neither versions the other's objects.
    """
    return poster == creator


def not_creator_message(stix_id: str) -> str:
    """The failure for a version of another creator's object.

    One message whatever the other creator's versions are (visible, hidden,
    RED or CLEAR, older or newer): the answer reveals nothing the poster
    cannot see beyond the id being taken (docs/trust.md).
    """
    return (
        f"{stix_id[:300]} was first added here by another organisation or peer: "
        "only its creator may add versions of it (STIX 2.1 section 3.6)"
    )


def authorship_error(document: dict[str, Any], allowed: Iterable[str]) -> str | None:
    """Why ``document``'s ``created_by_ref`` may not be posted, or None when it may.

    A locally posted object names its poster's own identity as creator (or
    none, or the pseudonym the hub shows for an unattributed post).
    """
    creator = document.get(CREATED_BY_REF)
    if creator is None or creator in set(allowed):
        return None
    return (
        f"{CREATED_BY_REF} must be the identity of the posting organisation "
        "(or be left out): an object cannot be posted in another's name"
    )
