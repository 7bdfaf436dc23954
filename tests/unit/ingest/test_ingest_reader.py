"""Whole-file problems are one clear error; rows are read with the line they start on."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from goodwill.ingest.errors import ImportFileError
from goodwill.ingest.reader import CsvSource, ParquetSource, describe, open_source


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        describe(tmp_path / "nope.csv")


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="not a file"):
        describe(tmp_path)


def test_describe_fingerprints_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x\n")
    info = describe(path)
    assert info.name == "a.csv" and info.size == 2
    assert info.sha256 == hashlib.sha256(b"x\n").hexdigest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04rest", "spreadsheet"),
        (gzip.compress(b"Name\n", mtime=0), "gzip"),
        (b"Name,Email\n#1,\x00\n", "NUL bytes"),
        (b"Name,Email\n#1,caf\xe9\n", "not UTF-8"),
    ],
)
def test_files_that_are_not_utf8_csv_are_named_for_what_they_are(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        CsvSource(path)


def test_an_empty_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbf\n\n")
    with pytest.raises(ImportFileError, match="is empty"):
        CsvSource(path)


def test_records_carry_the_line_they_start_on_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('\ufeffa,b\n1,"two\nlines, ""quoted"""\n\n3,4\n', encoding="utf-8")
    src = CsvSource(path)
    assert src.header == ["a", "b"]
    assert list(src.records()) == [(2, ["1", 'two\nlines, "quoted"']), (5, ["3", "4"])]
    src.close()


def test_the_delimiter_of_generic_csv_is_guessed_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("order_id;placed_at\n1;2026-01-01\n")
    src = open_source(path, kind="csv-any")
    assert src.header == ["order_id", "placed_at"]
    assert list(src.records()) == [(2, ["1", "2026-01-01"])]
    src.close()


def test_an_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('a,b\n1,"' + "x" * 200_000 + "\n")
    src = CsvSource(path)
    with pytest.raises(ImportFileError, match=r"line 2: .*unclosed quote"):
        list(src.records())
    src.close()


def test_parquet_rows_read_as_text(tmp_path: Path) -> None:
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "o.parquet"
    pq.write_table(
        pa.table({
            "order_id": ["A", None],
            "qty": [1, 2],
            "price": [Decimal("12.50"), Decimal("3.00")],
            "at": [dt.datetime(2026, 1, 1, 10), dt.datetime(2026, 1, 2)],
            "ok": [True, False],
        }),
        path,
    )  # fmt: skip
    src = open_source(path, kind="csv-any")
    assert isinstance(src, ParquetSource) and src.total == 2
    assert list(src.records()) == [
        (1, ["A", "1", "12.50", "2026-01-01T10:00:00", "yes"]),
        (2, ["", "2", "3.00", "2026-01-02T00:00:00", "no"]),
    ]
    src.close()


def test_a_file_that_is_not_parquet_says_so(tmp_path: Path) -> None:
    path = tmp_path / "o.parquet"
    path.write_text("order_id\n1\n")
    with pytest.raises(ImportFileError, match="not a readable Parquet file"):
        open_source(path, kind="csv-any")
