"""Members declaring their networks (IP prefixes, AS numbers) and their webhook.

Hub admins manage every organisation, org admins their own; ``viewer=None`` is
the operator at the command line. An organisation the caller may not manage is
reported absent (404) unless it is the caller's own (403), as in
``federation.services.admin``.

One prefix or AS number has one responsible member: a claim already held by
another organisation is refused (409). Nested prefixes are allowed, since an ISP
may delegate a block to a customer that is a member itself; routing picks the
longest prefix.

A claim is the hub's promise to every reporter, so it needs the hub's word. The
operator's (``viewer=None``) and a hub admin's claims are that word and are
approved at once. An org admin's claim is approved at once only when it takes
nothing from another member and is within the operator's limits
(``federation.domain.routing.review_reason``); otherwise it waits as a pending
request, routing nothing, until a hub admin approves or rejects it.

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
from federation.domain.routing import (
    MIN_PREFIX_LENGTH,
    Claim,
    ClaimLimits,
    RoutingTable,
    parse_claim,
    review_reason,
)
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

APPROVED, PENDING, REJECTED = "approved", "pending", "rejected"
# Who decided, when the operator did at the command line.
OPERATOR = "operator"
MAX_NOTE_LENGTH = 500
NOW_INSIDE = "it now lies inside another member's network"


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """A claim as its organisation sees it: what, its state, why it waits, the hub's answer."""

    id: int
    organisation_id: int
    kind: str
    value: str
    created_at: datetime
    state: str = APPROVED
    reason: str = ""
    decided_at: datetime | None = None
    decision_note: str = ""

    @classmethod
    def of(cls, network: OrganisationNetwork) -> NetworkInfo:
        return cls(
            id=network.id,
            organisation_id=network.organisation_id,
            kind=network.kind,
            value=network.value,
            created_at=network.created_at,
            state=network.state,
            reason=network.reason,
            decided_at=network.decided_at,
            decision_note=network.decision_note,
        )


@dataclass(frozen=True, slots=True)
class ClaimInfo:
    """A claim as a hub admin reviews it: the claim, whose, and who decided."""

    network: NetworkInfo
    organisation: str
    decided_by: str | None


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
    limits: ClaimLimits | None = None,
    meta: audit.RequestMeta | None = None,
) -> NetworkInfo:
    """Declare that ``org_id`` is responsible for the prefix or AS number ``text``.

    Approved at once when the operator or a hub admin declares it, or when it
    needs no review under ``limits`` (the operator's settings); otherwise
    stored as ``pending``, with the reason. ``inbox_root`` names the API root
    the organisation's inbox will be created in (the hub's default root),
    remembered from the first declaration.
    """
    try:
        claim = parse_claim(text)
    except ValueError as exc:
        raise UnprocessableError(str(exc), details={"network": [str(exc)]}) from None
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    held = session.scalar(
        select(OrganisationNetwork).where(
            OrganisationNetwork.value == claim.value, OrganisationNetwork.state != REJECTED
        )
    )
    if held is not None:
        raise ConflictError(_claimed_message(session, viewer, org, held))
    refused = session.scalar(
        select(OrganisationNetwork).where(
            OrganisationNetwork.value == claim.value,
            OrganisationNetwork.organisation_id == org.id,
        )
    )
    hubs_word = viewer is None or viewer.role == Role.HUB_ADMIN
    if refused is not None:
        if not hubs_word:
            raise ConflictError(
                f"a hub admin rejected {org.name}'s claim of {claim.value}; ask the hub operator"
            )
        # The hub now grants what it refused before: one row per claim.
        session.delete(refused)
    reason = ""
    if not hubs_word:
        around = _approved_around(session, claim)
        reason = review_reason(claim, org.id, around, limits or ClaimLimits()) or ""
    network = OrganisationNetwork(
        organisation_id=org.id,
        kind=claim.kind,
        value=claim.value,
        state=PENDING if reason else APPROVED,
        reason=reason,
    )
    if hubs_word:
        network.decided_by, network.decided_at = _actor(viewer), utcnow()
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
    suspended = [] if reason else _review_nested(session, org.id, claim)
    detail = f"{org.name!r} declared {claim.value}"
    if reason:
        detail += f", pending a hub admin's approval: {reason}"
    detail += _suspended_detail(suspended)
    _commit(session, viewer, "admin.network.add", meta, detail)
    return NetworkInfo.of(network)


def _review_nested(session: Session, org_id: int, claim: Claim) -> list[str]:
    """Send other members' unreviewed claims inside a newly approved ``claim`` back for review.

    A claim granted at once took nothing from anybody when it was made; once
    a wider prefix is approved for another member, it takes that member's
    addresses (the longest prefix wins), which is what review is for.
    Otherwise a member could claim a /32 before its rightful holder declares
    the /24 around it. Claims a hub admin or the operator granted stay.
    Returns the values sent back.
    """
    network = claim.network
    if network is None:
        return []
    rows = session.scalars(
        select(OrganisationNetwork).where(
            OrganisationNetwork.kind == "prefix",
            OrganisationNetwork.state == APPROVED,
            OrganisationNetwork.decided_by.is_(None),
            OrganisationNetwork.organisation_id != org_id,
        )
    )
    around = RoutingTable.of([(claim, org_id)])
    suspended = []
    for row in rows:
        inner = parse_claim(row.value).network
        if inner is not None and inner != network and around.owner_of_network(inner) is not None:
            row.state, row.reason = PENDING, NOW_INSIDE
            suspended.append(row.value)
    return suspended


def _suspended_detail(suspended: list[str]) -> str:
    if not suspended:
        return ""
    return f"; sent back for review, now inside it: {', '.join(sorted(suspended))}"


def _actor(viewer: Viewer | None) -> str:
    return viewer.account_name if viewer is not None else OPERATOR


def _approved_around(session: Session, claim: Claim) -> RoutingTable[int]:
    """The approved claims that could hold ``claim``'s addresses: the prefixes containing it.

    Claims are stored as canonical text, so the candidates are the claim's
    supernets, one per prefix length: at most a few dozen exact lookups,
    whatever the number of claims.
    """
    network = claim.network
    if network is None:
        return RoutingTable()
    candidates = [
        str(network.supernet(new_prefix=length))
        for length in range(MIN_PREFIX_LENGTH[network.version], network.prefixlen + 1)
    ]
    rows = session.execute(
        select(OrganisationNetwork.value, OrganisationNetwork.organisation_id).where(
            OrganisationNetwork.value.in_(candidates), OrganisationNetwork.state == APPROVED
        )
    )
    return RoutingTable.of((parse_claim(value), owner) for value, owner in rows)


def list_claims(session: Session, viewer: Viewer | None, state: str = PENDING) -> list[ClaimInfo]:
    """Every organisation's claims in ``state``, oldest first: the hub admins' review queue."""
    _require_hubs_word(viewer)
    stmt = (
        select(OrganisationNetwork, Organisation.name)
        .join(Organisation, Organisation.id == OrganisationNetwork.organisation_id)
        .where(OrganisationNetwork.state == state)
        .order_by(OrganisationNetwork.id)
    )
    return [
        ClaimInfo(NetworkInfo.of(row), name, row.decided_by) for row, name in session.execute(stmt)
    ]


def decide_network(
    session: Session,
    viewer: Viewer | None,
    org_id: int,
    network: int | str,
    approve: bool,
    *,
    note: str = "",
    meta: audit.RequestMeta | None = None,
) -> NetworkInfo:
    """Approve or reject a pending claim, by its id or its text (hub admins, the operator).

    An approved claim routes from the next request on; a rejected one stays
    listed with the ``note`` as the hub's answer and routes nothing.
    """
    if len(note) > MAX_NOTE_LENGTH or "\x00" in note:
        message = f"a note is up to {MAX_NOTE_LENGTH} characters of text"
        raise UnprocessableError(message, details={"note": [message]})
    begin_write(session)
    org = organisation_for(session, viewer, org_id)
    _require_hubs_word(viewer)
    row = _claim_row(session, org, network)
    if row.state != PENDING:
        raise ConflictError(f"{org.name}'s claim of {row.value} is already {row.state}")
    row.state = APPROVED if approve else REJECTED
    row.decided_by = _actor(viewer)
    row.decided_at = utcnow()
    row.decision_note = note
    suspended = _review_nested(session, org.id, parse_claim(row.value)) if approve else []
    # Claims not rejected are unique by value already: approving a pending
    # one cannot collide with another member's.
    session.flush()
    info = NetworkInfo.of(row)
    verb = "approved" if approve else "rejected"
    detail = f"{verb} {org.name!r}'s claim of {info.value}" + (f": {note}" if note else "")
    detail += _suspended_detail(suspended)
    _commit(session, viewer, f"admin.network.{'approve' if approve else 'reject'}", meta, detail)
    return info


def _require_hubs_word(viewer: Viewer | None) -> None:
    if viewer is not None and viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError("only hub admins review routing claims")


def _claim_row(session: Session, org: Organisation, network: int | str) -> OrganisationNetwork:
    """One of ``org``'s claims, by id or by its text (``198.51.100.0/24``, ``AS64500``)."""
    stmt = select(OrganisationNetwork).where(OrganisationNetwork.organisation_id == org.id)
    if isinstance(network, int):
        stmt = stmt.where(OrganisationNetwork.id == network)
    else:
        try:
            value = parse_claim(network).value
        except ValueError as exc:
            raise UnprocessableError(str(exc)) from None
        stmt = stmt.where(OrganisationNetwork.value == value)
    row = session.scalar(stmt.order_by(OrganisationNetwork.id.desc()).limit(1))
    if row is None:
        raise NotFoundError(f"{org.name} declared no network {str(network)[:60]!r}")
    return row


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
    row = _claim_row(session, org, network)
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
    waiting = " (pending a hub admin's approval)" if held.state == PENDING else ""
    if held.organisation_id == org.id:
        return f"{org.name} already declared {held.value}{waiting}"
    # Org admins learn that the claim is taken, not who holds it.
    if viewer is None or viewer.role == Role.HUB_ADMIN:
        holder = session.get(Organisation, held.organisation_id)
        who = holder.name if holder is not None else "another member"
        return (
            f"{held.value} is already claimed by {who}{waiting}; "
            "one prefix or AS number has one member"
        )
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
