"""Deterministic generator of a realistic Shopify orders export (one row per line item).

    .venv/bin/python benchmarks/gen_shopify.py --lines 1000000 --customers 100000 --out /tmp/orders.csv

The same arguments always produce the same bytes.  The file has the 79 columns of Shopify's
orders export, a UTF-8 BOM, order-level fields only on each order's first row, timestamps like
``2026-09-03 10:15:00 -0400``, and Notes that now and then hold commas, quotes and newlines.
Orders have 1-4 line items (about 2.5 on average); a few SKUs are blank (the importer then keys
the product by its name).
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
    "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
    "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
    "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
]  # fmt: skip
COL = {name: i for i, name in enumerate(HEADER)}

FIRST = ["Ana", "Ben", "Chloé", "David", "Eva", "Farid", "Grace", "Hiro", "Inês", "Jonas",
         "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"]  # fmt: skip
LAST = ["Silva", "Smith", "Müller", "Nguyen", "Okafor", "García", "Kowalski", "Tanaka", "Dubois",
        "O'Brien", "Rossi", "Haddad", "Johansson", "Costa", "Patel", "Kim", "Novak", "Lee"]  # fmt: skip
CITIES = [("Lisbon", "PT", "LIS", "+351 9{:08d}"), ("Austin", "US", "TX", "+1 512{:07d}"),
          ("Berlin", "DE", "BE", "+49 151{:08d}"), ("Toronto", "CA", "ON", "(416) {:07d}"),
          ("Leeds", "GB", "ENG", "+44 7{:09d}")]  # fmt: skip
ADJ = ["Classic", "Organic", "Hand-made", "Limited", "Everyday", "Travel", "Deluxe", "Mini"]
NOUN = ["Tea Blend", "Mug", "Tote Bag", "Notebook", "Candle", "Soap", "Scarf", "Coffee Beans"]
NOTES = ["Please gift wrap", 'Leave at the door, "back" entrance', "Call before delivery, thanks",
         "Happy birthday, Mum!\nLove, Sam", 'He said: "no plastic, please"']  # fmt: skip
ZONES = [timezone(timedelta(hours=h)) for h in (-4, -5, 0, 1, 2)]


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %z")


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


class Generator:
    def __init__(self, seed: int, customers: int, products: int = 2000) -> None:
        self.rng = random.Random(seed)
        self.customers = customers
        rng = self.rng
        self.products = []
        for i in range(products):
            name = f"{rng.choice(ADJ)} {rng.choice(NOUN)} {i % 97}"
            sku = "" if i % 40 == 0 else f"SKU-{i:05d}"
            self.products.append((sku, name, rng.randrange(300, 9000)))

    def customer(self, n: int) -> tuple[str, str, str, str, tuple[str, str, str, str]]:
        first = FIRST[n % len(FIRST)]
        last = LAST[(n // len(FIRST)) % len(LAST)]
        email = f"{first.lower().replace('é', 'e').replace('ê', 'e')}.{n}@example.com"
        city = CITIES[n % len(CITIES)]
        phone = city[3].format(n) if n % 3 == 0 else ""
        marketing = "yes" if n % 5 < 3 else "no"
        return first, last, email, phone, (marketing, *city[:3])

    def rows(self, lines: int, first_order: int = 1001) -> list[list[str]]:
        """All rows, generated order by order until ``lines`` rows exist."""
        out: list[list[str]] = []
        rng = self.rng
        start = datetime(2024, 1, 1, tzinfo=UTC)
        order_no = first_order - 1
        while len(out) < lines:
            order_no += 1
            n = int(self.customers * rng.random() ** 1.5)  # some customers buy far more often
            first, last, email, phone, (marketing, city, country, province) = self.customer(n)
            zone = ZONES[n % len(ZONES)]
            created = (start + timedelta(seconds=order_no * 97 + rng.randrange(90))).astimezone(
                zone
            )
            k = min(rng.choice((1, 1, 2, 2, 3, 3, 4, 4)), lines - len(out))
            items = [self.products[rng.randrange(len(self.products))] for _ in range(k)]
            qtys = [rng.choice((1, 1, 1, 2, 3)) for _ in range(k)]
            subtotal = sum(p[2] * q for p, q in zip(items, qtys, strict=True))
            discount = subtotal // 10 if rng.random() < 0.15 else 0
            shipping = 0 if subtotal > 5000 else 495
            taxes = (subtotal - discount) * 8 // 100
            total = subtotal - discount + shipping + taxes
            r = rng.random()
            financial = "paid"
            cancelled = refunded = ""
            if r < 0.03:
                financial, cancelled = "voided", _ts(created + timedelta(hours=3))
            elif r < 0.05:
                financial, refunded = "refunded", _money(total)
            elif r < 0.07:
                financial, refunded = "partially_refunded", _money(total // 4)
            elif r < 0.10:
                financial = "pending"
            paid = _ts(created + timedelta(minutes=2)) if financial != "pending" else ""
            fulfilled_ok = financial in ("paid", "partially_refunded", "refunded") and r > 0.04
            fulfilled = _ts(created + timedelta(days=1 + r * 4)) if fulfilled_ok else ""
            for i, ((sku, name, price), qty) in enumerate(zip(items, qtys, strict=True)):
                row = [""] * len(HEADER)
                row[COL["Name"]] = f"#{order_no}"
                row[COL["Lineitem quantity"]] = str(qty)
                row[COL["Lineitem name"]] = name
                row[COL["Lineitem price"]] = _money(price)
                row[COL["Lineitem compare at price"]] = ""
                row[COL["Lineitem sku"]] = sku
                row[COL["Lineitem requires shipping"]] = "true"
                row[COL["Lineitem taxable"]] = "true"
                row[COL["Lineitem fulfillment status"]] = "fulfilled" if fulfilled else "pending"
                row[COL["Lineitem discount"]] = "0.00"
                row[COL["Vendor"]] = "Goodwill Goods"
                if i == 0:
                    self._order_fields(row, locals())
                out.append(row)
        return out

    def _order_fields(self, row: list[str], v: dict[str, object]) -> None:
        rng = self.rng
        full = f"{v['first']} {v['last']}"
        row[COL["Email"]] = str(v["email"])
        row[COL["Financial Status"]] = str(v["financial"])
        row[COL["Paid at"]] = str(v["paid"])
        row[COL["Fulfillment Status"]] = "fulfilled" if v["fulfilled"] else "unfulfilled"
        row[COL["Fulfilled at"]] = str(v["fulfilled"])
        row[COL["Accepts Marketing"]] = str(v["marketing"])
        row[COL["Currency"]] = "USD" if v["country"] in ("US", "CA") else "EUR"
        row[COL["Subtotal"]] = _money(int(str(v["subtotal"])))
        row[COL["Shipping"]] = _money(int(str(v["shipping"])))
        row[COL["Taxes"]] = _money(int(str(v["taxes"])))
        row[COL["Total"]] = _money(int(str(v["total"])))
        discount = int(str(v["discount"]))
        row[COL["Discount Code"]] = "WELCOME10" if discount else ""
        row[COL["Discount Amount"]] = _money(discount)
        row[COL["Shipping Method"]] = "Standard"
        row[COL["Created at"]] = _ts(v["created"])  # type: ignore[arg-type]
        for side in ("Billing", "Shipping"):
            row[COL[f"{side} Name"]] = full
            row[COL[f"{side} Street"]] = f"{rng.randrange(1, 300)} Main Street"
            row[COL[f"{side} Address1"]] = row[COL[f"{side} Street"]]
            row[COL[f"{side} City"]] = str(v["city"])
            row[COL[f"{side} Zip"]] = f"{rng.randrange(10000, 99999)}"
            row[COL[f"{side} Province"]] = str(v["province"])
            row[COL[f"{side} Country"]] = str(v["country"])
            row[COL[f"{side} Phone"]] = str(v["phone"])
        row[COL["Notes"]] = NOTES[rng.randrange(len(NOTES))] if rng.random() < 0.05 else ""
        row[COL["Cancelled at"]] = str(v["cancelled"])
        row[COL["Payment Method"]] = "Shopify Payments"
        row[COL["Refunded Amount"]] = str(v["refunded"]) or "0.00"
        row[COL["Outstanding Balance"]] = "0.00"
        row[COL["Id"]] = str(5_000_000_000 + int(str(v["order_no"])))
        row[COL["Risk Level"]] = "Low"
        row[COL["Source"]] = "web"
        row[COL["Tax 1 Name"]] = "State Tax 8%"
        row[COL["Tax 1 Value"]] = row[COL["Taxes"]]
        row[COL["Phone"]] = str(v["phone"])
        row[COL["Payment ID"]] = f"c{rng.randrange(10**12)}.1"


def write(
    path: Path, lines: int, customers: int, seed: int, first_order: int = 1001, chunk: int = 50_000
) -> None:
    gen = Generator(seed, customers)
    rows = gen.rows(lines, first_order)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(0, len(rows), chunk):
            writer.writerows(rows[i : i + chunk])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first-order", type=int, default=1001, help="number of the first order")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.out, args.lines, args.customers, args.seed, args.first_order)


if __name__ == "__main__":
    main()
