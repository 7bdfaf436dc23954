"""A real SMTP server (aiosmtpd) in its own process that writes down each message it accepts.

    python smtp_recorder.py PORT OUT_FILE [--stock] [--tls CERT KEY]

Listens on 127.0.0.1:PORT, prints ``ready`` on stdout once it accepts connections, and for every
message it takes (that is: after the client's final ``<CRLF>.<CRLF>``, before answering 250)
appends the message's ``Message-ID`` as one line to OUT_FILE and flushes it.  A client that
disconnects before the final dot leaves nothing behind, as with any SMTP server.  Stops on
SIGTERM/SIGINT.  With ``--tls`` it requires STARTTLS with that certificate.

One deliberate difference from stock aiosmtpd (``--stock`` turns it off): aiosmtpd cancels a
session when the client's FIN arrives while the session's handler is busy, even if the final dot
is already in its receive buffer (aio-libs/aiosmtpd#110); an MTA that reads its input in order
(as Postfix's smtpd does) would take that message.  In a direct check stock aiosmtpd kept all 40
of 40 sessions that closed right after the dot, so this rarely matters for the worker's sessions;
the recorder still reads a buffered final dot before ending the session, so that the kill test
measures the worker and not this corner of the server.
"""

from __future__ import annotations

import re
import signal
import ssl
import sys
import threading
from typing import Any, TextIO

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Recorder:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = _MESSAGE_ID.search(envelope.original_content or b"")
        message_id = found.group(1).decode("ascii", "replace") if found else "<none>"
        with self.lock:
            self.out.write(message_id + "\n")
            self.out.flush()
        if getattr(server, "eof_after_data", False):  # the client is gone: end the session now
            server.loop.call_soon(server._handler_coroutine.cancel)
        return "250 2.0.0 Queued"


class InOrderSMTP(SMTP):  # type: ignore[misc]
    """aiosmtpd, except that a final dot that arrived together with the FIN is still read."""

    def eof_received(self) -> bool | None:
        reader = self._reader
        buffered = bytes(getattr(reader, "_buffer", b"")) if reader is not None else b""
        if buffered == b".\r\n" or buffered.endswith(b"\r\n.\r\n"):
            self.eof_after_data = True
            reader.feed_eof()
            return True
        return super().eof_received()  # type: ignore[no-any-return]


class InOrderController(Controller):  # type: ignore[misc]
    def factory(self) -> SMTP:
        return InOrderSMTP(self.handler, **self.SMTP_kwargs)


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    stock = "--stock" in sys.argv[3:]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    tls: dict[str, Any] = {}
    if "--tls" in sys.argv:
        at = sys.argv.index("--tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[at + 1], sys.argv[at + 2])
        tls = {"tls_context": context, "require_starttls": True}
    with open(path, "a", encoding="ascii") as out:
        kind = Controller if stock else InOrderController
        controller = kind(Recorder(out), hostname="127.0.0.1", port=port, **tls)
        controller.start()
        print("ready", flush=True)
        try:
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
