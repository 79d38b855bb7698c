"""Paging HubSpot objects out: the full pull (list endpoint) and the incremental pull (search).

Cursor semantics (one `Cursor` = the `(modified_at, crm_id)` of a record; pairs compare in that
order):

* **Full pull** (`since=None`): the list endpoint, `archived=false` then `archived=true`, so every
  object comes exactly once (archived ones with `archived=True`) and no search cap can hide one.
  Pages carry `cursor=None` except the last, which carries the newest `(modified_at, id)` seen,
  capped at the *signpost* (below). An empty portal ends with `cursor=None` (the next pull is
  full again). Every page but the last carries a `resume` token: the pass (live or archived),
  the list's `after` for the next page, and the first run's signpost and newest record. The
  list is in id order and its `after` names the next id, so it stays valid across runs
  (HubSpot's reference example, `NTI1Cg%3D%3D`, is the base64 of `525\n`: no server-side
  snapshot to expire; the sandbox's is the same). A pull
  resumed from a token goes on with the next page and keeps the *first* run's signpost as its
  cap: a record modified between the runs, behind the point reached, gets a timestamp past it,
  so the next incremental pull reads it.

* **Incremental pull** (`since=Cursor`): a closed window from `since.modified_at - overlap`.
  1. Archived objects first. Search never returns them, so the list endpoint with
     `archived=true` is read and filtered client-side to `modified_at ≥ window start`
     (`modified_at` of an archived object includes its `archivedAt`). These pages carry
     `since` unchanged: they must not move the cursor past records the search has not read.
  2. Then search on `hs_lastmodifieddate GTE start`, ascending, paged by *keyset*: every page is
     a new search from the newest timestamp seen so far (`after` stays 0), and ids already
     handled at exactly that timestamp are skipped. Offset paging (`after=100, 200…`) would
     silently skip a record whenever an earlier one is modified mid-pull (it moves to the end
     and everything behind it shifts one place forward) — our own writebacks do exactly that —
     and the keyset never comes near the 10,000-result cap. Only a tie group larger than a page
     (many records modified in the same millisecond) is walked with `after`; a tie group past
     the cap falls back to a filtered list pass.
  Each page carries the newest `(modified_at, id)` delivered so far (never less than `since`),
  capped at the signpost: store the page, then save its cursor.

* **Overlap**: records in `[since - overlap, since]` are delivered again. That is deliberate:
  search indexing lags by seconds, so a record modified just before the last cursor may not
  have been searchable then. Re-delivery is harmless (upserts are idempotent). The id in the
  cursor is therefore a tie-break for comparing cursors, not a filter: HubSpot search does not
  order ties by id, so skipping `(t, id) ≤ cursor` could drop an unseen record sharing `t`.
  The overlap must exceed the indexing lag.

* **Signpost**: before paging, one search (`DESCENDING`, `limit=1`) reads the newest
  `hs_lastmodifieddate` HubSpot holds. No cursor goes past it, so a record modified while the
  pull runs (possibly after the id-ordered list passed it, or archived after the archived pass)
  is pulled again next time. It is HubSpot's own clock, so local clock skew does not matter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic

from connectors.errors import ConnectorError
from connectors.full_pull import FullPull, capped, later, newest_of
from connectors.hubspot.client import HubSpotClient, Json, ObjectType
from connectors.hubspot.mapping import LAST_MODIFIED
from connectors.records import Cursor, Page, RecordT
from connectors.values import EPOCH, parse_datetime

SEARCH_RESULT_CAP = 10_000
LIVE, ARCHIVED = "live", "archived"
"""The full pull's two passes over the list endpoint (`archived=false`, then `true`)."""
_ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Stream(Generic[RecordT]):
    """One HubSpot object type as a stream of neutral records."""

    object_type: ObjectType
    properties: tuple[str, ...]
    list_associations: tuple[str, ...]
    from_list: Callable[[Sequence[Json]], list[RecordT]]
    """Maps objects from the list endpoint (which carry `associations`)."""
    from_search: Callable[[Sequence[Json]], list[RecordT]]
    """Maps objects from search (no `associations`: may read them separately)."""
    last_modified: str = LAST_MODIFIED
    """The property search filters and sorts on (contacts: `lastmodifieddate`)."""


class Puller(Generic[RecordT]):
    def __init__(
        self,
        client: HubSpotClient,
        stream: Stream[RecordT],
        *,
        page_size: int,
        overlap: timedelta,
        search_cap: int = SEARCH_RESULT_CAP,
    ) -> None:
        self._client = client
        self._stream: Stream[RecordT] = stream
        self._page_size = page_size
        self._overlap = overlap
        self._search_cap = search_cap

    # -- full -----------------------------------------------------------------------------

    def full(self, resume: str | None = None) -> Iterator[Page[RecordT]]:
        """Every object, live then archived; from a `resume` token, the rest of that pull."""
        at = FullPull.read(resume) or FullPull(LIVE, signpost=self._signpost())
        held: tuple[list[RecordT], FullPull] | None = None  # the last page carries the cursor
        for stage in (LIVE, ARCHIVED):
            if stage == LIVE and at.stage == ARCHIVED:
                continue
            start = at.after if stage == at.stage else None
            for objects, following in self._list_pages(archived=stage == ARCHIVED, after=start):
                records = self._stream.from_list(objects)
                at = at.past(records, stage=stage if following else ARCHIVED, after=following)
                if held is not None:
                    yield Page(tuple(held[0]), None, held[1].token())
                held = records, at
        yield Page(tuple(held[0] if held else ()), at.final_cursor())

    # -- incremental ----------------------------------------------------------------------

    def incremental(self, since: Cursor) -> Iterator[Page[RecordT]]:
        if since.modified_at.tzinfo is None:  # SQLite hands stored datetimes back naive
            since = Cursor(since.modified_at.replace(tzinfo=UTC), since.crm_id)
        signpost = self._signpost()
        start = since.modified_at - self._overlap
        for objects, _ in self._list_pages(archived=True):
            records = [r for r in self._stream.from_list(objects) if r.modified_at >= start]
            if records:
                yield Page(tuple(records), since)
        cursor = since
        for records in self._search_pages(start):
            newest = newest_of(records)
            if newest is not None:
                cursor = later(cursor, capped(newest, signpost)) or cursor
            yield Page(tuple(records), cursor)

    def _search_pages(self, start: datetime) -> Iterator[list[RecordT]]:
        lower = to_ms(start)
        seen: set[str] = set()  # ids already delivered whose timestamp is exactly `lower`
        offset = 0
        while True:
            payload = self._client.search(self._stream.object_type, self._search(lower, offset))
            objects = _results(payload)
            fresh = [
                o for o in objects if not (self._sort_key(o) == lower and object_id(o) in seen)
            ]
            if fresh:
                yield self._stream.from_search(fresh)
            if not objects or not _has_next(payload):
                return
            last = self._sort_key(objects[-1])
            if last > lower:
                lower = last
                seen = {object_id(o) for o in objects if self._sort_key(o) == last}
                offset = 0
            else:  # the whole page shares one timestamp: walk the tie group by offset
                seen.update(object_id(o) for o in objects)
                offset += len(objects)
                if offset >= self._search_cap:
                    yield from self._filtered_list_pages(lower, seen)
                    return

    def _filtered_list_pages(self, lower: int, seen: set[str]) -> Iterator[list[RecordT]]:
        """More than `search_cap` records share one millisecond: search cannot page past them,
        so read the (uncapped) list endpoint and keep what the search would have returned."""
        for objects, _ in self._list_pages(archived=False):
            kept = [
                o
                for o in objects
                if self._sort_key(o) > lower
                or (self._sort_key(o) == lower and object_id(o) not in seen)
            ]
            if kept:
                yield self._stream.from_list(kept)

    def _sort_key(self, obj: Mapping[str, Any]) -> int:
        return sort_key(obj, self._stream.last_modified)

    # -- requests -------------------------------------------------------------------------

    def _signpost(self) -> Cursor | None:
        """The newest modification HubSpot holds right now (see the module docstring)."""
        body = {
            "filterGroups": [],
            "sorts": [{"propertyName": self._stream.last_modified, "direction": "DESCENDING"}],
            "properties": [self._stream.last_modified],
            "limit": 1,
        }
        objects = _results(self._client.search(self._stream.object_type, body))
        if not objects:
            return None
        return Cursor(from_ms(self._sort_key(objects[0])), object_id(objects[0]))

    def _search(self, lower: int, offset: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": self._stream.last_modified,
                            "operator": "GTE",
                            "value": str(lower),
                        }
                    ]
                }
            ],
            "sorts": [{"propertyName": self._stream.last_modified, "direction": "ASCENDING"}],
            "properties": list(self._stream.properties),
            "limit": self._page_size,
        }
        if offset:
            body["after"] = str(offset)
        return body

    def _list_pages(
        self, *, archived: bool, after: str | None = None
    ) -> Iterator[tuple[list[Json], str | None]]:
        """Pages of the list endpoint from `after`, each with the `after` of the next (None
        on the last)."""
        while True:
            payload = self._client.list_page(
                self._stream.object_type,
                limit=self._page_size,
                after=after,
                properties=self._stream.properties,
                associations=self._stream.list_associations,
                archived=archived,
            )
            following = _next_after(payload)
            yield _results(payload), following
            if following is None:
                return
            if following == after:
                raise ConnectorError(
                    f"{self._stream.object_type}.list: HubSpot returned the same paging cursor "
                    "twice; stopping rather than looping"
                )
            after = following


def search_body_size(
    properties: Iterable[str], page_size: int, last_modified: str = LAST_MODIFIED
) -> int:
    """Characters of the largest search body a pull sends (HubSpot refuses over 3,000)."""
    probe = {
        "filterGroups": [
            {"filters": [{"propertyName": last_modified, "operator": "GTE", "value": "9" * 13}]}
        ],
        "sorts": [{"propertyName": last_modified, "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": page_size,
        "after": "9999",
    }
    return len(json.dumps(probe))


# -- payload helpers ----------------------------------------------------------------------


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // _ONE_MS


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * _ONE_MS


def sort_key(obj: Mapping[str, Any], last_modified: str = LAST_MODIFIED) -> int:
    """What search sorts on: the last-modified property in epoch ms (`updatedAt` if missing)."""
    props = obj.get("properties")
    value = props.get(last_modified) if isinstance(props, Mapping) else None
    moment = parse_datetime(value) or parse_datetime(obj.get("updatedAt")) or EPOCH
    return to_ms(moment)


def object_id(obj: Mapping[str, Any]) -> str:
    return str(obj.get("id", ""))


def _results(payload: Mapping[str, Any]) -> list[Json]:
    results = payload.get("results")
    if not isinstance(results, list):
        return []
    return [item for item in results if isinstance(item, dict)]


def _next_after(payload: Mapping[str, Any]) -> str | None:
    paging = payload.get("paging")
    following = paging.get("next") if isinstance(paging, Mapping) else None
    after = following.get("after") if isinstance(following, Mapping) else None
    return str(after) if after not in (None, "") else None


def _has_next(payload: Mapping[str, Any]) -> bool:
    return _next_after(payload) is not None
