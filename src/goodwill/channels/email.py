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
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from goodwill.channels.base import DeliveryResult, OutboundMessage
from goodwill.channels.email_message import (
    BuiltEmail,
    EmailIdentity,
    InvalidRecipient,
    build_email,
)
from goodwill.channels.smtp_url import SmtpConfig
from goodwill.kit.clock import utcnow
from goodwill.messaging.vocabulary import ChannelKind

_EMAIL = ChannelKind.EMAIL
_DISCONNECTED = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)
_CRLF = b"\r\n"
_END_OF_DATA = b".\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")

#: ``commit(message_id) -> bool``: called once the content is with the server, before the dot.
CommitHook = Callable[[str], bool]


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
        #: Whether the commit hook of the last ``send`` said yes (the dot was then written).
        self.last_committed = False

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

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _open(self) -> smtplib.SMTP:
        cfg = self._config
        conn: smtplib.SMTP
        if cfg.security == "tls":
            conn = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                local_hostname=self._helo_name,
                timeout=cfg.timeout,
                context=self._context(),
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
                conn.starttls(context=self._context())
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
                            conn, message.to.strip(), built, options, commit, on_dot
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
    ) -> None:
        """``sendmail`` taken apart so ``commit`` runs between the content and the final dot.
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
        content = _LEADING_DOT.sub(b"..", built.data)
        if not content.endswith(_CRLF):
            content += _CRLF
        conn.send(content)
        sock = conn.sock
        try:
            go = commit(built.message_id)
        except BaseException:
            self._drop()  # no dot: the server discards the message
            raise
        if not go or sock is None:
            self._drop()
            raise _Declined
        self.last_committed = True
        sock.sendall(_END_OF_DATA)  # nothing between the commit and this line
        if on_dot is not None:
            on_dot()
        code, resp = conn.getreply()
        if code != 250:
            if code == 421:
                self._drop()
            raise smtplib.SMTPDataError(code, resp)

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
