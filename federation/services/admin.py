"""Administration through the REST API: who may manage which organisations,
accounts, tokens and trust groups.

Least privilege: hub admins manage everything; org admins manage their own
organisation's accounts and tokens, but never create or touch hub-admin or peer
accounts; everyone else sees and manages only their own account and tokens.
What a caller may not see is reported as absent (404), not forbidden, so an
org admin learns nothing about other members.

Each function that changes something owns one transaction: the change and its
audit event commit together, or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessableError,
)
from federation.domain.roles import Role, Sector
from federation.domain.tokens import display_prefix, new_token, token_digest
from federation.domain.visibility import Viewer
from federation.services import audit
from federation.services.accounts import (
    OPERATOR_ACCOUNT,
    OPERATOR_ORGANISATION,
    organisation_named,
)
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Account, Organisation, Token, TrustGroup

# Only hub admins may grant these: a hub admin rules the hub, a peer is another hub.
PRIVILEGED_ROLES = frozenset({Role.HUB_ADMIN, Role.PEER})
ADMIN_ROLES = frozenset({Role.HUB_ADMIN, Role.ORG_ADMIN})
RECEIPT_ROLES = frozenset({Role.HUB_ADMIN, Role.ORG_ADMIN, Role.ANALYST})


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    id: int
    name: str
    sector: str
    identity_id: str
    contact_email: str
    contact_phone: str
    unattributed_default: bool
    groups: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationInfo:
        return cls(
            id=org.id,
            name=org.name,
            sector=org.sector,
            identity_id=org.identity_id,
            contact_email=org.contact_email,
            contact_phone=org.contact_phone,
            unattributed_default=org.unattributed_default,
            groups=tuple(sorted(group.name for group in org.groups)),
            created_at=org.created_at,
        )


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
class TokenInfo:
    """A token as listed: never its secret or digest."""

    id: int
    account: str
    prefix: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: Token) -> TokenInfo:
        return cls(
            id=token.id,
            account=token.account.name,
            prefix=token.prefix,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token with its secret, which exists only here and in the one reply."""

    info: TokenInfo
    secret: str


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: AccountInfo
    token: str


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    name: str
    description: str
    members: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, group: TrustGroup) -> GroupInfo:
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            members=tuple(sorted(org.name for org in group.members)),
            created_at=group.created_at,
        )


@dataclass(frozen=True, slots=True)
class OrganisationChanges:
    """A partial update of an organisation; ``None`` leaves a field as it is."""

    contact_email: str | None = None
    contact_phone: str | None = None
    unattributed_default: bool | None = None


@dataclass(frozen=True, slots=True)
class AccountChanges:
    """A partial update of an account; ``None`` leaves a field as it is."""

    role: str | None = None
    disabled: bool | None = None
    unattributed_default: bool | None = None


# -- organisations ----------------------------------------------------------


def list_organisations(session: Session, viewer: Viewer) -> list[OrganisationInfo]:
    """Every organisation for hub admins; the caller's own for everyone else."""
    stmt = select(Organisation).options(selectinload(Organisation.groups)).order_by(Organisation.id)
    if viewer.role != Role.HUB_ADMIN:
        stmt = stmt.where(Organisation.id == viewer.organisation_id)
    return [OrganisationInfo.of(org) for org in session.scalars(stmt)]


def get_organisation(session: Session, viewer: Viewer, org_id: int) -> OrganisationInfo:
    """One organisation, to hub admins and its own members."""
    return OrganisationInfo.of(_visible_organisation(session, viewer, org_id))


def create_organisation(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    sector: str,
    contact_email: str = "",
    contact_phone: str = "",
    unattributed_default: bool = False,
    meta: audit.RequestMeta | None = None,
) -> OrganisationInfo:
    """Admit a member organisation (hub admins only); the hub makes its STIX identity."""
    _require_hub_admin(viewer, "admit organisations")
    _check_choice("sector", sector, [s.value for s in Sector])
    _check_not_reserved(name, OPERATOR_ORGANISATION)
    begin_write(session)
    org = Organisation(
        name=name,
        sector=sector,
        identity_id=f"identity--{uuid4()}",
        contact_email=contact_email,
        contact_phone=contact_phone,
        unattributed_default=unattributed_default,
    )
    session.add(org)
    _flush_unique(session, f"an organisation named {name!r} already exists")
    audit.record(
        session, viewer, "admin.org.create", meta=meta, detail=f"organisation {name!r} ({sector})"
    )
    return OrganisationInfo.of(org)


def update_organisation(
    session: Session,
    viewer: Viewer,
    org_id: int,
    changes: OrganisationChanges,
    meta: audit.RequestMeta | None = None,
) -> OrganisationInfo:
    """Change contact details and the unattributed default (hub admins, the org's admins)."""
    begin_write(session)
    org = _visible_organisation(session, viewer, org_id)
    if viewer.role not in ADMIN_ROLES:
        raise ForbiddenError("only org admins and hub admins change an organisation")
    changed = []
    for field in ("contact_email", "contact_phone", "unattributed_default"):
        value = getattr(changes, field)
        if value is not None:
            setattr(org, field, value)
            changed.append(field)
    audit.record(
        session,
        viewer,
        "admin.org.update",
        meta=meta,
        detail=f"organisation {org.name!r}: {', '.join(changed) or 'nothing'} changed",
    )
    return OrganisationInfo.of(org)


# -- accounts ---------------------------------------------------------------


def list_accounts(
    session: Session, viewer: Viewer, organisation: str | None = None
) -> list[AccountInfo]:
    """Hub admins: every account, or one organisation's. Org admins: their
    organisation's. Everyone else: their own account."""
    stmt = select(Account).options(selectinload(Account.organisation)).order_by(Account.id)
    if organisation is not None:
        org = _visibleorganisation_named(session, viewer, organisation)
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
    _require_admin(viewer, "create accounts")
    _check_choice("role", role, [r.value for r in Role])
    _check_grantable(viewer, role)
    _check_not_reserved(name, OPERATOR_ACCOUNT)
    begin_write(session)
    if organisation is None:
        org = _organisation(session, viewer.organisation_id)
    else:
        org = _visibleorganisation_named(session, viewer, organisation)
    account = Account(
        name=name, organisation=org, role=role, unattributed_default=unattributed_default
    )
    session.add(account)
    _flush_unique(session, f"an account named {name!r} already exists")
    _, secret = _add_token(session, secret_key, account, label="first token", expires_at=None)
    audit.record(
        session,
        viewer,
        "admin.account.create",
        meta=meta,
        detail=f"account {name!r} ({role}) in {org.name!r}",
    )
    return NewAccount(AccountInfo.of(account), secret)


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
    _check_may_manage(viewer, account)
    if account.id == viewer.account_id and (
        changes.role not in (None, account.role) or changes.disabled
    ):
        raise ForbiddenError("you cannot change your own role or disable yourself")
    changed = []
    if changes.role is not None:
        _check_choice("role", changes.role, [r.value for r in Role])
        _check_grantable(viewer, changes.role)
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


# -- tokens -----------------------------------------------------------------


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
    meta: audit.RequestMeta | None = None,
) -> IssuedToken:
    """Issue a token for the caller or for an account the caller manages."""
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
    token, secret = _add_token(session, secret_key, owner, label=label, expires_at=expires_at)
    audit.record(
        session,
        viewer,
        "admin.token.create",
        meta=meta,
        detail=f"token {token.id} for account {owner.name!r}",
    )
    return IssuedToken(TokenInfo.of(token), secret)


def revoke_token(
    session: Session, viewer: Viewer, token_id: int, meta: audit.RequestMeta | None = None
) -> None:
    """Revoke a token; every request carrying it gets 401 from now on. Idempotent."""
    begin_write(session)
    token = session.get(Token, token_id)
    if token is None or not _may_see_account(viewer, token.account):
        raise NotFoundError(f"no token with id {token_id}")
    if token.account_id != viewer.account_id:
        _check_may_manage(viewer, token.account)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    audit.record(
        session,
        viewer,
        "admin.token.revoke",
        meta=meta,
        detail=f"token {token.id} of account {token.account.name!r}",
    )


# -- trust groups -----------------------------------------------------------


def list_groups(session: Session) -> list[GroupInfo]:
    """Every trust group with its members' names; any account may see them."""
    stmt = select(TrustGroup).options(selectinload(TrustGroup.members)).order_by(TrustGroup.id)
    return [GroupInfo.of(group) for group in session.scalars(stmt)]


def create_group(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    description: str = "",
    meta: audit.RequestMeta | None = None,
) -> GroupInfo:
    """Create a trust group that collection grants can name as ``group:NAME`` (hub admins)."""
    _require_hub_admin(viewer, "create trust groups")
    begin_write(session)
    group = TrustGroup(name=name, description=description)
    session.add(group)
    _flush_unique(session, f"a trust group named {name!r} already exists")
    audit.record(session, viewer, "admin.group.create", meta=meta, detail=f"group {name!r}")
    return GroupInfo.of(group)


def add_group_member(
    session: Session,
    viewer: Viewer,
    group_id: int,
    organisation: str,
    meta: audit.RequestMeta | None = None,
) -> GroupInfo:
    """Put an organisation into a trust group (hub admins)."""
    _require_hub_admin(viewer, "change trust groups")
    begin_write(session)
    group = _group(session, group_id)
    org = organisation_named(session, organisation)
    if org in group.members:
        raise ConflictError(f"{org.name!r} is already a member of {group.name!r}")
    group.members.append(org)
    _flush_unique(session, f"{org.name!r} is already a member of {group.name!r}")
    audit.record(
        session,
        viewer,
        "admin.group.member.add",
        meta=meta,
        detail=f"organisation {org.name!r} into group {group.name!r}",
    )
    return GroupInfo.of(group)


def remove_group_member(
    session: Session,
    viewer: Viewer,
    group_id: int,
    organisation_id: int,
    meta: audit.RequestMeta | None = None,
) -> None:
    """Take an organisation out of a trust group (hub admins)."""
    _require_hub_admin(viewer, "change trust groups")
    begin_write(session)
    group = _group(session, group_id)
    org = next((m for m in group.members if m.id == organisation_id), None)
    if org is None:
        raise NotFoundError(f"organisation {organisation_id} is not a member of {group.name!r}")
    group.members.remove(org)
    audit.record(
        session,
        viewer,
        "admin.group.member.remove",
        meta=meta,
        detail=f"organisation {org.name!r} out of group {group.name!r}",
    )


# -- access receipts --------------------------------------------------------


def receipts(
    session: Session, viewer: Viewer, organisation_id: int | None = None
) -> tuple[int, list[audit.SectorReceipt]]:
    """Which sectors pulled an organisation's objects: for its analysts and
    admins (hub admins may name any organisation). Never the readers' names."""
    if viewer.role not in RECEIPT_ROLES:
        raise ForbiddenError("access receipts are for analysts and admins")
    if organisation_id is None or organisation_id == viewer.organisation_id:
        org_id = viewer.organisation_id
    elif viewer.role == Role.HUB_ADMIN:
        org_id = _organisation(session, organisation_id).id
    else:
        raise ForbiddenError("you see only your own organisation's receipts")
    return org_id, audit.receipts(session, org_id)


# -- rules and lookups ------------------------------------------------------


def _require_hub_admin(viewer: Viewer, what: str) -> None:
    if viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError(f"only hub admins {what}")


def _require_admin(viewer: Viewer, what: str) -> None:
    if viewer.role not in ADMIN_ROLES:
        raise ForbiddenError(f"only org admins and hub admins {what}")


def _check_grantable(viewer: Viewer, role: str) -> None:
    if role in PRIVILEGED_ROLES and viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError(f"only hub admins grant the {role} role")


def _may_see_account(viewer: Viewer, account: Account) -> bool:
    if viewer.role == Role.HUB_ADMIN:
        return True
    if viewer.role == Role.ORG_ADMIN:
        return account.organisation_id == viewer.organisation_id
    return account.id == viewer.account_id


def _check_may_manage(viewer: Viewer, account: Account) -> None:
    """Whether ``viewer`` may change ``account`` (already known to be visible)."""
    if viewer.role == Role.HUB_ADMIN:
        return
    if viewer.role != Role.ORG_ADMIN:
        raise ForbiddenError("only org admins and hub admins manage accounts")
    if account.role in PRIVILEGED_ROLES:
        raise ForbiddenError(f"only hub admins manage {account.role} accounts")


def _token_owner(session: Session, viewer: Viewer, name: str | None) -> Account:
    """The account whose tokens the caller means: their own unless named."""
    if name is None or name == viewer.account_name:
        return _account(session, viewer.account_id)
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None or not _may_see_account(viewer, account):
        raise NotFoundError(f"no account named {name[:100]!r}")
    _check_may_manage(viewer, account)
    return account


def _visible_account(session: Session, viewer: Viewer, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or not _may_see_account(viewer, account):
        raise NotFoundError(f"no account with id {account_id}")
    return account


def _visible_organisation(session: Session, viewer: Viewer, org_id: int) -> Organisation:
    if viewer.role != Role.HUB_ADMIN and org_id != viewer.organisation_id:
        raise NotFoundError(f"no organisation with id {org_id}")
    return _organisation(session, org_id)


def _visibleorganisation_named(session: Session, viewer: Viewer, name: str) -> Organisation:
    if viewer.role != Role.HUB_ADMIN and name != viewer.organisation_name:
        raise NotFoundError(f"no organisation named {name[:100]!r}")
    return organisation_named(session, name)


def _organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"no organisation with id {org_id}")
    return org


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"no account with id {account_id}")
    return account


def _group(session: Session, group_id: int) -> TrustGroup:
    group = session.get(TrustGroup, group_id)
    if group is None:
        raise NotFoundError(f"no trust group with id {group_id}")
    return group


def _add_token(
    session: Session,
    secret_key: str,
    account: Account,
    *,
    label: str,
    expires_at: datetime | None,
) -> tuple[Token, str]:
    """Add a token to the transaction; return it and its secret, which is not stored.

    Unlike :func:`federation.services.accounts.issue_token` this does not
    commit, so the token lands with the account or audit event it belongs to.
    """
    secret = new_token()
    token = Token(
        account=account,
        digest=token_digest(secret_key, secret),
        prefix=display_prefix(secret),
        label=label,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def _flush_unique(session: Session, message: str) -> None:
    """Flush, turning a uniqueness violation into :class:`ConflictError`."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(message) from None


def _check_choice(what: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise UnprocessableError(
            f"unknown {what} {value[:40]!r}",
            details={what: [f"Must be one of: {', '.join(choices)}."]},
        )


def _check_not_reserved(name: str, reserved: str) -> None:
    # The CLI acts as the operator account in the operator organisation, found
    # by name; an API-made namesake would be mistaken for it.
    if name.casefold() == reserved.casefold():
        raise UnprocessableError(
            f"the name {name!r} is reserved for the hub operator",
            details={"name": ["Reserved for the hub operator."]},
        )
