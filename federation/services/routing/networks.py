"""Members declaring their networks (IP prefixes, AS numbers) and their webhook.

Hub admins manage every organisation, org admins their own; ``viewer=None`` is
the operator at the command line. An organisation the caller may not manage is
reported absent (404) unless it is the caller's own (403), as in
``federation.services.admin``.

One prefix or AS number has one responsible member: a claim already held by
another organisation is refused (409). Nested prefixes are allowed, since an ISP
may delegate a block to a customer that is a member itself; routing picks the
longest prefix.

Each function that changes something owns one transaction: the change and its
audit event commit together, or neither does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.domain import webhooks
from federation.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessableError,
)
from federation.domain.roles import Role
from federation.domain.routing import parse_claim
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.routing.webhooks import system_resolve
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import (
    ApiRoot,
    Collection,
    Organisation,
    OrganisationNetwork,
    RoutingSettings,
    WebhookDelivery,
)


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    id: int
    organisation_id: int
    kind: str
    value: str
    created_at: datetime

    @classmethod
    def of(cls, network: OrganisationNetwork) -> NetworkInfo:
        return cls(
            id=network.id,
            organisation_id=network.organisation_id,
            kind=network.kind,
            value=network.value,
            created_at=network.created_at,
        )


@dataclass(frozen=True, slots=True)
class RoutingInfo:
    """Where routed incidents reach a member. Never holds the webhook secret."""

    organisation_id: int
    networks: tuple[NetworkInfo, ...]
    inbox_collection_id: uuid.UUID | None
    inbox_api_root: str | None
    webhook_url: str | None
    webhook_secret_set: bool
    pending_deliveries: int = 0
    failed_deliveries: int = 0
    # The newest delivery error, so a member can see why its endpoint fails.
    last_error: str = ""


def organisation_for(session: Session, viewer: Viewer | None, org_id: int) -> Organisation:
    """The organisation ``viewer`` may manage the routing of, or 404/403."""
    if viewer is not None and viewer.role != Role.HUB_ADMIN:
        if org_id != viewer.organisation_id:
            raise NotFoundError(f"no organisation with id {org_id}")
        if viewer.role != Role.ORG_ADMIN:
            raise ForbiddenError("only org admins and hub admins manage an organisation's routing")
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"no organisation with id {org_id}")
    return org


def routing_info(session: Session, viewer: Viewer | None, org_id: int) -> RoutingInfo:
    """The networks, inbox and webhook of one organisation."""
    org = organisation_for(session, viewer, org_id)
    settings = session.get(RoutingSettings, org.id)
    root = None
    if settings is not None and settings.inbox_collection_id is not None:
        collection = session.get(Collection, settings.inbox_collection_id)
        root = collection.api_root.name if collection is not None else None
    counts = dict(
        session.execute(
            select(WebhookDelivery.state, func.count())
            .where(WebhookDelivery.organisation_id == org.id)
            .group_by(WebhookDelivery.state)
        ).all()
    )
    last_error = session.scalar(
        select(WebhookDelivery.last_error)
        .where(WebhookDelivery.organisation_id == org.id, WebhookDelivery.last_error != "")
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    )
    return RoutingInfo(
        organisation_id=org.id,
        networks=tuple(list_networks(session, viewer, org.id)),
        inbox_collection_id=settings.inbox_collection_id if settings else None,
        inbox_api_root=root,
        webhook_url=settings.webhook_url if settings else None,
        webhook_secret_set=bool(settings and settings.webhook_secret),
        pending_deliveries=counts.get("pending", 0),
        failed_deliveries=counts.get("failed", 0),
        last_error=last_error or "",
    )


def list_networks(session: Session, viewer: Viewer | None, org_id: int) -> list[NetworkInfo]:
    """The prefixes and AS numbers an organisation declared, in the order declared."""
    org = organisation_for(session, viewer, org_id)
    stmt = (
        select(OrganisationNetwork)
        .where(OrganisationNetwork.organisation_id == org.id)
        .order_by(OrganisationNetwork.id)
    )
    return [NetworkInfo.of(n) for n in session.scalars(stmt)]


def add_network(
    session: Session,
    viewer: Viewer | None,
    org_id: int,
    text: str,
    *,
    inbox_root: str | None = None,
    meta: audit.RequestMeta | None = None,
) -> NetworkInfo:
    """Declare that ``org_id`` is responsible for the prefix or AS number ``text``.

    ``inbox_root`` names the API root the organisation's inbox will be created
    in (the hub's default root), remembered from the first declaration.
    """
    try:
        claim = parse_claim(text)
    except ValueError as exc:
        raise UnprocessableError(str(exc), details={"network": [str(exc)]}) from None
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    held = session.scalar(
        select(OrganisationNetwork).where(OrganisationNetwork.value == claim.value)
    )
    if held is not None:
        raise ConflictError(_claimed_message(session, viewer, org, held))
    network = OrganisationNetwork(organisation_id=org.id, kind=claim.kind, value=claim.value)
    session.add(network)
    settings = _settings(session, org.id)
    if settings.inbox_api_root_id is None and settings.inbox_collection_id is None and inbox_root:
        settings.inbox_api_root_id = session.scalar(
            select(ApiRoot.id).where(ApiRoot.name == inbox_root)
        )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"{claim.value} was claimed by another member just now") from None
    _commit(session, viewer, "admin.network.add", meta, f"{org.name!r} declared {claim.value}")
    return NetworkInfo.of(network)


def remove_network(
    session: Session,
    viewer: Viewer | None,
    org_id: int,
    network: int | str,
    *,
    meta: audit.RequestMeta | None = None,
) -> NetworkInfo:
    """Withdraw a declaration, by its id or its text (``198.51.100.0/24``, ``AS64500``)."""
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    stmt = select(OrganisationNetwork).where(OrganisationNetwork.organisation_id == org.id)
    if isinstance(network, int):
        stmt = stmt.where(OrganisationNetwork.id == network)
    else:
        try:
            value = parse_claim(network).value
        except ValueError as exc:
            raise UnprocessableError(str(exc)) from None
        stmt = stmt.where(OrganisationNetwork.value == value)
    row = session.scalar(stmt)
    if row is None:
        raise NotFoundError(f"{org.name} declared no network {str(network)[:60]!r}")
    info = NetworkInfo.of(row)
    session.delete(row)
    _commit(session, viewer, "admin.network.remove", meta, f"{org.name!r} withdrew {info.value}")
    return info


def set_webhook(
    session: Session,
    viewer: Viewer | None,
    org_id: int,
    url: str,
    secret_key: str,
    *,
    secret: str | None = None,
    allow_private: bool = False,
    resolve: webhooks.Resolver | None = None,
    meta: audit.RequestMeta | None = None,
) -> tuple[RoutingInfo, str | None]:
    """Set the webhook routed deliveries are POSTed to.

    Unless ``allow_private``, the URL's host must be public: a literal
    address, or a name every address of which (resolved now with
    ``resolve``, the system's resolver by default) is public. Delivery checks
    again before each POST, since DNS answers change.

    Returns the routing settings and, when no ``secret`` was given, the signing
    secret the hub made: it is shown this once and stored only encrypted.
    """
    try:
        checked_url = webhooks.check_url(url)
        # Before the write transaction: a slow resolver must not hold it open.
        webhooks.check_target(checked_url, resolve or system_resolve, allow_private=allow_private)
    except ValueError as exc:
        raise UnprocessableError(str(exc), details={"url": [str(exc)]}) from None
    made = None if secret is not None else webhooks.new_secret()
    try:
        checked_secret = webhooks.check_secret(secret if secret is not None else str(made))
    except ValueError as exc:
        raise UnprocessableError(str(exc), details={"secret": [str(exc)]}) from None
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    settings = _settings(session, org.id)
    settings.webhook_url = checked_url
    settings.webhook_secret = webhooks.encrypt_secret(secret_key, checked_secret)
    settings.updated_at = utcnow()
    # The URL goes to the audit log; the secret never does.
    _commit(session, viewer, "admin.webhook.set", meta, f"{org.name!r} webhook {checked_url}")
    return routing_info(session, viewer, org.id), made


def clear_webhook(
    session: Session,
    viewer: Viewer | None,
    org_id: int,
    *,
    meta: audit.RequestMeta | None = None,
) -> None:
    """Stop webhook deliveries to an organisation (its inbox still receives)."""
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    settings = session.get(RoutingSettings, org.id)
    if settings is not None:
        settings.webhook_url = None
        settings.webhook_secret = None
        settings.updated_at = utcnow()
    _commit(session, viewer, "admin.webhook.clear", meta, f"{org.name!r} webhook cleared")


def _settings(session: Session, org_id: int) -> RoutingSettings:
    settings = session.get(RoutingSettings, org_id)
    if settings is None:
        settings = RoutingSettings(organisation_id=org_id)
        session.add(settings)
    return settings


def _claimed_message(
    session: Session, viewer: Viewer | None, org: Organisation, held: OrganisationNetwork
) -> str:
    if held.organisation_id == org.id:
        return f"{org.name} already declared {held.value}"
    # Org admins learn that the claim is taken, not who holds it.
    if viewer is None or viewer.role == Role.HUB_ADMIN:
        holder = session.get(Organisation, held.organisation_id)
        who = holder.name if holder is not None else "another member"
        return f"{held.value} is already claimed by {who}; one prefix or AS number has one member"
    return f"{held.value} is already claimed by another member; ask the hub operator"


def _commit(
    session: Session,
    viewer: Viewer | None,
    action: str,
    meta: audit.RequestMeta | None,
    detail: str,
) -> None:
    if viewer is None:
        session.commit()
    else:
        audit.record(session, viewer, action, meta=meta, detail=detail)
