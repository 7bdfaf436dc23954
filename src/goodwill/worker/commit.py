"""The commit point of an email: the database commit placed right before SMTP's final dot.

An SMTP server takes responsibility for a message only when it reads the ``<CRLF>.<CRLF>``
that ends ``DATA``; a connection that drops before it discards what it got.  The dispatcher
uses that: :class:`~goodwill.channels.email.SmtpEmailChannel` transmits MAIL, RCPT, DATA and
the whole content, then calls :class:`EmailCommit` with the Message-ID, which in one
transaction

1. checks that no consent event was recorded for the person since the batch's facts were read
   (consent is verified in the very transaction that commits the send),
2. marks the row sent, conditionally (``WHERE status = 'pending' AND locked_by = :me``): a
   worker whose lease expired and was taken over gets rowcount 0,
3. appends the ledger entry (``sent``) and the person's timeline interaction
   (``message.sent``, key ``outbox:<key>:sent``),
4. commits,

and only if that commit happened does the channel write the final dot (immediately, with no
other work in between) and read the reply.  If the hook declines (2 failed: another worker
owns the row; or 1: consent changed), the channel closes the connection without the dot and
the server discards the message.

Crash analysis (a worker killed at any instant):

* before the commit: the row is still ``pending`` and the server never got the dot: nothing was
  delivered, and the next lease sends it once;
* after the dot was written: committed and delivered, once;
* between the commit and the dot: committed but not delivered: **lost**, unless the
  custodian (:mod:`goodwill.worker.custodian`, a process beside the worker that was handed the
  connections and their dots before the commit) writes the dot for the worker, on plain and
  TLS connections alike, so only ``--no-custodian`` keeps this window.  The window is the
  time between the database's decisive write and the ``send()`` of three bytes.  It is made
  as small as the drivers allow: on SQLite the raw driver's ``commit()`` is called and returns
  straight into the dot (the decisive write is the last WAL frame); on PostgreSQL the
  ``COMMIT`` is *sent* without waiting for its answer (libpq's asynchronous API), the dot
  follows at once, and the answer is collected afterwards, so the window is the gap between
  two ``send()`` calls (a few microseconds; the ``COMMIT`` waits on a corked socket so the
  server is not woken before the dot).  Both start the commit on a fresh time slice
  (``os.sched_yield()``), since a process preempted inside the window keeps it open while it
  waits for a CPU.  ``tests/integration/worker/test_worker_kill.py`` measures it; see
  ``docs/adr/0030-exactly-once-email.md``.

On PostgreSQL the price of not waiting is the opposite, rarer case: if the ``COMMIT`` fails
after the dot went out (the database crashed or the connection broke at that instant), the
message was delivered but the row may still be pending.  :meth:`EmailCommit.settle` then
re-records the send in a fresh transaction when the server accepted the message; only a
database failure that also outlives that retry leaves a row that will be sent again (a
duplicate with the same Message-ID, which receivers use to dedupe).

With ``synchronous_commit = off`` (see :func:`configure_session`) PostgreSQL acknowledges
before the WAL reaches disk: a killed *worker* still cannot lose an acknowledged commit (the
server has it), but a crash of the *database server* can forget the last ~0.6 s of commits, and
those messages would be sent again.  It is off by default; ``goodwill worker --async-commit``
turns it on for throughput.
"""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RootTransaction, text

from goodwill.db.engine import is_postgres
from goodwill.worker.custodian import application_name


class _SqliteEdge:
    def __init__(self, conn: Connection) -> None:
        self._raw: Any = conn.connection.driver_connection

    def commit_now(self) -> None:
        self._raw.commit()

    def release(self) -> None:
        return None

    def settle(self) -> None:
        return None


class _PostgresEdge:
    """COMMIT sent asynchronously; :meth:`settle` reads its answer.

    The COMMIT is queued on a corked TCP socket (``TCP_CORK``): the bytes are in the kernel,
    so a worker killed from here on still commits (the kernel flushes them when it closes the
    socket), but PostgreSQL is not woken until :meth:`release` uncorks, right after the dot.  Waking
    the server first would invite the scheduler to run it in our place right between the
    COMMIT and the dot, stretching the window on a busy machine."""

    def __init__(self, conn: Connection) -> None:
        self._pgconn: Any = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
        self._pending = False
        self._cork: socket.socket | None = None

    def commit_now(self) -> None:
        pgconn = self._pgconn
        self._cork = _corked(pgconn.socket)
        pgconn.send_query(b"COMMIT")
        self._pending = True
        while pgconn.flush() != 0:  # 1: more to send (non-blocking connection)
            select.select([], [pgconn.socket], [])

    def release(self) -> None:
        """Let the queued COMMIT go (called right after the dot, so PostgreSQL commits while
        the SMTP server is answering)."""
        cork, self._cork = self._cork, None
        if cork is not None:
            _uncork(cork)

    def settle(self) -> None:
        self.release()
        if not self._pending:
            return
        self._pending = False
        pgconn = self._pgconn
        error: str | None = None
        while True:
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            if result.error_message:
                error = result.error_message.decode("utf-8", "replace").strip()
        if error:
            raise CommitFailed(f"PostgreSQL refused COMMIT: {error}")


def _corked(fd: int) -> socket.socket | None:
    """A handle on the connection's TCP socket with ``TCP_CORK`` set (``None`` for a Unix
    socket or where corking is unavailable)."""
    cork = getattr(socket, "TCP_CORK", None)
    if cork is None:
        return None
    handle = socket.socket(fileno=os.dup(fd))
    if handle.family not in (socket.AF_INET, socket.AF_INET6):
        handle.close()
        return None
    handle.setsockopt(socket.IPPROTO_TCP, cork, 1)
    return handle


def _uncork(handle: socket.socket) -> None:
    try:
        handle.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)  # sends what is queued
    finally:
        handle.close()


class CommitFailed(RuntimeError):
    """The database did not confirm the commit of a send (see module docstring)."""


def commit_edge(conn: Connection) -> _SqliteEdge | _PostgresEdge:
    return _PostgresEdge(conn) if is_postgres(conn) else _SqliteEdge(conn)


def configure_session(conn: Connection, *, async_commit: bool, worker_id: str = "") -> None:
    """Settings of the dispatcher's own connection.

    PostgreSQL: ``synchronous_commit`` (see the module docstring), and ``worker_id`` as the
    session's ``application_name`` (how :mod:`goodwill.worker.custodian` recognises the worker's
    sessions).  SQLite: no automatic WAL checkpoint on this connection.  SQLite checkpoints
    inside the ``COMMIT`` call that crosses
    the WAL size limit, *after* the transaction is durable, copying pages and syncing files for
    milliseconds; on the commit of a send that would sit between the commit and the final dot
    and widen the window a hundredfold (the kill test measured about one loss per 25 kills
    that way).  The dispatcher checkpoints between batches instead (:func:`checkpoint`)."""
    if is_postgres(conn):
        value = "off" if async_commit else "on"
        conn.exec_driver_sql(f"SET synchronous_commit = {value}")
        if worker_id:  # the custodian recognises the worker's sessions by it
            conn.execute(
                text("SELECT set_config('application_name', :n, false)"),
                {"n": application_name(worker_id)},
            )
        conn.commit()
    else:
        _raw(conn).execute("PRAGMA wal_autocheckpoint = 0")


def restore_session(conn: Connection) -> None:
    """Undo :func:`configure_session` before the connection goes back to the pool."""
    if is_postgres(conn):
        conn.exec_driver_sql("RESET synchronous_commit")
        conn.exec_driver_sql("RESET application_name")
        conn.commit()
    else:
        _raw(conn).execute("PRAGMA wal_autocheckpoint = 1000")


def checkpoint(conn: Connection) -> None:
    """SQLite: move the WAL into the database file now, between batches, where no send is in
    flight (passive: never waits for readers).  A no-op on PostgreSQL."""
    if not is_postgres(conn) and not conn.in_transaction():
        _raw(conn).execute("PRAGMA wal_checkpoint(PASSIVE)")


def _raw(conn: Connection) -> Any:
    return conn.connection.driver_connection


class _CommitHook:
    """What the two commit hooks share: one transaction opened when the channel calls the hook,
    committed through the driver's edge right before the dot(s), settled afterwards."""

    def __init__(self, conn: Connection, clock: Callable[[], datetime]) -> None:
        self._conn = conn
        self._clock = clock
        self._edge = commit_edge(conn)
        self._trans: RootTransaction | None = None
        self.called = False
        self.committed = False
        self.at: datetime | None = None

    def _begin(self, what: str) -> datetime:
        if self.called:
            raise RuntimeError(f"the commit hook of {what} runs once")
        self.called = True
        self.at = self._clock()
        self._trans = self._conn.begin()
        return self.at

    def _decline_all(self) -> None:
        assert self._trans is not None
        self._trans.rollback()
        self._trans = None

    def _commit_now(self) -> None:
        # Start the commit on a fresh time slice: a process preempted between the commit and
        # the dot waits for a CPU while the window is open (only matters on a busy machine).
        os.sched_yield()
        self._edge.commit_now()

    def _abort(self) -> None:
        self.committed = False
        if self._trans is not None and self._trans.is_active:
            self._trans.rollback()
        self._trans = None

    def dot_written(self) -> None:
        """Pass as ``on_dot``: the final dot(s) are out, the database may see the commit now."""
        self._edge.release()

    def settle(self) -> None:
        """Collect the commit's answer (PostgreSQL) and close the transaction object.  Raises
        :class:`CommitFailed` when the database refused the COMMIT."""
        trans, self._trans = self._trans, None
        if trans is None:
            return
        try:
            self._edge.settle()
        except CommitFailed:
            self.committed = False
            trans.rollback()
            raise
        trans.commit()  # the driver's transaction is already over: bookkeeping only


class EmailCommit(_CommitHook):
    """The ``commit`` hook handed to :meth:`SmtpEmailChannel.send`.

    ``record(conn, message_id, now)`` does steps 1-3 of the module docstring inside the open
    transaction and returns ``None`` to go ahead or a reason to decline.  After ``send``
    returns, call :meth:`settle` (always): it finishes the transaction bookkeeping.
    """

    def __init__(
        self,
        conn: Connection,
        record: Callable[[Connection, str, datetime], str | None],
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(conn, clock)
        self._record = record
        self.declined: str | None = None

    def __call__(self, message_id: str) -> bool:
        at = self._begin("a message")
        try:
            reason = self._record(self._conn, message_id, at)
            if reason is not None:
                self._decline_all()
                self.declined = reason
                return False
            self._commit_now()
        except BaseException:
            self._abort()
            raise
        self.committed = True
        return True


class GroupCommit(_CommitHook):
    """The ``commit`` hook handed to :meth:`SmtpEmailChannel.send_group`: one transaction for
    a group of emails whose contents the SMTP server holds (group commit).

    ``record(conn, items, now)`` gets ``[(index, message_id), ...]``, writes inside the open
    transaction what :class:`EmailCommit`'s ``record`` writes for one message, for every
    message it accepts, and returns one entry per item: ``None`` to go ahead or a reason to
    decline that message.  The declined ones are not written (their conditional update matched
    nothing), so one commit covers exactly the messages whose dots will be written.  The
    per-message argument of the module docstring is unchanged: the commit comes before any of
    the group's dots; a worker killed before it leaves every row pending and no dot written.
    The window (committed, dot not yet written) now ends with the group's last dot: one
    ``send()`` of three bytes per message of the group after the commit, into sockets the
    channel corked beforehand (queued in the kernel, nothing woken), about a microsecond each;
    for a worker killed inside it, the custodian writes the dots not yet queued.
    After ``send_group`` returns, call :meth:`settle` (always)."""

    def __init__(
        self,
        conn: Connection,
        record: Callable[[Connection, list[tuple[int, str]], datetime], list[str | None]],
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(conn, clock)
        self._record = record
        #: index -> reason, for the messages the hook declined.
        self.declined: dict[int, str] = {}
        #: indexes of the messages committed as sent.
        self.accepted: set[int] = set()

    def __call__(self, items: list[tuple[int, str]]) -> list[bool]:
        at = self._begin("a group")
        try:
            reasons = self._record(self._conn, items, at)
            if len(reasons) != len(items):
                raise RuntimeError("the group's record function must answer once per message")
            for (index, _mid), reason in zip(items, reasons, strict=True):
                if reason is None:
                    self.accepted.add(index)
                else:
                    self.declined[index] = reason
            go = [reason is None for reason in reasons]
            if not self.accepted:
                self._decline_all()
                return go
            self.committed = True
            self._commit_now()
        except BaseException:
            self._abort()
            self.accepted.clear()
            raise
        return go  # the channel writes the dots right after this return
