"""A job that fails at once still reaches the slots connected right after it started."""

from __future__ import annotations

import time


def _fail_now():
    raise ValueError("bad parameter")


def test_an_immediate_failure_is_not_lost(qtbot):
    from app.workers import start_worker

    for _ in range(20):  # before the fix this lost the error now and then
        w = start_worker(_fail_now, report_errors=False)
        time.sleep(0.01)  # the pool would have run it by now
        got = []
        w.signals.errored.connect(got.append)
        qtbot.waitUntil(lambda: bool(got), timeout=5000)
        assert isinstance(got[0], ValueError) and w.done


def test_wait_starts_a_job_no_event_loop_has_started(qtbot):
    from app.workers import start_worker

    w = start_worker(lambda: 42, report_errors=False)
    assert w.wait(5) and w.result == 42
