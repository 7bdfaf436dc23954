"""People: persons, identities, merges, preferences, remembered facts, important dates, links."""
