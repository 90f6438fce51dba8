"""Demo members and collections, so a fresh hub has something to talk to.

Loading is idempotent: what exists is kept. The demo accounts' tokens are
rotated on every load (earlier demo tokens are revoked), because tokens are
stored only as hashes and so can be shown only when issued.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.services.access import accounts, collections, signin
from federation.services.access.tokens import revoke_family
from federation.services.demo_incidents import load_demo_incidents
from federation.services.routing import networks
from federation.storage.base import utcnow
from federation.storage.models import Account, ApiRoot, Collection, Organisation, Token

DEMO_LABEL = "demo"
DEMO_ROOT = "hub"
INCIDENTS_COLLECTION = uuid.UUID("7d2d4b1e-8f1a-4c7e-9a55-0c1d2e3f4a5b")
LAW_ENFORCEMENT_COLLECTION = uuid.UUID("b3c1e0a2-5d4f-4e6a-8b7c-9d0e1f2a3b4c")

ORGANISATIONS = [
    ("Example ISP", "isp"),
    ("Second ISP", "isp"),
    ("National Police", "law-enforcement"),
    ("National CSIRT", "csirt"),
]
# Networks the demo ISPs answer for, so some demo incidents reach an inbox.
# (Not the README's 198.51.100.0/24: its walk-through declares that one itself.)
NETWORKS = [("Example ISP", "192.0.2.0/24"), ("Second ISP", "203.0.113.0/24")]
ACCOUNTS = [
    ("isp-analyst", "Example ISP", "analyst"),
    ("isp2-analyst", "Second ISP", "analyst"),
    ("police-officer", "National Police", "reader"),
    ("csirt-admin", "National CSIRT", "hub-admin"),
]


@dataclass(frozen=True, slots=True)
class DemoAccount:
    name: str
    organisation: str
    role: str
    token: str
    password: str


def load_demo(session: Session, secret_key: str) -> list[DemoAccount]:
    """Create what is missing of the demo data and issue fresh demo tokens and
    console passwords (earlier ones stop working)."""
    for name, sector in ORGANISATIONS:
        if session.scalar(select(Organisation).where(Organisation.name == name)) is None:
            accounts.add_organisation(session, name, sector)
    for name, org, role in ACCOUNTS:
        if session.scalar(select(Account).where(Account.name == name)) is None:
            accounts.add_account(session, name, org, role)
    if session.scalar(select(ApiRoot).where(ApiRoot.name == DEMO_ROOT)) is None:
        collections.add_api_root(session, DEMO_ROOT, "Federation demo hub")
    if session.get(Collection, INCIDENTS_COLLECTION) is None:
        collections.add_collection(
            session,
            root=DEMO_ROOT,
            title="Incidents",
            collection_id=INCIDENTS_COLLECTION,
            alias="incidents",
            description="Incidents shared by every member.",
            read="*",
            write="*",
        )
    if session.get(Collection, LAW_ENFORCEMENT_COLLECTION) is None:
        collections.add_collection(
            session,
            root=DEMO_ROOT,
            title="Law enforcement referrals",
            collection_id=LAW_ENFORCEMENT_COLLECTION,
            alias="law-enforcement",
            description="Reports from ISPs for law enforcement.",
            read="sector:law-enforcement,sector:isp",
            write="sector:isp,sector:csirt",
        )
    for org_name, prefix in NETWORKS:
        member = accounts.organisation_named(session, org_name)
        declared = {n.value for n in networks.list_networks(session, None, member.id)}
        if prefix not in declared:
            networks.add_network(session, None, member.id, prefix, inbox_root=DEMO_ROOT)
    load_demo_incidents(session, secret_key, str(INCIDENTS_COLLECTION))
    _revoke_demo_tokens(session)
    operator = accounts.operator_viewer(session)
    issued = []
    for name, org, role in ACCOUNTS:
        token = accounts.issue_token(session, secret_key, name, label=DEMO_LABEL)
        password = secrets.token_urlsafe(12)
        signin.set_password(session, operator, name, password)
        issued.append(DemoAccount(name, org, role, token.token, password))
    return issued


def _revoke_demo_tokens(session: Session) -> None:
    names = [name for name, _org, _role in ACCOUNTS]
    stmt = (
        select(Token)
        .join(Account)
        .where(Account.name.in_(names), Token.label == DEMO_LABEL, Token.revoked_at.is_(None))
    )
    # With the tokens made from them: no token outlives the one that made it.
    now = utcnow()
    for token in session.scalars(stmt).all():
        revoke_family(session, token, now)
    session.commit()
