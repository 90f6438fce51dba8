"""How stored versions are shown to a viewer: pseudonyms for unattributed posts.

Readers outside the posting organisation see an unattributed object with every
reference to the poster's identity replaced by a pseudonymous identity id. The
pseudonym is derived from the object id under the hub's secret, so versions of
one object agree while two reports of one organisation cannot be linked
(DESIGN.md invariant 6).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain.visibility import Viewer
from federation.storage.models import ObjectVersion, Organisation


def present(
    session: Session, viewer: Viewer, rows: Sequence[ObjectVersion], secret_key: str
) -> list[dict[str, Any]]:
    """The documents of ``rows`` as ``viewer`` may see them, in order."""
    foreign = {
        row.owner_organisation_id
        for row in rows
        if row.unattributed
        and row.owner_organisation_id is not None
        and row.owner_organisation_id != viewer.organisation_id
    }
    if not foreign:
        return [row.document for row in rows]
    stmt = select(Organisation.id, Organisation.identity_id).where(
        Organisation.id.in_(sorted(foreign))
    )
    identities = {org_id: identity for org_id, identity in session.execute(stmt)}
    documents = []
    for row in rows:
        owner = row.owner_organisation_id
        if row.unattributed and owner in identities:
            documents.append(_pseudonymise(row.document, identities[owner], secret_key))
        else:
            documents.append(row.document)
    return documents


def pseudonym(secret_key: str, stix_id: str) -> str:
    """The pseudonymous identity id shown as the creator of ``stix_id``."""
    digest = hmac.new(secret_key.encode(), f"pseudonym:{stix_id}".encode(), hashlib.sha256)
    return f"identity--{uuid.UUID(bytes=digest.digest()[:16], version=4)}"


def _pseudonymise(document: dict[str, Any], org_identity: str, secret_key: str) -> dict[str, Any]:
    real = {org_identity}
    creator = document.get("created_by_ref")
    if isinstance(creator, str):
        real.add(creator)
    alias = pseudonym(secret_key, str(document.get("id", "")))
    replaced = _replace(document, real, alias)
    assert isinstance(replaced, dict)
    return replaced


def _replace(value: Any, real: set[str], alias: str) -> Any:
    if isinstance(value, str):
        return alias if value in real else value
    if isinstance(value, list):
        return [_replace(item, real, alias) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, real, alias) for key, item in value.items()}
    return value
