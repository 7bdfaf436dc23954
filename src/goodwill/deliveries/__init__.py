"""Deliveries: the read side of the delivery ledger (what happened to each message, and why)
and the signed links messages carry (review and NPS requests)."""
