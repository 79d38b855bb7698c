"""`StopOnSignal`: how `icp-sync sandbox` and `icp-sync inbox work` wait for SIGTERM/Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from app.cli.signals import StopOnSignal

# Raises SIGTERM at each traced line of the wait in turn (the handler runs right there, on the
# main thread), from its first line to its 40th; prints each step done. The Event-based wait
# these commands had hung for good at step 4, inside Event.wait() holding the Event's lock.
SIGNAL_AT_EVERY_LINE = textwrap.dedent(
    """
    import signal, sys
    from app.cli.signals import StopOnSignal

    def raise_at(step):
        seen = 0
        def tracer(frame, event, arg):
            nonlocal seen
            if event == "line":
                seen += 1
                if seen == step:
                    signal.raise_signal(signal.SIGTERM)
            return tracer
        return tracer

    for step in range(1, 41):
        with StopOnSignal() as stop:
            sys.settrace(raise_at(step))
            stop.wait(poll_seconds=0.05)
            sys.settrace(None)
        print(step, flush=True)
    """
)


def test_given_a_sigterm_from_another_thread_when_waiting_then_the_wait_returns_and_handlers_are_restored() -> (
    None
):
    before = signal.getsignal(signal.SIGTERM)
    with StopOnSignal() as stop:
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()
        stop.wait(poll_seconds=0.01)
        requested = stop.requested

    assert requested
    assert signal.getsignal(signal.SIGTERM) is before


def test_given_no_signal_then_no_stop_is_requested() -> None:
    with StopOnSignal() as stop:
        assert not stop.requested


def test_given_sigterm_at_any_point_of_the_wait_then_the_process_never_hangs() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SIGNAL_AT_EVERY_LINE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"hung after step {out.split()[-1:] or ['0']}: {err[-500:]}")

    assert process.returncode == 0, err
    assert out.split() == [str(step) for step in range(1, 41)]
