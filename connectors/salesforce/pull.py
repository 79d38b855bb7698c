"""Paging Salesforce records out with SOQL: full and incremental pulls, and reads by id.

* **Full pull** (`since=None`): `query` (live records only), `ORDER BY Id`; Leads add `WHERE
  IsConverted = false` (a converted lead lives on as Account and Contact). What a full pull
  does not return is gone as far as the service is concerned. Its last page carries the
  cursor for the next incremental pull: the newest `(SystemModstamp, Id)` read, capped at the
  *signpost*, the newest `SystemModstamp` the object held when the pull's first run began (one
  `ORDER BY SystemModstamp DESC LIMIT 1` query, Salesforce's own clock), so a record modified
  while the pull ran, behind the Id it had reached, is read by the next incremental pull.
  Every other page carries a `resume` token (`connectors.full_pull`) naming its last Id: a
  pull resumed from it runs the same query `AND Id > 'last'` (a query locator expires after
  15 minutes idle, so a new query it must be; Ids compare and sort as a key, the technique
  Salesforce's PK-chunking guidance uses) and keeps the first run's signpost, however many
  runs it takes.
* **Incremental pull** (`since=Cursor`): `queryAll` (the recycle bin too) `WHERE
  SystemModstamp >= since - overlap ORDER BY SystemModstamp, Id`, with no IsConverted filter:
  a deleted record or a converted lead comes back `archived=True`, so the service stops
  writing to it. `SystemModstamp` rather than LastModifiedDate: it is indexed and also moves
  on system changes. The overlap re-reads records committed late (Salesforce assigns the
  stamp before the commit, so one may become visible after a later-stamped one was read);
  re-delivery is harmless, upserts are idempotent. Each page's cursor is the `(SystemModstamp,
  Id)` of its last record: the result is ordered and a query locator is a snapshot, so
  cursors only move forward, a record modified while the pull runs gets a newer stamp and
  comes next time, and a cursor is never below `since`.
* Paging follows `nextRecordsUrl` (`query_more`), asking for 2,000 records a batch
  (`Sforce-Query-Options: batchSize=2000`, a hint Salesforce may lower); each batch is one
  `Page`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, timedelta
from typing import Any, Generic

from connectors.full_pull import FullPull, later, newest_of
from connectors.records import Cursor, Page, RecordT
from connectors.salesforce.client import Json, SalesforceClient
from connectors.salesforce.fields import LEAD, FieldCatalog
from connectors.salesforce.soql import datetime_literal, in_list, quote, record_id, select
from connectors.values import parse_datetime

ORDER = ("SystemModstamp", "Id")
BY_ID = "by_id"
"""The full pull's one pass (`connectors.full_pull.FullPull.stage`)."""
MAX_IN_IDS = 200
"""Ids per `Id IN (…)`: keeps the query text well within Salesforce's 100,000 characters."""

Mapper = Callable[[Mapping[str, Any]], RecordT]


class Puller(Generic[RecordT]):
    """One object (`Account`, `Lead`, `Opportunity`) as pages of neutral records."""

    def __init__(
        self,
        client: SalesforceClient,
        catalog: FieldCatalog,
        object_name: str,
        mapper: Mapper[RecordT],
        *,
        overlap: timedelta,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._object = object_name
        self._mapper: Mapper[RecordT] = mapper
        self._overlap = overlap

    def pages(self, since: Cursor | None, resume: str | None = None) -> Iterator[Page[RecordT]]:
        if since is not None and resume is not None:
            raise ValueError("resume goes with a full pull (since=None), not an incremental one")
        if since is None:
            yield from self._full(resume)
            return
        if since.modified_at.tzinfo is None:  # SQLite hands stored datetimes back naive
            since = Cursor(since.modified_at.replace(tzinfo=UTC), since.crm_id)
        fields = self._catalog.selection(self._object)
        start = datetime_literal(since.modified_at - self._overlap)
        soql = select(fields, self._object, where=f"SystemModstamp >= {start}", order_by=ORDER)
        cursor = since
        for records, _ in self._batches(soql, include_deleted=True):
            cursor = later(cursor, newest_of(records[-1:])) or cursor  # the result is ordered
            yield Page(tuple(records), cursor)

    def by_ids(self, ids: Sequence[str]) -> list[RecordT]:
        """Live records with these (already checked, 18-character) ids, `MAX_IN_IDS` a query."""
        if not ids:
            return []
        fields = self._catalog.selection(self._object)
        found: list[RecordT] = []
        for start in range(0, len(ids), MAX_IN_IDS):
            chunk = ids[start : start + MAX_IN_IDS]
            soql = select(fields, self._object, where=f"Id IN {in_list(chunk)}")
            for records, _ in self._batches(soql, include_deleted=False):
                found.extend(records)
        return found

    def _full(self, resume: str | None) -> Iterator[Page[RecordT]]:
        at = FullPull.read(resume) or FullPull(BY_ID, signpost=self._signpost())
        where = ["IsConverted = false"] if self._object == LEAD else []
        after = record_id(at.after)
        if after is not None:
            where.append(f"Id > {quote(after)}")
        fields = self._catalog.selection(self._object)
        soql = select(fields, self._object, where=" AND ".join(where) or None, order_by=("Id",))
        for records, last in self._batches(soql, include_deleted=False):
            if records:
                at = at.past(records, stage=BY_ID, after=records[-1].crm_id)
            if last:
                yield Page(tuple(records), at.final_cursor())
            else:
                yield Page(tuple(records), None, at.token())

    def _signpost(self) -> Cursor | None:
        """The newest modification of this object Salesforce holds right now (see above)."""
        fields = ("Id", "SystemModstamp")
        soql = select(fields, self._object, order_by=fields[1:], descending=True, limit=1)
        payload = self._client.query(soql, include_deleted=False)
        for record in _records(payload):
            moment = parse_datetime(record.get("SystemModstamp"))
            if moment is not None:
                return Cursor(moment, str(record.get("Id")))
        return None

    def _batches(self, soql: str, *, include_deleted: bool) -> Iterator[tuple[list[RecordT], bool]]:
        """The mapped records of each batch, with whether it is the last."""
        payload = self._client.query(soql, include_deleted=include_deleted)
        while True:
            following = payload.get("nextRecordsUrl")
            last = payload.get("done") is not False or not isinstance(following, str)
            yield [self._mapper(r) for r in _records(payload)], last
            if last or not isinstance(following, str):
                return
            payload = self._client.query_more(following)


def _records(payload: Json) -> list[Mapping[str, Any]]:
    records = payload.get("records")
    if not isinstance(records, list):
        return []
    return [record for record in records if isinstance(record, Mapping)]
