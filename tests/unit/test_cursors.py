"""The one keyset cursor codec, with an id: the REST incident list's ``cursor``.

(The un-keyed cursor, TAXII's ``next``, is specified in ``test_filters.py``.)
Moved from ``test_incidents_domain.py`` with the codec; a cursor this server
did not hand out is now a :class:`CursorError` (400) instead of None.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.domain.cursors import (
    CursorError,
    decode_cursor,
    decode_keyed_cursor,
    encode_cursor,
)
from federation.domain.errors import BadRequestError
from federation.domain.incidents import is_incident_id

CREATED = datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)
STIX_ID = "incident--7b1e9a3c-4c1f-4f8e-9a55-0d1f2e3a4b5c"


def test_cursor_round_trips_and_refuses_anything_it_did_not_hand_out() -> None:
    cursor = encode_cursor(CREATED, STIX_ID)
    assert decode_keyed_cursor(cursor, "cursor", is_incident_id) == (CREATED, STIX_ID)
    for tampered in (
        cursor + "A",
        "not-a-cursor",
        encode_cursor(CREATED, "incident--\x00"),
        "x" * 600,
    ):
        with pytest.raises(CursorError, match="'cursor' parameter is not a value this server"):
            decode_keyed_cursor(tampered, "cursor", is_incident_id)


def test_a_cursor_error_is_a_bad_request_naming_its_parameter() -> None:
    with pytest.raises(BadRequestError) as raised:
        decode_keyed_cursor("nope", "cursor", is_incident_id)
    assert raised.value.status == 400
    assert set(raised.value.details) == {"cursor"}


def test_a_cursor_of_one_list_is_refused_by_the_other() -> None:
    # TAXII's cursor has no id; the incident list's has one: neither passes for the other.
    with pytest.raises(CursorError):
        decode_keyed_cursor(encode_cursor(CREATED), "cursor", is_incident_id)
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor(CREATED, STIX_ID))
