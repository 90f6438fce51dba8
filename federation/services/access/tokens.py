"""API tokens: the one path that mints them, and the rules of a token's family.

A token made by the holder of another token (over REST, or from the command
line naming a parent) is that token's child. A child never outlives or
outranks its parent (DESIGN.md, "Account"): its expiry is capped at the
parent's, it stops working as soon as any ancestor expires, is revoked, is
disabled with its account or holds a lower role than the child's account, and
revoking a token revokes its descendants with it. Nothing here commits: the
caller's transaction carries the token together with its account or its
audit event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain.errors import ForbiddenError, UnprocessableError
from federation.domain.roles import outranks
from federation.domain.tokens import capped_expiry, display_prefix, new_token, token_digest
from federation.storage.base import utcnow
from federation.storage.models import Account, Token


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
class IssuedToken(TokenInfo):
    """A new token with its secret, which exists only here and in the one reply."""

    token: str


def mint_token(
    session: Session,
    secret_key: str,
    account: Account,
    *,
    label: str = "",
    expires_at: datetime | None = None,
    parent: Token | None = None,
) -> IssuedToken:
    """Add a token for ``account`` to the transaction and return it with its secret.

    Only the keyed hash of the secret is stored. A token made with ``parent``
    expires no later than it, and is refused for an account that outranks the
    parent's (403); a parent that no longer works makes nothing (422).
    """
    if parent is not None:
        if not is_usable(session, parent, utcnow()):
            raise UnprocessableError(
                f"token {parent.id} is revoked or expired and cannot make tokens",
                details={"parent": ["Revoked or expired."]},
            )
        if outranks(account.role, parent.account.role):
            raise ForbiddenError(
                f"a {parent.account.role} token cannot make a token for a {account.role} account"
            )
    secret = new_token()
    token = Token(
        account=account,
        digest=token_digest(secret_key, secret),
        prefix=display_prefix(secret),
        label=label,
        expires_at=capped_expiry(expires_at, parent.expires_at if parent else None),
        parent_id=parent.id if parent else None,
    )
    session.add(token)
    session.flush()
    return IssuedToken(**asdict(TokenInfo.of(token)), token=secret)


def is_usable(session: Session, token: Token, now: datetime) -> bool:
    """Whether ``token`` may authenticate at ``now``: it and every ancestor are
    live, and no ancestor's account ranks below the token's own account."""
    if not _is_live(token, now):
        return False
    role = token.account.role
    parent_id = token.parent_id
    while parent_id is not None:
        parent = session.get(Token, parent_id)
        if parent is None or not _is_live(parent, now) or outranks(role, parent.account.role):
            return False
        parent_id = parent.parent_id
    return True


def revoke_family(session: Session, token: Token, now: datetime) -> int:
    """Revoke ``token`` and every token descended from it; how many were revoked now."""
    revoked = 0
    generation = [token]
    while generation:
        for member in generation:
            if member.revoked_at is None:
                member.revoked_at = now
                revoked += 1
        ids = [member.id for member in generation]
        generation = list(session.scalars(select(Token).where(Token.parent_id.in_(ids))))
    return revoked


def _is_live(token: Token, now: datetime) -> bool:
    return (
        token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
        and not token.account.disabled
    )
