"""TLS through memory buffers, so a record can be sealed now and written later, by anyone.

``ssl.SSLSocket`` encrypts and writes in one call.  An email's final dot must be written after
the database commit, and, if the worker dies right there, by another process (the custodian,
``goodwill.worker.custodian``), which cannot write into this process's TLS session.  With an
``ssl.SSLObject`` over ``ssl.MemoryBIO`` the dot can be *sealed* before the commit: encrypted
into the exact bytes of the session's next record, without sending them.  After the commit the
worker sends those bytes on the TCP socket; if it died first, the custodian sends the very same
bytes on its copy of the socket, and the server reads a valid record either way.

:class:`TlsPipe` is socket-like enough for ``smtplib`` (``sendall``, ``makefile``, ``close``,
``setsockopt``...), and :class:`PipeContext` hands it to ``smtplib`` through the one call
``smtplib`` makes on a context, ``wrap_socket``: both ``STARTTLS`` and implicit TLS (``smtps``)
go through it, with the wrapped context's certificate checks unchanged.
"""

from __future__ import annotations

import io
import socket
import ssl
from typing import Any


class TlsPipe:
    """A client TLS connection over ``raw`` driven through memory buffers."""

    def __init__(
        self, raw: socket.socket, context: ssl.SSLContext, server_hostname: str | None
    ) -> None:
        self.raw = raw
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._in, self._out, server_hostname=server_hostname)
        try:
            self._pump(self._tls.do_handshake)
        except BaseException:
            raw.close()
            raise

    # -- what smtplib and the channel use --------------------------------------------------------
    @property
    def family(self) -> int:
        return int(self.raw.family)

    def fileno(self) -> int:
        return self.raw.fileno()

    def setsockopt(self, *args: Any) -> None:
        self.raw.setsockopt(*args)

    def settimeout(self, value: float | None) -> None:
        self.raw.settimeout(value)

    def gettimeout(self) -> float | None:
        return self.raw.gettimeout()

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self._tls.getpeercert(binary_form)

    def version(self) -> str | None:
        return self._tls.version()

    def seal(self, data: bytes) -> bytes:
        """The records carrying ``data``, not sent: the caller sends them (or has them sent)
        before anything else is written on this connection."""
        self._tls.write(data)
        return self._out.read()

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self._tls.write(view)
            view = view[written:]
        self._flush()

    def send(self, data: bytes) -> int:
        self.sendall(data)
        return len(data)

    def recv(self, size: int) -> bytes:
        try:
            return self._pump(lambda: self._tls.read(size), at_eof=b"")  # type: ignore[no-any-return]
        except ssl.SSLZeroReturnError:
            return b""

    def makefile(self, mode: str = "rb", *_args: Any, **_kwargs: Any) -> io.BufferedReader:
        if "b" not in mode or "w" in mode:
            raise ValueError("a TLS pipe only reads bytes through makefile")
        return io.BufferedReader(_Reader(self))

    def close(self) -> None:
        self.raw.close()

    # -- the memory buffers ----------------------------------------------------------------------
    def _flush(self) -> None:
        pending = self._out.read()
        if pending:
            self.raw.sendall(pending)

    def _pump(self, step: Any, at_eof: Any = None) -> Any:
        """Run ``step`` (handshake, read), feeding it from the socket until it has what it
        needs, and send what it produced (handshake messages, TLS 1.3 key updates).  At the end
        of the stream: ``at_eof`` if given, else ``ConnectionResetError``."""
        while True:
            try:
                result = step()
            except ssl.SSLWantReadError:
                self._flush()
                data = self.raw.recv(65536)
                if not data:
                    if at_eof is not None:
                        return at_eof
                    raise ConnectionResetError("TLS connection closed by the server") from None
                self._in.write(data)
                continue
            self._flush()
            return result


class _Reader(io.RawIOBase):
    def __init__(self, pipe: TlsPipe) -> None:
        self._pipe = pipe

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._pipe.recv(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class PipeContext:
    """An ``ssl.SSLContext`` stand-in whose ``wrap_socket`` returns a :class:`TlsPipe`."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context

    def wrap_socket(
        self, sock: socket.socket, server_hostname: str | None = None, **_kwargs: Any
    ) -> TlsPipe:
        return TlsPipe(sock, self.context, server_hostname)


def wire(sock: Any) -> socket.socket:
    """The TCP socket under ``sock`` (itself when it is not a :class:`TlsPipe`)."""
    return sock.raw if isinstance(sock, TlsPipe) else sock


def sealed(sock: Any, data: bytes) -> bytes:
    """``data`` as it must go on the wire of ``sock``: sealed on a TLS pipe, as is otherwise."""
    return sock.seal(data) if isinstance(sock, TlsPipe) else data
