"""Domain exceptions, raised deep and rendered once per wire format."""

from __future__ import annotations


class FederationError(Exception):
    """Base of every error the hub reports to a client.

    ``status`` is the HTTP status the error maps to; the wire formats (TAXII
    error message, problem JSON) render ``title`` and ``str(self)``.
    """

    status = 500
    title = "Internal error"

    def __init__(self, description: str = "", *, details: dict[str, object] | None = None):
        super().__init__(description or self.title)
        self.description = description or self.title
        self.details = details or {}


class BadRequestError(FederationError):
    status = 400
    title = "Bad request"


class UnauthenticatedError(FederationError):
    status = 401
    title = "Authentication required"


class ForbiddenError(FederationError):
    status = 403
    title = "Forbidden"


class NotFoundError(FederationError):
    status = 404
    title = "Not found"


class ConflictError(FederationError):
    status = 409
    title = "Conflict"


class UnprocessableError(FederationError):
    status = 422
    title = "Unprocessable content"
