"""Entry point of the `goodwill` command.  Errors meant for users print as one line, never a
traceback (set GOODWILL_DEBUG=1 to see one for an unexpected failure)."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from goodwill.cli.output import console, err_console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.errors import GoodwillError

app = typer.Typer(
    name="goodwill",
    help="Goodwill: remember every customer, measure relationship health, act at the right moment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def init(workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """Create or upgrade the database schema and the workspace."""
    engine = open_engine(migrate=True)
    with workspace_transaction(engine, workspace) as (_conn, ws):
        pass
    url = engine.url.render_as_string(hide_password=True)
    if json_out:
        print_json({"database": url, "workspace": ws.name, "workspace_id": ws.id})
    else:
        console.print(f"database ready: {url} (workspace [bold]{ws.name}[/bold])")


def _register() -> None:
    """Sub-command groups live in their own modules; importing them registers them on ``app``."""
    from goodwill.cli import commands  # noqa: F401


def run(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; returns the exit code instead of exiting."""
    try:
        _register()
        app(args=argv, prog_name="goodwill", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except GoodwillError as exc:
        err_console.print(
            f"[red]error:[/red] {escape(exc.message)}", markup=True, highlight=False, soft_wrap=True
        )
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # a traceback shown to a user is a bug: say what failed, briefly
        if os.environ.get("GOODWILL_DEBUG"):
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {escape(str(exc))} "
            "(run with GOODWILL_DEBUG=1 for details and please report it)",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
        return 70
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
