"""Rotating SECRET_KEY: re-sealing what the previous keys encrypted.

Lives beside the capabilities rather than in one of them: it rewrites the
sealed columns of peers (peering) and of webhooks (routing) in one transaction,
together with the fingerprint (access).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain import webhooks
from federation.domain.errors import FederationError
from federation.domain.sealing import SealedCredentialsError, reseal
from federation.services.access.keys import KeyState, key_state, record_fingerprint
from federation.storage.database import begin_write
from federation.storage.models import Organisation, Peer, RoutingSettings


class KeyRotationError(FederationError):
    status = 409
    title = "Key rotation impossible"


@dataclass(frozen=True, slots=True)
class Rotation:
    """What ``rotate_keys`` re-sealed."""

    peers: int
    webhooks: int


def rotate_keys(session: Session, secret_key: str, previous_keys: Sequence[str]) -> Rotation:
    """Re-seal every peer credential and webhook secret under ``secret_key`` and
    record its fingerprint; all of it or nothing.

    Each value may be sealed under ``secret_key`` already or under one of
    ``previous_keys``, so running it twice, or after an interrupted rotation,
    is harmless.
    """
    begin_write(session)
    if key_state(session, secret_key, previous_keys) is KeyState.OTHER:
        session.rollback()
        raise KeyRotationError(
            "the database was set up with a key that is neither FEDERATION_SECRET_KEY "
            "nor in FEDERATION_PREVIOUS_SECRET_KEYS; list the old key there"
        )
    peer_count = 0
    for peer in session.scalars(select(Peer).order_by(Peer.id)):
        if peer.sealed_credentials:
            try:
                peer.sealed_credentials = reseal(secret_key, previous_keys, peer.sealed_credentials)
            except SealedCredentialsError as exc:
                session.rollback()
                raise KeyRotationError(f"peer {peer.name!r}: {exc.description}") from None
            peer_count += 1
    hook_count = 0
    settings = session.execute(
        select(RoutingSettings, Organisation.name)
        .join(Organisation, Organisation.id == RoutingSettings.organisation_id)
        .where(RoutingSettings.webhook_secret.is_not(None))
        .order_by(RoutingSettings.organisation_id)
    )
    for row, organisation in settings:
        assert row.webhook_secret is not None
        try:
            row.webhook_secret = webhooks.reseal_secret(
                secret_key, previous_keys, row.webhook_secret
            )
        except webhooks.SecretUnreadableError as exc:
            session.rollback()
            raise KeyRotationError(f"webhook of {organisation!r}: {exc}") from None
        hook_count += 1
    record_fingerprint(session, secret_key)
    session.commit()
    return Rotation(peer_count, hook_count)
