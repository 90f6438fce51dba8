"""validate_object: what a STIX 2.1 object must look like for the hub to accept it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from stix2patterns.validator import run_validator

from federation.stix.patterns import MAX_PATTERN_LENGTH, stix_pattern_problem
from federation.stix.validate import InvalidObjectError, ValidatedObject, validate_object

Obj = dict[str, Any]

T0 = "2024-01-01T00:00:00.000Z"
T1 = "2024-02-01T00:00:00.000Z"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


# -- builders ------------------------------------------------------------------


def ident(type_: str) -> str:
    return f"{type_}--{uuid.uuid4()}"


def sdo(type_: str, **props: Any) -> Obj:
    """A versioned object (SDO, SRO, ...) with the common required properties."""
    return {
        "type": type_,
        "spec_version": "2.1",
        "id": ident(type_),
        "created": T0,
        "modified": T0,
        **props,
    }


def sco(type_: str, **props: Any) -> Obj:
    """A cyber-observable with only what every SCO needs."""
    return {"type": type_, "id": ident(type_), **props}


def refs() -> list[str]:
    return [ident("indicator"), ident("malware")]


def indicator(**props: Any) -> Obj:
    base = sdo(
        "indicator",
        pattern="[ipv4-addr:value = '198.51.100.1']",
        pattern_type="stix",
        valid_from=T0,
    )
    return {**base, **props}


def marking(**props: Any) -> Obj:
    base = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": ident("marking-definition"),
        "created": T0,
        "definition_type": "statement",
        "definition": {"statement": "(c) Us"},
    }
    return {**base, **props}


VALID: dict[str, Callable[[], Obj]] = {
    # SDOs
    "attack-pattern": lambda: sdo("attack-pattern", name="Spearphishing"),
    "campaign": lambda: sdo("campaign", name="Operation Dusk"),
    "course-of-action": lambda: sdo("course-of-action", name="Block port 445"),
    "grouping": lambda: sdo("grouping", context="suspicious-activity", object_refs=refs()),
    "identity": lambda: sdo("identity", name="ACME CERT"),
    "incident": lambda: sdo("incident", name="Ransomware at site B"),
    "indicator": indicator,
    "infrastructure": lambda: sdo("infrastructure", name="C2 cluster"),
    "intrusion-set": lambda: sdo("intrusion-set", name="APT-Example"),
    "location": lambda: sdo("location", region="europe"),
    "malware": lambda: sdo("malware", is_family=False),
    "malware-analysis": lambda: sdo("malware-analysis", product="sandbox", result="malicious"),
    "note": lambda: sdo("note", content="Seen again", object_refs=refs()),
    "observed-data": lambda: sdo(
        "observed-data",
        first_observed=T0,
        last_observed=T1,
        number_observed=3,
        object_refs=[ident("ipv4-addr")],
    ),
    "opinion": lambda: sdo("opinion", opinion="agree", object_refs=refs()),
    "report": lambda: sdo("report", name="Weekly", published=T1, object_refs=refs()),
    "threat-actor": lambda: sdo("threat-actor", name="Evil Corp"),
    "tool": lambda: sdo("tool", name="mimikatz"),
    "vulnerability": lambda: sdo("vulnerability", name="CVE-2021-44228"),
    # SROs
    "relationship": lambda: sdo(
        "relationship",
        relationship_type="indicates",
        source_ref=ident("indicator"),
        target_ref=ident("malware"),
    ),
    "sighting": lambda: sdo("sighting", sighting_of_ref=ident("indicator")),
    # Meta objects
    "marking-definition": marking,
    "language-content": lambda: sdo(
        "language-content", object_ref=ident("report"), contents={"de": {"name": "Wochenbericht"}}
    ),
    "extension-definition": lambda: sdo(
        "extension-definition",
        name="x",
        schema="https://x.test",
        version="1.0",
        extension_types=["property-extension"],
        created_by_ref=ident("identity"),
    ),
    # SCOs
    "artifact": lambda: sco("artifact", payload_bin="aGVsbG8="),
    "autonomous-system": lambda: sco("autonomous-system", number=64496),
    "directory": lambda: sco("directory", path="C:\\Windows"),
    "domain-name": lambda: sco("domain-name", value="example.com"),
    "email-addr": lambda: sco("email-addr", value="a@example.com"),
    "email-message": lambda: sco("email-message", is_multipart=False),
    "file": lambda: sco("file", hashes={"SHA-256": SHA256}),
    "ipv4-addr": lambda: sco("ipv4-addr", value="198.51.100.1"),
    "ipv6-addr": lambda: sco("ipv6-addr", value="2001:db8::1"),
    "mac-addr": lambda: sco("mac-addr", value="00:00:5e:00:53:00"),
    "mutex": lambda: sco("mutex", name="Global\\evil"),
    "network-traffic": lambda: sco("network-traffic", protocols=["tcp"]),
    "process": lambda: sco("process"),
    "software": lambda: sco("software", name="Word"),
    "url": lambda: sco("url", value="https://example.com/x"),
    "user-account": lambda: sco("user-account", user_id="1001"),
    "windows-registry-key": lambda: sco("windows-registry-key"),
    "x509-certificate": lambda: sco("x509-certificate", serial_number="01"),
}

SDO_TYPES = [
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
]
SRO_TYPES = ["relationship", "sighting"]
VERSIONED_TYPES = [*SDO_TYPES, *SRO_TYPES, "language-content", "extension-definition"]
SCO_TYPES = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
]


def without(obj: Obj, *props: str) -> Obj:
    return {k: v for k, v in obj.items() if k not in props}


def rejected(obj: object) -> str:
    """Validate obj, insisting on InvalidObjectError; return its message."""
    with pytest.raises(InvalidObjectError) as caught:
        validate_object(obj)
    return str(caught.value)


# -- valid objects -------------------------------------------------------------


def test_every_stix_type_has_a_valid_example() -> None:
    assert set(VALID) == {
        *SDO_TYPES,
        *SRO_TYPES,
        *SCO_TYPES,
        "marking-definition",
        "language-content",
        "extension-definition",
    }


@pytest.mark.parametrize("type_", sorted(VALID))
def test_valid_object_of_each_type_is_accepted(type_: str) -> None:
    obj = VALID[type_]()
    result = validate_object(obj)
    assert result.type == type_
    assert result.id == obj["id"]
    assert result.spec_version == "2.1"


def test_validated_object_carries_parsed_timestamps_and_the_original_dict() -> None:
    obj = indicator(created="2016-04-06T20:03:48.123Z", modified="2016-05-01T00:00:00.000Z")
    result = validate_object(obj)
    assert isinstance(result, ValidatedObject)
    assert result.created == datetime(2016, 4, 6, 20, 3, 48, 123000, tzinfo=UTC)
    assert result.modified == datetime(2016, 5, 1, tzinfo=UTC)
    assert result.data is obj


def test_validated_object_is_immutable() -> None:
    result = validate_object(indicator())
    with pytest.raises(AttributeError):
        result.id = "x"  # type: ignore[misc]


def test_sco_without_spec_version_is_reported_as_2_1() -> None:
    result = validate_object(sco("ipv4-addr", value="198.51.100.1"))
    assert result.spec_version == "2.1"
    assert result.created is None
    assert result.modified is None


def test_sco_with_spec_version_2_1_is_accepted() -> None:
    assert validate_object(sco("domain-name", value="a.test", spec_version="2.1")).type


def test_sco_with_valid_created_and_modified_reports_them() -> None:
    result = validate_object(sco("url", value="https://a.test", created=T0, modified=T1))
    assert result.created == datetime(2024, 1, 1, tzinfo=UTC)
    assert result.modified == datetime(2024, 2, 1, tzinfo=UTC)


def test_extra_properties_are_allowed() -> None:
    phases = [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]
    assert validate_object(indicator(x_acme_score=7, description="d", kill_chain_phases=phases))


def test_modified_equal_to_created_is_accepted() -> None:
    assert validate_object(indicator(created=T0, modified=T0))


@pytest.mark.parametrize("version", [1, 3, 4, 5, 7])
def test_identifier_may_hold_any_rfc_4122_uuid_version(version: int) -> None:
    uuid_text = f"12345678-1234-{version}234-8234-123456789abc"
    assert validate_object(indicator(id=f"indicator--{uuid_text}"))


def test_identifier_uuid_is_case_insensitive() -> None:
    assert validate_object(indicator(id=f"indicator--{str(uuid.uuid4()).upper()}"))


# -- the object and its type ---------------------------------------------------


@pytest.mark.parametrize("value", [None, [], "indicator", 42, 1.5, True, [{"type": "x"}]])
def test_non_object_is_rejected(value: object) -> None:
    assert "must be a JSON object" in rejected(value)


def test_object_without_type_is_rejected() -> None:
    assert "'type'" in rejected(without(indicator(), "type"))


@pytest.mark.parametrize(
    "type_",
    [
        None,
        7,
        ["indicator"],
        "",
        "ab",
        "Indicator",
        "indicator-",
        "-indicator",
        "x_foo",
        "indi cator",
        "x" * 251,
        "ïndicator",
    ],
)
def test_malformed_type_is_rejected(type_: object) -> None:
    assert "'type'" in rejected({"type": type_, "id": "x"})


def test_unknown_type_without_created_and_modified_is_rejected() -> None:
    assert rejected(sco("foo")) == "unknown STIX type 'foo'"


def test_unknown_type_with_created_and_modified_is_a_custom_object() -> None:
    assert validate_object(sdo("acme-widget")).type == "acme-widget"


def test_unknown_type_treated_as_custom_object_still_needs_spec_version() -> None:
    assert "'spec_version'" in rejected(without(sdo("acme-widget"), "spec_version"))


def test_custom_x_type_needs_only_type_and_id() -> None:
    result = validate_object(sco("x-acme-thing"))
    assert (result.type, result.created, result.modified) == ("x-acme-thing", None, None)


def test_custom_x_type_with_invalid_created_is_rejected() -> None:
    assert "'created'" in rejected(sco("x-acme-thing", created="yesterday"))


def test_custom_x_type_with_modified_before_created_is_rejected() -> None:
    assert "'modified'" in rejected(sco("x-acme-thing", created=T1, modified=T0))


def test_custom_x_type_with_wrong_spec_version_is_rejected() -> None:
    assert "'spec_version'" in rejected(sco("x-acme-thing", spec_version="2.0"))


# -- id ------------------------------------------------------------------------


def test_object_without_id_is_rejected() -> None:
    assert "'id'" in rejected(without(indicator(), "id"))


@pytest.mark.parametrize(
    "bad_id",
    [
        None,
        12,
        # Random UUIDs under fixed ids: xdist workers must collect the same names.
        pytest.param(f"malware--{uuid.uuid4()}", id="prefix-is-not-the-type"),
        pytest.param(f"indicator-{uuid.uuid4()}", id="single-hyphen"),
        pytest.param(f"indicator--{uuid.uuid4().hex}", id="uuid-without-hyphens"),
        pytest.param(f"indicator--{{{uuid.uuid4()}}}", id="uuid-in-braces"),
        pytest.param(f"indicator--urn:uuid:{uuid.uuid4()}", id="urn"),
        "indicator--not-a-uuid",
        "indicator--00000000-0000-0000-0000-000000000000",  # nil UUID: not RFC 4122 variant
        "indicator--12345678-1234-4234-c234-123456789abc",  # Microsoft variant
        pytest.param(f"indicator--{uuid.uuid4()}x", id="trailing-character"),
        pytest.param(f"indicator--{uuid.uuid4()}\n", id="trailing-newline"),
        pytest.param("indicator--" + "a" * 1_000_000, id="huge"),
    ],
)
def test_malformed_id_is_rejected(bad_id: object) -> None:
    assert "'id'" in rejected(indicator(id=bad_id))


# -- spec_version --------------------------------------------------------------


@pytest.mark.parametrize("type_", [*VERSIONED_TYPES, "marking-definition"])
def test_non_sco_without_spec_version_is_rejected(type_: str) -> None:
    message = rejected(without(VALID[type_](), "spec_version"))
    assert message == f"{type_} is missing required property 'spec_version'"


@pytest.mark.parametrize("version", ["2.0", "2.2", 2.1, "", None, ["2.1"]])
def test_spec_version_other_than_2_1_is_rejected(version: object) -> None:
    assert "'spec_version' must be '2.1'" in rejected(indicator(spec_version=version))


@pytest.mark.parametrize("type_", SCO_TYPES)
def test_sco_with_spec_version_other_than_2_1_is_rejected(type_: str) -> None:
    assert "'spec_version' must be '2.1'" in rejected({**VALID[type_](), "spec_version": "2.0"})


# -- created and modified ------------------------------------------------------


@pytest.mark.parametrize("type_", VERSIONED_TYPES)
@pytest.mark.parametrize("prop", ["created", "modified"])
def test_versioned_object_without_created_or_modified_is_rejected(type_: str, prop: str) -> None:
    assert rejected(without(VALID[type_](), prop)) == (
        f"{type_} is missing required property '{prop}'"
    )


@pytest.mark.parametrize("type_", VERSIONED_TYPES)
def test_modified_before_created_is_rejected(type_: str) -> None:
    message = rejected({**VALID[type_](), "created": T1, "modified": T0})
    assert message == f"{type_} 'modified' must be the same as or later than 'created'"


@pytest.mark.parametrize(
    "value", ["2024-01-01", "2024-01-01T00:00:00+00:00", "2024-13-01T00:00:00Z", "", "now"]
)
def test_invalid_created_timestamp_is_rejected(value: str) -> None:
    assert "indicator 'created' is not a valid STIX timestamp" in rejected(indicator(created=value))


@pytest.mark.parametrize("value", [1704067200, None, ["2024-01-01T00:00:00Z"]])
def test_created_timestamp_must_be_a_string(value: object) -> None:
    assert "indicator 'created' must be a timestamp string" in rejected(indicator(created=value))


def test_invalid_sco_created_timestamp_is_rejected() -> None:
    assert "'created'" in rejected(sco("file", name="a", created="2024-13-01T00:00:00Z"))


def test_marking_definition_needs_created_but_not_modified() -> None:
    assert validate_object(marking()).modified is None
    assert "'created'" in rejected(without(marking(), "created"))


# -- common optional properties ------------------------------------------------


def test_created_by_ref_must_be_an_identity() -> None:
    assert validate_object(indicator(created_by_ref=ident("identity")))
    message = rejected(indicator(created_by_ref=ident("malware")))
    assert "indicator 'created_by_ref' must be an identifier of type identity" in message


@pytest.mark.parametrize("value", ["ACME", None, 3, [ident("identity")]])
def test_created_by_ref_must_be_an_identifier(value: object) -> None:
    assert "'created_by_ref' must be a STIX identifier" in rejected(indicator(created_by_ref=value))


@pytest.mark.parametrize("value", ["true", 1, None])
def test_revoked_must_be_boolean(value: object) -> None:
    assert "'revoked' must be true or false" in rejected(indicator(revoked=value))


@pytest.mark.parametrize("value", ["malicious", [1], [None], [["nested"]]])
def test_labels_must_be_a_list_of_strings(value: object) -> None:
    assert "'labels'" in rejected(indicator(labels=value))


@pytest.mark.parametrize("value", [0, 50, 100])
def test_confidence_from_0_to_100_is_accepted(value: int) -> None:
    assert validate_object(indicator(confidence=value))


@pytest.mark.parametrize(
    "value", [-1, 101, 50.0, "50", True, None, pytest.param(10**5000, id="huge-int")]
)
def test_confidence_outside_0_to_100_or_not_an_integer_is_rejected(value: object) -> None:
    assert "'confidence' must be an integer from 0 to 100" in rejected(indicator(confidence=value))


def test_lang_must_be_a_string() -> None:
    assert validate_object(indicator(lang="en"))
    assert "'lang' must be a string" in rejected(indicator(lang=["en"]))


def test_external_references_need_a_source_name() -> None:
    assert validate_object(indicator(external_references=[{"source_name": "cve"}]))
    assert "'external_references'" in rejected(indicator(external_references=[{"url": "x"}]))
    assert "'external_references'" in rejected(indicator(external_references=[{"source_name": 1}]))


@pytest.mark.parametrize("value", [{"source_name": "cve"}, ["cve"], [None], "cve"])
def test_external_references_must_be_a_list_of_objects(value: object) -> None:
    assert "'external_references'" in rejected(indicator(external_references=value))


def test_object_marking_refs_must_refer_to_marking_definitions() -> None:
    assert validate_object(indicator(object_marking_refs=[TLP_GREEN]))
    message = rejected(indicator(object_marking_refs=[TLP_GREEN, ident("identity")]))
    assert "'object_marking_refs' must be an identifier of type marking-definition" in message


@pytest.mark.parametrize("value", [TLP_GREEN, ["TLP:GREEN"], [None]])
def test_object_marking_refs_must_be_a_list_of_identifiers(value: object) -> None:
    assert "'object_marking_refs'" in rejected(indicator(object_marking_refs=value))


def test_granular_markings_must_be_a_list_of_objects() -> None:
    good = [{"selectors": ["pattern"], "marking_ref": TLP_GREEN}]
    assert validate_object(indicator(granular_markings=good))
    assert "'granular_markings'" in rejected(indicator(granular_markings=[TLP_GREEN]))
    assert "'granular_markings'" in rejected(indicator(granular_markings=good[0]))


def test_extensions_must_be_an_object_of_objects() -> None:
    ext = ident("extension-definition")
    assert validate_object(indicator(extensions={ext: {"extension_type": "property-extension"}}))
    assert "'extensions'" in rejected(indicator(extensions=[ext]))
    assert "'extensions'" in rejected(indicator(extensions={ext: "yes"}))


# -- type-specific required properties -------------------------------------------

REQUIRED_PROPERTIES = [
    ("attack-pattern", "name"),
    ("campaign", "name"),
    ("course-of-action", "name"),
    ("grouping", "context"),
    ("grouping", "object_refs"),
    ("identity", "name"),
    ("incident", "name"),
    ("indicator", "pattern"),
    ("indicator", "pattern_type"),
    ("indicator", "valid_from"),
    ("infrastructure", "name"),
    ("intrusion-set", "name"),
    ("malware", "is_family"),
    ("malware-analysis", "product"),
    ("note", "content"),
    ("note", "object_refs"),
    ("observed-data", "first_observed"),
    ("observed-data", "last_observed"),
    ("observed-data", "number_observed"),
    ("observed-data", "object_refs"),
    ("opinion", "opinion"),
    ("opinion", "object_refs"),
    ("report", "name"),
    ("report", "published"),
    ("report", "object_refs"),
    ("threat-actor", "name"),
    ("tool", "name"),
    ("vulnerability", "name"),
    ("relationship", "relationship_type"),
    ("relationship", "source_ref"),
    ("relationship", "target_ref"),
    ("sighting", "sighting_of_ref"),
    ("extension-definition", "name"),
    ("extension-definition", "schema"),
    ("extension-definition", "version"),
    ("extension-definition", "extension_types"),
    ("language-content", "object_ref"),
    ("language-content", "contents"),
    ("marking-definition", "definition"),
    ("autonomous-system", "number"),
    ("directory", "path"),
    ("domain-name", "value"),
    ("email-addr", "value"),
    ("email-message", "is_multipart"),
    ("ipv4-addr", "value"),
    ("ipv6-addr", "value"),
    ("mac-addr", "value"),
    ("mutex", "name"),
    ("network-traffic", "protocols"),
    ("software", "name"),
    ("url", "value"),
]


@pytest.mark.parametrize(("type_", "prop"), REQUIRED_PROPERTIES)
def test_missing_required_property_is_rejected_by_name(type_: str, prop: str) -> None:
    assert rejected(without(VALID[type_](), prop)) == (
        f"{type_} is missing required property '{prop}'"
    )


@pytest.mark.parametrize(("type_", "prop"), REQUIRED_PROPERTIES)
@pytest.mark.parametrize("value", [None, 1.5])
def test_required_property_of_the_wrong_kind_is_rejected_by_name(
    type_: str, prop: str, value: object
) -> None:
    message = rejected({**VALID[type_](), prop: value})
    assert message.startswith(f"{type_} '{prop}' ")


@pytest.mark.parametrize("type_", ["grouping", "note", "opinion", "report", "observed-data"])
def test_object_refs_must_not_be_empty(type_: str) -> None:
    message = rejected({**VALID[type_](), "object_refs": []})
    assert message == f"{type_} 'object_refs' must not be empty"


@pytest.mark.parametrize("type_", ["grouping", "note", "opinion", "report", "observed-data"])
def test_object_refs_must_hold_identifiers(type_: str) -> None:
    message = rejected({**VALID[type_](), "object_refs": [ident("indicator"), "indicator--1"]})
    assert f"{type_} 'object_refs' must be a STIX identifier" in message


# -- indicator -----------------------------------------------------------------


def test_indicator_with_invalid_pattern_is_rejected() -> None:
    message = rejected(indicator(pattern="[ipv4-addr:value = '1.2.3.4'"))
    assert message.startswith("indicator 'pattern' is not a valid STIX pattern: ")


def test_indicator_pattern_without_brackets_is_rejected() -> None:
    assert "'pattern' is not a valid STIX pattern" in rejected(indicator(pattern="1.2.3.4"))


def test_indicator_with_malformed_hash_in_pattern_is_rejected() -> None:
    message = rejected(indicator(pattern="[file:hashes.'SHA-256' = 'abc']"))
    assert "'pattern' is not a valid STIX pattern" in message
    assert "SHA-256" in message


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '198.51.100.1/32'] OR [domain-name:value = 'evil.test']",
        "[file:hashes.'SHA-256' = '" + SHA256 + "' AND file:name = 'a.exe']",
        "[network-traffic:dst_ref.value = '203.0.113.1'] REPEATS 5 TIMES WITHIN 600 SECONDS",
        "[x-acme:value MATCHES '^ab+$']",
        "[url:value = 'it\\'s']",
    ],
)
def test_indicator_with_valid_complex_pattern_is_accepted(pattern: str) -> None:
    assert validate_object(indicator(pattern=pattern))


@pytest.mark.parametrize("pattern", ["", "   "])
def test_indicator_with_empty_pattern_is_rejected(pattern: str) -> None:
    assert rejected(indicator(pattern=pattern)) == "indicator 'pattern' must not be empty"


def test_indicator_with_overlong_pattern_is_rejected_without_parsing() -> None:
    pattern = "[url:value = '" + "a" * MAX_PATTERN_LENGTH + "']"
    assert "'pattern' is longer than" in rejected(indicator(pattern=pattern))


def test_indicator_with_deeply_nested_pattern_is_rejected_not_crashed() -> None:
    pattern = "(" * 2000 + "[url:value = 'a']" + ")" * 2000
    assert "indicator 'pattern'" in rejected(indicator(pattern=pattern))


def test_long_or_chain_of_simple_comparisons_is_accepted() -> None:
    # stix2-patterns itself runs out of stack on chains this long.
    pattern = " OR ".join(f"[ipv4-addr:value = '10.0.{i // 256}.{i % 256}']" for i in range(1200))
    assert validate_object(indicator(pattern=pattern))


def test_non_stix_pattern_is_not_parsed_as_stix() -> None:
    sigma = "title: x\ndetection: {condition: selection}"
    assert validate_object(indicator(pattern=sigma, pattern_type="sigma"))


def test_indicator_valid_until_must_be_after_valid_from() -> None:
    assert validate_object(indicator(valid_from=T0, valid_until=T1))
    for until in (T0, "2023-12-31T23:59:59Z"):
        message = rejected(indicator(valid_from=T0, valid_until=until))
        assert message == "indicator 'valid_until' must be later than 'valid_from'"


def test_indicator_valid_until_must_be_a_timestamp() -> None:
    assert "'valid_until' is not a valid STIX timestamp" in rejected(
        indicator(valid_until="tomorrow")
    )


PATTERNS_FOR_AGREEMENT = [
    "[ipv4-addr:value = '198.51.100.1']",
    "[ipv4-addr:value='198.51.100.1']",
    "[ipv4-addr:value  !=  '198.51.100.0/24']",
    "[ipv6-addr:value = '2001:db8::1']",
    "[domain-name:value = 'ex\u00e4mple.test']",
    "[url:value = '']",
    "[url:value = 'line\nbreak']",
    "[email-addr:value = 'a@b.test']",
    "[file:name = 'a.exe']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    "[file:hashes.SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    "[file:hashes.'SHA-256' = '" + SHA256 + "']",
    "[file:hashes.'SHA-256' = '" + SHA256.upper() + "']",
    "[file:hashes.SHA256 = '" + SHA256 + "']",
    "[file:hashes.'SHA-512' = '" + "ab" * 64 + "']",
    "[file:hashes.'SHA3-256' = '" + SHA256 + "']",
    "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '1.2.3.5']",
    "[ipv4-addr:value = '1.2.3.4' AND url:value = 'x']",
    "[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'a.test']",
    "[ipv4-addr:value = '1.2.3.4'] AND [url:value = 'x'] OR [file:name = 'a' OR file:name = 'b']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR file:hashes.'SHA-256' = '"
    + SHA256
    + "']",
    "[ipv4-addr:value = '1.2.3.4']AND[url:value = 'x']",
    "[ ipv4-addr:value = '1.2.3.4' ]",
    "[ipv4-addr:value = '1'] FOLLOWEDBY [url:value = 'x']",
    # Invalid ones: the fast path must not let any of these through.
    "[file:hashes.'SHA-256' = 'abc']",
    "[file:hashes.'SHA-256' = '" + SHA256[:-1] + "g']",
    "[file:hashes.MD5 = '" + SHA256 + "']",
    "[file:hashes.'sha-256' = 'abc']",
    "[ipv4-addr:value = '1.2.3.4'",
    "ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value == '1.2.3.4']",
    '[ipv4-addr:value = "1.2.3.4"]',
    "[ipv4-addr:value = '1.2.3.4'] AND",
    "[ipv4-addr:value = 'a'b']",
    "[ipv4-addr:value = 'a\\']",
    "[ipv4-addr:value = '1.2.3.4'] [url:value = 'x']",
    "[ipv4-addr:value = 1]",
    "[IPV4-ADDR:value = '1.2.3.4']",
    "[ipv4-addr:Value = '1.2.3.4']",
    "[ipv4-addr:value = '1.2.3.4']]",
    "[[ipv4-addr:value = '1.2.3.4']",
    "[file:name = 'a' OR file:hashes.MD5 = 'abc']",
    "[file:hashes.'SHA-256' = '" + SHA256 + "'] OR [file:hashes.'SHA-1' = '" + SHA256 + "']",
    "[ipv4-addr:value = '1'] or [url:value = 'x']",
    "[ipv4-addr:value = '1' or url:value = 'x']",
    "[ipv4-addr:value = '1'] OR",
    "[ipv4-addr:value = '1'] OR []",
    "[ipv4-addr:value = '1' OR ]",
    "[ipv4-addr:value = '1'] AND OR [url:value = 'x']",
    "[ipv4-addr:value = '1'] [url:value = 'x']",
    "[]",
    "[file:hashes.AND = 'd41d8cd98f00b204e9800998ecf8427e']",
]


@pytest.mark.parametrize("pattern", PATTERNS_FOR_AGREEMENT)
def test_pattern_check_agrees_with_stix2_patterns(pattern: str) -> None:
    assert (stix_pattern_problem(pattern) is None) == (run_validator(pattern, "2.1") == [])


# -- other type-specific rules -------------------------------------------------


def test_malware_family_needs_a_name() -> None:
    family = sdo("malware", is_family=True)
    assert rejected(family) == "malware is missing required property 'name'"
    assert validate_object({**family, "name": "Emotet"})


def test_malware_is_family_must_be_boolean() -> None:
    assert "'is_family' must be true or false" in rejected(sdo("malware", is_family="yes"))


@pytest.mark.parametrize(
    "opinion", ["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"]
)
def test_each_opinion_value_is_accepted(opinion: str) -> None:
    assert validate_object(sdo("opinion", opinion=opinion, object_refs=refs()))


def test_unknown_opinion_value_is_rejected() -> None:
    message = rejected(sdo("opinion", opinion="meh", object_refs=refs()))
    assert message.startswith("opinion 'opinion' must be one of ")


@pytest.mark.parametrize(
    "where", [{"region": "europe"}, {"country": "DE"}, {"latitude": 48.1, "longitude": -11}]
)
def test_location_with_region_country_or_coordinates_is_accepted(where: Obj) -> None:
    assert validate_object(sdo("location", **where))


def test_location_without_region_country_or_coordinates_is_rejected() -> None:
    message = rejected(sdo("location", name="HQ"))
    assert "'region'" in message
    assert "'country'" in message


@pytest.mark.parametrize(
    ("where", "prop"),
    [
        ({"latitude": 10.0}, "longitude"),
        ({"longitude": 10.0}, "latitude"),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": -180.5}, "longitude"),
        ({"latitude": float("nan"), "longitude": 0}, "latitude"),
        ({"latitude": "48.1", "longitude": 0}, "latitude"),
        ({"latitude": True, "longitude": 0}, "latitude"),
        ({"country": 49}, "country"),
    ],
)
def test_location_with_bad_coordinates_is_rejected(where: Obj, prop: str) -> None:
    assert f"location '{prop}'" in rejected(sdo("location", **where))


@pytest.mark.parametrize("count", [0, 1_000_000_000, 2.0, True])
def test_observed_data_number_observed_out_of_range_is_rejected(count: object) -> None:
    obj = {**VALID["observed-data"](), "number_observed": count}
    assert "'number_observed' must be an integer from 1 to 999999999" in rejected(obj)


def test_observed_data_last_observed_before_first_observed_is_rejected() -> None:
    obj = {**VALID["observed-data"](), "first_observed": T1, "last_observed": T0}
    assert "observed-data 'last_observed' must be the same as or later than" in rejected(obj)


def test_observed_data_may_use_deprecated_objects_instead_of_object_refs() -> None:
    obj = without(VALID["observed-data"](), "object_refs")
    assert validate_object({**obj, "objects": {"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}})


def test_sighting_last_seen_before_first_seen_is_rejected() -> None:
    obj = {**VALID["sighting"](), "first_seen": T1, "last_seen": T0}
    assert "sighting 'last_seen'" in rejected(obj)


def test_sighting_where_sighted_refs_must_be_identifiers() -> None:
    obj = {**VALID["sighting"](), "where_sighted_refs": ["ACME"]}
    assert "sighting 'where_sighted_refs'" in rejected(obj)


def test_relationship_refs_must_be_identifiers() -> None:
    obj = {**VALID["relationship"](), "source_ref": "indicator--1234"}
    assert "relationship 'source_ref' must be a STIX identifier" in rejected(obj)


def test_tlp_marking_definition_is_accepted() -> None:
    assert validate_object(marking(definition_type="tlp", definition={"tlp": "green"}))


def test_marking_definition_without_definition_type_uses_extensions() -> None:
    tlp2 = without(marking(), "definition_type", "definition")
    tlp2["extensions"] = {ident("extension-definition"): {"extension_type": "property-extension"}}
    assert validate_object(tlp2)
    message = rejected(without(marking(), "definition_type", "definition"))
    assert message == "marking-definition is missing required property 'extensions'"


def test_marking_definition_with_a_custom_definition_type_is_accepted() -> None:
    # STIX 2.1 section 7.2.1.3 only recommends against types of one's own.
    assert validate_object(marking(definition_type="pap", definition={"pap": "amber"}))
    assert "'definition_type'" in rejected(marking(definition_type=7))


def test_marking_definition_definition_must_be_an_object() -> None:
    assert "'definition' must be an object" in rejected(marking(definition="TLP:GREEN"))


def test_extension_definition_needs_at_least_one_extension_type() -> None:
    obj = {**VALID["extension-definition"](), "extension_types": []}
    assert "'extension_types' must not be empty" in rejected(obj)


# -- SCO-specific rules --------------------------------------------------------


@pytest.mark.parametrize("value", ["198.51.100.1", "198.51.100.0/24", "198.51.100.7/24"])
def test_ipv4_address_or_cidr_is_accepted(value: str) -> None:
    assert validate_object(sco("ipv4-addr", value=value))


@pytest.mark.parametrize(
    "value",
    [
        "2001:db8::1",
        "198.51.100.300",
        "198.51.100.1/33",
        "localhost",
        "",
        pytest.param("1" * 1_000_000, id="huge"),
    ],
)
def test_ipv4_addr_with_non_ipv4_value_is_rejected(value: str) -> None:
    assert "ipv4-addr 'value' is not an IPv4 address" in rejected(sco("ipv4-addr", value=value))


@pytest.mark.parametrize("value", [3325256705, None])
def test_ipv4_addr_value_must_be_a_string(value: object) -> None:
    assert "ipv4-addr 'value' must be a string" in rejected(sco("ipv4-addr", value=value))


@pytest.mark.parametrize("value", ["2001:db8::/32", "::1", "::ffff:198.51.100.1"])
def test_ipv6_address_or_cidr_is_accepted(value: str) -> None:
    assert validate_object(sco("ipv6-addr", value=value))


@pytest.mark.parametrize("value", ["198.51.100.1", "2001:db8::g", "2001:db8::/129"])
def test_ipv6_addr_with_non_ipv6_value_is_rejected(value: str) -> None:
    assert "ipv6-addr 'value' is not an IPv6 address" in rejected(sco("ipv6-addr", value=value))


@pytest.mark.parametrize("number", ["64496", -1, 2**32, True])
def test_autonomous_system_number_must_be_an_integer(number: object) -> None:
    assert "autonomous-system 'number'" in rejected(sco("autonomous-system", number=number))


def test_file_needs_hashes_or_name() -> None:
    assert validate_object(sco("file", name="a.exe"))
    assert rejected(sco("file", size=3)) == "file needs at least one of 'hashes' or 'name'"
    assert "file 'hashes' must be an object" in rejected(sco("file", hashes=[SHA256]))


def test_artifact_needs_payload_bin_or_url() -> None:
    md5 = "3773a88f65a5e780c8dff9cdc3a056f3"
    assert validate_object(sco("artifact", url="https://a.test/x", hashes={"MD5": md5}))
    assert rejected(sco("artifact", mime_type="text/plain")) == (
        "artifact needs one of 'payload_bin' or 'url'"
    )


@pytest.mark.parametrize("type_", ["user-account", "x509-certificate"])
def test_sco_that_needs_a_property_of_its_own_is_rejected_when_bare(type_: str) -> None:
    bare = sco(type_, spec_version="2.1", object_marking_refs=[TLP_GREEN])
    assert rejected(bare) == f"{type_} needs at least one property of its own"


@pytest.mark.parametrize("protocols", ["tcp", [6], None])
def test_network_traffic_protocols_must_be_a_list_of_strings(protocols: object) -> None:
    assert "network-traffic 'protocols'" in rejected(sco("network-traffic", protocols=protocols))


# -- hostile input -------------------------------------------------------------

HUGE = "A" * 1_000_000


def deeply_nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES: list[object] = [
    None,
    HUGE,
    "",
    0,
    -1,
    10**5000,
    1e308,
    float("nan"),
    float("inf"),
    True,
    [],
    {},
    deeply_nested(100_000),
    {"nested": deeply_nested(1000)},
    [HUGE],
    {HUGE: HUGE},
    "\x00\n\r\u202e",
]


@pytest.mark.parametrize("type_", sorted(VALID))
def test_hostile_value_in_any_property_raises_only_invalid_object_error(type_: str) -> None:
    valid = VALID[type_]()
    for prop in [*valid, "labels", "confidence", "extensions", "created_by_ref"]:
        for value in HOSTILE_VALUES:
            try:
                validate_object({**valid, prop: value})
            except InvalidObjectError as exc:
                message = str(exc)
                assert "A" * 101 not in message
                assert len(message) < 400
            # Some hostile values are legal for some properties (e.g. "" for a name).


@pytest.mark.parametrize(
    "obj",
    [
        {"type": HUGE},
        {"type": "indicator", "id": "indicator--" + HUGE},
        {"type": "x-" + "a" * 248, "id": HUGE},
        {"type": "a" * 250, "id": "b", "created": T0, "modified": T0},
        indicator(spec_version=HUGE),
        indicator(created=HUGE),
        indicator(pattern="[url:value = '" + "A" * 30_000 + "'"),
        indicator(pattern=HUGE),
        indicator(pattern="[" + "A" * 500 + "]"),
        indicator(created_by_ref=HUGE),
        sco("ipv4-addr", value=HUGE),
        marking(definition_type=HUGE, definition=HUGE),
        sdo("opinion", opinion=HUGE, object_refs=refs()),
    ],
)
def test_error_messages_quote_at_most_100_characters_of_input(obj: Obj) -> None:
    message = rejected(obj)
    assert "A" * 101 not in message
    assert "a" * 101 not in message
    assert len(message) < 400


def test_control_characters_are_escaped_in_messages() -> None:
    message = rejected(indicator(id="indicator--\n\x1b[31mred"))
    assert "\n" not in message
    assert "\x1b" not in message


def test_huge_integer_is_not_converted_to_text() -> None:
    # str() of an int this large raises ValueError in Python 3.11.
    assert "a very large number" in rejected(indicator(confidence=10**5000))
