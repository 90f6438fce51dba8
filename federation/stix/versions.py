"""Telling a STIX 2.0 bundle or envelope from a STIX 2.1 one, to refuse it whole.

Object by object, a 2.0 bundle half-passes: its standard objects fail for
lacking ``spec_version`` while its custom ``x-`` objects, which need none,
would be stored as 2.1. So the container is judged first, as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from federation.stix.validate import META_TYPES, SDO_TYPES, SRO_TYPES

# Types that carry spec_version in STIX 2.1 (section 3.2) and lack it in 2.0.
_DECLARING = SDO_TYPES | SRO_TYPES | META_TYPES

STIX20_MESSAGE = (
    "this is STIX 2.0 ({reason}); the hub takes STIX 2.1 only, so nothing was stored: "
    "convert it first, for example with stix2-elevator"
)


def stix20_reason(container: Mapping[str, Any], objects: Sequence[Any]) -> str | None:
    """Why ``container`` (a bundle or TAXII envelope) holding ``objects`` is STIX 2.0, or None.

    A bundle that says ``"spec_version": "2.0"`` is 2.0. So is a container in
    which no object says ``"2.1"`` while some object says ``"2.0"``, or is a
    whole object (id, created, modified) of a type STIX 2.1 requires
    ``spec_version`` on, without one. One broken object in a 2.1 envelope is
    not enough, nor is a fragment: those fail on their own.
    """
    if container.get("type") == "bundle" and container.get("spec_version") == "2.0":
        return "the bundle's spec_version is 2.0"
    evidence = None
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        version = obj.get("spec_version")
        if version == "2.1":
            return None
        if evidence is None:
            if version == "2.0":
                evidence = "objects with spec_version 2.0"
            elif version is None and _shaped_like_20(obj):
                evidence = "objects without spec_version"
    return evidence


def _shaped_like_20(obj: Mapping[str, Any]) -> bool:
    return obj.get("type") in _DECLARING and all(k in obj for k in ("id", "created", "modified"))
