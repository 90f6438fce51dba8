"""Account roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    READER = "reader"
    ANALYST = "analyst"
    ORG_ADMIN = "org-admin"
    HUB_ADMIN = "hub-admin"
    PEER = "peer"


class Sector(StrEnum):
    ISP = "isp"
    LAW_ENFORCEMENT = "law-enforcement"
    GOVERNMENT = "government"
    BUSINESS = "business"
    CSIRT = "csirt"
    HUB = "hub"


# Roles that may add objects; a reader may only read.
WRITING_ROLES = frozenset({Role.ANALYST, Role.ORG_ADMIN, Role.HUB_ADMIN, Role.PEER})


def may_write(role: str) -> bool:
    """Whether an account with ``role`` may post or delete objects at all."""
    return role in WRITING_ROLES


# Accounts that are links, not people: another hub, or a member's TAXII
# server. They exchange STIX over TAXII only; a report, sighting or note made
# over REST would speak for a person of the organisation, which a link is not.
TAXII_ONLY_ROLES = frozenset({Role.PEER})


def is_taxii_only(role: str) -> bool:
    """Whether an account with ``role`` may write over TAXII but not report incidents over REST."""
    return role in TAXII_ONLY_ROLES
