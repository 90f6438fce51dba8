"""Routing to the responsible network: members' claims, deliveries to their
inboxes, signed webhooks."""
