"""The service under test as a process: a free port, waiting until it (or any condition) is
ready, and a signed HubSpot delivery posted to it as HubSpot would."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from app.webhooks.hubspot import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_v3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Returns once `check()` holds; fails the test naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def is_ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(
    base: str, process: subprocess.Popen[Any] | None = None, timeout: float = 60.0
) -> bool:
    """True once `base/readyz` answers 200; False after `timeout` s, or as soon as `process`
    (the service) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        if is_ready(base):
            return True
        time.sleep(0.1)
    return False


def hubspot_event(event_id: int, object_id: int) -> dict[str, object]:
    """A `company.creation` event as HubSpot sends it, occurring now."""
    return {
        "eventId": event_id,
        "subscriptionType": "company.creation",
        "objectId": object_id,
        "occurredAt": int(time.time() * 1000),
        "portalId": 1,
    }


def post_hubspot_delivery(
    base: str, secret: str, events: Sequence[dict[str, object]], **headers: str
) -> httpx.Response:
    """POSTs `events` to `base/webhooks/hubspot`, signed (v3) with the app's `secret`."""
    body = json.dumps(list(events)).encode()
    stamp = str(int(time.time() * 1000))
    uri = f"{base}/webhooks/hubspot"
    return httpx.post(
        uri,
        content=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature_v3(secret, "POST", uri, body, stamp),
            **headers,
        },
        timeout=10,
    )
