"""`goodwill serve`: its help, and a plain one-line error when the port is taken."""

from __future__ import annotations

import socket

import pytest
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def test_serve_help_names_the_options(cli: Cli) -> None:
    result = cli("serve", "--help")
    assert result.exit_code == 0
    assert "--host" in result.stdout and "--port" in result.stdout
    assert "unsubscribe, NPS and review pages" in result.stdout


def test_a_port_in_use_is_one_line_without_a_traceback(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is already in use; stop what runs there or pick "
        "another with --port"
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_port_is_refused_by_the_option(cli: Cli) -> None:
    result = cli("serve", "--port", "70000")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
