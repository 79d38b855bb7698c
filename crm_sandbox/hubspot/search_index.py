"""What HubSpot's search sees: an index that trails the records by a lag, and the scrambled
order of ties.

HubSpot's CRM search reads a separate index that is updated asynchronously, so a record
created or changed through any API (or in the UI) is found by search only seconds later, and
until then with its old values and old sort position; reads by id, list and batch read see the
change at once. HubSpot documents no figure: integrators report that "changes made by other API
calls will take several seconds to propagate to the search indexing" (Locoia's HubSpot connector
docs, docs.locoia.com/connectors/connectors/hubspot, "Propagation Time") and that "the Search
API is eventually consistent" (Sequin, blog.sequin.io/building-a-sync-on-hubspots-api). The
sandbox's default is `DEFAULT_SEARCH_LAG_S` = 3 s.

How: every change (creation, property write, archive/restore, `set_modified`) is queued with the
time it becomes searchable (`now + lag`). Until then search sees the record's last indexed
version (a snapshot taken before the first unindexed change; none for a new record, which is
then absent). Once every queued change of a record is due, search reads the record itself
again. A lag of 0 indexes at once (and costs nothing). Seeded records are indexed from the start.

Ties: HubSpot gives no order among records with equal sort values, and in practice it is not id
order. `tie_key` orders ties by a hash of the id and the sandbox's seed: deterministic (so `after`
paging of one query is consistent across pages) but not id order.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crm_sandbox.hubspot.records import ObjectType, StoredRecord

DEFAULT_SEARCH_LAG_S = 3.0

_Key = tuple[ObjectType, str]


def snapshot(record: StoredRecord) -> StoredRecord:
    """A copy of a record that later writes do not change."""
    return StoredRecord(
        record.id,
        dict(record.properties),
        record.created_ms,
        record.updated_ms,
        record.archived,
        record.archived_ms,
    )


@dataclass(slots=True)
class _Entry:
    """A record with changes not yet indexed: what search sees now (None: absent) and the
    later versions still queued, oldest first."""

    indexed: StoredRecord | None
    queued: deque[StoredRecord] = field(default_factory=deque)


class SearchIndex:
    """The search index of one HubSpot backend. Call its methods with the backend's lock held
    (`wait` takes it itself)."""

    def __init__(
        self,
        lag_s: float = DEFAULT_SEARCH_LAG_S,
        *,
        seed: int = 7,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lag_s = lag_s
        self.seed = seed
        self.clock = clock
        self._entries: dict[_Key, _Entry] = {}
        self._due: list[tuple[float, int, _Key]] = []  # a heap of (due, sequence, key)
        self._sequence = 0

    # --- changes (called by the backend) ------------------------------------------------------

    def before_change(self, object_type: ObjectType, record: StoredRecord) -> None:
        """Call before changing an existing record: keeps the version search sees."""
        if self.lag_s > 0 and (object_type, record.id) not in self._entries:
            self._entries[(object_type, record.id)] = _Entry(snapshot(record))

    def changed(self, object_type: ObjectType, record: StoredRecord) -> None:
        """Call after creating or changing a record: queues its new version for indexing."""
        if self.lag_s <= 0:
            return
        key = (object_type, record.id)
        entry = self._entries.setdefault(key, _Entry(None))  # no entry yet: a new record
        entry.queued.append(snapshot(record))
        self._sequence += 1
        heapq.heappush(self._due, (self.clock() + self.lag_s, self._sequence, key))

    def forget(self, object_type: ObjectType, record_id: str) -> None:
        """A purged record: search no longer sees any version of it."""
        self._entries.pop((object_type, record_id), None)

    def clear(self) -> None:
        """Everything indexed at once (a reseed: the new records are there from the start)."""
        self._entries.clear()
        self._due.clear()

    # --- what search sees ---------------------------------------------------------------------

    def view(self, object_type: ObjectType, records: Sequence[StoredRecord]) -> list[StoredRecord]:
        """The records as search sees them now (in the given order; absent ones left out)."""
        self._index_due()
        if not self._entries:
            return list(records)
        seen: list[StoredRecord] = []
        for record in records:
            entry = self._entries.get((object_type, record.id))
            if entry is None:
                seen.append(record)
            elif entry.indexed is not None:
                seen.append(entry.indexed)
        return seen

    def pending(self) -> int:
        """How many queued changes are not yet searchable."""
        self._index_due()
        return len(self._due)

    def tie_key(self, record: StoredRecord) -> int:
        """The scrambled but deterministic order of records whose sort values are equal."""
        digest = hashlib.blake2b(f"{self.seed}:{record.id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def wait(self, lock: threading.RLock, timeout: float | None = None) -> bool:
        """Blocks until every change so far is searchable (True) or `timeout` s passed (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with lock:
                self._index_due()
                last_due = max((due for due, _, _ in self._due), default=None)
                now = self.clock()
            if last_due is None:
                return True
            wait_s = max(last_due - now, 0.001)
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                wait_s = min(wait_s, remaining)
            time.sleep(wait_s)

    def _index_due(self) -> None:
        now = self.clock()
        while self._due and self._due[0][0] <= now:
            _, _, key = heapq.heappop(self._due)
            entry = self._entries.get(key)
            if entry is None:  # purged, or cleared and queued again
                continue
            entry.indexed = entry.queued.popleft()
            if not entry.queued:
                del self._entries[key]
