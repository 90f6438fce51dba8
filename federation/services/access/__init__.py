"""Who may do what: organisations, accounts and tokens, trust groups,
collections and their grants, the audit log, disclosure."""
