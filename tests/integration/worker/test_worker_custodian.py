"""The custodian closes ADR 0030's window: a worker killed right after a group's commit and
before its final dots (hit on purpose, not by chance) still delivers that group, once.  The
same run without the custodian loses the group, which shows the test can fail.  Runs on SQLite
and, when GOODWILL_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.worker import killkit
from tests.tls_kit import make_cert

from goodwill.worker.custodian import supported

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not supported(), reason="needs Unix socket passing (SCM_RIGHTS)"),
]


def test_a_worker_killed_between_commit_and_dots_still_delivers_the_group_once(
    db_url: str, tmp_path: Path
) -> None:
    report = killkit.die_in_window(db_url, tmp_path, messages=60, group=20, die_after=2)
    print(f"\ncustodian: {report}")
    assert report.kills == 1, report
    assert report.lost == 0, f"lost messages: {report}"
    assert report.duplicated == 0, f"duplicated messages: {report}"
    assert report.unexpected == 0 and report.ledger_problems == [], report
    assert report.received == 60
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert "20 committed and finished (20 accepted)" in log, log


def test_without_the_custodian_the_same_kill_loses_the_group(db_url: str, tmp_path: Path) -> None:
    report = killkit.die_in_window(
        db_url, tmp_path, messages=60, group=20, die_after=2, custodian=False
    )
    assert report.kills == 1, report
    assert report.lost == 20, report
    assert report.duplicated == 0, report


def test_over_starttls_the_sealed_dot_is_written_by_the_custodian(
    db_url: str, tmp_path: Path
) -> None:
    cert = make_cert(tmp_path)
    if cert is None:
        pytest.skip("openssl is not installed")
    report = killkit.die_in_window(db_url, tmp_path, messages=60, group=20, die_after=2, tls=cert)
    assert report.kills == 1, report
    assert report.lost == 0 and report.duplicated == 0, report
    assert report.unexpected == 0 and report.ledger_problems == [], report
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert "20 committed and finished (20 accepted)" in log, log
