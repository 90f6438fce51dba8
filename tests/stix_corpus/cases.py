"""A corpus of STIX 2.1 objects, valid and invalid, for the differential tier.

Built for this project after the kinds of cases stix2-validator's own test
suite exercises (oasis-open/cti-stix-validator, ``stix2validator/test/v21``):
a well-formed object of each type, then one broken rule at a time. Each case
says whether the object is valid STIX 2.1 at MUST level; the differential test
holds the hub's validator and stix2-validator to that answer.

``DELIBERATE`` lists the few objects the hub refuses although stix2-validator
accepts them, each with the rule of the specification the validator does not
check; they are tested to stay refused.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

T0 = "2016-04-06T20:03:48.000Z"
T1 = "2016-05-07T11:22:30.000Z"
MD5 = "3773a88f65a5e780c8dff9cdc3a056f3"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
STATEMENT = "marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"

_serial = itertools.count(1)


def ident(type_: str) -> str:
    """A fresh, deterministic identifier with a version 4 UUID."""
    return f"{type_}--00000000-0000-4000-8000-{next(_serial):012x}"


@dataclass(frozen=True)
class Case:
    name: str
    obj: Obj
    valid: bool


def sdo(type_: str, **props: Any) -> Obj:
    return {
        "type": type_,
        "spec_version": "2.1",
        "id": ident(type_),
        "created": T0,
        "modified": T0,
        **props,
    }


def sco(type_: str, **props: Any) -> Obj:
    return {"type": type_, "spec_version": "2.1", "id": ident(type_), **props}


BASES: dict[str, Callable[[], Obj]] = {
    "attack-pattern": lambda: sdo("attack-pattern", name="Spear Phishing"),
    "campaign": lambda: sdo("campaign", name="Green Group Attacks Against Finance"),
    "course-of-action": lambda: sdo("course-of-action", name="Add TCP port 80 Filter Rule"),
    "grouping": lambda: sdo(
        "grouping", context="suspicious-activity", object_refs=[ident("indicator")]
    ),
    "identity": lambda: sdo("identity", name="John Smith", identity_class="individual"),
    "incident": lambda: sdo("incident", name="Incident 43"),
    "indicator": lambda: sdo(
        "indicator",
        name="Poison Ivy Malware",
        pattern="[file:hashes.'SHA-256' = '" + SHA256 + "']",
        pattern_type="stix",
        valid_from=T0,
    ),
    "infrastructure": lambda: sdo("infrastructure", name="Poison Ivy C2"),
    "intrusion-set": lambda: sdo("intrusion-set", name="Bobcat Breakin"),
    "location": lambda: sdo("location", region="south-eastern-asia"),
    "malware": lambda: sdo("malware", name="Cryptolocker", is_family=True),
    "malware-analysis": lambda: sdo("malware-analysis", product="microsoft", result="malicious"),
    "note": lambda: sdo("note", content="Too many mistakes", object_refs=[ident("campaign")]),
    "observed-data": lambda: sdo(
        "observed-data",
        first_observed=T0,
        last_observed=T1,
        number_observed=50,
        object_refs=[ident("ipv4-addr")],
    ),
    "opinion": lambda: sdo("opinion", opinion="strongly-disagree", object_refs=[ident("report")]),
    "report": lambda: sdo(
        "report",
        name="The Black Vine Cyberespionage Group",
        published=T1,
        object_refs=[ident("indicator")],
    ),
    "threat-actor": lambda: sdo("threat-actor", name="Evil Org"),
    "tool": lambda: sdo("tool", name="VNC"),
    "vulnerability": lambda: sdo("vulnerability", name="CVE-2016-1234"),
    "relationship": lambda: sdo(
        "relationship",
        relationship_type="indicates",
        source_ref=ident("indicator"),
        target_ref=ident("malware"),
    ),
    "sighting": lambda: sdo("sighting", sighting_of_ref=ident("indicator")),
    "marking-definition": lambda: {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": STATEMENT,
        "created": T0,
        "definition_type": "statement",
        "definition": {"statement": "Copyright 2019, Example Corp"},
    },
    "language-content": lambda: sdo(
        "language-content",
        object_ref=ident("campaign"),
        object_modified=T0,
        contents={"de": {"name": "Bank Angriff 1"}},
    ),
    "artifact": lambda: sco("artifact", mime_type="image/jpeg", payload_bin="aGVsbG8gd29ybGQ="),
    "autonomous-system": lambda: sco("autonomous-system", number=15139, name="Slime Industries"),
    "directory": lambda: sco("directory", path="C:\\Windows\\System32"),
    "domain-name": lambda: sco("domain-name", value="example.com"),
    "email-addr": lambda: sco("email-addr", value="john@example.com"),
    "email-message": lambda: sco("email-message", is_multipart=False, subject="Hi"),
    "file": lambda: sco("file", name="foo.exe", hashes={"SHA-256": SHA256}),
    "ipv4-addr": lambda: sco("ipv4-addr", value="198.51.100.3"),
    "ipv6-addr": lambda: sco("ipv6-addr", value="2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    "mac-addr": lambda: sco("mac-addr", value="d2:fb:49:24:37:18"),
    "mutex": lambda: sco("mutex", name="__CLEANSWEEP__"),
    "network-traffic": lambda: sco(
        "network-traffic", protocols=["ipv4", "tcp"], src_ref=ident("ipv4-addr")
    ),
    "process": lambda: sco("process", pid=1221, command_line="./gedit-bin --new-window"),
    "software": lambda: sco("software", name="Word", vendor="Microsoft", version="2002"),
    "url": lambda: sco("url", value="https://example.com/research/index.html"),
    "user-account": lambda: sco("user-account", user_id="1001", account_login="jdoe"),
    "windows-registry-key": lambda: sco(
        "windows-registry-key", key="hkey_local_machine\\system\\bar\\foo"
    ),
    "x509-certificate": lambda: sco("x509-certificate", serial_number="36:f7:d4:32:f4:ab:70:ea"),
    "x-foo-bar": lambda: sdo("x-foo-bar", property1="something"),
}


def with_(type_: str, **changes: Any) -> Obj:
    """The base object of ``type_`` with ``changes`` (a value of ``None`` removes a key)."""
    obj = copy.deepcopy(BASES[type_]())
    for key, value in changes.items():
        if value is _REMOVE:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


_REMOVE = object()


def _cases() -> Iterator[Case]:
    for type_, build in BASES.items():
        yield Case(f"well-formed {type_}", build(), True)

    # -- IP addresses (ip_addr_tests) -------------------------------------------
    for value in ("192.168.0.1", "192.168.0.1/0", "192.168.0.1/5", "192.168.0.1/32"):
        yield Case(f"ipv4 {value}", with_("ipv4-addr", value=value), True)
    for value in (
        "foo",
        "999.999.999.999",
        "192.168.0.1/",
        "192.168.0.1/33",
        "192.168.0.1/a",
        "192.168.0.1/01",
        "2001:db8::1",
    ):
        yield Case(f"ipv4 {value}", with_("ipv4-addr", value=value), False)
    v6 = "fe80:0000:0000:0000:0204:61ff:fe9d:f156"
    for value in (v6, f"{v6}/0", f"{v6}/6", f"{v6}/128", "2001:db8::1"):
        yield Case(f"ipv6 {value}", with_("ipv6-addr", value=value), True)
    for value in ("foo", f"{v6}/", f"{v6}/129", f"{v6}/a", f"{v6}/00", f"{v6}/03", "198.51.100.3"):
        yield Case(f"ipv6 {value}", with_("ipv6-addr", value=value), False)

    # -- MIME types (artifact_mime_type, file mime_type) ------------------------------
    for value in ("application/zip", "text/plain", "image/png", "application/vnd.ms-excel"):
        yield Case(f"artifact mime_type {value}", with_("artifact", mime_type=value), True)
    for value in ("bla", "application", "foo/bar", "/plain", "text plain", ""):
        yield Case(f"artifact mime_type {value!r}", with_("artifact", mime_type=value), False)
    yield Case("file mime_type text/plain", with_("file", mime_type="text/plain"), True)

    # -- hashes (hashes-type) ------------------------------------------------------------
    for name, hashes in (
        ("MD5", {"MD5": MD5}),
        ("SHA-256 upper-case hex", {"SHA-256": SHA256.upper()}),
        ("SHA-1", {"SHA-1": "a" * 40}),
        ("SHA-512", {"SHA-512": "b" * 128}),
        ("SHA3-256", {"SHA3-256": "c" * 64}),
        ("SSDEEP", {"SSDEEP": "96:ROPe0F5EtUl2C5aYuTP5xNI3BcMQqu9:CPx5E"}),
        ("custom name", {"x_foo_hash": "anything"}),
        ("two", {"MD5": MD5, "SHA-256": SHA256}),
    ):
        yield Case(f"file hashes {name}", with_("file", hashes=hashes), True)
    for name, hashes in (
        ("MD5 too short", {"MD5": MD5[:-1]}),
        ("MD5 not hex", {"MD5": "z" * 32}),
        ("SHA-256 too long", {"SHA-256": SHA256 + "0"}),
        ("SHA-1 not hex", {"SHA-1": "g" * 40}),
        ("TLSH wrong length", {"TLSH": "a" * 10}),
        ("name too short", {"ab": MD5}),
        ("name with a space", {"SHA 256": SHA256}),
        ("empty", {}),
        ("value not a string", {"MD5": 5}),
    ):
        yield Case(f"file hashes {name}", with_("file", hashes=hashes), False)
    yield Case("x509 hashes MD5 wrong", with_("x509-certificate", hashes={"MD5": "00"}), False)
    yield Case(
        "artifact with url and bad hash",
        with_("artifact", payload_bin=_REMOVE, url="https://x.example/a", hashes={"MD5": "1"}),
        False,
    )
    yield Case(
        "external reference hash wrong",
        with_(
            "malware",
            external_references=[{"source_name": "x", "url": "https://x", "hashes": {"MD5": "1"}}],
        ),
        False,
    )

    # -- binary and hex (binary.json, hex.json) ----------------------------------------
    for value in ("aGVsbG8=", "aGVsbA==", "aGVs", "VBORw0KGgoAAAANSUhE"[:16]):
        yield Case(f"payload_bin {value}", with_("artifact", payload_bin=value), True)
    for value in ("not base64!", "aGVsbG8", "aGVsbG8===", "a", "====", "aGVs bG8="):
        yield Case(f"payload_bin {value!r}", with_("artifact", payload_bin=value), False)
    yield Case("custom _bin property", with_("file", x_acme_data_bin="aGVsbG8="), True)
    yield Case("custom _bin not base64", with_("file", x_acme_data_bin="%%%"), False)
    yield Case("custom _hex property", with_("file", x_acme_magic_hex="ffd8"), True)
    yield Case("custom _hex odd length", with_("file", x_acme_magic_hex="ffd"), False)
    yield Case("custom _hex not hex", with_("file", x_acme_magic_hex="zz"), False)
    yield Case("file magic_number_hex", with_("file", magic_number_hex="FFD8"), True)
    yield Case("file magic_number_hex bad", with_("file", magic_number_hex="FFD8X"), False)

    # -- CPE (cpe_check) ---------------------------------------------------------------
    for value in (
        "cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
        "cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:x64:*",
        "cpe:2.3:a:example:the\\!tool:1.0:*:*:*:*:*:*:*",
    ):
        yield Case(f"software cpe {value}", with_("software", cpe=value), True)
    for value in (
        "cpe:/a:microsoft:word:2000",
        "cpe:2.3:a:microsoft:word",
        "cpe:2.3:x:microsoft:word:2000:*:*:*:*:*:*:*",
        "microsoft word",
        "",
    ):
        yield Case(f"software cpe {value!r}", with_("software", cpe=value), False)

    # -- timestamps: optional ones and their order (timestamp, timestamp_compare) ---------
    for type_ in (
        "campaign",
        "intrusion-set",
        "threat-actor",
        "infrastructure",
        "malware",
        "sighting",
    ):
        yield Case(f"{type_} first/last seen", with_(type_, first_seen=T0, last_seen=T1), True)
        yield Case(f"{type_} seen once", with_(type_, first_seen=T0, last_seen=T0), True)
        yield Case(
            f"{type_} last_seen before first_seen",
            with_(type_, first_seen=T1, last_seen=T0),
            False,
        )
        yield Case(
            f"{type_} first_seen bad", with_(type_, first_seen="2016-13-01T00:00:00Z"), False
        )
        yield Case(f"{type_} last_seen bad", with_(type_, last_seen="yesterday"), False)
    yield Case("relationship start/stop", with_("relationship", start_time=T0, stop_time=T1), True)
    yield Case(
        "relationship stop equal to start",
        with_("relationship", start_time=T0, stop_time=T0),
        False,
    )
    yield Case(
        "relationship stop before start",
        with_("relationship", start_time=T1, stop_time=T0),
        False,
    )
    yield Case("relationship start_time bad", with_("relationship", start_time="2016"), False)
    yield Case("relationship stop_time bad", with_("relationship", stop_time="T0"), False)
    yield Case("indicator valid_until equal", with_("indicator", valid_until=T0), False)
    yield Case("indicator valid_until later", with_("indicator", valid_until=T1), True)
    yield Case("report published bad", with_("report", published="2016-02-30T00:00:00Z"), False)
    yield Case("malware-analysis submitted bad", with_("malware-analysis", submitted="now"), False)
    yield Case(
        "malware-analysis analysis times",
        with_("malware-analysis", analysis_started=T0, analysis_ended=T1),
        True,
    )
    yield Case(
        "language-content object_modified bad",
        with_("language-content", object_modified="2016"),
        False,
    )
    yield Case("network-traffic start/end", with_("network-traffic", start=T0, end=T1), True)
    yield Case(
        "network-traffic end before start", with_("network-traffic", start=T1, end=T0), False
    )
    yield Case("network-traffic start bad", with_("network-traffic", start="x"), False)
    yield Case("file ctime bad", with_("file", ctime="2016-04-06"), False)
    yield Case("file mtime", with_("file", mtime=T0), True)
    yield Case("process created_time bad", with_("process", created_time="2016-04-06 20:03"), False)
    yield Case(
        "user-account account_created bad", with_("user-account", account_created="1"), False
    )
    yield Case("email-message date bad", with_("email-message", date="Mon, 1 Jan"), False)
    yield Case(
        "x509 validity_not_before bad", with_("x509-certificate", validity_not_before="2016"), False
    )
    yield Case(
        "windows-registry-key modified_time bad",
        with_("windows-registry-key", modified_time="2016"),
        False,
    )
    yield Case(
        "created without milliseconds",
        with_("campaign", created="2016-04-06T20:03:48Z", modified="2016-04-06T20:03:48Z"),
        False,
    )
    yield Case(
        "modified without milliseconds", with_("tool", modified="2016-05-06T20:03:48Z"), False
    )
    yield Case(
        "created with microseconds",
        with_(
            "tool", created="2016-04-06T20:03:48.123456Z", modified="2016-04-06T20:03:48.123456Z"
        ),
        True,
    )
    yield Case("created at 25 o'clock", with_("tool", created="2016-04-06T25:03:48.000Z"), False)

    # -- reference target types (schemas' _ref patterns) ------------------------------------
    yield Case(
        "sighting where_sighted_refs identity and location",
        with_("sighting", where_sighted_refs=[ident("identity"), ident("location")]),
        True,
    )
    yield Case(
        "sighting where_sighted_refs malware",
        with_("sighting", where_sighted_refs=[ident("malware")]),
        False,
    )
    yield Case(
        "sighting observed_data_refs",
        with_("sighting", observed_data_refs=[ident("observed-data")]),
        True,
    )
    yield Case(
        "sighting observed_data_refs identity",
        with_("sighting", observed_data_refs=[ident("identity")]),
        False,
    )
    yield Case(
        "sighting of a relationship",
        with_("sighting", sighting_of_ref=ident("relationship")),
        False,
    )
    yield Case(
        "sighting of a marking-definition",
        with_("sighting", sighting_of_ref=ident("marking-definition")),
        False,
    )
    yield Case(
        "sighting of an ipv4-addr", with_("sighting", sighting_of_ref=ident("ipv4-addr")), True
    )
    yield Case(
        "relationship from a sighting", with_("relationship", source_ref=ident("sighting")), False
    )
    yield Case(
        "relationship to a relationship",
        with_("relationship", target_ref=ident("relationship")),
        False,
    )
    yield Case(
        "relationship to a language-content",
        with_("relationship", target_ref=ident("language-content")),
        False,
    )
    yield Case(
        "relationship between SCOs",
        with_(
            "relationship",
            relationship_type="resolves-to",
            source_ref=ident("domain-name"),
            target_ref=ident("ipv4-addr"),
        ),
        True,
    )
    yield Case(
        "malware operating_system_refs software",
        with_("malware", operating_system_refs=[ident("software")]),
        True,
    )
    yield Case(
        "malware operating_system_refs identity",
        with_("malware", operating_system_refs=[ident("identity")]),
        False,
    )
    yield Case(
        "malware-analysis host_vm_ref tool",
        with_("malware-analysis", host_vm_ref=ident("tool")),
        False,
    )
    yield Case(
        "malware-analysis installed_software_refs",
        with_("malware-analysis", installed_software_refs=[ident("software")]),
        True,
    )
    yield Case(
        "malware-analysis sample_ref file",
        with_("malware-analysis", sample_ref=ident("file")),
        True,
    )
    yield Case(
        "malware-analysis sample_ref identity",
        with_("malware-analysis", sample_ref=ident("identity")),
        False,
    )
    yield Case(
        "observed-data object_refs relationship and file",
        with_("observed-data", object_refs=[ident("relationship"), ident("file")]),
        True,
    )
    yield Case(
        "language-content about a language-content",
        with_("language-content", object_ref=ident("language-content")),
        False,
    )
    yield Case(
        "granular marking_ref not a marking",
        with_(
            "campaign",
            granular_markings=[{"marking_ref": ident("identity"), "selectors": ["name"]}],
        ),
        False,
    )
    yield Case(
        "granular marking",
        with_("campaign", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["name"]}]),
        True,
    )
    yield Case(
        "granular marking selects a missing property",
        with_(
            "campaign", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["description"]}]
        ),
        False,
    )
    yield Case(
        "granular marking selects a list item",
        with_(
            "campaign",
            labels=["a", "b"],
            granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["labels.[1]"]}],
        ),
        True,
    )
    yield Case(
        "granular marking selects past a list's end",
        with_(
            "campaign",
            labels=["a"],
            granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["labels.[3]"]}],
        ),
        False,
    )
    yield Case(
        "granular marking without selectors",
        with_("campaign", granular_markings=[{"marking_ref": TLP_GREEN}]),
        False,
    )
    yield Case(
        "granular marking with empty selectors",
        with_("campaign", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": []}]),
        False,
    )

    # -- property names and values (properties.json, core.json) --------------------------------
    yield Case("custom property x_acme_score", with_("campaign", x_acme_score=7), True)
    yield Case("custom property without prefix", with_("campaign", acme_score=7), True)
    yield Case("property name with capitals", with_("campaign", **{"Foo": "bar"}), False)
    yield Case("property name starting with a digit", with_("campaign", **{"1abc": "x"}), False)
    yield Case("property name of two characters", with_("campaign", **{"ab": "x"}), False)
    yield Case("property name with a space", with_("campaign", **{"Foo bar": "x"}), False)
    yield Case("property name of 250 characters", with_("campaign", **{"a" * 250: "x"}), True)
    yield Case("SCO property name with capitals", with_("file", **{"Size": 5}), False)
    yield Case("property value null", with_("campaign", description=None), False)
    yield Case("custom property value null", with_("campaign", x_acme_note=None), False)
    yield Case("property value empty list", with_("campaign", aliases=[]), False)
    yield Case("custom property value empty list", with_("campaign", x_acme_tags=[]), False)
    yield Case("labels empty", with_("campaign", labels=[]), False)
    yield Case("external_references empty", with_("campaign", external_references=[]), False)

    # -- marking definitions (marking_definition_tests) -------------------------------------------
    yield Case(
        "marking-definition custom definition_type",
        with_(
            "marking-definition",
            definition_type="acme-handling",
            definition={"handling": "internal"},
        ),
        True,
    )
    yield Case(
        "marking-definition statement without definition",
        with_("marking-definition", definition=_REMOVE),
        False,
    )
    yield Case(
        "marking-definition marks itself",
        with_("marking-definition", object_marking_refs=[STATEMENT]),
        False,
    )
    yield Case(
        "marking-definition granular mark of itself",
        with_(
            "marking-definition",
            granular_markings=[{"marking_ref": STATEMENT, "selectors": ["definition"]}],
        ),
        False,
    )
    yield Case(
        "marking-definition statement not an object",
        with_("marking-definition", definition="Copyright"),
        False,
    )

    # -- type names and custom objects (custom_obj_tests) ------------------------------------------
    yield Case(
        "custom object without created", with_("x-foo-bar", created=_REMOVE, modified=_REMOVE), True
    )
    yield Case(
        "custom object bad created", with_("x-foo-bar", created="2016-13-01T00:00:00Z"), False
    )
    for bad in ("x-foo_bar", "X-FOO-BAR", "x-foo--bar", "-x-foo", "x-", "x-f&o"):
        obj = with_("x-foo-bar", type=bad)
        obj["id"] = f"{bad}--00000000-0000-4000-8000-000000000fff"
        yield Case(f"custom type name {bad!r}", obj, False)


CASES: list[Case] = list(_cases())

# Refused by the hub, accepted by stix2-validator: rules of STIX 2.1 the
# validator's schemas leave out. Each is tested to stay refused.
DELIBERATE: list[tuple[str, Obj, str]] = [
    (
        "object_marking_refs names an identity",
        with_("campaign", object_marking_refs=[ident("identity")]),
        "STIX 2.1 section 7.2.2: object_marking_refs MUST name marking-definition objects",
    ),
    (
        "property name of 251 characters",
        with_("campaign", **{"a" * 251: "x"}),
        "STIX 2.1 section 3.1: property names MUST be no longer than 250 characters",
    ),
    (
        "file mime_type that is no media type",
        with_("file", mime_type="bla"),
        "STIX 2.1 section 6.7: a file's mime_type MUST be an IANA media type, as an artifact's",
    ),
    (
        "created_by_ref names a tool",
        with_("campaign", created_by_ref=ident("tool")),
        "STIX 2.1 section 3.2: created_by_ref MUST be the id of an identity",
    ),
    (
        "property name with a hyphen",
        with_("campaign", **{"foo-bar": "x"}),
        "STIX 2.1 section 3.1: property names MUST hold only a-z, 0-9 and '_'",
    ),
]
