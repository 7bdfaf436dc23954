"""The benchmark's SMTP sink counts what it is sent, however the bytes are split: pipelined
commands, a final dot split across reads, duplicates and messages without a Message-ID."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SINK = Path(__file__).resolve().parents[3] / "benchmarks" / "smtp_sink.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_smtp_sink", SINK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_smtp_sink"] = module
    spec.loader.exec_module(module)
    return module


sink = _load()


class FakeTransport:
    def __init__(self) -> None:
        self.out = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def close(self) -> None:
        self.closed = True


def session(*, pipelining: bool = True) -> tuple[Any, Any, FakeTransport]:
    counts = sink.Counts()
    proto = sink.SinkProtocol(counts, pipelining=pipelining)
    transport = FakeTransport()
    proto.transport = transport  # as connection_made would, minus the isinstance check
    return counts, proto, transport


def message(mid: bytes, *, folded: bool = False) -> bytes:
    header = b"Message-ID:\r\n " + mid if folded else b"Message-Id: " + mid
    return (
        b"From: a@b.example\r\n" + header + b"\r\nSubject: hi\r\n\r\n"
        b"body line\r\n..a stuffed line\r\nMessage-ID: <not-a-header@x>\r\n"
    )


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 100_000])
def test_pipelined_sessions_are_counted_however_the_bytes_arrive(chunk: int) -> None:
    counts, proto, transport = session()
    wire = b"EHLO me\r\n"
    for i, mid in enumerate([b"<1@x>", b"<2@x>", b"<1@x>", b"<3@x>"]):
        wire += b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"
        wire += message(mid, folded=i == 3) + b".\r\n"
    wire += b"QUIT\r\n"
    for start in range(0, len(wire), chunk):
        proto.data_received(wire[start : start + chunk])
    assert counts.received == 4
    assert dict(counts.ids) == {b"<1@x>": 2, b"<2@x>": 1, b"<3@x>": 1}
    assert '"duplicates": 1' in counts.report()
    replies = transport.out.split(b"\r\n")
    assert replies.count(b"354 end with .") == 4
    assert replies.count(b"250 2.0.0 queued") == 4
    assert b"250-PIPELINING" in transport.out and transport.closed


def test_without_pipelining_it_is_not_advertised_and_empty_messages_count() -> None:
    counts, proto, transport = session(pipelining=False)
    proto.data_received(b"EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n.\r\n")
    assert b"PIPELINING" not in transport.out
    assert counts.received == 1 and dict(counts.ids) == {b"": 1}
