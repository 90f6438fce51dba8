"""Routing claims need the hub's word: pending and rejected ones route nothing (issue 10, #5)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from federation.domain.errors import ConflictError, ForbiddenError
from federation.domain.routing import ClaimLimits
from federation.services.routing import networks
from federation.storage.database import Database
from federation.storage.models import ObjectVersion, OrganisationNetwork
from tests.conftest import Factory
from tests.service.test_routing import (
    RED,
    add,
    declare,
    inbox_of,
    incident_bundle,
    recipients_of,
    rows_in,
    viewer_of,
)


def incidents_in(db: Database, org_id: int) -> set[str]:
    return {
        r.stix_id for r in rows_in(db, inbox_of(db, org_id)) if r.stix_id.startswith("incident")
    }


def routed_to(db: Database, collection: str, stix_id: str) -> set[int]:
    with db.session() as session:
        row = session.scalar(
            select(ObjectVersion).where(
                ObjectVersion.collection_id == uuid.UUID(collection),
                ObjectVersion.stix_id == stix_id,
            )
        )
        assert row is not None
    return recipients_of(db, row)


def test_an_org_admins_hijack_claims_wait_and_receive_no_red_report(
    db: Database, factory: Factory
) -> None:
    police = viewer_of(db, factory.member("Police", sector="law-enforcement"))
    factory.member("B ISP", role="reader")
    b_id = declare(db, "B ISP", "192.0.2.0/24")
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    hub = viewer_of(db, factory.member("Hub", sector="hub", role="hub-admin"))
    a_id = a_admin.organisation_id
    with db.session() as session:
        nested = networks.add_network(session, a_admin, a_id, "192.0.2.77/32")
        wide = networks.add_network(session, a_admin, a_id, "100.0.0.0/8")
    assert (nested.state, wide.state) == ("pending", "pending")
    assert "inside another member's network" in nested.reason
    assert "wider than /16" in wide.reason

    collection = factory.collection()
    inside = incident_bundle("192.0.2.77", object_marking_refs=[RED])
    unclaimed = incident_bundle("100.1.2.3", object_marking_refs=[RED])
    add(db, police, collection, inside + unclaimed)

    assert inbox_of(db, a_id) is None
    assert a_id not in routed_to(db, collection, inside[0]["id"])
    assert routed_to(db, collection, inside[0]["id"]) == {b_id}
    assert routed_to(db, collection, unclaimed[0]["id"]) == set()
    assert incidents_in(db, b_id) == {inside[0]["id"]}

    # The hub's word: the /32 now routes to A (longest prefix); the /8 never does.
    with db.session() as session:
        approved = networks.decide_network(session, hub, a_id, nested.id, True)
        rejected = networks.decide_network(
            session, hub, a_id, "100.0.0.0/8", False, note="not A's address space"
        )
    assert (approved.state, rejected.state) == ("approved", "rejected")
    assert rejected.decision_note == "not A's address space"
    later_inside = incident_bundle("192.0.2.77", object_marking_refs=[RED])
    later_unclaimed = incident_bundle("100.1.2.3", object_marking_refs=[RED])
    add(db, police, collection, later_inside + later_unclaimed)
    assert routed_to(db, collection, later_inside[0]["id"]) == {a_id}
    assert routed_to(db, collection, later_unclaimed[0]["id"]) == set()
    assert incidents_in(db, a_id) == {later_inside[0]["id"]}
    assert incidents_in(db, b_id) == {inside[0]["id"]}


def test_the_operators_and_hub_admins_claims_are_the_hubs_word(
    db: Database, factory: Factory
) -> None:
    factory.member("B ISP", role="reader")
    declare(db, "B ISP", "192.0.2.0/24")
    factory.member("A ISP", role="reader")
    hub = viewer_of(db, factory.member("Hub", sector="hub", role="hub-admin"))
    a_id = declare(db, "A ISP", "192.0.2.64/26", "AS64500", "100.0.0.0/8")
    with db.session() as session:
        by_hub = networks.add_network(session, hub, a_id, "2001:db8::/29")
        states = {n.value: n.state for n in networks.list_networks(session, None, a_id)}
    assert by_hub.state == "approved"
    assert set(states.values()) == {"approved"}


def test_claims_granted_at_once_take_nothing_from_anybody(db: Database, factory: Factory) -> None:
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    a_id = a_admin.organisation_id
    with db.session() as session:
        own = networks.add_network(session, a_admin, a_id, "203.0.113.0/24")
        inside_own = networks.add_network(session, a_admin, a_id, "203.0.113.128/25")
        asn = networks.add_network(session, a_admin, a_id, "AS64511")
        strict = networks.add_network(
            session, a_admin, a_id, "198.18.0.0/20", limits=ClaimLimits(ipv4=24)
        )
    assert (own.state, inside_own.state) == ("approved", "approved")
    assert (asn.state, strict.state) == ("pending", "pending")
    assert "AS number" in asn.reason
    assert "wider than /24" in strict.reason


def test_only_hub_admins_review_claims_and_only_pending_ones(
    db: Database, factory: Factory
) -> None:
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    other_admin = viewer_of(db, factory.member("C ISP", role="org-admin"))
    hub = viewer_of(db, factory.member("Hub", sector="hub", role="hub-admin"))
    a_id = a_admin.organisation_id
    with db.session() as session:
        claim = networks.add_network(session, a_admin, a_id, "AS64512")
    with db.session() as session, pytest.raises(ForbiddenError):
        networks.decide_network(session, a_admin, a_id, claim.id, True)
    with db.session() as session, pytest.raises(ForbiddenError):
        networks.list_claims(session, a_admin)
    with db.session() as session, pytest.raises(Exception, match="no organisation"):
        networks.decide_network(session, other_admin, a_id, claim.id, True)
    with db.session() as session:
        [queued] = networks.list_claims(session, hub)
        assert (queued.organisation, queued.network.value) == ("A ISP", "AS64512")
        networks.decide_network(session, hub, a_id, claim.id, False)
    with db.session() as session, pytest.raises(ConflictError, match="already rejected"):
        networks.decide_network(session, hub, a_id, claim.id, True)
    with db.session() as session:
        assert networks.list_claims(session, hub) == []
        [answer] = networks.list_claims(session, hub, "rejected")
        assert answer.decided_by == hub.account_name


def test_a_rejected_claim_is_kept_without_blocking_the_real_holder(
    db: Database, factory: Factory
) -> None:
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    factory.member("D ISP", role="reader")
    a_id = a_admin.organisation_id
    with db.session() as session:
        networks.add_network(session, a_admin, a_id, "AS64513")
        networks.decide_network(session, None, a_id, "AS64513", False)
    # A cannot simply ask again; the operator can grant the real holder.
    with db.session() as session, pytest.raises(ConflictError, match="rejected"):
        networks.add_network(session, a_admin, a_id, "AS64513")
    d_id = declare(db, "D ISP", "AS64513")
    with db.session() as session:
        rows = session.execute(
            select(OrganisationNetwork.organisation_id, OrganisationNetwork.state).where(
                OrganisationNetwork.value == "AS64513"
            )
        ).all()
    assert sorted(rows) == sorted([(a_id, "rejected"), (d_id, "approved")])


def test_a_pending_claim_holds_its_place_against_other_members(
    db: Database, factory: Factory
) -> None:
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    c_admin = viewer_of(db, factory.member("C ISP", role="org-admin"))
    with db.session() as session:
        networks.add_network(session, a_admin, a_admin.organisation_id, "AS64514")
    with (
        db.session() as session,
        pytest.raises(ConflictError, match="already claimed by another member"),
    ):
        networks.add_network(session, c_admin, c_admin.organisation_id, "AS64514")


def test_a_claim_made_before_its_holder_declared_goes_back_to_review(
    db: Database, factory: Factory
) -> None:
    # A front-runs B: its /32 takes nothing from anybody yet, so it is granted.
    police = viewer_of(db, factory.member("Police", sector="law-enforcement"))
    a_admin = viewer_of(db, factory.member("A ISP", role="org-admin"))
    a_id = a_admin.organisation_id
    factory.member("C ISP", role="reader")
    with db.session() as session:
        early = networks.add_network(session, a_admin, a_id, "192.0.2.77/32")
    c_id = declare(db, "C ISP", "198.51.100.0/25")
    assert early.state == "approved"

    # The hub approves B's /24 around it: A's /32 now takes B's addresses.
    factory.member("B ISP", role="reader")
    b_id = declare(db, "B ISP", "192.0.2.0/24", "198.51.100.0/24")
    with db.session() as session:
        states = {n.value: (n.state, n.reason) for n in networks.list_networks(session, None, a_id)}
        customer = networks.list_networks(session, None, c_id)
    assert states == {"192.0.2.77/32": ("pending", networks.NOW_INSIDE)}
    # A claim the operator made stays: the hub already gave its word on it.
    assert [(n.value, n.state) for n in customer] == [("198.51.100.0/25", "approved")]

    collection = factory.collection()
    report = incident_bundle("192.0.2.77", object_marking_refs=[RED])
    add(db, police, collection, report)
    assert routed_to(db, collection, report[0]["id"]) == {b_id}
    assert inbox_of(db, a_id) is None
