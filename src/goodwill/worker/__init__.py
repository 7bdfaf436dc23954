"""The worker: scheduler passes and the dispatcher that turns outbox rows into deliveries.

Start at :mod:`goodwill.worker.dispatcher` (one pass: claim, check at send time, act, record)
and :mod:`goodwill.worker.loop` (the long-running ``goodwill worker``).  The states of an outbox
row and of a ledger entry are described in :mod:`goodwill.worker.models`; the commit point that
makes an email go out exactly once is in :mod:`goodwill.worker.commit` and
``docs/adr/0030-exactly-once-email.md``.
"""
