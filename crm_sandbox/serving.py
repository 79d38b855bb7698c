"""Serving an ASGI app with uvicorn on an already-bound loopback socket, in a daemon thread:
both sandbox CRMs, and icp-sync's own service beside them in the demo and tests."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class SandboxError(Exception):
    """The sandbox cannot start (port taken, bad argument); the message says why."""


class ServerThread:
    """One ASGI app served by uvicorn on an already-bound socket, in a daemon thread."""

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        name: str,
        *,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        lifespan: bool = False,
    ) -> None:
        import uvicorn  # the web server is needed only when a sandbox runs

        config = uvicorn.Config(
            app,
            log_config=None,  # leave the host process's logging alone
            log_level="warning",
            access_log=False,
            lifespan="on" if lifespan else "off",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=2,
            ssl_certfile=ssl_certfile,  # TLS when given (the Salesforce sandbox)
            ssl_keyfile=ssl_keyfile,
        )
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as error:  # reported to the starting thread
            self.error = error

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                reason = f": {self.error}" if self.error else ""
                raise SandboxError(f"the sandbox server did not start{reason}")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(STOP_TIMEOUT_S)
        self.sock.close()


def serve_app(app: Any, port: int = 0, *, name: str = "app") -> tuple[str, Callable[[], None]]:
    """Serves an ASGI app, its lifespan included, on 127.0.0.1 in a daemon thread; returns
    its base URL and a function that stops it. For the demo and tests that put icp-sync's own
    service beside the sandbox."""
    sock = bind_loopback(LOOPBACK, port)
    server = ServerThread(app, sock, name=name, lifespan=True)
    try:
        server.start()
    except BaseException:
        sock.close()
        raise
    return f"http://{LOOPBACK}:{sock.getsockname()[1]}", server.stop


def bind_loopback(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65_535:
        raise SandboxError(f"port {port} is not a TCP port (0-65535; 0 picks a free one)")
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket says it is TCP, and without it every keep-alive answer waits ~40 ms for ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise SandboxError(f"port {port} on {host} is already in use") from None
        raise SandboxError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock
