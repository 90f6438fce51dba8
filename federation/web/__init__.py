"""HTTP plumbing shared by the TAXII and REST interfaces: sessions, auth, logs, metrics."""
