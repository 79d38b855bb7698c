"""Webhook ingest rate: signed HubSpot deliveries into the durable inbox, nothing lost.

    .venv/bin/python bench/webhook_ingest.py [--requests 5000] [--concurrency 32]
        [--database-url URL] [--json]

`icp-sync serve --no-worker --no-schedules` runs as a second process on loopback (so the
inbox only fills), on a fresh SQLite store or the empty database given; this process sends
`--requests` deliveries (one `company.propertyChange` event each, a distinct eventId, a valid
v3 signature) with `--concurrency` requests in flight, over keep-alive connections (a minimal
HTTP/1.1 client, so the load generator is not the bottleneck on two cores). Reported:
requests/s over the whole run, per-request latency p50 / p99, non-2xx answers, the rows
found in the inbox afterwards (must equal the requests: nothing lost), and the service's CPU
time per delivery (its process's user + system time over the sends, startup excluded: the cost
of one delivery, whatever else the machine is doing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import func, select

from app.store.engine import make_engine
from app.store.tables import WebhookEvent
from app.webhooks.hubspot import signature_v3

MAX_ATTEMPTS = 3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INBOX_ONLY = ("--no-worker", "--no-schedules")
"""The service's options for ingest: the inbox only fills."""


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(database_url: str, secret: str) -> dict[str, str]:
    """The environment of a service that stores into `database_url` and checks HubSpot
    signatures made with `secret`."""
    return {
        **os.environ,
        "ICP_SYNC_DATABASE_URL": database_url,
        "ICP_SYNC_HUBSPOT_APP_SECRET": secret,
        "ICP_SYNC_LOG_FORMAT": "json",
    }


def start_service(
    env: dict[str, str],
    port: int,
    options: Sequence[str] = ("--no-schedules",),
    output: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """`icp-sync serve` on `port` with `options`, its output to `output` (None: discarded);
    returns once it is ready."""
    command = [sys.executable, "-c", "from app.cli.main import run; run()", "serve",
               "--port", str(port), *options]  # fmt: skip
    sink = subprocess.DEVNULL if output is None else output
    process = subprocess.Popen(  # noqa: S603 - our own command line, no user input
        command, env=env, stdout=sink, stderr=sink
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not become ready within 60 s")


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the machine's two cores
    with the service, and httpx spends ~2 ms of CPU per request, more than the service does;
    this writes the request bytes and reads the status line, headers and body."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        self.reader, self.writer, self.host = reader, writer, f"127.0.0.1:{port}"

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
            f"{head}\r\n".encode()
            + body
        )
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the service closed the connection")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


def delivery(secret: str, url: str, base: int, number: int) -> tuple[bytes, dict[str, str]]:
    """Delivery `number`: one `company.propertyChange` event with eventId `base + number`, its
    body and headers, signed (v3) for `url` with a timestamp taken now."""
    event = {
        "eventId": base + number,
        "subscriptionId": 1,
        "portalId": 1,
        "appId": 1,
        "occurredAt": base,
        "subscriptionType": "company.propertyChange",
        "attemptNumber": 0,
        "objectId": 1000 + number % 997,
        "propertyName": "numberofemployees",
        "propertyValue": str(number),
        "changeSource": "CRM_UI",
    }
    body = json.dumps([event]).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, stamp),
    }
    return body, headers


async def send_all(
    port: int, path: str, url: str, secret: str, count: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = retries = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(number)
    base = int(time.time() * 1000)

    async def deliver(
        connection: Connection, body: bytes, headers: dict[str, str]
    ) -> tuple[Connection, int]:
        """As a CRM does: a delivery whose connection broke is sent again (same eventId)."""
        nonlocal retries
        for attempt in range(MAX_ATTEMPTS):
            try:
                return connection, await connection.post(path, body, headers)
            except (ConnectionError, asyncio.IncompleteReadError):
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                retries += 1
                connection.close()
                connection = await Connection.open(port)
        raise AssertionError("unreachable")

    async def sender() -> None:
        nonlocal failures
        connection = await Connection.open(port)
        while not queue.empty():
            number = queue.get_nowait()
            body, headers = delivery(secret, url, base, number)
            started = time.perf_counter()
            connection, status = await deliver(connection, body, headers)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures += 1
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": count,
        "seconds": round(seconds, 2),
        "requests_per_second": round(count / seconds),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "non_2xx": failures,
        "resent_after_broken_connection": retries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    secret = secrets.token_hex(16)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{Path(folder) / 'inbox.db'}"
        service = start_service(service_env(database_url, secret), port, INBOX_ONLY)
        try:
            path = "/webhooks/hubspot"
            url = f"http://127.0.0.1:{port}{path}"
            cpu_before = process_cpu(service.pid)
            row = asyncio.run(send_all(port, path, url, secret, args.requests, args.concurrency))
            row["service_cpu_ms_per_delivery"] = round(
                (process_cpu(service.pid) - cpu_before) * 1000 / args.requests, 3
            )
        finally:
            service.terminate()
            service.wait(30)
        engine = make_engine(database_url)
        with engine.connect() as connection:
            row["stored"] = connection.execute(
                select(func.count()).select_from(WebhookEvent)
            ).scalar_one()
        engine.dispose()
    row["lost"] = row["requests"] - row["stored"]
    meta = {"database": database_url.split(":")[0], "concurrency": args.concurrency,
            "python": platform.python_version(), "cpus": os.cpu_count()}  # fmt: skip
    if args.json:
        print(json.dumps({**row, **meta}))
    else:
        print("; ".join(f"{key}={value}" for key, value in {**row, **meta}.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
