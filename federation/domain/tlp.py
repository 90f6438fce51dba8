"""TLP 2.0 levels and the STIX marking definitions that carry them.

TLP 1.0 marking ids count as their TLP 2.0 twins (WHITE is CLEAR). Levels are
ranked so that "more restrictive" is "greater", which lets storage keep one
small integer per object version and compare it in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any


class Tlp(IntEnum):
    """TLP 2.0, least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        """The lower-case name used in configuration and the REST API."""
        return self.name.lower().replace("_", "+")

    @classmethod
    def parse(cls, value: str) -> Tlp:
        """Parse ``clear``, ``green``, ``amber``, ``amber+strict``, ``red`` (and ``white``)."""
        key = value.strip().lower().removeprefix("tlp:")
        if key == "white":
            return cls.CLEAR
        for level in cls:
            if level.label == key:
                return level
        raise ValueError(f"unknown TLP level {value[:40]!r}")


# STIX 2.1 predefined TLP 1.0 markings and the OASIS TLP 2.0 marking definitions.
MARKING_IDS: Mapping[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,  # 1.0 GREEN
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,  # 1.0 AMBER
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,  # 1.0 RED
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": Tlp.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": Tlp.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": Tlp.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": Tlp.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": Tlp.RED,
}

TLP2_MARKING_IDS: Mapping[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def object_tlp(document: Mapping[str, Any]) -> Tlp | None:
    """The most restrictive TLP among an object's markings, or None if unmarked.

    Object-level markings (``object_marking_refs``) and granular markings both
    count: a granular RED on one property makes the whole object RED for
    sharing, because the hub shares objects, not properties.
    """
    refs: list[object] = []
    object_refs = document.get("object_marking_refs")
    if isinstance(object_refs, list):
        refs.extend(object_refs)
    granular = document.get("granular_markings")
    if isinstance(granular, list):
        refs.extend(g.get("marking_ref") for g in granular if isinstance(g, dict))
    return most_restrictive(MARKING_IDS[r] for r in refs if isinstance(r, str) and r in MARKING_IDS)


def most_restrictive(levels: Iterable[Tlp]) -> Tlp | None:
    """The greatest level, or None when there is none."""
    return max(levels, default=None)
