"""Pure rules of token families: expiry caps and role ranks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.domain.roles import Role, outranks
from federation.domain.tokens import capped_expiry

SOON = datetime(2030, 1, 1, tzinfo=UTC)
LATER = SOON + timedelta(days=30)


def test_a_child_expires_no_later_than_its_parent() -> None:
    assert capped_expiry(None, SOON) == SOON
    assert capped_expiry(LATER, SOON) == SOON
    assert capped_expiry(SOON, LATER) == SOON


def test_a_root_token_expires_as_asked() -> None:
    assert capped_expiry(None, None) is None
    assert capped_expiry(LATER, None) == LATER


@pytest.mark.parametrize(
    ("role", "other"),
    [
        (Role.ANALYST, Role.READER),
        (Role.ORG_ADMIN, Role.ANALYST),
        (Role.HUB_ADMIN, Role.ORG_ADMIN),
        (Role.PEER, Role.ORG_ADMIN),
        (Role.READER, Role.PEER),
        (Role.HUB_ADMIN, Role.PEER),
    ],
)
def test_a_role_outranks_one_that_does_not_include_it(role: Role, other: Role) -> None:
    assert outranks(role, other)


@pytest.mark.parametrize("role", list(Role))
def test_no_role_outranks_itself_or_a_hub_admin(role: Role) -> None:
    assert not outranks(role, role)
    assert not outranks(role, Role.HUB_ADMIN)


def test_an_unknown_role_outranks_every_role() -> None:
    assert all(outranks("boss", role) for role in Role)
