"""Issue 15 item 3: rotating SECRET_KEY with the previous keys still accepted.

What each use of the key does across a rotation:
- peer credentials and webhook secrets: re-sealed by ``federation keys rotate``;
- tokens: HMAC hashes that cannot be re-keyed without the token, so they keep
  working while the old key stays in PREVIOUS_SECRET_KEYS, and stop when it goes;
- pseudonyms: derived from the current key, so an unattributed object shows a
  new pseudonym after the rotation (still the same for all its versions, still
  hiding the poster): the documented consequence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation import create_app
from federation.cli import cli
from federation.domain.sealing import PeerCredentials, key_fingerprint, unseal
from federation.domain.webhooks import decrypt_secret
from federation.services.access import accounts
from federation.services.access.keys import record_fingerprint
from federation.services.objects.present import pseudonym
from federation.services.peering import peers
from federation.services.routing import networks
from federation.storage.database import Database
from federation.storage.models import KeyFingerprint, Peer, RoutingSettings
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url

OLD = "test-secret-key"  # the key of the session's app (tests/conftest.py)
NEW = "the new secret key, from the vault"
HOOK_SECRET = "a webhook signing secret"


@pytest.fixture
def apps(database_url: str) -> Iterator[list[Flask]]:
    """Apps over the same database with other keys; each checks its key once."""
    made: list[Flask] = []
    yield made
    for app in made:
        database(app).dispose()


def hub_with(apps: list[Flask], database_url: str, key: str, previous: Sequence[str]) -> Flask:
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": key, "PREVIOUS_SECRET_KEYS": list(previous)}
    )
    apps.append(app)
    return app


def set_up_with_old_key(db: Database, factory: Factory) -> tuple[Member, int]:
    member = factory.member("Example ISP")
    collection = factory.collection()
    with db.session() as session:
        record_fingerprint(session, OLD)
        session.commit()
        peer = peers.add_peer(
            session,
            OLD,
            peers.PeerSettings(
                name="hub-b",
                url="http://127.0.0.1:9/taxii2/hub/",
                collection="remote-collection",
                local_collection=collection,
                credentials=PeerCredentials(user="hub-a", password="peer-password-123"),
            ),
        )
        org_id = accounts.organisation_named(session, "Example ISP").id
        networks.set_webhook(
            session, None, org_id, "https://93.184.215.14/hook", OLD, secret=HOOK_SECRET
        )
    return member, peer.id


def taxii_status(client: FlaskClient, member: Member) -> int:
    response = client.get(
        "/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE}, auth=(member.account, member.token)
    )
    return response.status_code


def test_keys_rotate_reseals_secrets_and_old_tokens_work_while_their_key_is_listed(
    database_url: str, db: Database, factory: Factory, apps: list[Flask]
) -> None:
    member, peer_id = set_up_with_old_key(db, factory)

    pending = hub_with(apps, database_url, NEW, [OLD])
    refused = pending.test_cli_runner().invoke(cli, ["org", "add", "Later ISP", "--sector", "isp"])
    assert refused.exit_code == 1
    assert "run 'federation keys rotate'" in refused.output
    assert pending.test_client().get("/readyz").json["reason"] == "secret key rotation pending"

    rotating = hub_with(apps, database_url, NEW, [OLD])
    rotated = rotating.test_cli_runner().invoke(cli, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "re-sealed 1 peer credential(s) and 1 webhook secret(s)" in rotated.output

    with db.session() as session:
        peer = session.get(Peer, peer_id)
        assert peer is not None
        credentials = unseal(NEW, peer.sealed_credentials)
        hook = session.scalars(select(RoutingSettings)).one()
        assert hook.webhook_secret is not None
        signing = decrypt_secret(NEW, hook.webhook_secret)
        recorded = session.scalars(select(KeyFingerprint.fingerprint)).one()
    assert (credentials.user, credentials.password) == ("hub-a", "peer-password-123")
    assert signing == HOOK_SECRET
    assert recorded == key_fingerprint(NEW)

    serving = hub_with(apps, database_url, NEW, [OLD])
    assert serving.test_client().get("/readyz").status_code == 200
    assert taxii_status(serving.test_client(), member) == 200
    new_member = factory.member("Example ISP")  # issued by the fixture app, under OLD
    assert taxii_status(serving.test_client(), new_member) == 200

    without_old = hub_with(apps, database_url, NEW, [])
    assert taxii_status(without_old.test_client(), member) == 401

    repeat = hub_with(apps, database_url, NEW, [OLD])
    again = repeat.test_cli_runner().invoke(cli, ["keys", "rotate"])
    assert again.exit_code == 0, again.output


def test_rotation_refuses_a_database_set_up_with_an_unlisted_key(
    database_url: str, db: Database, factory: Factory, apps: list[Flask]
) -> None:
    set_up_with_old_key(db, factory)
    stranger = hub_with(apps, database_url, NEW, ["not the old key"])
    result = stranger.test_cli_runner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 1
    assert "was set up with another secret key" in result.output
    with db.session() as session:
        assert session.scalars(select(KeyFingerprint.fingerprint)).one() == key_fingerprint(OLD)


def test_pseudonyms_change_with_the_key_and_still_hide_the_poster(
    database_url: str, client: FlaskClient, factory: Factory, apps: list[Flask]
) -> None:
    poster = factory.member("Quiet ISP")
    reader = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    first = indicator(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    second = dict(first, modified="2024-02-01T00:00:00.000Z")
    posted = client.post(
        objects_url(collection),
        data=json.dumps({"objects": [first, second]}),
        headers=poster.post_headers,
    )
    assert posted.status_code == 202

    def creators(web: FlaskClient) -> set[str]:
        page = web.get(f"{objects_url(collection)}?match[version]=all", headers=reader.headers).json
        return {obj["created_by_ref"] for obj in page["objects"]}

    before = creators(client)
    after = creators(hub_with(apps, database_url, NEW, [OLD]).test_client())
    assert before == {pseudonym(OLD, first["id"])}
    assert after == {pseudonym(NEW, first["id"])}
    assert before != after
    assert poster.identity_id not in before | after
