"""Federation: an incident-sharing hub speaking STIX 2.1 over TAXII 2.1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from federation.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # The app factory is imported on first use, so the console script and the
    # domain modules do not pay for the whole web stack when they only need a part.
    if name == "create_app":
        from federation.app import create_app

        return create_app
    raise AttributeError(f"module 'federation' has no attribute {name!r}")
