"""``GOODWILL_SMTP_URL`` parsing.

Forms::

    smtp://host                               plain SMTP on port 25 (a local relay or test sink)
    smtp://user:pass@host:587                 STARTTLS (on by default on port 587)
    smtp://user:pass@host:2525?starttls=true  STARTTLS on another port
    smtps://user:pass@host                    implicit TLS, port 465 by default

User and password are URL-decoded (write ``@`` as ``%40``, ``:`` as ``%3A``).  Query options:
``starttls=true|false`` and ``timeout=<seconds>`` (default 10).  Anything else is an error,
as is a URL without a host; error messages never echo the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from goodwill.channels.base import ChannelConfigError

Security = Literal["none", "starttls", "tls"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def describe(self) -> str:
        """For logs and ``doctor`` output: everything but the password."""
        who = f", user {self.username}" if self.username else ""
        return f"smtp {self.host}:{self.port} ({self.security}{who})"


def _bad(problem: str) -> ChannelConfigError:
    return ChannelConfigError(
        f"GOODWILL_SMTP_URL is invalid: {problem}; "
        "expected smtp://user:pass@host:587?starttls=true or smtps://user:pass@host"
    )


def parse_smtp_url(url: str) -> SmtpConfig:
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _bad("the port is not a number between 0 and 65535") from None
    scheme = parts.scheme.lower()
    if scheme not in {"smtp", "smtps"}:
        raise _bad(f"scheme {scheme or '(none)'!r} is not smtp or smtps")
    if not parts.hostname:
        raise _bad("no host")
    if parts.path not in {"", "/"} or parts.fragment:
        raise _bad("unexpected path after the host")
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        options[key.lower()] = value.strip().lower()
    unknown = sorted(set(options) - {"starttls", "timeout"})
    if unknown:
        raise _bad(f"unknown option(s) {', '.join(unknown)}")
    starttls: bool | None = None
    if "starttls" in options:
        flag = options["starttls"]
        if flag not in _TRUE | _FALSE:
            raise _bad(f"starttls must be true or false, not {flag!r}")
        starttls = flag in _TRUE
    timeout = 10.0
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            raise _bad("timeout must be a number of seconds") from None
        if not 0 < timeout <= 600:
            raise _bad("timeout must be between 0 and 600 seconds")
    security: Security
    if scheme == "smtps":
        if starttls:
            raise _bad("smtps:// is already TLS; drop starttls=true")
        security, port = "tls", port or 465
    else:
        port = port or (587 if starttls else 25)
        security = "starttls" if (starttls if starttls is not None else port == 587) else "none"
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if username and password is None:
        raise _bad("a user name without a password")
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security=security,
        username=username,
        password=password,
        timeout=timeout,
    )
