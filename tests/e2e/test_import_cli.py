"""`goodwill import orders|customers` end to end: summary, JSON, re-import, formats, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e
DATA = Path(__file__).parents[1] / "data"
SHOPIFY = DATA / "shopify" / "orders_export.csv"


def test_import_prints_a_summary_table_and_reimport_is_unchanged(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    shutil.copy(SHOPIFY, path)
    first = cli("import", "orders", str(path), "--format", "shopify")
    assert first.exit_code == 0, first.stderr
    for word in ("people", "identities", "orders", "order lines", "products", "interactions",
                 "consent events", "created", "unchanged"):  # fmt: skip
        assert word in first.stdout
    assert not (tmp_path / "orders_export.csv.rejects.csv").exists()
    again = cli("import", "orders", str(path), "--format", "shopify", "--json")
    assert again.exit_code == 0
    data = again.json()
    assert data["rows"] == 9 and data["rows_rejected"] == 0 and data["rejects_file"] is None
    assert data["counts"]["orders"] == {"created": 0, "updated": 0, "unchanged": 6, "rejected": 0}
    stats = cli("stats", "--json").json()
    assert stats["counts"]["orders"] == 6 and stats["counts"]["people"] == 5


def test_json_summary_of_a_first_import(cli: Cli) -> None:
    result = cli("import", "orders", str(SHOPIFY), "--format", "shopify", "--json", "-w", "shop-a")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert (
        data["workspace"] == "shop-a" and data["format"] == "shopify" and data["kind"] == "orders"
    )
    assert data["counts"]["people"]["created"] == 5
    assert data["counts"]["consent_events"]["created"] == 4
    assert cli("stats", "--json", "-w", "shop-a").json()["counts"]["orders"] == 6


def test_cdnow_sample(cli: Cli) -> None:
    result = cli("import", "orders", str(DATA / "cdnow" / "CDNOW_sample.txt"), "--format", "cdnow",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    counts = result.json()["counts"]
    assert counts["people"]["created"] == 2357 and counts["orders"]["created"] == 6919


def test_generic_csv_with_map_and_source(cli: Cli) -> None:
    args = ["import", "orders", str(DATA / "csv" / "orders_other_shop.csv"), "--format", "csv",
            "--source", "othershop", "--json"]  # fmt: skip
    for pair in ("Order Number=order_id", "Order Date=placed_at", "E-mail=email", "Mobile=phone",
                 "Client=customer_id", "Item SKU=sku", "Item=product_name", "Qty=quantity",
                 "Unit Price=unit_price"):  # fmt: skip
        args += ["--map", pair]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert result.json()["counts"]["orders"]["created"] == 3
    show = cli("people", "show", "othershop:C-18", "--json")
    assert show.exit_code == 0 and show.json()["orders"]["orders"] == 1


def test_customers_then_orders(cli: Cli) -> None:
    customers = cli("import", "customers", str(DATA / "shopify" / "customers_export.csv"),
                    "--format", "shopify", "--json")  # fmt: skip
    assert customers.exit_code == 0, customers.stderr
    assert customers.json()["counts"]["accounts"]["created"] == 2
    orders = cli("import", "orders", str(SHOPIFY), "--format", "shopify", "--json")
    assert orders.json()["counts"]["people"]["created"] == 3  # Ben and Ana already known
    profile = cli("people", "show", "ana.silva@example.com", "--json").json()
    assert profile["orders"]["orders"] == 2 and profile["accounts"][0]["role"] == "user"


def test_help_lists_the_generic_csv_fields(cli: Cli) -> None:
    result = cli("import", "orders", "--help")
    assert result.exit_code == 0
    for field in ("order_id", "placed_at", "currency", "unit_price", "accepts_marketing"):
        assert field in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders", "{tmp}/missing.csv", "--format", "shopify"], "no such file"),
        (["orders", "{tmp}", "--format", "shopify"], "not a file"),
        (["orders", "{data}/csv/orders_other_shop.csv", "--format", "shopify"],
         "a shopify orders export needs columns Name, Email, Created at"),
        (["orders", "{data}/csv/orders_other_shop.csv", "--format", "csv"],
         "a csv orders file needs fields order_id, placed_at, currency"),
        (["orders", "{data}/shopify/orders_export.csv", "--format", "cdnow"],
         "is not a CDNOW transaction log"),
        (["orders", "{data}/cdnow/CDNOW_sample.txt", "--format", "shopify"],
         "needs columns"),
        (["customers", "{data}/cdnow/CDNOW_sample.txt", "--format", "cdnow"],
         "cdnow files hold orders"),
        (["orders", "{data}/shopify/orders_export.csv", "--format", "shopify", "--map", "a=b"],
         "--map applies to --format csv only"),
        (["orders", "{data}/csv/orders_other_shop.csv", "--format", "csv", "--map", "Qty=qty"],
         "unknown field 'qty'"),
        (["orders", "{data}/shopify/orders_export.csv", "--format", "shopify", "--rejects",
          "{tmp}/nowhere/r.csv"], "cannot write the rejects file"),
    ],
)  # fmt: skip
def test_whole_file_problems_are_one_error_line_and_exit_code_1(
    cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.format(tmp=tmp_path, data=DATA) for a in args]
    result = cli("import", *argv)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error:")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"PK\x03\x04xlsx", "spreadsheet"), (b"Name,Email\n\xff\xfe", "not UTF-8"), (b"", "is empty")],
)
def test_unreadable_files_are_one_error_line(
    cli: Cli, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    result = cli("import", "orders", str(path), "--format", "shopify")
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_format_is_refused_by_the_option_parser(cli: Cli) -> None:
    result = cli("import", "orders", str(SHOPIFY), "--format", "xlsx")
    assert result.exit_code == 2 and "xlsx" in result.stderr
