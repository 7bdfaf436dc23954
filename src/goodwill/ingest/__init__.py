"""Imports: how a business's customer base gets into Goodwill.

Commands::

    goodwill import orders FILE --format shopify|cdnow|csv [--workspace NAME] [--map COLUMN=FIELD]...
                                [--source NAME] [--strict] [--rejects PATH] [--json] [--batch-rows N]
    goodwill import customers FILE --format shopify|csv [same options]

Formats:

* ``shopify`` orders: the orders export (one row per line item, order fields on the order's first
  row, ``2026-09-03 10:15:00 -0400`` times, UTF-8 BOM, multi-line Notes).  Required columns: Name,
  Email, Created at, Currency, Total, Lineitem quantity, Lineitem name, Lineitem price.
* ``shopify`` customers: the customers export (First Name, Last Name, Email, Phone required;
  Customer ID, Accepts Email Marketing / Accepts Marketing, Accepts SMS Marketing, Company,
  Country Code, Tags, Note used when present).
* ``cdnow``: the CDNOW transaction log, master (header, 4 columns) or sample (5 columns) layout.
* ``csv``: any CSV (delimiter guessed: comma, semicolon, tab, pipe) or Parquet (``.parquet``)
  whose columns are Goodwill's field names (case and spaces ignored) or are mapped to them with
  ``--map``.  Order fields: see :data:`goodwill.ingest.formats.fields.ORDER_FIELDS` (required:
  order_id, placed_at, currency); customer fields: ``CUSTOMER_FIELDS`` (one of email, phone,
  customer_id).  ``--source`` names the namespace of the file's order ids and customer ids
  (default ``csv``): ``customer_id`` C-17 becomes the identity ``<source>:C-17``.

What an import writes (all scoped to the workspace):

* people, resolved by identity: external id, then email (lower-cased), then phone (E.164); the
  same email or phone from two sources is one person (:mod:`.resolution`);
* orders keyed by (source, external id) with a content hash, their lines, and products keyed by
  SKU (``name:<normalised name>`` when the SKU is blank) (:mod:`.order_writer`);
* the lifecycle (placed, paid, fulfilled, delivered, cancelled, refunded, returned) from
  Shopify's statuses (:mod:`.lifecycle`), and one timeline interaction per reached stage, keyed
  ``<source>:order:<id>:<stage>``;
* consent statements (Accepts Marketing, Accepts Email/SMS Marketing) appended to the ledger
  only when they change the derived state, with the file as evidence (:mod:`.consent_writer`);
* for customers: tags, notes, and Company as an account with the person as a "user" member
  (:mod:`.customer_writer`);
* one ``import_runs`` row per run (started, finished, summary).

Re-importing: an order whose content hash is unchanged is skipped without being parsed; a changed
order has its fields updated, its lines replaced, and interactions added only for stages it had
not reached.  Nothing is duplicated, so an interrupted import is finished by running it again.

Bad input: a row that cannot be imported goes to the rejects file (``FILE.rejects.csv`` unless
``--rejects``; columns line, column, value, reason; line = physical line where the record starts,
header = line 1; Parquet: row number), and an order with any bad row is rejected whole.
``--strict`` validates the whole file first and imports nothing if any row is bad.  A file that
is missing, unreadable or not the chosen format is one error line and exit code 1.

Streaming: the file is read in batches of whole orders (``--batch-rows``, default 20,000 rows),
each looked up with chunked ``IN`` queries and written with COPY (PostgreSQL) or executemany
(SQLite) and committed; memory holds one batch, not the file or the customer base.
"""
