"""Organisations, accounts, tokens, and authenticating a request's credentials."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation.domain.errors import (
    ConflictError,
    NotFoundError,
    UnauthenticatedError,
)
from federation.domain.peers import peer_account_cap
from federation.domain.roles import Role, Sector
from federation.domain.stewardship import check_choice
from federation.domain.text import checked_name
from federation.domain.tlp import Tlp
from federation.domain.tokens import digests_equal, token_digest
from federation.domain.visibility import Viewer
from federation.services.access.tokens import IssuedToken, is_usable, mint_token, revoke_family
from federation.services.transactions import commit_unique
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Account, Organisation, Peer, Token


def add_organisation(session: Session, name: str, sector: str) -> Organisation:
    """Admit a member organisation; the hub creates and keeps its STIX identity id."""
    check_choice("sector", sector, [s.value for s in Sector])
    identity_id = f"identity--{uuid.uuid4()}"
    org = Organisation(name=checked_name(name), sector=sector, identity_id=identity_id)
    session.add(org)
    commit_unique(session, f"an organisation named {name!r} already exists")
    return org


def add_account(session: Session, name: str, organisation: str, role: str) -> Account:
    """Create an account inside an existing organisation."""
    check_choice("role", role, [r.value for r in Role])
    org = organisation_named(session, organisation)
    account = Account(name=checked_name(name), organisation=org, role=role)
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
    """Create a root token for an account, unaudited, and return its secret.

    For setting a hub up (the demo, test fixtures, benchmarks); the CLI and
    REST make tokens through :mod:`federation.services.access.members`,
    which audits them.
    """
    account = account_named(session, account_name)
    issued = mint_token(session, secret_key, account, label=label, expires_at=expires_at)
    session.commit()
    return issued


def revoke_token(session: Session, token_id: int) -> None:
    """Revoke a token and its descendants, unaudited (setup and tests, like :func:`issue_token`)."""
    token = session.get(Token, token_id)
    if token is None:
        raise NotFoundError(f"no token with id {token_id}")
    revoke_family(session, token, utcnow())
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
        or (account_name is not None and account_name != row.account.name)
        or not is_usable(session, row, now)
    ):
        session.rollback()
        raise UnauthenticatedError("invalid or expired credentials")
    viewer = replace(viewer_for(row.account), token_id=row.id)
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


def organisation_by_id(session: Session, org_id: int) -> Organisation:
    """The organisation with ``org_id``, or :class:`NotFoundError`."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"no organisation with id {org_id}")
    return org


def account_named(session: Session, name: str) -> Account:
    """The account called ``name``, or :class:`NotFoundError`."""
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFoundError(f"no account named {name[:100]!r}")
    return account


OPERATOR_ORGANISATION = "Hub operator"
OPERATOR_ACCOUNT = "operator"


def operator_viewer(session: Session) -> Viewer:
    """The hub operator's own account, used by CLI imports and exports.

    Created on first use, without tokens: it acts only from the command line,
    where whoever runs the CLI already holds the database.
    """
    account = session.scalar(select(Account).where(Account.name == OPERATOR_ACCOUNT))
    if account is None:
        # The first commands on a new hub may run side by side: whichever
        # creates the operator first wins, and the others use what it made.
        try:
            org = session.scalar(
                select(Organisation).where(Organisation.name == OPERATOR_ORGANISATION)
            )
            if org is None:
                org = add_organisation(session, OPERATOR_ORGANISATION, Sector.HUB.value)
            account = add_account(session, OPERATOR_ACCOUNT, org.name, Role.HUB_ADMIN.value)
        except ConflictError:
            account = session.scalars(
                select(Account).where(Account.name == OPERATOR_ACCOUNT)
            ).one_or_none()
            if account is None:
                return operator_viewer(session)
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
