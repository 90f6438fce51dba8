"""TAXII media types and content negotiation (TAXII 2.1 sections 1.6.8 and 3.1)."""

from __future__ import annotations

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_options_header

from federation.domain.errors import FederationError

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


class NotAcceptableError(FederationError):
    status = 406
    title = "Not acceptable"


class UnsupportedMediaTypeError(FederationError):
    status = 415
    title = "Unsupported media type"


def check_accept(accept: MIMEAccept) -> None:
    """The client must accept TAXII 2.1 JSON.

    A missing header or ``*/*`` accepts anything (RFC 9110); a TAXII media type
    with another version, or only unrelated types, is a 406.
    """
    if not accept:
        return
    for value, quality in accept:
        if quality <= 0:
            continue
        mime, options = parse_options_header(value)
        mime = mime.lower()
        if mime in ("*/*", "application/*"):
            return
        if mime == "application/taxii+json" and options.get("version", "2.1") == "2.1":
            return
    raise NotAcceptableError(f"this server speaks only {TAXII_MEDIA_TYPE}")


def check_content_type(value: str | None) -> None:
    """A request body must be TAXII 2.1 JSON (version optional); anything else is a 415."""
    mime, options = parse_options_header(value or "")
    if mime.lower() != "application/taxii+json" or options.get("version", "2.1") != "2.1":
        raise UnsupportedMediaTypeError(f"send the body as {TAXII_MEDIA_TYPE}")
