"""`goodwill serve`: the public pages behind the links in messages (unsubscribe, NPS, reviews).

FastAPI and uvicorn are imported when the command runs, not when the CLI starts, so other
commands stay quick.  A port already in use is one line, not a traceback.
"""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from goodwill.cli.app import app
from goodwill.cli.output import console, err_console
from goodwill.cli.runtime import open_engine
from goodwill.config import Settings, get_settings
from goodwill.errors import GoodwillError

_DEFAULT_KEY = Settings.model_fields["signing_key"].default


class CannotListen(GoodwillError):
    code = "serve.cannot_listen"


def check_free(host: str, port: int) -> None:
    """Bind and release the address the way uvicorn will (``SO_REUSEADDR``), to say plainly
    why the server cannot start before it logs its own multi-line failure."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CannotListen(f"cannot listen on {host}: no such host or address") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CannotListen(
                    f"port {port} on {host} is already in use; stop what runs there or pick "
                    "another with --port"
                ) from None
            raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the unsubscribe, NPS and review pages (and /healthz) until interrupted."""
    settings = get_settings()
    check_free(host, port)
    engine = open_engine()
    import uvicorn

    from goodwill.web import create_app

    if settings.signing_key == _DEFAULT_KEY:
        err_console.print(
            "[yellow]warning:[/yellow] GOODWILL_SIGNING_KEY is the default; links signed with "
            "it can be forged, set your own before sending real messages",
            soft_wrap=True,
        )
    console.print(
        f"serving the public link pages on http://{host}:{port} "
        f"(messages link to {settings.public_url}); Ctrl+C stops",
        soft_wrap=True,
    )
    try:
        uvicorn.run(
            create_app(settings, engine=engine),
            host=host,
            port=port,
            proxy_headers=True,
            server_header=False,
            log_level="info",
        )
    finally:
        engine.dispose()
