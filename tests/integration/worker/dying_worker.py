"""`goodwill worker` that SIGKILLs itself right after the Nth commit of a send, before its dots:
the window of ADR 0030, hit on purpose.

    GOODWILL_DIE_AFTER_COMMIT=N python dying_worker.py worker [options]

The commit hooks (:class:`goodwill.worker.commit.GroupCommit` and ``EmailCommit``) return to
the channel, which writes the dots; this wrapper kills the process at the end of the hook
instead, after the database commit has been issued.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from goodwill.worker import commit as commit_module


def _install(after: int) -> None:
    calls = {"n": 0}

    def wrap(cls: Any) -> None:
        original = cls.__call__

        def dying(self: Any, items: Any) -> Any:
            answer = original(self, items)
            if self.committed:
                calls["n"] += 1
                if calls["n"] >= after:
                    os.kill(os.getpid(), signal.SIGKILL)
            return answer

        cls.__call__ = dying

    wrap(commit_module.GroupCommit)
    wrap(commit_module.EmailCommit)


if __name__ == "__main__":
    _install(int(os.environ["GOODWILL_DIE_AFTER_COMMIT"]))
    from goodwill.cli.app import run

    sys.exit(run(sys.argv[1:]))
