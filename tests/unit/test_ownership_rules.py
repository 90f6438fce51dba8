"""Pure rules: who versions an object, whom a post names as creator, reserved TLP ids."""

from __future__ import annotations

import copy
import uuid

import pytest

from federation.domain.ownership import Holder, authorship_error, may_version, not_creator_message
from federation.domain.tlp import MARKING_IDS
from federation.stix.markings import (
    STANDARD_TLP_DEFINITIONS,
    TLP2_EXTENSION,
    check_reserved_marking,
    is_standard_tlp,
)
from federation.stix.validate import InvalidObjectError, validate_object

ORG_A = Holder(organisation_id=1, source_peer=None)


def test_only_the_creator_or_its_peer_link_may_version_an_object() -> None:
    assert may_version(ORG_A, ORG_A)
    assert not may_version(Holder(2, None), ORG_A)
    # The same organisation through a peer link is another creator, and back.
    assert not may_version(Holder(1, "hub-b"), ORG_A)
    assert may_version(Holder(1, "hub-b"), Holder(1, "hub-b"))
    assert not may_version(Holder(1, "hub-c"), Holder(1, "hub-b"))


def test_the_refusal_names_the_id_and_nothing_about_the_creator() -> None:
    message = not_creator_message("incident--1")
    assert message.startswith("incident--1 ")
    assert "already held" not in message


def test_a_post_may_name_only_its_poster_as_creator() -> None:
    mine, theirs = "identity--mine", "identity--theirs"
    assert authorship_error({"id": "x"}, [mine]) is None
    assert authorship_error({"created_by_ref": mine}, [mine]) is None
    problem = authorship_error({"created_by_ref": theirs}, [mine])
    assert problem is not None
    assert "created_by_ref" in problem


def test_the_reserved_ids_are_the_nine_standard_tlp_markings() -> None:
    assert set(STANDARD_TLP_DEFINITIONS) == set(MARKING_IDS)
    for definition in STANDARD_TLP_DEFINITIONS.values():
        validate_object(dict(definition))


@pytest.mark.parametrize("marking_id", sorted(STANDARD_TLP_DEFINITIONS))
def test_a_standard_tlp_definition_is_accepted_as_published(marking_id: str) -> None:
    standard = copy.deepcopy(dict(STANDARD_TLP_DEFINITIONS[marking_id]))
    check_reserved_marking(standard)
    # Another spelling of the same instant is the same definition.
    standard["created"] = standard["created"].replace(".000Z", "Z")
    assert is_standard_tlp(standard)


@pytest.mark.parametrize("marking_id", sorted(STANDARD_TLP_DEFINITIONS))
def test_anything_else_under_a_standard_tlp_id_is_refused(marking_id: str) -> None:
    renamed = {**STANDARD_TLP_DEFINITIONS[marking_id], "name": "TLP:CLEAR (really)"}
    extra = {**STANDARD_TLP_DEFINITIONS[marking_id], "description": "added"}
    for counterfeit in (renamed, extra):
        with pytest.raises(InvalidObjectError, match="reserved"):
            check_reserved_marking(counterfeit)


def test_tlp_under_another_id_is_refused_but_statements_are_not() -> None:
    other = f"marking-definition--{uuid.uuid4()}"
    tlp1 = {"type": "marking-definition", "id": other, "definition_type": "tlp"}
    tlp2 = {"type": "marking-definition", "id": other, "extensions": {TLP2_EXTENSION: {}}}
    for claim in (tlp1, tlp2):
        with pytest.raises(InvalidObjectError, match="standard TLP id"):
            check_reserved_marking(claim)
    statement = {"type": "marking-definition", "id": other, "definition_type": "statement"}
    check_reserved_marking(statement)
    check_reserved_marking({"type": "indicator", "id": f"indicator--{uuid.uuid4()}"})
