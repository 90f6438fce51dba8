"""Media types in request headers: the one parser behind every Accept and
Content-Type check (RFC 9110 sections 8.3 and 12.5.1), TAXII's and REST's alike."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type's essence (``type/subtype``, lower case) and its parameters."""

    essence: str
    parameters: dict[str, str]

    def is_(self, essence: str, **parameters: str) -> bool:
        """Whether this is ``essence``, with each given parameter equal where it is present.

        A parameter the client left out matches: TAXII lets ``version`` be omitted.
        """
        return self.essence == essence and all(
            self.parameters.get(name, value) == value for name, value in parameters.items()
        )


def media_type(value: str | None) -> MediaType:
    """Parse a Content-Type value; a missing or empty one parses to the empty essence."""
    essence, parameters = parse_options_header(value or "")
    return MediaType(essence.lower(), {k.lower(): v for k, v in parameters.items()})


def accepted(header: str | None) -> list[MediaType] | None:
    """The media types an Accept header allows (quality above zero), most preferred first.

    ``None`` when the header is absent, which RFC 9110 section 12.5.1 reads as
    accepting anything. A header that is present but empty, or names nothing,
    accepts nothing: an empty list.
    """
    if header is None:
        return None
    choices: MIMEAccept = parse_accept_header(header, MIMEAccept)
    return [media_type(value) for value, quality in choices if quality > 0]
