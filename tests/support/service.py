"""The service under test as a process (or served by uvicorn in a thread): a free port,
waiting until it (or any condition) is ready, and a signed HubSpot delivery posted to it as
HubSpot would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn
from fastapi import FastAPI

from app.webhooks.hubspot import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_v3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedApp:
    """`app` served by uvicorn (with its lifespan: migrations) on a free loopback port, in a
    daemon thread, for the `with` block; `config`: more `uvicorn.Config` options."""

    def __init__(self, app: FastAPI, **config: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        options: dict[str, Any] = {
            "log_config": None, "lifespan": "on", "http": "h11", "loop": "asyncio",
        }  # fmt: skip
        self.server = uvicorn.Server(uvicorn.Config(app, **(options | config)))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive(), "the server did not start"
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


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


def serve_process(
    database_url: str,
    app_secret: str,
    port: int,
    *options: str,
    cwd: Path,
    output: IO[str] | None = None,
    **settings: str,
) -> subprocess.Popen[str]:
    """`icp-sync serve --port PORT OPTIONS…` as a process on `database_url` with HubSpot's app
    secret and any other `ICP_SYNC_*` `settings`; its stdout and stderr piped, or into
    `output`."""
    env = {
        **os.environ,
        "ICP_SYNC_DATABASE_URL": database_url,
        "ICP_SYNC_HUBSPOT_APP_SECRET": app_secret,
        **settings,
    }
    stream: IO[str] | int = subprocess.PIPE if output is None else output
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli.main import run; run()", "serve", "--port",
         str(port), *options],
        env=env, cwd=cwd, stdout=stream, stderr=stream, text=True,
    )  # fmt: skip
