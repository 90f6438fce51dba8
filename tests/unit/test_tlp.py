"""TLP 2.0 levels and the STIX markings that carry them (DESIGN.md invariant 5)."""

from __future__ import annotations

from typing import Any

import pytest

from federation.domain.tlp import MARKING_IDS, TLP2_MARKING_IDS, Tlp, most_restrictive, object_tlp

TLP1 = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
TLP2 = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
UNKNOWN_MARKING = "marking-definition--1d5c6a7e-3f2b-4c8d-9e0f-a1b2c3d4e5f6"


def marked(*refs: Any, granular: list[Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "indicator", "id": "indicator--x"}
    if refs:
        document["object_marking_refs"] = list(refs)
    if granular is not None:
        document["granular_markings"] = granular
    return document


# -- levels ------------------------------------------------------------------


def test_levels_rank_from_clear_to_red() -> None:
    assert Tlp.CLEAR < Tlp.GREEN < Tlp.AMBER < Tlp.AMBER_STRICT < Tlp.RED


@pytest.mark.parametrize(
    ("level", "label"),
    [
        (Tlp.CLEAR, "clear"),
        (Tlp.GREEN, "green"),
        (Tlp.AMBER, "amber"),
        (Tlp.AMBER_STRICT, "amber+strict"),
        (Tlp.RED, "red"),
    ],
)
def test_label_round_trips_through_parse(level: Tlp, label: str) -> None:
    assert level.label == label
    assert Tlp.parse(label) is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("white", Tlp.CLEAR),
        ("WHITE", Tlp.CLEAR),
        ("TLP:WHITE", Tlp.CLEAR),
        ("TLP:CLEAR", Tlp.CLEAR),
        ("tlp:amber+strict", Tlp.AMBER_STRICT),
        ("  Red  ", Tlp.RED),
        ("Green", Tlp.GREEN),
    ],
)
def test_parse_accepts_case_prefix_spacing_and_white_as_clear(text: str, level: Tlp) -> None:
    assert Tlp.parse(text) is level


@pytest.mark.parametrize("text", ["", "amber_strict", "amber strict", "orange", "tlp:", "4"])
def test_parse_refuses_unknown_levels(text: str) -> None:
    with pytest.raises(ValueError, match="unknown TLP level"):
        Tlp.parse(text)


def test_parse_quotes_at_most_forty_characters_of_a_bad_value() -> None:
    with pytest.raises(ValueError, match="unknown TLP level") as caught:
        Tlp.parse("x" * 1000)
    assert len(str(caught.value)) < 80


# -- marking ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "twin"),
    [("white", Tlp.CLEAR), ("green", Tlp.GREEN), ("amber", Tlp.AMBER), ("red", Tlp.RED)],
)
def test_tlp1_marking_counts_as_its_tlp2_twin(name: str, twin: Tlp) -> None:
    assert object_tlp(marked(TLP1[name])) is twin
    assert object_tlp(marked(TLP1[name])) == object_tlp(marked(TLP2[twin]))


@pytest.mark.parametrize("level", list(Tlp))
def test_tlp2_marking_gives_its_level(level: Tlp) -> None:
    assert object_tlp(marked(TLP2[level])) is level


def test_the_marking_table_knows_exactly_the_nine_tlp_definitions() -> None:
    tlp2_ids = {marking: level for level, marking in TLP2.items()}
    assert dict(MARKING_IDS) == {**{TLP1[n]: Tlp.parse(n) for n in TLP1}, **tlp2_ids}
    assert dict(TLP2_MARKING_IDS) == TLP2


# -- object_tlp ------------------------------------------------------------------


def test_an_object_without_markings_is_unmarked() -> None:
    assert object_tlp(marked()) is None
    assert object_tlp({"object_marking_refs": []}) is None


def test_the_most_restrictive_marking_wins() -> None:
    assert object_tlp(marked(TLP2[Tlp.GREEN], TLP2[Tlp.RED], TLP2[Tlp.AMBER])) is Tlp.RED
    assert object_tlp(marked(TLP2[Tlp.AMBER_STRICT], TLP2[Tlp.AMBER])) is Tlp.AMBER_STRICT


def test_tlp1_and_tlp2_markings_mix() -> None:
    assert object_tlp(marked(TLP1["white"], TLP2[Tlp.GREEN])) is Tlp.GREEN
    assert object_tlp(marked(TLP1["amber"], TLP2[Tlp.AMBER_STRICT])) is Tlp.AMBER_STRICT
    assert object_tlp(marked(TLP1["red"], TLP2[Tlp.CLEAR])) is Tlp.RED


def test_a_granular_marking_counts_for_the_whole_object() -> None:
    granular = [{"marking_ref": TLP2[Tlp.RED], "selectors": ["description"]}]
    assert object_tlp(marked(granular=granular)) is Tlp.RED
    assert object_tlp(marked(TLP2[Tlp.GREEN], granular=granular)) is Tlp.RED


def test_object_marking_is_kept_when_the_granular_one_is_less_restrictive() -> None:
    granular = [{"marking_ref": TLP1["green"], "selectors": ["name"]}]
    assert object_tlp(marked(TLP2[Tlp.AMBER], granular=granular)) is Tlp.AMBER


def test_unknown_markings_are_ignored() -> None:
    assert object_tlp(marked(UNKNOWN_MARKING)) is None
    assert object_tlp(marked(UNKNOWN_MARKING, TLP2[Tlp.GREEN])) is Tlp.GREEN
    statement = [{"marking_ref": UNKNOWN_MARKING, "selectors": ["name"]}]
    assert object_tlp(marked(granular=statement)) is None


def test_granular_markings_by_language_are_ignored() -> None:
    assert object_tlp(marked(granular=[{"lang": "en", "selectors": ["name"]}])) is None


@pytest.mark.parametrize(
    "document",
    [
        {"object_marking_refs": TLP2[Tlp.RED]},
        {"object_marking_refs": {"ref": TLP2[Tlp.RED]}},
        {"object_marking_refs": [None, 7, ["nested"]]},
        {"granular_markings": "red"},
        {"granular_markings": [TLP2[Tlp.RED], None, {"marking_ref": 4}]},
    ],
)
def test_malformed_marking_properties_do_not_raise(document: dict[str, Any]) -> None:
    assert object_tlp(document) is None


def test_most_restrictive_of_nothing_is_none() -> None:
    assert most_restrictive([]) is None
    assert most_restrictive([Tlp.GREEN, Tlp.CLEAR]) is Tlp.GREEN
