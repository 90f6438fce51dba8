"""Pure rules of the hub: TLP, roles, visibility, filters. No Flask, no SQL."""
