"""TAXII media types and content negotiation (TAXII 2.1 sections 1.6.8 and 3.1)."""

from __future__ import annotations

from federation.domain.errors import FederationError
from federation.web.media import accepted, media_type

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_TAXII_ESSENCE = "application/taxii+json"


class NotAcceptableError(FederationError):
    status = 406
    title = "Not acceptable"


class UnsupportedMediaTypeError(FederationError):
    status = 415
    title = "Unsupported media type"


def check_accept(header: str | None) -> None:
    """The client must accept TAXII 2.1 JSON.

    A missing header or ``*/*`` accepts anything (RFC 9110 section 12.5.1); an
    empty header accepts nothing, and a TAXII media type with another version,
    or only unrelated types, is a 406 too (TAXII 2.1 section 1.6.8).
    """
    choices = accepted(header)
    if choices is None:
        return
    for choice in choices:
        if choice.essence in ("*/*", "application/*"):
            return
        if choice.is_(_TAXII_ESSENCE, version="2.1"):
            return
    raise NotAcceptableError(f"this server speaks only {TAXII_MEDIA_TYPE}")


def check_content_type(header: str | None) -> None:
    """A request body must be TAXII 2.1 JSON (version optional); anything else is a 415."""
    if not media_type(header).is_(_TAXII_ESSENCE, version="2.1"):
        raise UnsupportedMediaTypeError(f"send the body as {TAXII_MEDIA_TYPE}")
