"""Organisations, accounts, tokens, and authenticating a request's credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation.domain.errors import (
    NotFoundError,
    UnauthenticatedError,
    UnprocessableError,
)
from federation.domain.peers import peer_account_cap
from federation.domain.roles import Role, Sector
from federation.domain.tlp import Tlp
from federation.domain.tokens import digests_equal, display_prefix, new_token, token_digest
from federation.domain.visibility import Viewer
from federation.services.transactions import commit_unique
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Account, Organisation, Peer, Token


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as created: the secret is here once and nowhere else."""

    id: int
    account: str
    token: str
    expires_at: datetime | None


def add_organisation(session: Session, name: str, sector: str) -> Organisation:
    """Admit a member organisation; the hub creates and keeps its STIX identity id."""
    _check_choice("sector", sector, [s.value for s in Sector])
    org = Organisation(name=_name(name), sector=sector, identity_id=f"identity--{uuid.uuid4()}")
    session.add(org)
    commit_unique(session, f"an organisation named {name!r} already exists")
    return org


def add_account(session: Session, name: str, organisation: str, role: str) -> Account:
    """Create an account inside an existing organisation."""
    _check_choice("role", role, [r.value for r in Role])
    org = organisation_named(session, organisation)
    account = Account(name=_name(name), organisation=org, role=role)
    session.add(account)
    commit_unique(session, f"an account named {name!r} already exists")
    return account


def issue_token(
    session: Session,
    secret_key: str,
    account_name: str,
    *,
    label: str = "",
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Create a token for an account and return its secret, which is not stored."""
    account = account_named(session, account_name)
    secret = new_token()
    token = Token(
        account=account,
        digest=token_digest(secret_key, secret),
        prefix=display_prefix(secret),
        label=label,
        expires_at=expires_at,
    )
    session.add(token)
    session.commit()
    return IssuedToken(id=token.id, account=account.name, token=secret, expires_at=expires_at)


def revoke_token(session: Session, token_id: int) -> None:
    """Revoke a token; requests carrying it get 401 from now on."""
    token = session.get(Token, token_id)
    if token is None:
        raise NotFoundError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.commit()


def authenticate(
    session: Session, secret_key: str, token: str, account_name: str | None = None
) -> Viewer:
    """The viewer a token belongs to, or :class:`UnauthenticatedError`.

    With HTTP Basic the account name must match the token's account too. Every
    failure gives the same message, so a caller learns nothing about which part
    was wrong.
    """
    digest = token_digest(secret_key, token)
    row = session.scalar(select(Token).where(Token.digest == digest))
    now = utcnow()
    if (
        row is None
        or not digests_equal(row.digest, digest)
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
        or row.account.disabled
        or (account_name is not None and account_name != row.account.name)
    ):
        session.rollback()
        raise UnauthenticatedError("invalid or expired credentials")
    viewer = viewer_for(row.account)
    if viewer.role == Role.PEER:
        viewer = replace(viewer, tlp_cap=_peer_cap(session, viewer.account_id))
    # Recording every use would make each GET a write; a minute's precision is
    # plenty for "last used" and keeps most reads read-only. The write gets its
    # own write transaction: on SQLite a read that turns into a write fails when
    # another writer committed in between.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        begin_write(session)
        session.execute(update(Token).where(Token.id == row.id).values(last_used_at=now))
    session.commit()
    return viewer


def _peer_cap(session: Session, account_id: int) -> Tlp:
    """What a peer account may read: no more than its links may carry."""
    links = session.execute(
        select(Peer.max_tlp, Peer.trusted_amber).where(Peer.account_id == account_id)
    )
    return peer_account_cap((Tlp.parse(level), trusted) for level, trusted in links)


def organisation_named(session: Session, name: str) -> Organisation:
    """The organisation called ``name``, or :class:`NotFoundError`."""
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise NotFoundError(f"no organisation named {name[:100]!r}")
    return org


def account_named(session: Session, name: str) -> Account:
    """The account called ``name``, or :class:`NotFoundError`."""
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFoundError(f"no account named {name[:100]!r}")
    return account


def _name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise UnprocessableError("names are 1 to 200 printable characters")
    return value


def _check_choice(what: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise UnprocessableError(
            f"unknown {what} {value[:40]!r}; choose one of: {', '.join(choices)}"
        )


OPERATOR_ORGANISATION = "Hub operator"
OPERATOR_ACCOUNT = "operator"


def operator_viewer(session: Session) -> Viewer:
    """The hub operator's own account, used by CLI imports and exports.

    Created on first use, without tokens: it acts only from the command line,
    where whoever runs the CLI already holds the database.
    """
    account = session.scalar(select(Account).where(Account.name == OPERATOR_ACCOUNT))
    if account is None:
        org = session.scalar(select(Organisation).where(Organisation.name == OPERATOR_ORGANISATION))
        if org is None:
            org = add_organisation(session, OPERATOR_ORGANISATION, Sector.HUB.value)
        account = add_account(session, OPERATOR_ACCOUNT, org.name, Role.HUB_ADMIN.value)
    return viewer_for(account)


def viewer_for(account: Account) -> Viewer:
    """The access facts of ``account``."""
    org = account.organisation
    return Viewer(
        account_id=account.id,
        account_name=account.name,
        organisation_id=org.id,
        organisation_name=org.name,
        sector=org.sector,
        role=account.role,
        groups=frozenset(group.name for group in org.groups),
        identity_id=org.identity_id,
        unattributed_default=account.unattributed_default or org.unattributed_default,
    )
