"""Federation with peers: links, pull and push, leases and the worker."""
