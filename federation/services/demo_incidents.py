"""Demo incidents: a few dozen realistic reports over the last weeks, so a new
hub's dashboard and lists show what the console is for.

They go through the same report building and ingest as ``POST
/api/v1/incidents``; only their timestamps are moved into the past, as if they
had been reported then. The choice is seeded, so every demo hub holds the same
incidents (relative to the day it was loaded).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.domain.incident_stix import build_report, stix_time
from federation.domain.visibility import Viewer
from federation.services.access import accounts
from federation.services.access.collections import collection_for
from federation.services.incidents.reports import reporter_of, store
from federation.storage.base import utcnow
from federation.storage.models import IncidentVersion

# (category, title, indicator kind, role): what ISPs, CSIRTs and police see most.
KINDS = [
    ("ddos", "UDP amplification against a customer's resolver", "ipv4-addr", "source"),
    ("ddos", "SYN flood on a hosting customer", "ipv4-addr", "source"),
    ("botnet", "Mirai-like bots on home routers", "ipv4-addr", "infrastructure"),
    ("c2", "Botnet C2 reached from customer lines", "domain-name", "c2"),
    ("phishing", "Bank phishing kit on shared hosting", "url", "infrastructure"),
    ("phishing", "Parcel-delivery SMS phishing wave", "domain-name", "infrastructure"),
    ("scanning", "SSH brute force from a cloud range", "ipv4-addr", "source"),
    ("scanning", "RDP scanning across the /16", "ipv4-addr", "source"),
    ("malware", "Loader served from a compromised CMS", "sha256", "infrastructure"),
    ("ransomware", "Ransomware note on a customer's NAS", "email-addr", "infrastructure"),
]
REPORTERS = ["isp-analyst", "isp2-analyst", "csirt-admin"]
# Addresses inside the demo members' declared networks, so some reports are
# routed to an inbox, and some outside them.
ADDRESSES = ["198.51.100.", "203.0.113.", "192.0.2."]
COUNT = 36
WEEKS = 6


def load_demo_incidents(session: Session, secret_key: str, collection: str) -> int:
    """Post the demo incidents unless the hub already holds incidents; return how many."""
    if session.scalar(select(func.count()).select_from(IncidentVersion)):
        return 0
    chooser = random.Random(2026)  # noqa: S311 - demo data, not a secret
    now = utcnow()
    for number in range(COUNT):
        category, title, kind, role = chooser.choice(KINDS)
        viewer = accounts.viewer_for(accounts.account_named(session, REPORTERS[number % 3]))
        moment = now - timedelta(
            days=chooser.uniform(0, WEEKS * 7), minutes=chooser.randrange(0, 600)
        )
        level = chooser.choice(["clear", "green", "green", "green", "amber", "amber", "red"])
        report: dict[str, Any] = {
            "title": title,
            "description": f"Demo incident {number + 1}: {title.lower()}.",
            "category": category,
            "determination": "confirmed",
            "investigation_status": chooser.choice(["new", "open", "closed"]),
            "first_seen": moment - timedelta(hours=chooser.randrange(1, 48)),
            "tlp": level,
            "collection": collection,
            "recipients": ["National Police"] if level == "red" else [],
            "unattributed": number % 7 == 3,
            "indicators": [
                {"type": kind, "value": _value(kind, chooser), "role": role}
                for _ in range(chooser.randrange(1, 4))
            ],
        }
        _post(session, secret_key, viewer, collection, report, moment)
    return COUNT


def _post(
    session: Session,
    secret_key: str,
    viewer: Viewer,
    collection: str,
    report: dict[str, Any],
    moment: datetime,
) -> None:
    reporter = reporter_of(session, viewer, report)
    objects = build_report(report, reporter, secret_key, unattributed=report["unattributed"])
    stamp = stix_time(moment)
    for obj in objects:
        if obj["type"] != "identity" and "created" in obj:
            obj["created"] = obj["modified"] = stamp
        if obj["type"] == "indicator":
            obj["valid_from"] = stamp
    access = collection_for(session, viewer, "hub", collection)
    store(session, viewer, access, objects, unattributed=report["unattributed"])


def _value(kind: str, chooser: random.Random) -> str:
    if kind == "ipv4-addr":
        return chooser.choice(ADDRESSES) + str(chooser.randrange(2, 254))
    if kind == "domain-name":
        label = chooser.choice(["upd", "cdn", "login", "track"])
        return f"{label}-{chooser.randrange(100, 999)}.example.net"
    if kind == "url":
        return f"https://secure-{chooser.randrange(100, 999)}.example.com/login.php"
    if kind == "email-addr":
        return f"recover{chooser.randrange(10, 99)}@example.org"
    return "".join(chooser.choice("0123456789abcdef") for _ in range(64))
