"""The only code that talks to remote TAXII 2.1 servers (through taxii2-client)."""
