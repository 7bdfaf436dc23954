"""`goodwill worker` with a trace of each email's commit point, for diagnosing kill tests.

    GOODWILL_KILLTEST_TRACE=/path/trace.log python traced_worker.py worker [options]

Appends unbuffered lines ``<pid> <step> <Message-ID>`` where step is ``content`` (the content is
with the server, the commit hook is about to run), ``dot`` (the final dot was handed to the
kernel) or ``reply`` (the server answered).  The trace writes happen outside the window between
the commit and the dot, so they do not widen it.  A message found lost whose trace stops at
``content`` while its row says ``sent`` was killed between the commit and the dot.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from goodwill.channels import email as email_module


def _install(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pid = os.getpid()

    def trace(step: str, message_id: str) -> None:
        os.write(fd, f"{pid} {step} {message_id}\n".encode())

    original = email_module.SmtpEmailChannel._send_with_commit

    def traced(
        self: Any,
        conn: Any,
        to: str,
        built: Any,
        options: Any,
        commit: Any,
        on_dot: Any = None,
        **kw: Any,
    ) -> None:
        def hook(message_id: str) -> bool:
            trace("content", message_id)
            return bool(commit(message_id))

        sock_holder: dict[str, Any] = {}
        real_getreply = conn.getreply

        def getreply() -> Any:
            if self.last_committed and "dot" not in sock_holder:
                sock_holder["dot"] = True
                trace("dot", built.message_id)
                answer = real_getreply()
                trace("reply", built.message_id)
                return answer
            return real_getreply()

        conn.getreply = getreply
        try:
            original(self, conn, to, built, options, hook, on_dot, **kw)
        finally:
            conn.getreply = real_getreply

    email_module.SmtpEmailChannel._send_with_commit = traced  # type: ignore[method-assign]


if __name__ == "__main__":
    _install(os.environ["GOODWILL_KILLTEST_TRACE"])
    from goodwill.cli.app import run

    sys.exit(run(sys.argv[1:]))
