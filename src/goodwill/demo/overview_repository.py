"""Read-only queries behind `goodwill demo overview`, all scoped to one workspace.  Aggregation
happens in the database, so the overview of a million customers is as quick as the indexes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    case,
    cast,
    desc,
    distinct,
    func,
    select,
)

from goodwill.db.tables import (
    accounts,
    consent_events,
    identities,
    interactions,
    memberships,
    order_lines,
    orders,
    persons,
    products,
)
from goodwill.demo.models import AccountRow, ConsentRow, MonthRow, RankRow
from goodwill.kit.clock import as_utc
from goodwill.workspaces.service import Workspace


class OverviewRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    # -- helpers ---------------------------------------------------------------------------------

    def _month(self) -> ColumnElement[str]:
        if self.conn.dialect.name == "postgresql":
            return func.to_char(func.timezone("UTC", orders.c.placed_at), "YYYY-MM")
        return func.strftime("%Y-%m", orders.c.placed_at)

    def _live(self) -> ColumnElement[bool]:
        """Orders that count: this workspace's, not cancelled."""
        return and_(orders.c.workspace_id == self.ws, orders.c.status != "cancelled")

    def _net(self) -> ColumnElement[int]:
        return orders.c.total_minor - orders.c.refunded_minor

    # -- queries ---------------------------------------------------------------------------------

    def people(self) -> int:
        query = select(func.count()).where(
            persons.c.workspace_id == self.ws, persons.c.merged_into_id.is_(None)
        )
        return int(self.conn.execute(query).scalar_one())

    def order_counts(self) -> dict[str, int]:
        query = (
            select(orders.c.status, func.count())
            .where(orders.c.workspace_id == self.ws)
            .group_by(orders.c.status)
        )
        return {str(s): int(n) for s, n in self.conn.execute(query)}

    def main_currency(self) -> str | None:
        query = (
            select(orders.c.currency)
            .where(self._live())
            .group_by(orders.c.currency)
            .order_by(desc(func.count()), orders.c.currency)
            .limit(1)
        )
        row = self.conn.execute(query).first()
        return None if row is None else str(row[0])

    def revenue(self, currency: str) -> int:
        query = select(func.coalesce(func.sum(self._net()), 0)).where(
            self._live(), orders.c.currency == currency
        )
        return int(self.conn.execute(query).scalar_one())

    def buyers(self) -> tuple[int, int]:
        """(customers with an order, customers with two or more)."""
        per_person = (
            select(orders.c.person_id, func.count().label("n"))
            .where(self._live())
            .group_by(orders.c.person_id)
            .subquery()
        )
        query = select(
            func.count(),
            func.coalesce(func.sum(case((per_person.c.n >= 2, 1), else_=0)), 0),
        ).select_from(per_person)
        total, repeat = self.conn.execute(query).one()
        return int(total), int(repeat)

    def last_order_at(self) -> datetime | None:
        query = select(func.max(orders.c.placed_at)).where(orders.c.workspace_id == self.ws)
        value = self.conn.execute(query).scalar_one()
        return None if value is None else as_utc(value)

    def months(self, currency: str, since: datetime) -> list[MonthRow]:
        month = self._month().label("month")
        query = (
            select(
                month,
                func.count(),
                func.coalesce(func.sum(self._net()), 0),
                func.count(distinct(orders.c.person_id)),
            )
            .where(self._live(), orders.c.currency == currency, orders.c.placed_at >= since)
            .group_by(month)
            .order_by(month)
        )
        return [MonthRow(str(m), int(n), int(r), int(c)) for m, n, r, c in self.conn.execute(query)]

    def _line_revenue(self) -> ColumnElement[int]:
        return func.sum(
            order_lines.c.quantity * order_lines.c.unit_price_minor - order_lines.c.discount_minor
        )

    def top_products(self, currency: str, limit: int = 5) -> list[RankRow]:
        revenue = self._line_revenue().label("revenue")
        query = (
            select(order_lines.c.name, func.sum(order_lines.c.quantity), revenue)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(self._live(), orders.c.currency == currency)
            .group_by(order_lines.c.name)
            .order_by(desc(revenue), order_lines.c.name)
            .limit(limit)
        )
        return [RankRow(str(n), int(u), int(r)) for n, u, r in self.conn.execute(query)]

    def top_categories(self, currency: str, limit: int = 8) -> list[RankRow]:
        revenue = self._line_revenue().label("revenue")
        category = func.coalesce(products.c.category, "(none)").label("category")
        query = (
            select(category, func.sum(order_lines.c.quantity), revenue)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .join(products, products.c.id == order_lines.c.product_id, isouter=True)
            .where(self._live(), orders.c.currency == currency)
            .group_by(category)
            .order_by(desc(revenue), category)
            .limit(limit)
        )
        return [RankRow(str(n), int(u), int(r)) for n, u, r in self.conn.execute(query)]

    def account_counts(self) -> tuple[int, int]:
        n_acc = select(func.count()).where(accounts.c.workspace_id == self.ws)
        n_mem = select(func.count()).where(memberships.c.workspace_id == self.ws)
        return int(self.conn.execute(n_acc).scalar_one()), int(
            self.conn.execute(n_mem).scalar_one()
        )

    def top_accounts(self, limit: int = 5) -> list[AccountRow]:
        contacts = (
            select(
                memberships.c.account_id, func.count(distinct(memberships.c.person_id)).label("n")
            )
            .where(memberships.c.workspace_id == self.ws)
            .group_by(memberships.c.account_id)
            .subquery()
        )
        spend = (
            select(
                orders.c.account_id,
                func.count().label("orders"),
                func.sum(self._net()).label("revenue"),
            )
            .where(self._live(), orders.c.account_id.is_not(None))
            .group_by(orders.c.account_id)
            .subquery()
        )
        revenue = func.coalesce(spend.c.revenue, 0).label("revenue")
        query = (
            select(
                accounts.c.name,
                accounts.c.owner,
                func.coalesce(contacts.c.n, 0),
                func.coalesce(spend.c.orders, 0),
                revenue,
            )
            .join(contacts, contacts.c.account_id == accounts.c.id, isouter=True)
            .join(spend, spend.c.account_id == accounts.c.id, isouter=True)
            .where(accounts.c.workspace_id == self.ws)
            .order_by(desc(revenue), accounts.c.name)
            .limit(limit)
        )
        return [
            AccountRow(str(n), None if o is None else str(o), int(c), int(k), int(r))
            for n, o, c, k, r in self.conn.execute(query)
        ]

    def consent(self) -> list[ConsentRow]:
        """Per (purpose, channel): people whose latest event grants, and whose latest withdraws."""
        rank = (
            func.row_number()
            .over(
                partition_by=(
                    consent_events.c.person_id,
                    consent_events.c.purpose,
                    consent_events.c.channel,
                ),
                order_by=(desc(consent_events.c.occurred_at), desc(consent_events.c.id)),
            )
            .label("rank")
        )
        latest = (
            select(
                consent_events.c.purpose, consent_events.c.channel, consent_events.c.action, rank
            )
            .where(consent_events.c.workspace_id == self.ws)
            .subquery()
        )
        query = (
            select(
                latest.c.purpose,
                latest.c.channel,
                func.sum(case((latest.c.action == "grant", 1), else_=0)),
                func.sum(case((latest.c.action == "withdraw", 1), else_=0)),
            )
            .where(latest.c.rank == 1)
            .group_by(latest.c.purpose, latest.c.channel)
            .order_by(latest.c.purpose, latest.c.channel)
        )
        return [
            ConsentRow(str(p), str(c), int(g), int(w)) for p, c, g, w in self.conn.execute(query)
        ]

    def _payload_int(self, name: str) -> ColumnElement[int]:
        return cast(interactions.c.payload[name].as_integer(), Integer)

    def nps_scores(self) -> dict[int, int]:
        score = self._payload_int("score").label("score")
        query = (
            select(score, func.count())
            .where(interactions.c.workspace_id == self.ws, interactions.c.kind == "nps.answered")
            .group_by(score)
        )
        return {int(s): int(n) for s, n in self.conn.execute(query) if s is not None}

    def reviews(self) -> tuple[int, float | None]:
        query = select(func.count(), func.avg(self._payload_int("rating"))).where(
            interactions.c.workspace_id == self.ws, interactions.c.kind == "review.submitted"
        )
        n, avg = self.conn.execute(query).one()
        return int(n), None if avg is None else float(avg)

    def interactions(self) -> int:
        query = select(func.count()).where(interactions.c.workspace_id == self.ws)
        return int(self.conn.execute(query).scalar_one())

    def example_email(self) -> str | None:
        """A customer worth looking at: one a staff member looks after, with the most orders."""
        unowned = case((persons.c.owner.is_(None), 1), else_=0)
        top = (
            select(orders.c.person_id)
            .join(persons, persons.c.id == orders.c.person_id)
            .where(self._live())
            .group_by(orders.c.person_id, persons.c.owner)
            .order_by(unowned, desc(func.count()), orders.c.person_id)
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(identities.c.value)
            .where(
                identities.c.workspace_id == self.ws,
                identities.c.kind == "email",
                identities.c.person_id == top,
            )
            .order_by(identities.c.id)
            .limit(1)
        )
        value = self.conn.execute(query).scalar()
        if value is None:
            fallback = (
                select(identities.c.value)
                .where(identities.c.workspace_id == self.ws, identities.c.kind == "email")
                .order_by(identities.c.id)
                .limit(1)
            )
            value = self.conn.execute(fallback).scalar()
        return None if value is None else str(value)
