"""Who may see what: the one visibility rule (DESIGN.md invariants 4 and 5).

:func:`can_see` is the rule. Storage applies the same rule in SQL
(``federation.storage.visibility``) so reads never scan; a test checks the two
agree on every combination.
"""

from __future__ import annotations

from collections.abc import Collection as Coll
from collections.abc import Iterable
from dataclasses import dataclass, field

from federation.domain.roles import may_write
from federation.domain.tlp import Tlp


@dataclass(frozen=True, slots=True)
class Viewer:
    """The facts about an account that access decisions need."""

    account_id: int
    account_name: str
    organisation_id: int
    organisation_name: str
    sector: str
    role: str
    groups: frozenset[str] = field(default_factory=frozenset)
    identity_id: str = ""
    unattributed_default: bool = False
    # For the account of a peer (another hub or a member's TAXII server): the
    # highest TLP its link may carry. What it reads leaves this hub, so it sees
    # no more than a push to it would send (DESIGN.md "Federation rules").
    tlp_cap: Tlp | None = None
    # The token the request came with (None from the command line): what the
    # viewer mints becomes its child, so it never outlives or outranks it.
    token_id: int | None = None


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """The facts about a stored version that visibility needs."""

    tlp: Tlp | None
    owner_organisation_id: int | None
    recipient_organisation_ids: Coll[int] = ()
    withheld: bool = False


def effective_tlp(tlp: Tlp | None, collection_default: Tlp) -> Tlp:
    """An unmarked object takes its collection's default."""
    return collection_default if tlp is None else tlp


def can_see(viewer: Viewer, version: VersionFacts, collection_default: Tlp) -> bool:
    """Whether ``viewer``, already allowed to read the collection, may see ``version``.

    CLEAR, GREEN and AMBER: every reader of the collection. AMBER+STRICT and
    RED: the owning organisation and named recipients only. The poster's own
    identity in an unattributed post is withheld from everyone else. A peer's
    account sees nothing above its link's TLP cap, recipient or not.
    """
    org = viewer.organisation_id
    if org == version.owner_organisation_id:
        return True
    if version.withheld:
        return False
    level = effective_tlp(version.tlp, collection_default)
    if viewer.tlp_cap is not None:
        return level <= min(viewer.tlp_cap, Tlp.AMBER)
    if level <= Tlp.AMBER:
        return True
    return org in version.recipient_organisation_ids


def reporter_hidden(viewer: Viewer, unattributed: bool, owner_organisation_id: int | None) -> bool:
    """Whether ``viewer`` must not learn who posted a version (DESIGN.md invariant 6).

    True for an unattributed version posted outside the viewer's
    organisation: nothing shown with it may then name, count or sort by its
    reporter. ``federation.storage.incidents.reporter_hidden_sql`` is its SQL twin.
    """
    return unattributed and owner_organisation_id != viewer.organisation_id


def reaches_audience_of(
    source: Tlp, source_recipients: Coll[str], target: Tlp, target_recipients: Coll[str]
) -> bool:
    """Whether every viewer who may see a ``target`` version may see a ``source`` version.

    Both belong to one poster in one collection and carry effective TLPs
    (collection default applied) and recipients. What is derived from
    ``source`` may be shown with ``target`` only then: a RED indicator of a
    GREEN incident names its value to its recipients, not to every reader of
    the incident.
    """
    if source >= Tlp.AMBER_STRICT:
        return target >= Tlp.AMBER_STRICT and set(target_recipients) <= set(source_recipients)
    # Readers of an AMBER+STRICT or RED target are its recipients, never a
    # capped peer; a peer capped at the target's level sees a source no higher.
    return source <= target or target >= Tlp.AMBER_STRICT


def grant_matches(subject: str, viewer: Viewer) -> bool:
    """Whether a grant subject (``*``, ``org:ID``, ``sector:S``, ``group:G``) covers ``viewer``."""
    if subject == "*":
        return True
    kind, _, value = subject.partition(":")
    if kind == "org":
        return value == str(viewer.organisation_id)
    if kind == "sector":
        return value == viewer.sector
    if kind == "group":
        return value in viewer.groups
    return False


@dataclass(frozen=True, slots=True)
class Permissions:
    """What a viewer may do with one collection."""

    can_read: bool
    can_write: bool


def collection_permissions(viewer: Viewer, grants: Iterable[tuple[str, str]]) -> Permissions:
    """What ``viewer`` may do with a collection that has ``grants`` ((access,
    subject) pairs): what its grants allow, then within its role's limits (a
    reader never writes)."""
    read = write = False
    for access, subject in grants:
        if grant_matches(subject, viewer):
            read = read or access == "read"
            write = write or access == "write"
    return Permissions(can_read=read, can_write=write and may_write(viewer.role))
