"""Storing a report's objects: validated once, by ingest, and all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from federation.domain.errors import UnprocessableError
from federation.services.access.accounts import authenticate
from federation.services.access.collections import access_for, find_collection
from federation.services.incidents.reports import store
from federation.storage.database import Database
from federation.storage.models import ObjectVersion, Status
from tests.conftest import Factory
from tests.helpers import indicator


def test_one_invalid_object_stores_none_and_names_the_indicators(
    db: Database, factory: Factory
) -> None:
    member = factory.member("Example ISP")
    collection_id = factory.collection()
    valid = indicator()
    broken = indicator(pattern="[ipv4-addr:value = '198.51.100.7'")
    with db.session() as session:
        viewer = authenticate(session, "test-secret-key", member.token)
        access = access_for(viewer, find_collection(session, collection_id))
        with pytest.raises(UnprocessableError) as refused:
            store(session, viewer, access, [valid, broken], unattributed=False)
        assert set(refused.value.details) == {"indicators"}
        assert session.scalar(select(func.count()).select_from(ObjectVersion)) == 0
        assert session.scalar(select(func.count()).select_from(Status)) == 0
        store(session, viewer, access, [valid], unattributed=False)
        assert session.scalar(select(func.count()).select_from(ObjectVersion)) == 1
