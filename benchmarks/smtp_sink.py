"""A minimal, fast SMTP sink for benchmarks: it speaks just enough SMTP and counts Message-IDs.

    python benchmarks/smtp_sink.py PORT [--host 127.0.0.1] [--no-pipelining]

EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffing not needed: it only reads the ``Message-ID``
header), RSET, NOOP and QUIT; PIPELINING (RFC 2920) advertised as Postfix and Exim do (commands
are answered in order, however they arrive), unless ``--no-pipelining``; no AUTH, no TLS.  Each
message is collected up to its ``<CRLF>.<CRLF>``, and its header block is searched for the
``Message-ID`` (folded or not, any case); a message without one counts under ``b""``.
aiosmtpd tops out around 600-900 messages/s on one core, which would measure the sink rather
than the worker; this one is an asyncio ``Protocol`` that parses commands line by line and
finds the end of a message with one search, and handles several thousand per second.  Like a
real MTA it reads its input in order, so a final dot that arrives together with the client's
FIN is still taken.

Prints ``ready`` once listening.  On SIGTERM/SIGINT it prints one JSON line
``{"received": n, "unique": u, "duplicates": d}`` and exits; SIGUSR1 prints the same line and
resets the counters.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from collections import Counter

_MESSAGE_ID_RE = re.compile(rb"(?im)^message-id:[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)")


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
    def __init__(self, counts: Counts, *, pipelining: bool = True) -> None:
        self.counts = counts
        self.pipelining = pipelining
        self.buffer = b""
        self.in_data = False
        self.data = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 sink ESMTP ready\r\n")

    def data_received(self, data: bytes) -> None:
        out: list[bytes] = []
        if self.in_data:
            self._data(data, out)
        else:
            self.buffer += data
        while not self.in_data:
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            self._command(line, out)
            if self.in_data and self.buffer:  # content pipelined after DATA (or not: any order)
                rest, self.buffer = self.buffer, b""
                self._data(rest, out)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _data(self, chunk: bytes, out: list[bytes]) -> None:
        """Collect the message until the line holding a single dot, then parse it."""
        data = self.data
        searched = max(0, len(data) - 4)
        data += chunk
        if data.startswith(b".\r\n"):
            end, after = 0, 3
        else:
            end = data.find(b"\r\n.\r\n", searched)
            if end < 0:
                return
            end, after = end + 2, end + 5
        message = bytes(data[:end])
        self.buffer = bytes(data[after:])
        self.data = bytearray()
        self.in_data = False
        self.counts.received += 1
        self.counts.ids[_message_id(message)] += 1
        out.append(b"250 2.0.0 queued\r\n")

    def _command(self, line: bytes, out: list[bytes]) -> None:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            if verb == b"HELO":
                out.append(b"250 sink\r\n")
            else:
                extra = b"250-PIPELINING\r\n" if self.pipelining else b""
                out.append(b"250-sink\r\n" + extra + b"250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            out.append(b"250 2.0.0 ok\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.data = bytearray()
            out.append(b"354 end with .\r\n")
        elif verb == b"QUIT":
            out.append(b"221 bye\r\n")
            if self.transport is not None:
                self.transport.write(b"".join(out))
                out.clear()
                self.transport.close()
        else:
            out.append(b"500 unknown command\r\n")


def _message_id(message: bytes) -> bytes:
    """The Message-ID header of a message (dot-stuffed content; headers end at the first
    empty line), unfolded; ``b""`` when there is none."""
    head_end = message.find(b"\r\n\r\n")
    head = message if head_end < 0 else message[: head_end + 2]
    found = _MESSAGE_ID_RE.search(head)
    return b"" if found is None else b" ".join(found.group(1).split())


async def serve(host: str, port: int, *, pipelining: bool = True) -> None:
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
    server = await loop.create_server(
        lambda: SinkProtocol(counts, pipelining=pipelining), host, port, backlog=256
    )
    print("ready", flush=True)
    async with server:
        await stop.wait()
    dump(False)


def main() -> None:
    port = int(sys.argv[1])
    host = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "127.0.0.1"
    asyncio.run(serve(host, port, pipelining="--no-pipelining" not in sys.argv))


if __name__ == "__main__":
    main()
