"""Bad rows: each class is reported in the rejects file (line, column, value, reason), the
order it belongs to is rejected whole, and everything else is imported.  ``--strict`` imports
nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e
DATA = Path(__file__).parents[1] / "data"
SHOPIFY = DATA / "shopify" / "orders_export.csv"
# record index in the fixture -> (order, physical line): #1001's Notes span lines 2-3
LINE = {1: 2, 2: 4, 3: 5, 4: 6, 5: 7, 6: 8, 7: 9, 8: 11, 9: 12}


def _edited(
    tmp_path: Path, *changes: tuple[int, str, str], extra: list[list[str]] | None = None
) -> Path:
    with SHOPIFY.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for record, column, value in changes:
        rows[record][header.index(column)] = value
    rows.extend(extra or [])
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _rejects(path: Path) -> list[dict[str, str]]:
    with (path.parent / (path.name + ".rejects.csv")).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _import(cli: Cli, path: Path, *more: str) -> dict[str, object]:
    result = cli("import", "orders", str(path), "--format", "shopify", "--json", *more)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def _imported_orders(cli: Cli) -> int:
    return int(cli("stats", "--json").json()["counts"]["orders"])


def test_invalid_email(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (3, "Email", "ben(at)example.com"))
    data = _import(cli, path)
    assert data["rows_rejected"] == 1 and _imported_orders(cli) == 5
    assert _rejects(path) == [
        {"line": "5", "column": "Email", "value": "ben(at)example.com",
         "reason": "'ben(at)example.com' is not an email address"},
    ]  # fmt: skip


def test_invalid_date(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (4, "Created at", "31/02/2026"))
    _import(cli, path)
    (reject,) = _rejects(path)
    assert (reject["line"], reject["column"], reject["value"]) == ("6", "Created at", "31/02/2026")
    assert reject["reason"].startswith('"31/02/2026" is not a date')


def test_negative_quantity_rejects_the_whole_order(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (2, "Lineitem quantity", "-1"))
    data = _import(cli, path)
    assert data["rows_rejected"] == 2 and _imported_orders(cli) == 5
    rejects = _rejects(path)
    assert rejects[0] == {
        "line": "2", "column": "", "value": "",
        "reason": "not imported: order #1001 has a bad row at line 4",
    }  # fmt: skip
    assert rejects[1] == {
        "line": "4", "column": "Lineitem quantity", "value": "-1",
        "reason": 'negative quantity "-1"',
    }  # fmt: skip
    counts = data["counts"]
    assert isinstance(counts, dict)
    assert counts["orders"]["rejected"] == 1 and counts["order_lines"]["rejected"] == 2


def test_unknown_currency(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (5, "Currency", "EUX"))
    _import(cli, path)
    (reject,) = _rejects(path)
    assert (reject["line"], reject["column"]) == ("7", "Currency")
    assert reject["reason"] == "'EUX' is not an ISO 4217 currency code"


def test_amount_that_is_not_a_number(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (6, "Total", "39,50 GBP"), (6, "Lineitem price", "ten"))
    _import(cli, path)
    assert [(r["line"], r["column"], r["reason"]) for r in _rejects(path)] == [
        ("8", "Total", '"39,50 GBP" is not an amount'),
        ("8", "Lineitem price", '"ten" is not an amount'),
    ]


def test_conflicting_order_level_fields_on_rows_of_one_order(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (8, "Email", "someone.else@example.com"))
    _import(cli, path)
    rejects = _rejects(path)
    assert [r["line"] for r in rejects] == ["9", "11", "12"]
    assert rejects[1]["column"] == "Email"
    assert rejects[1]["reason"] == 'order #1006 has Email "dan@example.com" at line 9'
    assert _imported_orders(cli) == 5


def test_the_same_order_again_with_different_rows(cli: Cli, tmp_path: Path) -> None:
    with SHOPIFY.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    repeat = list(rows[3])
    repeat[rows[0].index("Total")] = "99.00"
    path = _edited(tmp_path, extra=[repeat])
    _import(cli, path)
    (reject,) = _rejects(path)
    assert reject["line"] == "13" and reject["value"] == "#1002"
    assert "appears again with different rows (first at line 5)" in reject["reason"]


def test_unknown_status_words(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (3, "Financial Status", "sort of paid"))
    _import(cli, path)
    (reject,) = _rejects(path)
    assert reject["reason"].startswith('"sort of paid" is not a financial status (pending,')


def test_marketing_consent_that_is_not_yes_or_no(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (5, "Accepts Marketing", "maybe"))
    _import(cli, path)
    assert _rejects(path)[0]["reason"] == '"maybe" is not yes or no'


def test_a_row_with_the_wrong_number_of_fields(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, extra=[["#1099", "x@example.com", "paid"]])
    _import(cli, path)
    (reject,) = _rejects(path)
    assert reject["line"] == "13" and reject["reason"] == "the row has 3 fields, the header has 79"


def test_required_values_that_are_empty(cli: Cli, tmp_path: Path) -> None:
    path = _edited(
        tmp_path, (5, "Created at", ""), (7, "Name", ""), (8, "Name", ""), (9, "Name", "")
    )
    data = _import(cli, path)
    rejects = _rejects(path)
    assert {(r["line"], r["column"], r["reason"]) for r in rejects} == {
        ("7", "Created at", "Created at is empty"),
        ("9", "Name", "Name is empty"), ("11", "Name", "Name is empty"),
        ("12", "Name", "Name is empty"),
    }  # fmt: skip
    assert data["rows_rejected"] == 4


def test_a_bad_phone_in_the_phone_column(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (6, "Phone", "call me"))
    _import(cli, path)
    assert _rejects(path)[0]["reason"] == "'call me' is not a phone number"


def test_a_customer_row_without_any_identity(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "First Name,Last Name,Email,Phone,Accepts Email Marketing\n"
        "Ana,Silva,ana@example.com,,yes\nNo,Contact,,,no\n"
    )
    result = cli("import", "customers", str(path), "--format", "shopify", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["counts"]["people"] == {
        "created": 1, "updated": 0, "unchanged": 0, "rejected": 1,
    }  # fmt: skip
    assert _rejects(path)[0]["reason"] == "no email, phone or customer id"


def test_rejects_go_where_asked(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (3, "Email", "nope"))
    target = tmp_path / "out" / "bad.csv"
    target.parent.mkdir()
    data = _import(cli, path, "--rejects", str(target))
    assert data["rejects_file"] == str(target) and target.exists()
    assert not (tmp_path / "orders.csv.rejects.csv").exists()


def test_a_clean_rerun_removes_the_stale_rejects_file(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (3, "Email", "nope"))
    _import(cli, path)
    rejects = tmp_path / "orders.csv.rejects.csv"
    assert rejects.exists()
    _edited(tmp_path)  # fixed
    data = _import(cli, path)
    assert data["rejects_file"] is None and not rejects.exists()


def test_strict_imports_nothing_when_any_row_is_bad(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path, (3, "Email", "nope"), (9, "Lineitem price", "x"))
    result = cli("import", "orders", str(path), "--format", "shopify", "--strict")
    assert result.exit_code == 1
    # #1002's row, and the three rows of #1006 (rejected whole for its bad price)
    assert "4 of 9 rows are bad; nothing was imported (--strict)" in result.stderr
    assert "Traceback" not in result.stderr
    assert _imported_orders(cli) == 0
    assert [r["line"] for r in _rejects(path) if r["column"]] == ["5", "12"]


def test_strict_imports_everything_when_all_rows_are_good(cli: Cli, tmp_path: Path) -> None:
    path = _edited(tmp_path)
    data = _import(cli, path, "--strict")
    assert data["rows"] == 9 and data["rows_rejected"] == 0 and _imported_orders(cli) == 6
