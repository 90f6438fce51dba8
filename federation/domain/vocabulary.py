"""The hub's own STIX vocabulary: every property, extension and value name we add.

Anything a member or a peer sees in our STIX that the specification does not
define is named here, once, so a reader finds the whole vocabulary in one
place and a rename cannot miss a user. Custom properties carry the
``x_federation_`` prefix (STIX 2.1 section 11.1).
"""

from __future__ import annotations

# The OASIS Incident Core Extension, which carries an incident's determination,
# investigation status and criticality.
INCIDENT_EXTENSION_ID = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

# On any object: the identities of the organisations that may see it at
# AMBER+STRICT and RED (never pushed to peers).
RECIPIENTS_PROPERTY = "x_federation_recipients"
# On any posted object: true to post it unattributed (DESIGN.md invariant 6).
UNATTRIBUTED_PROPERTY = "x_federation_unattributed"

# On an incident: when the activity was first and last seen, and which
# services it affected.
FIRST_SEEN_PROPERTY = "x_federation_first_seen"
LAST_SEEN_PROPERTY = "x_federation_last_seen"
SERVICES_PROPERTY = "x_federation_affected_services"

# On a relationship from an observable to an incident: what the value was in
# the incident, one of ROLES, or AFFECTED_ROLE for the victim's network.
ROLE_PROPERTY = "x_federation_role"
ROLES = ("source", "target", "c2", "infrastructure")
AFFECTED_ROLE = "affected"
