"""Pure access rules, now in the domain: collection permissions and who may
manage whom (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from federation.domain.errors import ForbiddenError, UnprocessableError
from federation.domain.roles import Role
from federation.domain.stewardship import (
    check_choice,
    check_grantable,
    check_may_manage,
    check_not_reserved,
    may_see_account,
    require_admin,
    require_hub_admin,
)
from federation.domain.visibility import Viewer, collection_permissions


def viewer(role: Role, *, org: int = 1, account: int = 10, sector: str = "isp") -> Viewer:
    return Viewer(
        account_id=account,
        account_name=f"account-{account}",
        organisation_id=org,
        organisation_name=f"org-{org}",
        sector=sector,
        role=role,
        groups=frozenset({"northern-isps"}),
    )


@dataclass(frozen=True)
class Account:
    id: int
    organisation_id: int
    role: str


def test_grants_give_read_and_write_within_the_role() -> None:
    grants = [("read", "*"), ("write", "sector:isp")]
    analyst = collection_permissions(viewer(Role.ANALYST), grants)
    assert (analyst.can_read, analyst.can_write) == (True, True)
    reader = collection_permissions(viewer(Role.READER), grants)
    assert (reader.can_read, reader.can_write) == (True, False)
    police = collection_permissions(viewer(Role.ANALYST, sector="law-enforcement"), grants)
    assert (police.can_read, police.can_write) == (True, False)


@pytest.mark.parametrize(
    ("subject", "matches"),
    [("org:1", True), ("org:2", False), ("group:northern-isps", True), ("group:other", False)],
)
def test_a_grant_names_an_organisation_a_sector_a_group_or_everyone(
    subject: str, matches: bool
) -> None:
    allowed = collection_permissions(viewer(Role.ANALYST), [("read", subject)])
    assert allowed.can_read is matches
    assert allowed.can_write is False


def test_only_admins_administer_and_only_hub_admins_grant_privileged_roles() -> None:
    require_hub_admin(viewer(Role.HUB_ADMIN), "admit organisations")
    with pytest.raises(ForbiddenError, match="only hub admins admit organisations"):
        require_hub_admin(viewer(Role.ORG_ADMIN), "admit organisations")
    require_admin(viewer(Role.ORG_ADMIN), "create accounts")
    with pytest.raises(ForbiddenError):
        require_admin(viewer(Role.ANALYST), "create accounts")
    check_grantable(viewer(Role.ORG_ADMIN), Role.ANALYST)
    for role in (Role.HUB_ADMIN, Role.PEER):
        check_grantable(viewer(Role.HUB_ADMIN), role)
        with pytest.raises(ForbiddenError):
            check_grantable(viewer(Role.ORG_ADMIN), role)


def test_an_org_admin_sees_and_manages_its_own_organisation_only() -> None:
    admin = viewer(Role.ORG_ADMIN, org=1)
    colleague = Account(id=11, organisation_id=1, role=Role.ANALYST)
    outsider = Account(id=21, organisation_id=2, role=Role.ANALYST)
    peer = Account(id=12, organisation_id=1, role=Role.PEER)
    assert may_see_account(admin, colleague)
    assert not may_see_account(admin, outsider)
    check_may_manage(admin, colleague)
    with pytest.raises(ForbiddenError, match="only hub admins manage peer accounts"):
        check_may_manage(admin, peer)
    analyst = viewer(Role.ANALYST, account=11)
    assert may_see_account(analyst, colleague)
    assert not may_see_account(analyst, peer)
    with pytest.raises(ForbiddenError):
        check_may_manage(analyst, colleague)


def test_choices_and_reserved_names_are_422s_naming_the_field() -> None:
    check_choice("role", "reader", [r.value for r in Role])
    with pytest.raises(UnprocessableError) as refused:
        check_choice("role", "boss", [r.value for r in Role])
    assert set(refused.value.details) == {"role"}
    with pytest.raises(UnprocessableError):
        check_not_reserved("OPERATOR", "operator")
    check_not_reserved("operators", "operator")
