"""Products, orders and order lines.  Money is integer minor units plus an ISO 4217 currency."""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, UniqueConstraint

from goodwill.db.tables._base import id_column, metadata, ref, ts, workspace_column

products = Table(
    "products",
    metadata,
    id_column(),
    workspace_column(),
    Column("sku", String(200), nullable=False),
    Column("name", String(500), nullable=False),
    Column("category", String(200)),
    Column("price_minor", BigInteger),
    Column("currency", String(3)),
    Column("days_to_opinion", Integer, nullable=False, default=14),
    UniqueConstraint("workspace_id", "sku"),
)

orders = Table(
    "orders",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False),
    ref("account_id", "accounts", index=False),
    Column("source", String(64), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("financial_status", String(32)),
    Column("currency", String(3), nullable=False),
    Column("subtotal_minor", BigInteger, nullable=False, default=0),
    Column("discount_minor", BigInteger, nullable=False, default=0),
    Column("shipping_minor", BigInteger, nullable=False, default=0),
    Column("tax_minor", BigInteger, nullable=False, default=0),
    Column("total_minor", BigInteger, nullable=False, default=0),
    Column("refunded_minor", BigInteger, nullable=False, default=0),
    ts("placed_at", nullable=False, index=True),
    ts("paid_at"),
    ts("fulfilled_at"),
    ts("delivered_at"),
    ts("cancelled_at"),
    ts("refunded_at"),
    ts("returned_at"),
    Column("content_hash", String(32), nullable=False, default=""),
    ts("updated_at", nullable=False),
    UniqueConstraint("workspace_id", "source", "external_id"),
)
Index(
    "ix_orders_account_id",
    orders.c.account_id,
    sqlite_where=orders.c.account_id.isnot(None),
    postgresql_where=orders.c.account_id.isnot(None),
)

order_lines = Table(
    "order_lines",
    metadata,
    id_column(),
    workspace_column(foreign_key=False),
    ref("order_id", "orders", nullable=False, index=False),
    Column("line_no", Integer, nullable=False),
    ref("product_id", "products"),
    Column("sku", String(200)),
    Column("name", String(500), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False, default=0),
    UniqueConstraint("order_id", "line_no"),
)
