"""A minimal, fast SMTP sink for benchmarks: it speaks just enough SMTP and counts Message-IDs.

    python benchmarks/smtp_sink.py PORT [--host 127.0.0.1]

EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffing not needed: it only looks for the ``Message-ID``
header), RSET, NOOP and QUIT; no PIPELINING, no AUTH, no TLS.  aiosmtpd tops out around
600-900 messages/s on one core, which would measure the sink rather than the worker; this one
is an asyncio ``Protocol`` with a line parser and handles several thousand per second.  Like a
real MTA it reads its input in order, so a final dot that arrives together with the client's
FIN is still taken.

Prints ``ready`` once listening.  On SIGTERM/SIGINT it prints one JSON line
``{"received": n, "unique": u, "duplicates": d}`` and exits; SIGUSR1 prints the same line and
resets the counters.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter

_MESSAGE_ID = b"message-id:"


class Counts:
    def __init__(self) -> None:
        self.ids: Counter[bytes] = Counter()
        self.received = 0

    def report(self) -> str:
        unique = len(self.ids)
        return json.dumps(
            {"received": self.received, "unique": unique, "duplicates": self.received - unique}
        )


class SinkProtocol(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.in_data = False
        self.in_headers = False
        self.message_id = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 sink ESMTP ready\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out: list[bytes] = []
        while True:
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            if self.in_data:
                self._data_line(line, out)
            else:
                self._command(line, out)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _data_line(self, line: bytes, out: list[bytes]) -> None:
        if line == b".":
            self.in_data = False
            self.counts.received += 1
            self.counts.ids[self.message_id] += 1
            out.append(b"250 2.0.0 queued\r\n")
            return
        if self.in_headers:
            if not line:
                self.in_headers = False
            elif line[:11].lower() == _MESSAGE_ID:
                self.message_id = line[11:].strip()

    def _command(self, line: bytes, out: list[bytes]) -> None:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            out.append(
                b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                if verb == b"EHLO"
                else b"250 sink\r\n"
            )
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            out.append(b"250 2.0.0 ok\r\n")
        elif verb == b"DATA":
            self.in_data, self.in_headers, self.message_id = True, True, b""
            out.append(b"354 end with .\r\n")
        elif verb == b"QUIT":
            out.append(b"221 bye\r\n")
            if self.transport is not None:
                self.transport.write(b"".join(out))
                out.clear()
                self.transport.close()
        else:
            out.append(b"500 unknown command\r\n")


async def serve(host: str, port: int) -> None:
    counts = Counts()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def dump(reset: bool) -> None:
        print(counts.report(), flush=True)
        if reset:
            counts.ids.clear()
            counts.received = 0

    loop.add_signal_handler(signal.SIGUSR1, dump, True)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    server = await loop.create_server(lambda: SinkProtocol(counts), host, port, backlog=256)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    dump(False)


def main() -> None:
    port = int(sys.argv[1])
    host = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "127.0.0.1"
    asyncio.run(serve(host, port))


if __name__ == "__main__":
    main()
