"""The one visibility rule (DESIGN.md invariants 4 and 5) and its SQL twin."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from federation.domain.tlp import Tlp
from federation.domain.visibility import (
    VersionFacts,
    Viewer,
    can_see,
    effective_tlp,
    grant_matches,
    reaches_audience_of,
    reporter_hidden,
)
from federation.services.access import accounts
from federation.storage.database import Database
from federation.storage.models import ObjectRecipient, ObjectVersion
from federation.storage.visibility import visible_versions
from tests.conftest import Factory

OWNER, RECIPIENT, OTHER = 1, 2, 3
RELATIONS = ("owner", "recipient", "other")
LEVELS: list[Tlp | None] = [None, *Tlp]


def viewer(
    organisation_id: int, *, sector: str = "isp", groups: frozenset[str] = frozenset()
) -> Viewer:
    return Viewer(
        account_id=organisation_id * 10,
        account_name=f"account-{organisation_id}",
        organisation_id=organisation_id,
        organisation_name=f"org-{organisation_id}",
        sector=sector,
        role="analyst",
        groups=groups,
    )


def facts(tlp: Tlp | None, *, withheld: bool = False) -> VersionFacts:
    return VersionFacts(
        tlp=tlp,
        owner_organisation_id=OWNER,
        recipient_organisation_ids={RECIPIENT},
        withheld=withheld,
    )


def expected(tlp: Tlp | None, default: Tlp, relation: str, withheld: bool = False) -> bool:
    """DESIGN.md invariants 5 and 6, written out as a table."""
    if relation == "owner":
        return True
    if withheld:
        return False
    level = default if tlp is None else tlp
    if level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER):
        return True
    return relation == "recipient"


VIEWERS = {"owner": viewer(OWNER), "recipient": viewer(RECIPIENT), "other": viewer(OTHER)}


# -- can_see -----------------------------------------------------------------


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("level", [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER])
def test_clear_green_and_amber_are_seen_by_every_reader(level: Tlp, relation: str) -> None:
    assert can_see(VIEWERS[relation], facts(level), Tlp.RED)


@pytest.mark.parametrize("level", [Tlp.AMBER_STRICT, Tlp.RED])
def test_strict_and_red_are_seen_by_the_owner(level: Tlp) -> None:
    assert can_see(VIEWERS["owner"], facts(level), Tlp.CLEAR)


@pytest.mark.parametrize("level", [Tlp.AMBER_STRICT, Tlp.RED])
def test_strict_and_red_are_seen_by_a_named_recipient(level: Tlp) -> None:
    assert can_see(VIEWERS["recipient"], facts(level), Tlp.CLEAR)


@pytest.mark.parametrize("level", [Tlp.AMBER_STRICT, Tlp.RED])
def test_strict_and_red_are_invisible_to_other_organisations(level: Tlp) -> None:
    assert not can_see(VIEWERS["other"], facts(level), Tlp.CLEAR)


@pytest.mark.parametrize("default", list(Tlp))
@pytest.mark.parametrize("relation", RELATIONS)
def test_an_unmarked_version_takes_the_collection_default(default: Tlp, relation: str) -> None:
    assert effective_tlp(None, default) is default
    unmarked = can_see(VIEWERS[relation], facts(None), default)
    assert unmarked == can_see(VIEWERS[relation], facts(default), default)
    assert unmarked == expected(None, default, relation)


@pytest.mark.parametrize("default", list(Tlp))
def test_a_marking_overrides_the_collection_default(default: Tlp) -> None:
    assert can_see(VIEWERS["other"], facts(Tlp.GREEN), default)
    assert not can_see(VIEWERS["other"], facts(Tlp.RED), default)


def test_a_red_version_from_a_peer_has_no_owner_and_is_seen_by_recipients_only() -> None:
    version = VersionFacts(tlp=Tlp.RED, owner_organisation_id=None, recipient_organisation_ids=[2])
    assert can_see(VIEWERS["recipient"], version, Tlp.AMBER)
    assert not can_see(VIEWERS["owner"], version, Tlp.AMBER)


@pytest.mark.parametrize("level", LEVELS)
def test_a_withheld_identity_is_seen_by_its_owner_only(level: Tlp | None) -> None:
    withheld = facts(level, withheld=True)
    assert can_see(VIEWERS["owner"], withheld, Tlp.CLEAR)
    assert not can_see(VIEWERS["recipient"], withheld, Tlp.CLEAR)
    assert not can_see(VIEWERS["other"], withheld, Tlp.CLEAR)


def test_being_in_the_same_sector_does_not_open_a_red_version() -> None:
    colleague = viewer(OTHER, sector="isp")
    assert not can_see(colleague, facts(Tlp.RED), Tlp.AMBER)


@pytest.mark.parametrize(
    ("subject", "allowed"),
    [
        ("*", True),
        (f"org:{OTHER}", True),
        (f"org:{OWNER}", False),
        ("sector:isp", True),
        ("sector:law-enforcement", False),
        ("group:eu", True),
        ("group:us", False),
        ("org", False),
        ("everyone", False),
        ("", False),
    ],
)
def test_collection_grants(subject: str, allowed: bool) -> None:
    assert grant_matches(subject, viewer(OTHER, groups=frozenset({"eu"}))) is allowed


# -- the SQL rule agrees with can_see ------------------------------------------


def test_sql_rule_agrees_with_can_see_on_every_combination(db: Database, factory: Factory) -> None:
    """Every TLP (and none) x every collection default x owner, recipient, other.

    Each combination is checked with the identity withheld and without.
    """
    members = {
        "owner": factory.member("Owning ISP"),
        "recipient": factory.member("Recipient CSIRT", sector="csirt"),
        "other": factory.member("Other ISP"),
    }
    with db.session() as session:
        viewers = {
            relation: accounts.viewer_for(accounts.account_named(session, member.account))
            for relation, member in members.items()
        }
    owner_org = viewers["owner"].organisation_id
    recipient_org = viewers["recipient"].organisation_id
    collections = {
        default: uuid.UUID(factory.collection(default_tlp=default.label)) for default in Tlp
    }

    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: dict[int, tuple[Tlp, Tlp | None, bool]] = {}
    with db.session() as session:
        combinations = itertools.product(Tlp, LEVELS, (False, True))
        for n, (default, tlp, withheld) in enumerate(combinations):
            moment = start + timedelta(microseconds=n)
            row = ObjectVersion(
                collection_id=collections[default],
                stix_id=f"indicator--{uuid.uuid4()}",
                type="indicator",
                spec_version="2.1",
                created=moment,
                modified=moment,
                version=moment,
                date_added=moment,
                document={"tlp": None if tlp is None else tlp.label},
                source_account_id=viewers["owner"].account_id,
                owner_organisation_id=owner_org,
                tlp=None if tlp is None else int(tlp),
                unattributed=withheld,
                withheld=withheld,
            )
            session.add(row)
            session.flush()
            session.add(ObjectRecipient(version_pk=row.pk, organisation_id=recipient_org))
            rows[row.pk] = (default, tlp, withheld)
        session.commit()

    checked = 0
    with db.session() as session:
        for default, (relation, who) in itertools.product(Tlp, viewers.items()):
            stmt = select(ObjectVersion.pk).where(
                ObjectVersion.collection_id == collections[default],
                visible_versions(who, default),
            )
            seen_by_sql = set(session.scalars(stmt))
            for pk, (row_default, tlp, withheld) in rows.items():
                if row_default is not default:
                    continue
                case = (tlp, default, relation, withheld)
                version = VersionFacts(tlp, owner_org, {recipient_org}, withheld)
                rule = can_see(who, version, default)
                assert rule == expected(*case), case
                assert (pk in seen_by_sql) == rule, case
                checked += 1
    assert checked == len(LEVELS) * len(Tlp) * len(RELATIONS) * 2 == 180


def test_sql_rule_hides_an_ownerless_red_version_from_everyone_but_recipients(
    db: Database, factory: Factory
) -> None:
    recipient = factory.member("Recipient ISP")
    other = factory.member("Bystander ISP")
    collection = uuid.UUID(factory.collection())
    with db.session() as session:
        seen = {
            name: accounts.viewer_for(accounts.account_named(session, member.account))
            for name, member in (("recipient", recipient), ("other", other))
        }
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        row = ObjectVersion(
            collection_id=collection,
            stix_id=f"indicator--{uuid.uuid4()}",
            type="indicator",
            spec_version="2.1",
            version=moment,
            date_added=moment,
            document={},
            owner_organisation_id=None,
            source_peer="peer-hub",
            tlp=int(Tlp.RED),
            unattributed=False,
        )
        session.add(row)
        session.flush()
        session.add(
            ObjectRecipient(version_pk=row.pk, organisation_id=seen["recipient"].organisation_id)
        )
        session.commit()
        for name, who in seen.items():
            stmt = select(ObjectVersion.pk).where(visible_versions(who, Tlp.AMBER))
            assert (row.pk in set(session.scalars(stmt))) is (name == "recipient")


# -- reaches_audience_of -----------------------------------------------------

AUDIENCES: list[frozenset[int]] = [frozenset(), frozenset({2}), frozenset({3}), frozenset({2, 3})]


def _readers() -> list[Viewer]:
    """Other organisations 2, 3 and 4, and peers capped at every level."""
    plain = [viewer(org) for org in (2, 3, 4)]
    capped = [
        Viewer(
            account_id=0,
            account_name=f"peer-{cap.label}",
            organisation_id=5,
            organisation_name="peer",
            sector="hub",
            role="peer",
            tlp_cap=cap,
        )
        for cap in Tlp
    ]
    return [*plain, *capped]


@pytest.mark.parametrize("source", list(Tlp))
@pytest.mark.parametrize("target", list(Tlp))
def test_derived_data_goes_with_a_version_only_to_readers_who_may_see_its_source(
    source: Tlp, target: Tlp
) -> None:
    """``reaches_audience_of`` holds exactly when no reader sees the target without the source."""
    for source_recipients, target_recipients in itertools.product(AUDIENCES, AUDIENCES):
        source_facts = VersionFacts(source, OWNER, source_recipients)
        target_facts = VersionFacts(target, OWNER, target_recipients)
        leaks = [
            reader
            for reader in _readers()
            if can_see(reader, target_facts, Tlp.AMBER)
            and not can_see(reader, source_facts, Tlp.AMBER)
        ]
        names = ({str(r) for r in source_recipients}, {str(r) for r in target_recipients})
        assert reaches_audience_of(source, names[0], target, names[1]) == (not leaks), (
            source,
            source_recipients,
            target,
            target_recipients,
        )


def test_the_reporter_of_an_unattributed_version_is_hidden_outside_its_organisation() -> None:
    assert reporter_hidden(viewer(OTHER), True, OWNER)
    assert reporter_hidden(viewer(OTHER), True, None)
    assert not reporter_hidden(viewer(OWNER), True, OWNER)
    assert not reporter_hidden(viewer(OTHER), False, OWNER)
