"""Holding a rate-limited CRM's events back for a moment, so they gather into larger batches.

A pass of the inbox worker costs a few API calls whatever its size (a new HubSpot contact: read
it and its company, write both). Passes of one event each can spend a CRM's burst limit in a
few seconds, and then every caller waits for the window to slide: seconds of latency. When the
CRM's rate limit cannot take a pass's calls now (`CrmConnector.ready_in`), its events wait, at
most `HOLD_AT_MOST` at a time, and the next pass takes all that arrived meanwhile. The bound
keeps a sync that spends the same budget from starving the webhooks: past it, the pass goes and
its calls queue in the pacer as before."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

from connectors.base import CrmConnector

PASS_CALLS = 4
"""The API calls a small pass of one CRM makes."""
HOLD_AT_MOST = 1.0
"""Seconds a CRM's events are held back in a row, at most."""


class Gatherer:
    def __init__(
        self, connectors: Mapping[str, CrmConnector], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._connectors = connectors
        self._clock = clock
        self._since: dict[str, float] = {}

    def held(self, skipped: Collection[str] = ()) -> list[str]:
        """The CRMs (beside those `skipped` anyway) whose events this pass leaves waiting."""
        now = self._clock()
        held: list[str] = []
        for source, connector in self._connectors.items():
            if source in skipped or connector.ready_in(PASS_CALLS) <= 0:
                self._since.pop(source, None)
            elif now - self._since.setdefault(source, now) < HOLD_AT_MOST:
                held.append(source)
            else:
                del self._since[source]  # held long enough: this pass takes them
        return held
