"""Federation: an incident-sharing hub speaking STIX 2.1 over TAXII 2.1."""

from federation.app import create_app

__all__ = ["create_app"]
