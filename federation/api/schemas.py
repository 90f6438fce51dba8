"""Building blocks of the REST schemas: strict JSON fields and shared validators.

JSON has real booleans and integers, so request bodies get no coercion: ``"yes"``
is not a boolean and ``"5"`` is not a number. Query strings are all text, so
their schemas use marshmallow's ordinary, coercing fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = validate.Email()


class RequestSchema(Schema):
    """A request body or query string: unknown fields are errors, named in the reply."""

    class Meta:
        unknown = RAISE


class NoParameters(RequestSchema):
    """A query string that takes no parameters."""


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` or ``false``, nothing else."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Name(fields.String):
    """A name: surrounding blanks dropped, then 1 to ``max_length`` printable characters."""

    def __init__(self, max_length: int = 200, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", [])
        super().__init__(
            validate=[validate.Length(min=1, max=max_length), printable, *extra], **kwargs
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def printable(value: str) -> None:
    """No control characters (they break logs, CSV exports and terminals)."""
    if _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


def no_commas(value: str) -> None:
    """No commas: grant lists (``--read ORG,group:G``) are comma-separated."""
    if "," in value:
        raise ValidationError("Must not contain commas.")


def email_or_empty(value: str) -> None:
    """An e-mail address, or the empty string to clear one."""
    if value:
        _EMAIL(value)


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Field name to messages, on 422."})
