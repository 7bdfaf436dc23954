"""The custodian: a small process beside each worker that finishes the final dots of a group
whose worker was killed between the group's commit and its dots.

Why.  An email is committed as sent right before SMTP's final dot (ADR 0030).  A worker killed
after the commit and before the dots leaves rows marked ``sent`` whose messages the SMTP server
never completed; it discards them when their connections close.  That window is a few dozen
microseconds per group, but it cannot be made zero inside one process: a commit and a socket
write are two system calls.  It can be made harmless from outside the process, because a TCP
connection stays open as long as *any* process holds its socket.

How.  Before the commit, the channel hands the group's sockets to the custodian over a Unix
socket (``SCM_RIGHTS``: the kernel keeps a passed socket open even while the message is still in
flight and its sender is dead), with each message's (workspace, idempotency key, Message-ID).
After the dots it releases them, and the custodian closes its copies.  When the worker dies, the
custodian reads what is left in its queue, then:

1. waits until the worker's database work is over (PostgreSQL: its dispatcher connections,
   recognised by ``application_name``, are gone, so a ``COMMIT`` the dying worker had queued has
   been applied or not; SQLite: a dead process's write is complete or never happened);
2. reads each held message's outbox row: committed by this worker (``status = 'sent'``, the same
   Message-ID, ``locked_by`` this worker) means the worker promised the dot, so the custodian
   writes it and reads the server's answer; anything else means the commit did not happen, and
   it closes the connection without the dot (the server discards the message, the row is still
   pending and will be sent once by the next lease).

A dot written twice (the worker died after its own dots but before releasing them) reaches the
server after the message ended: it is answered ``500`` as an unknown command, and changes
nothing.  The custodian acts only before ``deadline`` (less than the lease), so a row that a
later worker could claim again is never dotted here.  On TLS connections the channel hands over
the dot already sealed into the session's next record (``goodwill.channels.tls_pipe``): the
custodian writes those exact bytes, which it could not have produced itself, and takes any
(encrypted) answer as the server's reply.

The custodian ignores SIGINT and SIGTERM (Ctrl-C or a service manager stopping the worker's
process group must not kill it before the worker finishes its group) and exits when its worker
has exited and nothing is held.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

#: The most messages one group hands over (the channel's groups are at most a few dozen).
_MAX_FDS = 253  # SCM_MAX_FD is 253 on Linux
_DOT = b".\r\n"


def application_name(worker_id: str) -> str:
    """The PostgreSQL ``application_name`` of a worker's dispatcher connections (at most 63
    bytes: the server truncates longer names)."""
    return f"goodwill-worker {worker_id}".encode()[:63].decode("utf-8", "ignore")


def supported() -> bool:
    return hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX") and os.name == "posix"


class Custodian:
    """The worker's side: a :class:`goodwill.channels.email.DotGuard`."""

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self._proc = proc
        self._sock = sock
        self._seq = 0
        self._broken = False

    @classmethod
    def start(cls, database_url: str, worker_id: str, *, deadline: float) -> Custodian | None:
        """Start the custodian process (``None`` where the platform cannot pass sockets)."""
        if not supported():
            return None
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "goodwill.worker.custodian",
                    "--fd",
                    str(theirs.fileno()),
                    "--worker-id",
                    worker_id,
                    "--deadline",
                    f"{deadline:.3f}",
                ],
                pass_fds=[theirs.fileno()],
                env={**os.environ, "GOODWILL_DATABASE_URL": database_url},
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            mine.close()
            print(f"goodwill worker: custodian not started ({exc})", file=sys.stderr)
            return None
        finally:
            theirs.close()
        return cls(proc, mine)

    def hold(
        self,
        entries: Sequence[tuple[str, str, str]],
        socks: Sequence[socket.socket],
        dots: Sequence[bytes],
    ) -> int | None:
        if self._broken or not socks or len(socks) > _MAX_FDS:
            return None
        self._seq += 1
        held = [
            [*e, base64.b64encode(d).decode("ascii")] for e, d in zip(entries, dots, strict=True)
        ]
        payload = json.dumps({"h": self._seq, "e": held}).encode()
        try:
            socket.send_fds(self._sock, [payload], [s.fileno() for s in socks])
        except OSError as exc:
            self._fail(exc)
            return None
        return self._seq

    def release(self, token: int | None) -> None:
        if token is None or self._broken:
            return
        try:
            self._sock.send(b'{"r": %d}' % token)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self._broken = True
        print(
            f"goodwill worker: the custodian stopped ({exc}); "
            "emails go on without it (ADR 0030 window)",
            file=sys.stderr,
        )

    def close(self) -> None:
        """The worker is done: the custodian sees end-of-file with nothing held and exits."""
        self._sock.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# -- the custodian process -----------------------------------------------------------------------


def _receive(sock: socket.socket) -> dict[int, tuple[list[list[str]], list[int]]]:
    """Hold and release until the worker's end closes; return what is still held."""
    held: dict[int, tuple[list[list[str]], list[int]]] = {}
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, _MAX_FDS)
        except InterruptedError:
            continue
        except ConnectionResetError:
            break
        if not data and not fds:
            return held
        message = json.loads(data)
        if "h" in message:
            held[int(message["h"])] = (message["e"], list(fds))
            continue
        for fd in fds:  # never sent with a release; close to be safe
            os.close(fd)
        for fd in held.pop(int(message.get("r", -1)), ([], []))[1]:
            os.close(fd)
    return held


def _wait_for_worker_sessions(repo: Any, worker_id: str, deadline: float) -> None:
    """PostgreSQL: until the worker's dispatcher sessions have ended (a ``COMMIT`` it had
    queued is then applied or not), or the deadline."""
    name = application_name(worker_id)
    while time.monotonic() < deadline:
        busy = repo.sessions_named(name)
        repo.conn.rollback()  # PostgreSQL keeps one statistics snapshot per transaction
        if not busy:
            return
        time.sleep(0.05)


def _committed(repo: Any, entries: list[list[str]], worker_id: str) -> set[tuple[str, str]]:
    """(workspace, key) of the held messages this worker committed as sent."""
    by_ws: dict[str, dict[str, str]] = {}
    for ws, key, mid, _dot in entries:
        by_ws.setdefault(ws, {})[key] = mid
    return {
        (ws, key)
        for ws, mids in by_ws.items()
        for key in repo.committed_by(int(ws), mids, worker_id)
    }


def _reply(sock: socket.socket, *, tls: bool) -> str:
    """The server's answer to the dot; on TLS only that one came (it is encrypted)."""
    sock.settimeout(10)
    got = b""
    while not got.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
        if tls:
            return "250 (answered over TLS)"
    return got.decode("utf-8", "replace").strip().splitlines()[-1] if got else "no answer"


def _finish(
    held: dict[int, tuple[list[list[str]], list[int]]], worker_id: str, wait: float
) -> None:
    from goodwill.config import get_settings
    from goodwill.db.engine import is_postgres, make_engine
    from goodwill.worker.repository import CustodianRepository

    deadline = time.monotonic() + wait
    entries = [e for group in held.values() for e in group[0]]
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as conn:
            repo = CustodianRepository(conn)
            if is_postgres(conn):
                _wait_for_worker_sessions(repo, worker_id, deadline)
            committed = _committed(repo, entries, worker_id)
    finally:
        engine.dispose()
    dotted = answers = 0
    for entries_, fds in held.values():
        for (ws, key, mid, dot_text), fd in zip(entries_, fds, strict=False):
            sock = socket.socket(fileno=fd)
            try:
                if (ws, key) in committed and time.monotonic() < deadline:
                    dot = base64.b64decode(dot_text)
                    cork = getattr(socket, "TCP_CORK", None)
                    if cork is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                        sock.setsockopt(socket.IPPROTO_TCP, cork, 0)
                    sock.sendall(dot)
                    dotted += 1
                    answer = _reply(sock, tls=dot != _DOT)
                    if answer.startswith("250"):
                        answers += 1
                    else:  # the row says sent: the server's word, for the operator
                        print(f"goodwill custodian: {mid} after the dot: {answer}", file=sys.stderr)
            except OSError as exc:
                print(f"goodwill custodian: {mid}: {exc}", file=sys.stderr)
            finally:
                sock.close()
    print(
        f"goodwill custodian: worker {worker_id} stopped with {len(entries)} message(s) in "
        f"flight; {dotted} committed and finished ({answers} accepted), the others abandoned "
        "uncommitted (sent later, once)",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="goodwill-custodian")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--deadline", type=float, default=30.0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    held = _receive(sock)
    sock.close()
    if held:
        _finish(held, args.worker_id, args.deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
