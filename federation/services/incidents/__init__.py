"""Incident reports: built from a friendly report, indexed at ingest, listed,
detailed, followed up and counted."""
