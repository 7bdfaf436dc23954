"""A deterministic synthetic shop: `goodwill demo generate` and `goodwill demo overview`.

What it makes (for ``--customers N --seed S``; the same pair always gives the same rows):

* A coffee roaster that also sells brewing gear, electronics, clothing, homeware, books and a
  little furniture: about 80 products in 8 categories, each with its ``days_to_opinion``.
* N people, numbered in order of acquisition over the two years before the demo's "today"
  (2026-11-01 unless ``--today``), with names, unique lowercase emails on reserved example
  domains, some E.164 phones, timezones and locales from nine countries.  About 6 % are
  newsletter sign-ups who never buy.
* Purchases from a buy-till-you-die process (BG/NBD: rates ~ Gamma, drop-out after each repeat
  purchase ~ Beta) and order values from a gamma-gamma spend process, filled with real baskets;
  orders go placed, paid, fulfilled, delivered, and some are cancelled, lost, returned or
  refunded, with statuses that follow their timestamps.  Every step is an interaction on the
  timeline with an idempotency key ``demo:<subject>:<id>:<event>``.
* Business accounts (about 5 % of people) with 2-6 contacts in roles and a named owner; owners
  for high-value customers; referrals, households and acquaintances; preferences, remembered
  facts, birthdays and anniversaries; a consent ledger (grants at checkout, one-click
  unsubscribes, SMS STOP replies, re-subscriptions); newsletters, promotions and texts sent only
  inside granted consent, with opens, clicks and replies; review requests and reviews; NPS
  surveys and answers that follow satisfaction and loyalty; support tickets; web visits; staff
  notes, tasks and personal emails.

Layout: :mod:`generator` (pure; one seeded NumPy stream per batch of 2,000 customers, plain
columnar :class:`~goodwill.demo.models.Frame` rows out) over the topic modules; :mod:`repository`
(every write, through :mod:`goodwill.db.bulk`); :mod:`overview_repository` (read-only queries);
:mod:`service` (use cases; never commits).

Regenerating: a workspace that already holds rows is refused.  With ``--replace`` every row of
that workspace (in every table that carries ``workspace_id``, including scores or journey state
other commands wrote) is deleted first; other workspaces are untouched.  The run commits batch by
batch, so an interrupted run leaves a partial workspace: run it again with ``--replace``.
"""
