"""Messaging: what a message says (templates, personalisation) and whether it may go now
(guardrails), all pure.  The channels package delivers; this package never does I/O except
reading the shipped template files."""
