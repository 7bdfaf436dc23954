"""Consent: an append-only ledger of grants and withdrawals; the current state is derived."""
