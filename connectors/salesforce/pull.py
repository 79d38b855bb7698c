"""Paging Salesforce records out with SOQL: full and incremental pulls, and reads by id.

* **Full pull** (`since=None`): `query` (live records only), `ORDER BY SystemModstamp, Id`;
  Leads add `WHERE IsConverted = false` (a converted lead lives on as Account and Contact).
  What a full pull does not return is gone as far as the service is concerned.
* **Incremental pull** (`since=Cursor`): `queryAll` (the recycle bin too) `WHERE
  SystemModstamp >= since - overlap ORDER BY SystemModstamp, Id`, with no IsConverted filter:
  a deleted record or a converted lead comes back `archived=True`, so the service stops
  writing to it. `SystemModstamp` rather than LastModifiedDate: it is indexed and also moves
  on system changes. The overlap re-reads records committed late (Salesforce assigns the
  stamp before the commit, so one may become visible after a later-stamped one was read);
  re-delivery is harmless, upserts are idempotent.
* Paging follows `nextRecordsUrl` (`query_more`), asking for 2,000 records a batch
  (`Sforce-Query-Options: batchSize=2000`, a hint Salesforce may lower). Each batch is one
  `Page`; its cursor is the `(SystemModstamp, Id)` of its last record: the result is ordered
  and a query locator is a snapshot, so cursors only move forward, and a record modified
  while the pull runs gets a newer stamp and comes next time. A cursor is never below `since`,
  and a full pull's pages carry cursors too (resuming from one is an incremental pull).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, timedelta
from typing import Any, Generic

from connectors.records import Cursor, Page, RecordT
from connectors.salesforce.client import Json, SalesforceClient
from connectors.salesforce.fields import LEAD, FieldCatalog
from connectors.salesforce.soql import datetime_literal, in_list, select

ORDER = ("SystemModstamp", "Id")
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

    def pages(self, since: Cursor | None) -> Iterator[Page[RecordT]]:
        fields = self._catalog.selection(self._object)
        if since is None:
            where = "IsConverted = false" if self._object == LEAD else None
            soql = select(fields, self._object, where=where, order_by=ORDER)
            yield from self._paged(soql, include_deleted=False, since=None)
            return
        if since.modified_at.tzinfo is None:  # SQLite hands stored datetimes back naive
            since = Cursor(since.modified_at.replace(tzinfo=UTC), since.crm_id)
        start = datetime_literal(since.modified_at - self._overlap)
        soql = select(fields, self._object, where=f"SystemModstamp >= {start}", order_by=ORDER)
        yield from self._paged(soql, include_deleted=True, since=since)

    def by_ids(self, ids: Sequence[str]) -> list[RecordT]:
        """Live records with these (already checked, 18-character) ids, `MAX_IN_IDS` a query."""
        if not ids:
            return []
        fields = self._catalog.selection(self._object)
        found: list[RecordT] = []
        for start in range(0, len(ids), MAX_IN_IDS):
            chunk = ids[start : start + MAX_IN_IDS]
            soql = select(fields, self._object, where=f"Id IN {in_list(chunk)}")
            for page in self._paged(soql, include_deleted=False, since=None):
                found.extend(page.records)
        return found

    def _paged(
        self, soql: str, *, include_deleted: bool, since: Cursor | None
    ) -> Iterator[Page[RecordT]]:
        cursor = since
        payload = self._client.query(soql, include_deleted=include_deleted)
        while True:
            records = [self._mapper(r) for r in _records(payload)]
            if records:
                last = records[-1]
                cursor = later(cursor, Cursor(last.modified_at, last.crm_id))
            yield Page(tuple(records), cursor)
            following = payload.get("nextRecordsUrl")
            if payload.get("done") is not False or not isinstance(following, str):
                return
            payload = self._client.query_more(following)


def later(a: Cursor | None, b: Cursor) -> Cursor:
    if a is None or (b.modified_at, b.crm_id) > (a.modified_at, a.crm_id):
        return b
    return a


def _records(payload: Json) -> list[Mapping[str, Any]]:
    records = payload.get("records")
    if not isinstance(records, list):
        return []
    return [record for record in records if isinstance(record, Mapping)]
