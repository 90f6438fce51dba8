"""Accounts and their API tokens as the REST API manages them.

Hub admins manage every account; org admins their own organisation's, never
hub-admin or peer accounts; everyone else only their own account's tokens.
Each function that changes something owns one transaction: the change and its
audit event commit together, or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import ForbiddenError, NotFoundError, UnprocessableError
from federation.domain.roles import Role
from federation.domain.stewardship import (
    check_choice,
    check_grantable,
    check_may_manage,
    check_not_reserved,
    may_see_account,
    require_admin,
)
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.accounts import (
    OPERATOR_ACCOUNT,
    organisation_by_id,
    organisation_named,
)
from federation.services.access.tokens import IssuedToken, TokenInfo, mint_token, revoke_family
from federation.services.transactions import flush_unique
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Account, Organisation, Token


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    name: str
    organisation: str
    organisation_id: int
    role: str
    disabled: bool
    unattributed_default: bool
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountInfo:
        return cls(
            id=account.id,
            name=account.name,
            organisation=account.organisation.name,
            organisation_id=account.organisation_id,
            role=account.role,
            disabled=account.disabled,
            unattributed_default=account.unattributed_default,
            created_at=account.created_at,
        )


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: AccountInfo
    token: str


@dataclass(frozen=True, slots=True)
class AccountChanges:
    """A partial update of an account; ``None`` leaves a field as it is."""

    role: str | None = None
    disabled: bool | None = None
    unattributed_default: bool | None = None


def list_accounts(
    session: Session, viewer: Viewer, organisation: str | None = None
) -> list[AccountInfo]:
    """Hub admins: every account, or one organisation's. Org admins: their
    organisation's. Everyone else: their own account."""
    stmt = select(Account).options(selectinload(Account.organisation)).order_by(Account.id)
    if organisation is not None:
        org = _visible_organisation_named(session, viewer, organisation)
        stmt = stmt.where(Account.organisation_id == org.id)
    if viewer.role == Role.ORG_ADMIN:
        stmt = stmt.where(Account.organisation_id == viewer.organisation_id)
    elif viewer.role != Role.HUB_ADMIN:
        stmt = stmt.where(Account.id == viewer.account_id)
    return [AccountInfo.of(account) for account in session.scalars(stmt)]


def get_account(session: Session, viewer: Viewer, account_id: int) -> AccountInfo:
    """One account the caller may see."""
    return AccountInfo.of(_visible_account(session, viewer, account_id))


def create_account(
    session: Session,
    viewer: Viewer,
    secret_key: str,
    *,
    name: str,
    role: str,
    organisation: str | None = None,
    unattributed_default: bool = False,
    meta: audit.RequestMeta | None = None,
) -> NewAccount:
    """Create an account and its first token.

    Hub admins create any account in any organisation; org admins create
    accounts in their own organisation (the default), never hub admins or peers.
    """
    require_admin(viewer, "create accounts")
    check_choice("role", role, [r.value for r in Role])
    check_grantable(viewer, role)
    check_not_reserved(name, OPERATOR_ACCOUNT)
    begin_write(session)
    if organisation is None:
        org = organisation_by_id(session, viewer.organisation_id)
    else:
        org = _visible_organisation_named(session, viewer, organisation)
    account = Account(
        name=name, organisation=org, role=role, unattributed_default=unattributed_default
    )
    session.add(account)
    flush_unique(session, f"an account named {name!r} already exists")
    issued = mint_token(
        session, secret_key, account, label="first token", parent=_parent(session, viewer, None)
    )
    audit.record(
        session,
        viewer,
        "admin.account.create",
        meta=meta,
        detail=f"account {name!r} ({role}) in {org.name!r}",
    )
    return NewAccount(AccountInfo.of(account), issued.token)


def update_account(
    session: Session,
    viewer: Viewer,
    account_id: int,
    changes: AccountChanges,
    meta: audit.RequestMeta | None = None,
) -> AccountInfo:
    """Change an account's role, disabled flag or unattributed default.

    Nobody changes their own role or disables themselves: that is how a hub
    loses its last admin. Ask another admin.
    """
    begin_write(session)
    account = _visible_account(session, viewer, account_id)
    check_may_manage(viewer, account)
    if account.id == viewer.account_id and (
        changes.role not in (None, account.role) or changes.disabled
    ):
        raise ForbiddenError("you cannot change your own role or disable yourself")
    changed = []
    if changes.role is not None:
        check_choice("role", changes.role, [r.value for r in Role])
        check_grantable(viewer, changes.role)
        changed.append(f"role {account.role} -> {changes.role}")
        account.role = changes.role
    if changes.disabled is not None:
        account.disabled = changes.disabled
        changed.append(f"disabled {str(changes.disabled).lower()}")
    if changes.unattributed_default is not None:
        account.unattributed_default = changes.unattributed_default
        changed.append(f"unattributed_default {str(changes.unattributed_default).lower()}")
    audit.record(
        session,
        viewer,
        "admin.account.update",
        meta=meta,
        detail=f"account {account.name!r}: {', '.join(changed) or 'nothing changed'}",
    )
    return AccountInfo.of(account)


def list_tokens(session: Session, viewer: Viewer, account: str | None = None) -> list[TokenInfo]:
    """The caller's tokens, or those of an account the caller manages."""
    owner = _token_owner(session, viewer, account)
    stmt = select(Token).where(Token.account_id == owner.id).order_by(Token.id)
    return [TokenInfo.of(token) for token in session.scalars(stmt)]


def create_token(
    session: Session,
    viewer: Viewer,
    secret_key: str,
    *,
    account: str | None = None,
    label: str = "",
    expires_at: datetime | None = None,
    expires_in_days: int | None = None,
    parent_id: int | None = None,
    meta: audit.RequestMeta | None = None,
) -> IssuedToken:
    """Issue a token for the caller or for an account the caller manages.

    The new token is a child of the caller's token (or, from the command
    line, of the token ``parent_id`` names): it expires no later than its
    parent, dies with it and never serves a higher role than its parent's.
    """
    if expires_at is not None and expires_in_days is not None:
        raise UnprocessableError(
            "give expires_at or expires_in_days, not both",
            details={"expires_in_days": ["Give expires_at or expires_in_days, not both."]},
        )
    now = utcnow()
    if expires_in_days is not None:
        if expires_in_days < 1:
            raise UnprocessableError(
                "expires_in_days must be at least 1",
                details={"expires_in_days": ["Must be at least 1."]},
            )
        expires_at = now + timedelta(days=expires_in_days)
    if expires_at is not None and expires_at <= now:
        raise UnprocessableError(
            "a token must expire in the future",
            details={"expires_at": ["Must be in the future."]},
        )
    begin_write(session)
    owner = _token_owner(session, viewer, account)
    parent = _parent(session, viewer, parent_id)
    issued = mint_token(
        session, secret_key, owner, label=label, expires_at=expires_at, parent=parent
    )
    child_of = f" as a child of token {parent.id}" if parent else ""
    audit.record(
        session,
        viewer,
        "admin.token.create",
        meta=meta,
        detail=f"token {issued.id} for account {owner.name!r}{child_of}",
    )
    return issued


def revoke_token(
    session: Session, viewer: Viewer, token_id: int, meta: audit.RequestMeta | None = None
) -> None:
    """Revoke a token; every request carrying it gets 401 from now on. Idempotent."""
    begin_write(session)
    token = session.get(Token, token_id)
    if token is None or not may_see_account(viewer, token.account):
        raise NotFoundError(f"no token with id {token_id}")
    if token.account_id != viewer.account_id:
        check_may_manage(viewer, token.account)
    # Its descendants go with it: no token outlives the one that made it.
    revoked = revoke_family(session, token, utcnow())
    descendants = f" and {revoked - 1} token(s) made with it" if revoked > 1 else ""
    audit.record(
        session,
        viewer,
        "admin.token.revoke",
        meta=meta,
        detail=f"token {token.id} of account {token.account.name!r}{descendants}",
    )


def _token_owner(session: Session, viewer: Viewer, name: str | None) -> Account:
    """The account whose tokens the caller means: their own unless named."""
    if name is None or name == viewer.account_name:
        return _account(session, viewer.account_id)
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None or not may_see_account(viewer, account):
        raise NotFoundError(f"no account named {name[:100]!r}")
    check_may_manage(viewer, account)
    return account


def _visible_account(session: Session, viewer: Viewer, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or not may_see_account(viewer, account):
        raise NotFoundError(f"no account with id {account_id}")
    return account


def _visible_organisation_named(session: Session, viewer: Viewer, name: str) -> Organisation:
    if viewer.role != Role.HUB_ADMIN and name != viewer.organisation_name:
        raise NotFoundError(f"no organisation named {name[:100]!r}")
    return organisation_named(session, name)


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"no account with id {account_id}")
    return account


def _parent(session: Session, viewer: Viewer, parent_id: int | None) -> Token | None:
    """The token a new token descends from: the one named, else the caller's own."""
    wanted = viewer.token_id if parent_id is None else parent_id
    if wanted is None:
        return None
    parent = session.get(Token, wanted)
    if parent is None or not may_see_account(viewer, parent.account):
        raise NotFoundError(f"no token with id {wanted}")
    return parent
