"""Building blocks of the REST schemas: strict JSON fields and shared validators.

JSON has real booleans and integers, so request bodies get no coercion: ``"yes"``
is not a boolean and ``"5"`` is not a number. Query strings are all text, so
their schemas use marshmallow's ordinary, coercing fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = validate.Email()
# Integer columns (ids included) are SQL INTEGER, 32 bits on PostgreSQL; a
# larger value fails in the driver or the cast instead of failing validation.
# Fields over bigint columns (audit event ids) declare INT64_MAX themselves.
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


Validator = TypeVar("Validator", bound=Callable[..., Any])


def described(**json_schema: Any) -> Callable[[Validator], Validator]:
    """Attach the JSON Schema keywords that say what a Python validator checks,
    so the OpenAPI document promises exactly what the server accepts."""

    def attach(validator: Validator) -> Validator:
        validator.json_schema = json_schema  # type: ignore[attr-defined]
        return validator

    return attach


class RequestSchema(Schema):
    """A request body or query string: unknown fields are errors, named in the reply.

    Every integer field is bounded to an INTEGER column unless it declares
    its own bounds, and every date
    must be expressible in UTC, whatever the declaring schema says, so a new
    endpoint cannot forget either (the driver would fail with a 500 otherwise).
    """

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        _bound(field_obj)


def _bound(field: fields.Field[Any]) -> None:
    # Idempotent: a schema instance's fields are shallow copies sharing their
    # validator lists with the class, so each instantiation binds them again.
    if isinstance(field, fields.List):
        _bound(field.inner)
    elif isinstance(field, fields.Integer):
        low = high = None
        for validator in field.validators:
            if isinstance(validator, validate.Range):
                low = validator.min if low is None else low
                high = validator.max if high is None else high
        if low is None or high is None:
            field.validators.append(
                validate.Range(
                    min=INT32_MIN if low is None else None,
                    max=INT32_MAX if high is None else None,
                )
            )
    elif isinstance(field, fields.DateTime) and in_utc_range not in field.validators:
        field.validators.append(in_utc_range)
    elif isinstance(field, fields.String) and not any(
        validator is printable or validator is no_nul for validator in field.validators
    ):
        field.validators.append(no_nul)


@described(pattern="^[^\\x00]*$")
def no_nul(value: str) -> None:
    """No NUL character (PostgreSQL text cannot hold one)."""
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


def in_utc_range(value: datetime) -> None:
    """A date that converts to UTC (9999-12-31T23:00-10:00 does not)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValidationError("Out of the range of dates.") from None


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


class StrictInteger(fields.Integer):
    """A JSON number without a fraction (JSON Schema counts ``5.0`` as the
    integer 5); never a string or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class Name(fields.String):
    """A name: surrounding blanks dropped, then 1 to ``max_length`` printable characters."""

    def __init__(self, max_length: int = 200, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", [])
        super().__init__(
            validate=[validate.Length(min=1, max=max_length), printable, not_blank, *extra],
            **kwargs,
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


@described(pattern="\\S")
def not_blank(value: str) -> None:
    """Something besides blanks (a :class:`Name` is stripped before its length counts)."""
    if not value.strip():
        raise ValidationError("Must not be blank.")


@described(pattern="^[^\\x00-\\x1f\\x7f]*$")
def printable(value: str) -> None:
    """No control characters (they break logs, CSV exports and terminals)."""
    if _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


@described(pattern="^[^,]*$")
def no_commas(value: str) -> None:
    """No commas: grant lists (``--read ORG,group:G``) are comma-separated."""
    if "," in value:
        raise ValidationError("Must not contain commas.")


@described(anyOf=[{"maxLength": 0}, {"format": "email"}])
def email_or_empty(value: str) -> None:
    """An e-mail address, or the empty string to clear one."""
    if value:
        _EMAIL(value)


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Field name to messages, on 422."})
