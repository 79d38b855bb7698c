"""Stopping the icp-sync and sandbox processes that tests start."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

STOP_TIMEOUT_S = 30.0


def stop_process(
    process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT_S
) -> tuple[str, str]:
    """Sends SIGTERM and returns what the process printed (stdout, stderr) once it exits.

    One that is still running after `timeout` is killed and the test fails naming it. Killing
    it here, not leaving it to the garbage collector, closes its pipes inside this test: left
    open they surface as an "unclosed file" warning that fails whichever test runs next."""
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(
            f"{process.args!r} still ran {timeout:g} s after SIGTERM; its stderr ended with:\n"
            f"{_text(err)[-2000:]}"
        ) from None
    return _text(out), _text(err)


def _text(output: str | bytes | None) -> str:
    """What a pipe gave, as text; "" where the stream was not piped."""
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
