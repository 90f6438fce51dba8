"""Every model, importable from one place (Alembic's env.py reads this)."""

from federation.storage.models.audit import AccessReceipt, AuditEvent
from federation.storage.models.collections import ApiRoot, Collection, CollectionGrant
from federation.storage.models.incidents import IncidentLink, IncidentValue, IncidentVersion
from federation.storage.models.keys import KeyFingerprint
from federation.storage.models.objects import ObjectRecipient, ObjectVersion
from federation.storage.models.orgs import (
    Account,
    Organisation,
    Token,
    TrustGroup,
    TrustGroupMember,
)
from federation.storage.models.peers import Peer, PushFailure
from federation.storage.models.routing import (
    OrganisationNetwork,
    RoutingSettings,
    WebhookDelivery,
)
from federation.storage.models.signin import ConsoleSession, Credential, SigninRequirement
from federation.storage.models.status import Status

__all__ = [
    "AccessReceipt",
    "Account",
    "ApiRoot",
    "AuditEvent",
    "Collection",
    "CollectionGrant",
    "ConsoleSession",
    "Credential",
    "IncidentLink",
    "IncidentValue",
    "IncidentVersion",
    "KeyFingerprint",
    "ObjectRecipient",
    "ObjectVersion",
    "Organisation",
    "OrganisationNetwork",
    "Peer",
    "PushFailure",
    "RoutingSettings",
    "SigninRequirement",
    "Status",
    "Token",
    "TrustGroup",
    "TrustGroupMember",
    "WebhookDelivery",
]
