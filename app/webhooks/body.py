"""Reading a request body once, with a hard size limit.

A `Content-Length` over the limit is refused before anything is read; a body without one
(chunked) is read until it passes the limit, and reading stops there. Either way the caller gets
a 413 `WebhookError`, never a body held in memory beyond `limit` (plus one chunk).
"""

from __future__ import annotations

from collections.abc import AsyncIterable

from starlette.requests import ClientDisconnect

from app.webhooks.errors import malformed, too_large

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: a HubSpot batch of 100 events is ~30 KB


async def read_body(
    chunks: AsyncIterable[bytes], content_length: str | None, *, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The whole body from `chunks` (e.g. `request.stream()`), or `WebhookError` 400/413."""
    if content_length is not None:
        declared = content_length.strip()
        if not declared.isascii() or not declared.isdigit():
            raise malformed(f"Content-Length: expected a number of bytes, got {declared[:40]!r}")
        if int(declared) > limit:
            raise too_large(limit)
    received = bytearray()
    try:
        async for chunk in chunks:
            received += chunk
            if len(received) > limit:
                raise too_large(limit)
    except ClientDisconnect:  # the answer will not be read; it must still not be a 500
        raise malformed("the client disconnected before the body was complete") from None
    return bytes(received)
