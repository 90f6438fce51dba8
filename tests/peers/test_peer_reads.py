"""What a peer's account reads over TAXII leaves this hub: no more than its link may carry."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.domain.peers import peer_account_cap
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.visibility import VersionFacts, Viewer, can_see
from federation.storage.database import Database
from federation.storage.models import ObjectVersion
from federation.storage.visibility import visible_versions
from tests.conftest import Factory
from tests.helpers import Member, objects_url
from tests.peers.conftest import LocalHub, named

LEVELS: list[Tlp | None] = [None, *Tlp]


def test_a_peer_account_cap_is_the_highest_its_links_carry() -> None:
    assert peer_account_cap([]) is Tlp.GREEN
    assert peer_account_cap([(Tlp.CLEAR, False)]) is Tlp.CLEAR
    assert peer_account_cap([(Tlp.CLEAR, False), (Tlp.GREEN, False)]) is Tlp.GREEN
    assert peer_account_cap([(Tlp.AMBER, True)]) is Tlp.AMBER
    assert peer_account_cap([(Tlp.AMBER, False)]) is Tlp.GREEN


def test_the_sql_rule_agrees_with_can_see_for_capped_viewers(
    db: Database, factory: Factory
) -> None:
    owner = factory.member("Owning ISP")
    peer = factory.member("Hub B", sector="hub", role="peer")
    collections = {d: uuid.UUID(factory.collection(default_tlp=d.label)) for d in Tlp}
    with db.session() as session:
        from federation.services.access import accounts

        owner_view = accounts.viewer_for(accounts.account_named(session, owner.account))
        peer_view = accounts.viewer_for(accounts.account_named(session, peer.account))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: dict[int, tuple[Tlp, Tlp | None, bool]] = {}
    with db.session() as session:
        for n, (default, tlp, withheld) in enumerate(itertools.product(Tlp, LEVELS, (False, True))):
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
                document={},
                source_account_id=owner_view.account_id,
                owner_organisation_id=owner_view.organisation_id,
                tlp=None if tlp is None else int(tlp),
                unattributed=withheld,
                withheld=withheld,
            )
            session.add(row)
            session.flush()
            rows[row.pk] = (default, tlp, withheld)
        session.commit()

    with db.session() as session:
        for cap, default in itertools.product((Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER), Tlp):
            who = Viewer(**{**_fields(peer_view), "tlp_cap": cap})
            stmt = select(ObjectVersion.pk).where(
                ObjectVersion.collection_id == collections[default],
                visible_versions(who, default),
            )
            seen = set(session.scalars(stmt))
            for pk, (row_default, tlp, withheld) in rows.items():
                if row_default is not default:
                    continue
                facts = VersionFacts(tlp, owner_view.organisation_id, set(), withheld)
                rule = can_see(who, facts, default)
                level = default if tlp is None else tlp
                assert rule == (not withheld and level <= cap), (cap, default, tlp, withheld)
                assert (pk in seen) == rule, (cap, default, tlp, withheld)


def _fields(viewer: Viewer) -> dict[str, Any]:
    return {name: getattr(viewer, name) for name in Viewer.__slots__}


def marked(name: str, tlp: Tlp) -> dict[str, Any]:
    return named(name, object_marking_refs=[TLP2_MARKING_IDS[tlp]])


def read_names(client: FlaskClient, collection: str, who: Member) -> set[str]:
    response = client.get(objects_url(collection), headers=who.headers)
    assert response.status_code == 200
    return {o["name"] for o in response.json.get("objects", [])}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("settings", "visible"),
    [
        # The hub fixture's collection makes unmarked objects GREEN.
        (None, {"clear", "green", "unmarked"}),
        ({"max_tlp": "clear"}, {"clear"}),
        ({"max_tlp": "green"}, {"clear", "green", "unmarked"}),
        ({"max_tlp": "amber", "trusted_amber": True}, {"clear", "green", "amber", "unmarked"}),
    ],
)
def test_a_peer_account_reads_only_what_its_link_may_carry(
    client: FlaskClient,
    hub: LocalHub,
    factory: Factory,
    settings: dict[str, Any] | None,
    visible: set[str],
) -> None:
    hub.post(*(marked(level.label, level) for level in Tlp), named("unmarked"))
    hub_a = factory.member("Hub A", sector="hub", role="peer")
    if settings is not None:
        hub.add_peer("hub-a", organisation="Hub A", account=hub_a.account, **settings)

    assert read_names(client, hub.collection, hub_a) == visible
    assert read_names(client, hub.collection, hub.member) >= {"amber", "green"}
