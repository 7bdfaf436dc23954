"""Customer lists (Shopify customers export, generic CSV/Parquet): one person per row.

A row needs at least one identity (email, phone or customer id); identities must be valid.  Tags
are comma-separated.  ``Company`` becomes an account (matched by name, case and spacing ignored)
with the person as a member in the role "user".  Addresses, Total Spent, Total Orders and Tax
Exempt are not imported (orders are the record of spending).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from goodwill.ingest import values
from goodwill.ingest.formats.fields import CUSTOMER_FIELDS, Layout
from goodwill.ingest.models import CustomerRecord, Reject
from goodwill.kit.identity import IdentityError, normalize_external_id

T = TypeVar("T")


class CustomerRows:
    def __init__(self, layout: Layout, *, source: str) -> None:
        self.layout = layout
        self.source = source
        self.fields = tuple(f for f in CUSTOMER_FIELDS if layout.has(f))
        self.indices = tuple(layout.index[f] for f in self.fields)

    def records(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[CustomerRecord | Reject]:
        width = self.layout.width
        for line, row in rows:
            if len(row) != width:
                if any(cell.strip() for cell in row):
                    yield Reject(
                        line, "", "", f"the row has {len(row)} fields, the header has {width}"
                    )
                continue
            v = {f: row[i].strip() for f, i in zip(self.fields, self.indices, strict=True)}
            if not any(v.values()):
                continue
            result = self.parse(line, v)
            if isinstance(result, list):
                yield from result
            else:
                yield result

    def parse(self, line: int, v: dict[str, str]) -> CustomerRecord | list[Reject]:
        errors: list[Reject] = []
        column = self.layout.column

        def cell(name: str, parse: Callable[[str], T]) -> T | None:
            raw = v.get(name, "")
            if not raw:
                return None
            try:
                return parse(raw)
            except values.FieldError as exc:
                errors.append(Reject(line, column[name], raw, exc.reason))
                return None

        region = (v.get("country") or "").upper() or None
        email = cell("email", values.parse_email)
        phone = cell("phone", lambda s: values.parse_phone(s, region))
        external = cell("customer_id", self._external)
        email_marketing = cell("accepts_email_marketing", values.parse_yes_no)
        sms_marketing = cell("accepts_sms_marketing", values.parse_yes_no)
        created_at = cell("created_at", values.parse_timestamp)
        if not errors and email is None and phone is None and external is None:
            what = ", ".join(column[f] for f in ("email", "phone", "customer_id") if f in column)
            errors.append(Reject(line, what, "", "no email, phone or customer id"))
        if errors:
            return errors
        first, last = v.get("first_name") or None, v.get("last_name") or None
        if first is None and last is None and v.get("name"):
            first, last = values.split_name(v["name"])
        tags = [t.strip() for t in v.get("tags", "").split(",") if t.strip()]
        return CustomerRecord(
            line=line,
            email=email,
            phone=phone,
            external=external,
            first_name=first,
            last_name=last,
            company=v.get("company") or None,
            tags=tags,
            note=v.get("note") or None,
            email_marketing=email_marketing if email else None,
            sms_marketing=sms_marketing if phone else None,
            email_marketing_column=column.get("accepts_email_marketing", ""),
            sms_marketing_column=column.get("accepts_sms_marketing", ""),
            created_at=created_at,
        )

    def _external(self, raw: str) -> str:
        try:
            return normalize_external_id(self.source, raw.lstrip("'"))
        except IdentityError as exc:
            raise values.FieldError(str(exc)) from None
