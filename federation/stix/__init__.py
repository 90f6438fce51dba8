"""STIX 2.1 validation and extraction."""
