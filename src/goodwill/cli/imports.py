"""`goodwill import orders|customers FILE --format ...`: bring a customer base into Goodwill.

Each batch is committed as it is written, so a long import makes progress; an interrupted import
is finished by running the same command again (imports are idempotent).  Rejected rows go to the
rejects file (line, column, value, reason); the valid rows are imported.  With ``--strict`` the
whole file is validated first and nothing is imported if any row is bad (exit code 1).
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from goodwill.cli.app import app
from goodwill.cli.output import console, err_console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.db.engine import unit_of_work
from goodwill.ingest.batches import DEFAULT_ROWS
from goodwill.ingest.errors import StrictRejected
from goodwill.ingest.formats.fields import CUSTOMER_FIELDS, ORDER_FIELDS, parse_map_options
from goodwill.ingest.models import KINDS, FileFormat, ImportKind, Summary
from goodwill.ingest.rejects import RejectsFile, default_path
from goodwill.ingest.service import Importer

import_app = typer.Typer(
    help="Import orders or customers (Shopify, CDNOW, generic CSV or Parquet).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

FileArg = Annotated[
    Path,
    typer.Argument(help="The file to import (CSV, Parquet or CDNOW text).", show_default=False),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="For --format csv: map a source column to a Goodwill field, COLUMN=FIELD "
        "(repeatable). Columns named like fields map themselves.",
        show_default=False,
    ),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Import nothing if any row is bad (validates first).")
]
RejectsOption = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Where to write rejected rows (default: FILE.rejects.csv beside the input; "
        "written only if there are rejects).",
        show_default=False,
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="For --format csv: namespace of the file's ids (orders, customer_id identities). "
        "Default: the format name.",
        show_default=False,
    ),
]
BatchOption = Annotated[
    int,
    typer.Option("--batch-rows", min=100, help="Rows per batch (one transaction each)."),
]


def _fields_help(fields: dict[str, str]) -> str:
    return (
        "Re-running an import is safe (nothing is duplicated), so an interrupted import is "
        "finished by running it again. Bad rows go to the rejects file and the rest is "
        "imported; --strict imports nothing if any row is bad.\n\n"
        "Generic CSV fields: " + ", ".join(fields) + "."
    )


def format_summary(summary: Summary) -> Group:
    """The end-of-import report: one line, then a table per kind (pure: builds, never prints)."""
    head = Text.assemble(
        ("Imported ", ""),
        (f"{summary.kind} ", "bold"),
        (f"from {summary.file} ({summary.format}) into workspace {summary.workspace}: ", ""),
        (f"{summary.rows:,} rows, {summary.rows_rejected:,} rejected, ", ""),
        (f"{summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s)", ""),
    )
    table = Table(show_edge=False, pad_edge=False)
    for col in ("kind", "created", "updated", "unchanged", "rejected"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in KINDS:
        t = summary.counts[kind]
        if t.created or t.updated or t.unchanged or t.rejected:
            table.add_row(
                kind.replace("_", " "),
                f"{t.created:,}",
                f"{t.updated:,}",
                f"{t.unchanged:,}",
                f"{t.rejected:,}",
            )
    return Group(head, table)


def _progress(enabled: bool, total: int, units: str) -> Any:
    if not enabled:
        return nullcontext(None)
    columns: list[Any] = [TextColumn("importing"), BarColumn(), TaskProgressColumn()]
    columns.append(DownloadColumn() if units == "bytes" else TextColumn("{task.completed:,} rows"))
    columns.append(TimeRemainingColumn())
    return Progress(*columns, console=err_console, transient=True)


def run_import(
    kind: ImportKind,
    file: Path,
    fmt: FileFormat,
    *,
    workspace: str,
    mapping: list[str] | None,
    strict: bool,
    rejects_path: Path | None,
    json_out: bool,
    source: str | None,
    batch_rows: int,
) -> None:
    importer = Importer(
        kind,
        fmt,
        file,
        mapping=parse_map_options(mapping or []),
        source_name=source,
        batch_rows=batch_rows,
    )
    rejects = RejectsFile(rejects_path or default_path(file))
    engine = open_engine()
    show = not json_out and sys.stderr.isatty()
    units = "rows" if file.suffix.lower() in (".parquet", ".parq", ".pq") else "bytes"
    try:
        with workspace_transaction(engine, workspace) as (conn, ws):
            importer.start(conn, ws)
        with _progress(show, importer.size, units) as progress:
            task = progress.add_task("import", total=importer.size) if progress else None
            if strict:
                for position, bad in importer.validation_pass():
                    rejects.write(bad)
                    if progress is not None:
                        progress.update(task, completed=position)
                if rejects.count:
                    with unit_of_work(engine) as conn:
                        importer.finish(conn, ws)
                    raise StrictRejected(
                        f"{importer.summary.rows_rejected:,} of {importer.summary.rows:,} rows "
                        f"are bad; nothing was imported (--strict); see {rejects.path}"
                    )
                importer.summary.rows = importer.summary.rows_rejected = 0
                if progress is not None:
                    progress.reset(task, total=importer.size)
            for batch in importer.batches():
                with unit_of_work(engine) as conn:
                    bad = importer.apply(conn, ws, batch)
                rejects.write(bad)
                if progress is not None:
                    progress.update(task, completed=batch.position)
        with unit_of_work(engine) as conn:
            summary = importer.finish(conn, ws)
    finally:
        rejects.close()
    summary.rejects_path = str(rejects.path) if rejects.written else None
    if json_out:
        print_json(summary.as_dict())
        return
    console.print(format_summary(summary))
    if summary.rejects_path:
        err_console.print(
            f"{summary.rows_rejected:,} rows rejected: see {summary.rejects_path}", highlight=False
        )


@import_app.command("orders", help="Import orders.\n\n" + _fields_help(ORDER_FIELDS))
def import_orders(
    file: FileArg,
    fmt: Annotated[
        FileFormat, typer.Option("--format", "-f", help="shopify, cdnow or csv (csv or .parquet).")
    ],
    workspace: WorkspaceOption = "default",
    mapping: MapOption = None,
    strict: StrictOption = False,
    rejects: RejectsOption = None,
    json_out: JsonOption = False,
    source: SourceOption = None,
    batch_rows: BatchOption = DEFAULT_ROWS,
) -> None:
    run_import(
        ImportKind.ORDERS,
        file,
        fmt,
        workspace=workspace,
        mapping=mapping,
        strict=strict,
        rejects_path=rejects,
        json_out=json_out,
        source=source,
        batch_rows=batch_rows,
    )


@import_app.command("customers", help="Import customers.\n\n" + _fields_help(CUSTOMER_FIELDS))
def import_customers(
    file: FileArg,
    fmt: Annotated[
        FileFormat, typer.Option("--format", "-f", help="shopify or csv (csv or .parquet).")
    ],
    workspace: WorkspaceOption = "default",
    mapping: MapOption = None,
    strict: StrictOption = False,
    rejects: RejectsOption = None,
    json_out: JsonOption = False,
    source: SourceOption = None,
    batch_rows: BatchOption = DEFAULT_ROWS,
) -> None:
    run_import(
        ImportKind.CUSTOMERS,
        file,
        fmt,
        workspace=workspace,
        mapping=mapping,
        strict=strict,
        rejects_path=rejects,
        json_out=json_out,
        source=source,
        batch_rows=batch_rows,
    )
