"""The token path at service level: one mint function, and a token's family rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from federation.domain.errors import ForbiddenError, UnprocessableError
from federation.services.access import accounts, tokens
from federation.storage.models import Token
from tests.conftest import Factory

SECRET = "service-test-key"


def test_a_child_minted_from_a_parent_is_capped_and_dies_with_it(
    app: Flask, factory: Factory
) -> None:
    member = factory.member("Example ISP", role="analyst")
    now = datetime.now(UTC)
    with factory.db.session() as session:
        account = accounts.account_named(session, member.account)
        parent_issued = tokens.mint_token(
            session, SECRET, account, expires_at=now + timedelta(days=1)
        )
        parent = session.get(Token, parent_issued.id)
        assert parent is not None
        child_issued = tokens.mint_token(
            session, SECRET, account, expires_at=now + timedelta(days=9), parent=parent
        )
        child = session.get(Token, child_issued.id)
        assert child is not None
        assert child_issued.expires_at == parent_issued.expires_at
        assert child.parent_id == parent.id
        assert tokens.is_usable(session, child, now)
        # Past the parent's expiry the child is past its own too; an ancestor
        # that expires early (set by hand) takes the child with it.
        parent.expires_at = now - timedelta(seconds=1)
        assert not tokens.is_usable(session, child, now)
        parent.expires_at = now + timedelta(days=1)
        assert tokens.revoke_family(session, parent, now) == 2
        assert child.revoked_at == now
        assert not tokens.is_usable(session, child, now)
        # Revoking again revokes nothing more.
        assert tokens.revoke_family(session, parent, now) == 0


def test_a_parent_makes_nothing_once_dead_or_for_a_higher_role(
    app: Flask, factory: Factory
) -> None:
    analyst = factory.member("Example ISP", role="analyst")
    admin = factory.member("Example ISP", role="org-admin")
    now = datetime.now(UTC)
    with factory.db.session() as session:
        analyst_account = accounts.account_named(session, analyst.account)
        admin_account = accounts.account_named(session, admin.account)
        issued = tokens.mint_token(session, SECRET, analyst_account)
        parent = session.get(Token, issued.id)
        assert parent is not None
        with pytest.raises(ForbiddenError):
            tokens.mint_token(session, SECRET, admin_account, parent=parent)
        parent.revoked_at = now
        with pytest.raises(UnprocessableError):
            tokens.mint_token(session, SECRET, analyst_account, parent=parent)
