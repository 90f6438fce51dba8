"""Who may manage whom: the pure rules that the organisation, member, token
and trust-group services share.

Least privilege: hub admins manage everything; org admins manage their own
organisation's accounts and tokens, but never create or touch hub-admin or peer
accounts; everyone else sees and manages only their own account and tokens.
What a caller may not see is reported as absent (404), not forbidden, so an
org admin learns nothing about other members.
"""

from __future__ import annotations

from typing import Protocol

from federation.domain.errors import ForbiddenError, UnprocessableError
from federation.domain.roles import Role
from federation.domain.visibility import Viewer


class AccountFacts(Protocol):
    """What the rules need to know about an account (a stored one fits)."""

    @property
    def id(self) -> int: ...

    @property
    def organisation_id(self) -> int: ...

    @property
    def role(self) -> str: ...


# Only hub admins may grant these: a hub admin rules the hub, a peer is another hub.
PRIVILEGED_ROLES = frozenset({Role.HUB_ADMIN, Role.PEER})
ADMIN_ROLES = frozenset({Role.HUB_ADMIN, Role.ORG_ADMIN})


def require_hub_admin(viewer: Viewer, what: str) -> None:
    """403 unless ``viewer`` is a hub admin; ``what`` completes "only hub admins …"."""
    if viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError(f"only hub admins {what}")


def require_admin(viewer: Viewer, what: str) -> None:
    """403 unless ``viewer`` is an org admin or a hub admin."""
    if viewer.role not in ADMIN_ROLES:
        raise ForbiddenError(f"only org admins and hub admins {what}")


def check_grantable(viewer: Viewer, role: str) -> None:
    """403 if ``viewer`` may not hand out ``role``."""
    if role in PRIVILEGED_ROLES and viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError(f"only hub admins grant the {role} role")


def may_see_account(viewer: Viewer, account: AccountFacts) -> bool:
    """Whether ``account`` exists as far as ``viewer`` can tell."""
    if viewer.role == Role.HUB_ADMIN:
        return True
    if viewer.role == Role.ORG_ADMIN:
        return account.organisation_id == viewer.organisation_id
    return account.id == viewer.account_id


def check_may_manage(viewer: Viewer, account: AccountFacts) -> None:
    """Whether ``viewer`` may change ``account`` (already known to be visible)."""
    if viewer.role == Role.HUB_ADMIN:
        return
    if viewer.role != Role.ORG_ADMIN:
        raise ForbiddenError("only org admins and hub admins manage accounts")
    if account.role in PRIVILEGED_ROLES:
        raise ForbiddenError(f"only hub admins manage {account.role} accounts")


def check_choice(what: str, value: str, choices: list[str]) -> None:
    """422 naming ``what`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise UnprocessableError(
            f"unknown {what} {value[:40]!r}; choose one of: {', '.join(choices)}",
            details={what: [f"Must be one of: {', '.join(choices)}."]},
        )


def check_not_reserved(name: str, reserved: str) -> None:
    """422 if ``name`` is the operator's ``reserved`` name in any case."""
    # The CLI acts as the operator account in the operator organisation, found
    # by name; an API-made namesake would be mistaken for it.
    if name.casefold() == reserved.casefold():
        raise UnprocessableError(
            f"the name {name!r} is reserved for the hub operator",
            details={"name": ["Reserved for the hub operator."]},
        )
