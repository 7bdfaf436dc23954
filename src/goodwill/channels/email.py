"""Email over SMTP with one kept-open connection.

:class:`SmtpEmailChannel` connects lazily, keeps the connection for many messages (opening one
per message would cap throughput at the TLS/AUTH handshake rate), reconnects after
``max_messages_per_connection`` messages or after any connection-level failure, and retries a
message once at once on a fresh connection when a *reused* connection turns out to have been
closed by the server while idle.  (If the server dropped the connection after taking the data
but before answering, that retry delivers a second copy with the same ``Message-ID``, which
receivers use to dedupe; the same holds for any resend by the dispatcher.)

Classification (the dispatcher retries ``transient`` and parks ``permanent``):

* connection refused / reset / timeout, TLS failure, ``421`` and any other ``4xx`` reply:
  transient;
* a ``5xx`` reply to RCPT or DATA (unknown mailbox, rejected content): permanent;
* settings problems that would fail every message alike (login refused, a server that requires
  STARTTLS or AUTH, our sender address refused at MAIL FROM): transient, because the operator
  will fix them; the reason says what to check, and the retry limit parks the message if
  nobody does;
* an address that cannot be written as an email address: permanent.

Exactly once (``send(message, commit=hook)``): the channel transmits MAIL, RCPT, DATA and the
whole content, then calls ``hook(message_id)`` *before* the ``<CRLF>.<CRLF>`` that ends DATA.
Only if the hook returns ``True`` (the caller committed "sent" in its database) is the final dot
written, immediately, and the reply read; otherwise the connection is closed without it and the
server discards the message.  After the hook was called the channel never retries internally
(a retry would be a second copy): the result says what the server answered, and
:attr:`SmtpEmailChannel.last_committed` tells the caller the hook said yes.  See
``docs/adr/0030-exactly-once-email.md``.

Groups (``send_group(messages, commit=hook)``): the same protocol for several messages at once,
each on its own connection from a kept-open pool, with MAIL/RCPT/DATA in one write when the
server advertises PIPELINING; one ``hook([(index, message_id), ...])`` call for all messages
whose content the server holds, then their dots, queued on corked sockets so that nothing but
those writes follows the commit (see :meth:`SmtpEmailChannel.send_group`).  With a
:class:`DotGuard` set (``goodwill.worker.custodian``), the connections and their dots (on TLS,
sealed into the session's next record: ``goodwill.channels.tls_pipe``) are handed to it before
the commit and released after the dots, so a process killed in between still has its
committed dots written.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, cast

from goodwill.channels.base import DeliveryResult, OutboundMessage
from goodwill.channels.email_message import (
    BuiltEmail,
    EmailIdentity,
    InvalidRecipient,
    build_email,
)
from goodwill.channels.smtp_url import SmtpConfig
from goodwill.channels.tls_pipe import PipeContext, sealed, wire
from goodwill.kit.clock import utcnow
from goodwill.messaging.vocabulary import ChannelKind

_EMAIL = ChannelKind.EMAIL
_DISCONNECTED = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)
_CRLF = b"\r\n"
_END_OF_DATA = b".\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")

#: ``commit(message_id) -> bool``: called once the content is with the server, before the dot.
CommitHook = Callable[[str], bool]
#: ``commit([(index, message_id), ...]) -> [go, ...]``: :meth:`SmtpEmailChannel.send_group`'s
#: hook, called once per group when every transmitted message's content is with the server.
GroupCommitHook = Callable[[list[tuple[int, str]]], list[bool]]


class DotGuard(Protocol):
    """Someone outside this process who can finish a group's final dots if the process dies
    between the commit and the dots (``goodwill.worker.custodian``).  ``hold`` is called before
    the commit with, per message, ``(workspace_id, idempotency_key, message_id)``, its
    connection's TCP socket and the exact bytes of its dot (sealed into a TLS record on a TLS
    connection), and returns a token; ``release(token)`` after the dots are written (or the
    group was abandoned).  Neither may raise: a guard that fails stops guarding."""

    def hold(
        self,
        entries: Sequence[tuple[str, str, str]],
        socks: Sequence[socket.socket],
        dots: Sequence[bytes],
    ) -> int | None: ...

    def release(self, token: int | None) -> None: ...


class _Declined(Exception):
    """The commit hook said no: the connection was closed without the final dot."""


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(body.split())}".strip()


_SETTINGS_CODES = frozenset({530, 534, 535, 538})  # authentication / encryption required


def classify_reply(code: int, text: bytes | str, stage: str) -> DeliveryResult:
    """An SMTP reply to a result: ``4xx`` transient, ``5xx`` permanent, except replies that
    mean our own settings are wrong (a refused sender, authentication or STARTTLS required),
    which would fail every message alike: transient, naming the settings to check."""
    detail = f"SMTP server answered {_reply(code, text)} at {stage}"
    if code in _SETTINGS_CODES or (stage == "MAIL FROM" and code >= 500):
        return DeliveryResult.transient(
            _EMAIL,
            f"{detail}: check GOODWILL_SMTP_URL (credentials, starttls) and GOODWILL_SENDER_EMAIL",
            code=code,
        )
    if 500 <= code < 600:
        return DeliveryResult.permanent(_EMAIL, detail, code=code)
    return DeliveryResult.transient(_EMAIL, detail, code=code)


class SmtpEmailChannel:
    """The email adapter.  Not thread-safe by design beyond a lock that serialises ``send``;
    run one per worker thread for parallelism."""

    def __init__(
        self,
        config: SmtpConfig,
        identity: EmailIdentity,
        *,
        clock: Callable[[], datetime] = utcnow,
        ssl_context: ssl.SSLContext | None = None,
        max_messages_per_connection: int = 1000,
        helo_name: str | None = None,
    ) -> None:
        self._config = config
        self._identity = identity
        self._clock = clock
        self._ssl_context = ssl_context
        self._max_per_connection = max(1, max_messages_per_connection)
        self._helo_name = helo_name
        self._conn: smtplib.SMTP | None = None
        self._sent_on_conn = 0
        self._lock = threading.Lock()
        self._pool: list[_Session | None] = []  # send_group's connections, by slot
        #: Whether the commit hook of the last ``send`` said yes (the dot was then written).
        self.last_committed = False
        #: Finishes the dots of a group whose worker died right after its commit (plain-TCP
        #: connections only: a TLS record cannot be written by another process).
        self.guard: DotGuard | None = None

    @property
    def kind(self) -> ChannelKind:
        return _EMAIL

    @property
    def config(self) -> SmtpConfig:
        return self._config

    def __enter__(self) -> SmtpEmailChannel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._drop(polite=True)
            for session in list(self._pool):
                if session is not None:
                    self._drop_session(session, polite=True)
            self._pool = []

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _pipe_context(self) -> ssl.SSLContext:
        """The TLS context as ``smtplib`` gets it: wrapping gives a :class:`TlsPipe`, whose
        final dot can be sealed before the commit (see ``goodwill.channels.tls_pipe``)."""
        return cast(ssl.SSLContext, PipeContext(self._context()))

    def _open(self) -> smtplib.SMTP:
        cfg = self._config
        conn: smtplib.SMTP
        if cfg.security == "tls":
            conn = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                local_hostname=self._helo_name,
                timeout=cfg.timeout,
                context=self._pipe_context(),
            )
        else:
            conn = smtplib.SMTP(
                cfg.host, cfg.port, local_hostname=self._helo_name, timeout=cfg.timeout
            )
        try:
            if conn.sock is not None:  # commands are small writes; do not wait on Nagle
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if cfg.security == "starttls":
                conn.starttls(context=self._pipe_context())
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop(self, *, polite: bool = False) -> None:
        conn, self._conn, self._sent_on_conn = self._conn, None, 0
        if conn is None:
            return
        try:
            if polite:
                conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            conn.close()

    def send(
        self,
        message: OutboundMessage,
        commit: CommitHook | None = None,
        on_dot: Callable[[], None] | None = None,
    ) -> DeliveryResult:
        """Deliver ``message``.  With ``commit``, the final dot is written only if
        ``commit(message_id)`` returns ``True`` (see the module docstring); ``on_dot`` is called
        right after the dot was written, before the server's answer is read."""
        if message.channel != _EMAIL:
            raise ValueError(f"a {message.channel} message was given to the email channel")
        self.last_committed = False
        try:
            built = build_email(message, self._identity, date=self._clock())
        except InvalidRecipient as exc:
            return DeliveryResult.permanent(_EMAIL, str(exc))
        options = ["SMTPUTF8"] if built.smtputf8 else []
        with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                try:
                    conn = self._conn or self._open()
                    self._conn = conn
                    if commit is None:
                        conn.sendmail(
                            self._identity.sender_email, [message.to.strip()], built.data, options
                        )
                    else:
                        self._send_with_commit(
                            conn,
                            message.to.strip(),
                            built,
                            options,
                            commit,
                            on_dot,
                            owner=(message.workspace_id, message.idempotency_key),
                        )
                except _Declined:
                    return DeliveryResult.transient(
                        _EMAIL,
                        "not sent: the commit hook declined; the SMTP transaction was abandoned",
                    )
                except _DISCONNECTED as exc:
                    self._drop()
                    if reused and attempt == 1 and not self.last_committed:
                        continue  # the server closed an idle connection; try a fresh one
                    if self.last_committed:
                        return DeliveryResult.transient(
                            _EMAIL,
                            f"SMTP connection lost after the end of the message, before the "
                            f"server's answer ({exc}); it may or may not have been accepted",
                        )
                    return DeliveryResult.transient(_EMAIL, f"SMTP connection lost: {exc}")
                except smtplib.SMTPRecipientsRefused as exc:
                    code, text = next(iter(exc.recipients.values()))
                    return self._after_reply(code, text, "RCPT")
                except smtplib.SMTPSenderRefused as exc:
                    return self._after_reply(exc.smtp_code, exc.smtp_error, "MAIL FROM")
                except smtplib.SMTPDataError as exc:
                    return self._after_reply(exc.smtp_code, exc.smtp_error, "DATA")
                except smtplib.SMTPAuthenticationError as exc:
                    self._drop()
                    return DeliveryResult.transient(
                        _EMAIL,
                        f"SMTP login refused ({_reply(exc.smtp_code, exc.smtp_error)}): "
                        "check the user and password in GOODWILL_SMTP_URL",
                        code=exc.smtp_code,
                    )
                except smtplib.SMTPNotSupportedError as exc:
                    self._drop()
                    if built.smtputf8:
                        return DeliveryResult.permanent(
                            _EMAIL,
                            f"the SMTP server cannot take the address {message.to!r}"
                            " (no SMTPUTF8 support)",
                        )
                    return DeliveryResult.transient(
                        _EMAIL,
                        f"SMTP server lacks a needed extension ({exc}): "
                        "check starttls/smtps in GOODWILL_SMTP_URL",
                    )
                except smtplib.SMTPResponseException as exc:
                    self._drop()
                    return classify_reply(exc.smtp_code, exc.smtp_error, "connect")
                except (smtplib.SMTPException, OSError) as exc:
                    self._drop()
                    where = f"{self._config.host}:{self._config.port}"
                    return DeliveryResult.transient(
                        _EMAIL, f"cannot reach SMTP server {where}: {exc}"
                    )
                self._sent_on_conn += 1
                if self._sent_on_conn >= self._max_per_connection:
                    self._drop(polite=True)
                return DeliveryResult.sent(_EMAIL, built.message_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_with_commit(
        self,
        conn: smtplib.SMTP,
        to: str,
        built: BuiltEmail,
        options: list[str],
        commit: CommitHook,
        on_dot: Callable[[], None] | None = None,
        *,
        owner: tuple[str, str] = ("", ""),
    ) -> None:
        """``sendmail`` taken apart so ``commit`` runs between the content and the final dot.
        ``owner`` is the message's (workspace, idempotency key), for the :class:`DotGuard`.
        Raises what ``sendmail`` raises, or :class:`_Declined`."""
        conn.ehlo_or_helo_if_needed()
        sender = self._identity.sender_email.strip()
        mail_options = list(options) if conn.does_esmtp else []
        if conn.does_esmtp and conn.has_extn("size"):
            mail_options.insert(0, f"size={len(built.data)}")
        if built.smtputf8:
            if not conn.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
            conn.command_encoding = "utf-8"
        # Both addresses were checked by build_email (no spaces, brackets or line breaks), so
        # they are written as <address> directly instead of re-parsed by smtplib's quoteaddr.
        extra = "".join(f" {option}" for option in mail_options)
        conn.putcmd("mail", f"FROM:<{sender}>{extra}")
        code, resp = conn.getreply()
        if code != 250:
            self._abort(conn, code)
            raise smtplib.SMTPSenderRefused(code, resp, sender)
        conn.putcmd("rcpt", f"TO:<{to}>")
        code, resp = conn.getreply()
        if code not in (250, 251):
            self._abort(conn, code)
            raise smtplib.SMTPRecipientsRefused({to: (code, resp)})
        conn.putcmd("data")
        code, resp = conn.getreply()
        if code != 354:
            self._abort(conn, code)
            raise smtplib.SMTPDataError(code, resp)
        conn.send(_data_body(built.data))
        sock = conn.sock
        dot = sealed(sock, _END_OF_DATA)  # on TLS, the next record: sealed before the commit
        held = self._hold([(*owner, built.message_id)], [sock] if sock is not None else [], [dot])
        try:
            go = commit(built.message_id)
        except BaseException:
            self._release(held)
            self._drop()  # no dot: the server discards the message
            raise
        if not go or sock is None:
            self._release(held)
            self._drop()
            raise _Declined
        self.last_committed = True
        wire(sock).sendall(dot)  # nothing between the commit and this line
        self._release(held)
        if on_dot is not None:
            on_dot()
        code, resp = conn.getreply()
        if code != 250:
            if code == 421:
                self._drop()
            raise smtplib.SMTPDataError(code, resp)

    # -- groups: several connections, one commit --------------------------------------------

    def send_group(
        self,
        messages: Sequence[OutboundMessage],
        commit: GroupCommitHook,
        on_dot: Callable[[], None] | None = None,
    ) -> list[DeliveryResult]:
        """Deliver several messages at once, each on its own kept-open connection, with one
        commit for all of them (group commit; see the module docstring for one message).

        1. the envelope (MAIL, RCPT, DATA) goes out on every connection, in one write per
           connection when the server advertises PIPELINING (RFC 2920), else one command at a
           time (each step still runs on all connections before any answer is awaited);
        2. each accepted message's content goes out, without the final dot;
        3. ``commit([(index, message_id), ...])`` is called once for the messages whose
           content is with the server and returns, for each, whether to go ahead;
        4. the final dots are written for those (and only those) it said yes to, one after
           the other with nothing in between; ``on_dot`` is called; the others' connections
           are closed without the dot (the server discards them);
        5. the servers' answers to the dots are read.

        A failure (a refusal, a lost connection) touches only the message on that connection.
        The hook is not called when no message got as far as step 3.  Returns one result
        per message, in order; the caller knows from its hook which ones were committed."""
        results: list[DeliveryResult | None] = [None] * len(messages)
        built: list[BuiltEmail | None] = [None] * len(messages)
        date = self._clock()
        for i, message in enumerate(messages):
            if message.channel != _EMAIL:
                raise ValueError(f"a {message.channel} message was given to the email channel")
            try:
                built[i] = build_email(message, self._identity, date=date)
            except InvalidRecipient as exc:
                results[i] = DeliveryResult.permanent(_EMAIL, str(exc))
        with self._lock:
            jobs = [
                _Job(
                    i, message.to.strip(), b, owner=(message.workspace_id, message.idempotency_key)
                )
                for i, (message, b) in enumerate(zip(messages, built, strict=True))
                if b is not None
            ]
            ready = self._envelopes(jobs, results)
            go = self._contents(ready, results)
            if go:
                self._commit_and_dot(go, commit, results, on_dot)
        out: list[DeliveryResult] = []
        for result in results:
            assert result is not None
            out.append(result)
        return out

    def _has_session(self, slot: int) -> bool:
        return slot < len(self._pool) and self._pool[slot] is not None

    def _session(self, slot: int) -> _Session:
        while len(self._pool) <= slot:
            self._pool.append(None)
        found = self._pool[slot]
        if found is None:
            found = _Session(self._open(), slot)
            self._pool[slot] = found
        return found

    def _drop_session(self, session: _Session, *, polite: bool = False) -> None:
        if session.slot < len(self._pool) and self._pool[session.slot] is session:
            self._pool[session.slot] = None
        try:
            if polite:
                session.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            session.smtp.close()

    def _envelopes(self, jobs: list[_Job], results: list[DeliveryResult | None]) -> list[_Job]:
        """Step 1 for every job; returns the jobs whose DATA got 354 (the others' results
        are set).  A reused connection found closed is replaced once, as in :meth:`send`."""
        sender = self._identity.sender_email.strip()
        todo = list(jobs)
        ready: list[_Job] = []
        for slot, job in enumerate(todo):
            job.slot = slot
        retried: set[int] = set()
        unreachable: DeliveryResult | None = None
        while todo:
            started: list[_Job] = []
            for job in todo:
                if unreachable is not None and not self._has_session(job.slot):
                    results[job.index] = unreachable  # the server cannot be reached: no retry
                    continue
                try:
                    session = job.session = self._session(job.slot)
                except Exception as exc:  # classified like send()'s failures
                    results[job.index] = failed = _open_failure(exc, self._config)
                    if failed.code is None:
                        unreachable = failed
                    continue
                if job.built.smtputf8 and not session.smtputf8:
                    results[job.index] = DeliveryResult.permanent(
                        _EMAIL,
                        f"the SMTP server cannot take the address {job.to!r} (no SMTPUTF8 support)",
                    )
                    continue
                job.commands = session.envelope(sender, job.to, job.built)
                job.step, job.error, job.failed_code = 0, None, None
                started.append(job)
            todo = []
            while started:
                for job in started:  # write this round's commands on every connection ...
                    try:
                        job.written = job.session_().send_commands(job.commands, job.step)
                    except OSError as exc:
                        job.error = exc
                waiting: list[_Job] = []
                for job in started:  # ... then read the answers
                    outcome = self._envelope_answers(job) if job.error is None else None
                    if job.error is not None:
                        reused = job.session_().used > 0
                        self._drop_session(job.session_())
                        if reused and job.index not in retried:
                            retried.add(job.index)
                            todo.append(job)  # the server closed an idle connection
                        else:
                            results[job.index] = DeliveryResult.transient(
                                _EMAIL, f"SMTP connection lost: {job.error}"
                            )
                    elif outcome is not None:
                        results[job.index] = outcome
                    elif job.step >= len(job.commands):
                        ready.append(job)
                    else:
                        waiting.append(job)
                started = waiting
        return ready

    def _envelope_answers(self, job: _Job) -> DeliveryResult | None:
        """Read the answers to the commands just written; ``None`` while all went well."""
        session = job.session_()
        failure: DeliveryResult | None = None
        got_354 = False
        try:
            for _ in range(job.written):
                code, text = session.reply()
                stage = _STAGES[job.step]
                job.step += 1
                if stage == "DATA" and code == 354:
                    got_354 = True
                elif code not in _EXPECTED[stage] and failure is None:
                    failure = classify_reply(code, text, stage)
                    job.failed_code = code
        except (OSError, smtplib.SMTPException) as exc:
            job.error = exc if isinstance(exc, OSError) else OSError(str(exc))
            return None
        if failure is None:
            return None
        if got_354 or job.failed_code == 421:  # no way back from DATA but to hang up
            self._drop_session(session)
        else:
            try:
                session.send_commands([b"RSET\r\n"], 0)
                session.reply()
            except (OSError, smtplib.SMTPException):
                self._drop_session(session)
        return failure

    def _contents(self, jobs: list[_Job], results: list[DeliveryResult | None]) -> list[_Job]:
        """Step 2: the content of each message, without the final dot."""
        sent: list[_Job] = []
        for job in jobs:
            try:
                job.session_().sock.sendall(_data_body(job.built.data))
            except OSError as exc:
                self._drop_session(job.session_())
                results[job.index] = DeliveryResult.transient(
                    _EMAIL, f"SMTP connection lost: {exc}"
                )
                continue
            sent.append(job)
        return sent

    def _commit_and_dot(
        self,
        jobs: list[_Job],
        commit: GroupCommitHook,
        results: list[DeliveryResult | None],
        on_dot: Callable[[], None] | None,
    ) -> None:
        """Steps 3 to 5."""
        items = [(job.index, job.built.message_id) for job in jobs]
        socks = [job.session_().sock for job in jobs]
        dots = [sealed(sock, _END_OF_DATA) for sock in socks]  # TLS: next records, unsent
        socks = [wire(sock) for sock in socks]
        sends = [sock.send for sock in socks]  # looked up before the commit
        written = [0] * len(jobs)
        broken: dict[int, OSError] = {}
        # Corked, a dot is queued in the kernel (a worker killed from then on still delivers
        # it: closing flushes the queue) without being transmitted, so writing it neither runs
        # the receiver's side of loopback TCP in this call nor wakes the SMTP server, which the
        # scheduler would then like to run in our place: the dots of a whole group are queued
        # in about a microsecond each.  They leave when the sockets are uncorked, just after.
        _set_cork(socks, True)
        held = self._hold([(*job.owner, job.built.message_id) for job in jobs], socks, dots)
        try:
            answers = commit(items)
        except BaseException:
            self._release(held)
            for job in jobs:  # no dot: the server discards every message of the group
                self._drop_session(job.session_())
            raise
        if len(answers) != len(jobs):
            self._release(held)
            for job in jobs:
                self._drop_session(job.session_())
            raise ValueError("the group commit hook must answer once per message")
        for n, yes in enumerate(answers):  # nothing between the commit and these lines
            if yes:
                try:
                    written[n] = sends[n](dots[n])
                except OSError as exc:
                    broken[n] = exc
        for n, yes in enumerate(answers):
            if yes and n not in broken and written[n] < len(dots[n]):
                try:  # a short write (never seen for a few bytes): finish it
                    socks[n].sendall(dots[n][written[n] :])
                except OSError as exc:
                    broken[n] = exc
        _set_cork([sock for sock, yes in zip(socks, answers, strict=True) if yes], False)
        self._release(held)
        if on_dot is not None:
            on_dot()
        going: list[_Job] = []
        accepted: list[int] = []
        for n, (job, yes) in enumerate(zip(jobs, answers, strict=True)):
            if yes:
                going.append(job)
                accepted.append(n)
            else:
                self._drop_session(job.session_())
                results[job.index] = DeliveryResult.transient(
                    _EMAIL, "not sent: the commit hook declined; the SMTP transaction was abandoned"
                )
        broken = {going_n: broken[n] for going_n, n in enumerate(accepted) if n in broken}
        for n, job in enumerate(going):
            session = job.session_()
            error: BaseException | None = broken.get(n)
            if error is None:
                try:
                    code, text = session.reply()
                except (OSError, smtplib.SMTPException) as exc:
                    error = exc
                else:
                    if code == 250:
                        results[job.index] = DeliveryResult.sent(_EMAIL, job.built.message_id)
                        session.used += 1
                        if session.used >= self._max_per_connection:
                            self._drop_session(session, polite=True)
                    else:
                        if code == 421:
                            self._drop_session(session)
                        results[job.index] = classify_reply(code, text, "DATA")
                    continue
            self._drop_session(session)
            results[job.index] = DeliveryResult.transient(
                _EMAIL,
                f"SMTP connection lost after the end of the message, before the server's "
                f"answer ({error}); it may or may not have been accepted",
            )

    def _hold(
        self,
        entries: list[tuple[str, str, str]],
        socks: Sequence[socket.socket],
        dots: Sequence[bytes],
    ) -> int | None:
        """Hand the group's connections and their dots to the guard before the commit."""
        guard = self.guard
        if guard is None or not socks:
            return None
        return guard.hold(entries, [wire(sock) for sock in socks], dots)

    def _release(self, token: int | None) -> None:
        if token is not None and self.guard is not None:
            self.guard.release(token)

    def _abort(self, conn: smtplib.SMTP, code: int) -> None:
        if code == 421:
            self._drop()
            return
        try:
            conn.rset()
        except smtplib.SMTPServerDisconnected:
            self._drop()

    def _after_reply(self, code: int, text: bytes | str, stage: str) -> DeliveryResult:
        if code == 421:  # the server is closing the connection
            self._drop()
        return classify_reply(code, text, stage)


_STAGES = ("MAIL FROM", "RCPT", "DATA")
_EXPECTED: dict[str, tuple[int, ...]] = {"MAIL FROM": (250,), "RCPT": (250, 251), "DATA": (354,)}


class _Session:
    """One of :meth:`SmtpEmailChannel.send_group`'s connections: ``smtplib`` opens it (EHLO,
    STARTTLS, AUTH); afterwards commands and replies go straight over its socket, with this
    object's own read buffer (``smtplib``'s reader is not used again)."""

    __slots__ = ("buffer", "pipelining", "size", "slot", "smtp", "smtputf8", "sock", "used")

    def __init__(self, smtp: smtplib.SMTP, slot: int) -> None:
        if smtp.sock is None:  # pragma: no cover - _open returns a connected client
            raise smtplib.SMTPServerDisconnected("not connected")
        self.smtp = smtp
        self.sock: socket.socket = smtp.sock
        self.slot = slot
        self.buffer = b""
        self.used = 0
        esmtp = bool(smtp.does_esmtp)
        self.pipelining = esmtp and smtp.has_extn("pipelining")
        self.smtputf8 = esmtp and smtp.has_extn("smtputf8")
        self.size = esmtp and smtp.has_extn("size")

    def envelope(self, sender: str, to: str, built: BuiltEmail) -> list[bytes]:
        """MAIL, RCPT and DATA as wire lines.  Both addresses were checked by ``build_email``
        (no spaces, brackets or line breaks)."""
        extra = f" size={len(built.data)}" if self.size else ""
        if built.smtputf8:
            extra += " SMTPUTF8"
        encoding = "utf-8" if built.smtputf8 else "ascii"
        return [
            f"MAIL FROM:<{sender}>{extra}\r\n".encode(encoding),
            f"RCPT TO:<{to}>\r\n".encode(encoding),
            b"DATA\r\n",
        ]

    def send_commands(self, commands: list[bytes], step: int) -> int:
        """Write the commands from ``step`` on: all of them when the server pipelines, else
        one.  Returns how many were written (as many answers to read)."""
        chunk = commands[step:] if self.pipelining else commands[step : step + 1]
        self.sock.sendall(b"".join(chunk))
        return len(chunk)

    def reply(self) -> tuple[int, bytes]:
        """One complete (possibly multi-line) reply."""
        while True:
            start = 0
            buffer = self.buffer
            while True:
                end = buffer.find(b"\r\n", start)
                if end < 0:
                    break
                if end - start < 4 or buffer[start + 3 : start + 4] != b"-":  # the last line
                    lines = buffer[:end].split(b"\r\n")
                    self.buffer = buffer[end + 2 :]
                    try:
                        code = int(lines[-1][:3])
                    except ValueError:
                        raise smtplib.SMTPServerDisconnected(
                            f"unreadable SMTP reply {lines[-1][:80]!r}"
                        ) from None
                    return code, b"\n".join(line[4:] for line in lines)
                start = end + 2
            data = self.sock.recv(65536)
            if not data:
                raise smtplib.SMTPServerDisconnected("connection closed by the server")
            self.buffer += data


@dataclass(slots=True, eq=False)
class _Job:
    """One message of a group on its way through :meth:`SmtpEmailChannel.send_group`."""

    index: int
    to: str
    built: BuiltEmail
    owner: tuple[str, str] = ("", "")  # (workspace, idempotency key), for the DotGuard
    slot: int = 0
    session: _Session | None = None
    commands: list[bytes] = field(default_factory=list)
    step: int = 0
    written: int = 0
    failed_code: int | None = None
    error: OSError | None = None

    def session_(self) -> _Session:
        assert self.session is not None
        return self.session


_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)


def _data_body(data: bytes) -> bytes:
    """A message as DATA carries it, up to (not including) the final dot: leading dots doubled
    (RFC 5321 4.5.2) and ending with CRLF."""
    content = _LEADING_DOT.sub(b"..", data)
    return content if content.endswith(_CRLF) else content + _CRLF


def _set_cork(socks: list[socket.socket], on: bool) -> None:
    """``TCP_CORK`` on or off for each socket (a no-op where the platform lacks it)."""
    if _TCP_CORK is None:
        return
    value = 1 if on else 0
    for sock in socks:
        with contextlib.suppress(OSError):  # a broken connection: its write reports it
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, value)


def _open_failure(exc: BaseException, config: SmtpConfig) -> DeliveryResult:
    """A connection that could not be opened, classified as :meth:`SmtpEmailChannel.send`
    does."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryResult.transient(
            _EMAIL,
            f"SMTP login refused ({_reply(exc.smtp_code, exc.smtp_error)}): "
            "check the user and password in GOODWILL_SMTP_URL",
            code=exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryResult.transient(
            _EMAIL,
            f"SMTP server lacks a needed extension ({exc}): "
            "check starttls/smtps in GOODWILL_SMTP_URL",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return classify_reply(exc.smtp_code, exc.smtp_error, "connect")
    if isinstance(exc, smtplib.SMTPException | OSError):
        where = f"{config.host}:{config.port}"
        return DeliveryResult.transient(_EMAIL, f"cannot reach SMTP server {where}: {exc}")
    raise exc
