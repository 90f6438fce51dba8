"""A REST incident write and its audit event commit together (DESIGN.md invariant 8)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from federation.storage.database import Database
from federation.storage.models import AuditEvent, IncidentVersion, ObjectVersion
from tests.api.incident_helpers import post_incident, report
from tests.conftest import Factory


class AuditFailure:
    """Makes every audit insert fail while on, as a full disk or a lost connection would."""

    def __init__(self) -> None:
        self.on = False
        event.listen(AuditEvent, "before_insert", self._refuse)

    def _refuse(self, *_args: object) -> None:
        if self.on:
            raise RuntimeError("the audit log cannot be written")

    def close(self) -> None:
        event.remove(AuditEvent, "before_insert", self._refuse)


@pytest.fixture
def audit_failure() -> Iterator[AuditFailure]:
    failure = AuditFailure()
    yield failure
    failure.close()


def _stored(db: Database) -> tuple[int, int, list[str]]:
    with db.session() as session:
        versions = session.scalar(select(func.count()).select_from(ObjectVersion)) or 0
        incidents = session.scalar(select(func.count()).select_from(IncidentVersion)) or 0
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    return int(versions), int(incidents), actions


def test_a_report_whose_audit_event_fails_stores_nothing(
    client: FlaskClient, db: Database, factory: Factory, audit_failure: AuditFailure
) -> None:
    audit_failure.on = True
    isp = factory.member("Example ISP")
    collection = factory.collection()
    response = client.post("/api/v1/incidents", json=report(collection), headers=isp.auth)
    assert response.status_code == 500
    assert _stored(db) == (0, 0, [])


def test_a_report_is_audited_in_its_own_transaction_with_what_it_stored(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    versions, incidents, actions = _stored(db)
    assert incidents == 1
    assert actions == ["api.create_incident"]
    with db.session() as session:
        [audited] = session.scalars(select(AuditEvent))
    assert audited.detail == created["id"]
    assert audited.object_count == versions


def test_a_note_whose_audit_event_fails_adds_nothing(
    client: FlaskClient, db: Database, factory: Factory, audit_failure: AuditFailure
) -> None:
    isp = factory.member("Example ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    before = _stored(db)
    audit_failure.on = True
    response = client.post(
        f"/api/v1/incidents/{created['id']}/notes", json={"content": "seen"}, headers=isp.auth
    )
    assert response.status_code == 500
    assert _stored(db) == before
