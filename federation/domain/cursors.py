"""The one keyset cursor codec: TAXII's ``next`` and the REST incident list's ``cursor``.

A cursor is the position after the last row of a page: a moment (a
``date_added`` or a ``created``), to the microsecond, and for orders that
break ties by id, that id. It travels as URL-safe base64 of compact JSON,
opaque to clients. Anything this server did not hand out, byte for byte, is
one :class:`CursorError` (400), which each wire format renders its own way
(TAXII error message, problem JSON) naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime

from federation.domain.errors import BadRequestError

# A real cursor is under 120 characters; a long one could only be a deeply
# nested JSON bomb (RecursionError) or a huge number.
_MAX_LENGTH = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


class CursorError(BadRequestError):
    """A cursor parameter holds something this server never handed out."""

    def __init__(self, parameter: str) -> None:
        super().__init__(
            f"the {parameter!r} parameter is not a value this server handed out",
            details={parameter: ["Not a cursor this server handed out."]},
        )


def encode_cursor(moment: datetime, key: str | None = None) -> str:
    """The opaque cursor after the row at ``moment`` (and, in id-ordered lists, ``key``)."""
    fields: dict[str, int | str] = {"a": (moment - _EPOCH) // _MICRO}
    if key is not None:
        fields["k"] = key
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str, parameter: str = "next") -> datetime:
    """Invert :func:`encode_cursor` for a cursor without a key, or :class:`CursorError`."""
    moment, _ = _decode(value, parameter, None)
    return moment


def decode_keyed_cursor(
    value: str, parameter: str, valid_key: Callable[[str], bool]
) -> tuple[datetime, str]:
    """Invert :func:`encode_cursor` for a cursor with a key that ``valid_key`` accepts."""
    moment, key = _decode(value, parameter, valid_key)
    assert key is not None
    return moment, key


def _decode(
    value: str, parameter: str, valid_key: Callable[[str], bool] | None
) -> tuple[datetime, str | None]:
    try:
        if len(value) > _MAX_LENGTH:
            raise ValueError(value)
        padded = value + "=" * (-len(value) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        micros = data["a"]
        if type(micros) is not int or micros < 0:  # bool is an int subclass
            raise ValueError(micros)
        key = data["k"] if valid_key is not None else None
        if valid_key is not None and not (isinstance(key, str) and valid_key(key)):
            raise ValueError(key)
        moment = _EPOCH + micros * _MICRO
        # base64 skips stray characters and JSON allows spacing and extra keys:
        # only the exact text encode_cursor hands out is accepted.
        if encode_cursor(moment, key) != value:
            raise ValueError(value)
        return moment, key
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error, OverflowError):
        raise CursorError(parameter) from None
