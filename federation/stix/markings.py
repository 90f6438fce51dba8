"""The standard TLP marking definitions, reserved for the hub (DESIGN.md invariant 9).

The four TLP 1.0 definitions are predefined by STIX 2.1 (section 7.2.1.4) and
the five TLP 2.0 ones are published by OASIS with the TLP 2.0 extension
(cti-stix-common-objects, extension-definition--60a3c5c5-...). A posted object
under one of their ids must be the standard definition; a marking-definition
under any other id that says it is TLP is refused, since the hub would treat
objects marked with it as unmarked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from federation.stix.properties import InvalidObjectError
from federation.stix.timestamps import parse_timestamp

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

_TLP1_CREATED = "2017-01-20T00:00:00.000Z"
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"


def _tlp1(marking_id: str, level: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": _TLP1_CREATED,
        "definition_type": "tlp",
        "name": f"TLP:{level.upper()}",
        "definition": {"tlp": level},
    }


def _tlp2(marking_id: str, level: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": _TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level},
        },
    }


STANDARD_TLP_DEFINITIONS: Mapping[str, Mapping[str, Any]] = {
    d["id"]: d
    for d in (
        _tlp1("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
        _tlp1("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
        _tlp1("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
        _tlp1("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
        _tlp2("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
        _tlp2("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
        _tlp2("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
        _tlp2("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
        _tlp2("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
    )
}


def is_standard_tlp(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is one of the standard TLP definitions, exactly."""
    standard = STANDARD_TLP_DEFINITIONS.get(str(document.get("id")))
    if standard is None or set(document) != set(standard):
        return False
    for key, value in standard.items():
        if key == "created":
            # Any RFC 3339 spelling of the same instant is the same definition.
            if not _same_instant(document.get(key), value):
                return False
        elif document.get(key) != value:
            return False
    return True


def check_reserved_marking(document: Mapping[str, Any]) -> None:
    """Refuse a counterfeit of a standard TLP definition, or TLP under another id."""
    stix_id = str(document.get("id"))
    if stix_id in STANDARD_TLP_DEFINITIONS:
        if not is_standard_tlp(document):
            raise InvalidObjectError(
                f"{stix_id} is a standard TLP marking definition reserved by the hub: "
                "only the standard definition may be posted under it"
            )
        return
    if document.get("type") != "marking-definition":
        return
    extensions = document.get("extensions")
    claims_tlp2 = isinstance(extensions, dict) and TLP2_EXTENSION in extensions
    if document.get("definition_type") == "tlp" or claims_tlp2:
        raise InvalidObjectError(
            "a TLP marking definition must use a standard TLP id: the hub does not "
            "accept TLP under other ids"
        )


def _same_instant(posted: Any, standard: str) -> bool:
    if not isinstance(posted, str):
        return False
    try:
        return parse_timestamp(posted) == parse_timestamp(standard)
    except ValueError:
        return False
