"""Writing property values to HubSpot companies and contacts in batches, one outcome per update.

* Batches of up to 100 (`batch/update`), one object type per batch, never two updates of the
  same record in one batch.
* 200: every input written. 207: `errors[].context.ids` name the failed records; a record in
  neither `results` nor `errors` is reported as not written (HubSpot may skip unknown ids).
* A whole-batch 400 (HubSpot fails the whole batch for one bad value) is isolated so the good
  records still land:
  1. HubSpot names each refused property and, in its message, the value
     (`tier_9 was not one of the allowed options`): the records sending exactly that value for
     that property (or, for a multi-checkbox, that option among theirs) fail — same property,
     same value, same verdict — and the rest are sent again: one extra call for one bad
     record. `PROPERTY_DOESNT_EXIST` fails every record writing the property, whatever the
     value.
  2. When the refusal names nothing we can match, bisect: each half is sent again, down to the
     record HubSpot refuses (about 2·log₂(100) ≈ 14 extra calls for one bad record).
* The error of a refused record names the property and the value we sent (`icp_tier='tier_9'`).
* Retryable failures that outlast the retry policy mark their batch `retryable=True`; a DAILY
  quota 429 marks every remaining batch so, without calling again. An AuthError is raised:
  nothing can be written with that token.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.errors import (
    PropertyProblem,
    QuotaExhaustedError,
    RejectedError,
    RetryableError,
    problem_of,
)
from connectors.hubspot.client import HubSpotClient, Json, ObjectType
from connectors.records import PropertyUpdate, WriteOutcome

MAX_BATCH = 100
MAX_VALUE_IN_ERROR = 80
SYSTEMATIC_CODES = frozenset({"PROPERTY_DOESNT_EXIST"})
API_TYPES: Mapping[str, ObjectType] = {"company": "companies", "contact": "contacts"}
"""The records the writeback writes, by our object type."""


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    update: PropertyUpdate


class BatchWriter:
    def __init__(self, client: HubSpotClient, *, batch_size: int = MAX_BATCH) -> None:
        self._client = client
        self._batch_size = min(max(batch_size, 1), MAX_BATCH)

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome | None] = [None] * len(updates)
        items: list[_Item] = []
        for index, update in enumerate(updates):
            if update.object_type not in API_TYPES:
                outcomes[index] = WriteOutcome(
                    update.crm_id, False, f"HubSpot has no {update.object_type!r} records"
                )
            else:
                items.append(_Item(index, update))
        batches = [
            batch
            for kind in API_TYPES
            for batch in _batches(
                [i for i in items if i.update.object_type == kind], self._batch_size
            )
        ]
        for position, batch in enumerate(batches):
            try:
                self._write(batch, outcomes)
            except QuotaExhaustedError as error:
                for rest in batches[position:]:
                    _fail_all(rest, outcomes, str(error), retryable=True)
                break
        return [
            outcome or WriteOutcome(updates[i].crm_id, False, "not attempted", retryable=True)
            for i, outcome in enumerate(outcomes)
        ]

    def _write(self, batch: list[_Item], outcomes: list[WriteOutcome | None]) -> None:
        inputs = [{"id": i.update.crm_id, "properties": dict(i.update.values)} for i in batch]
        try:
            payload = self._client.batch_update(API_TYPES[batch[0].update.object_type], inputs)
        except RetryableError as error:
            _fail_all(batch, outcomes, str(error), retryable=True)
            return
        except RejectedError as error:
            self._isolate(batch, error, outcomes)
            return
        _record_response(batch, payload, outcomes)

    def _isolate(
        self, batch: list[_Item], error: RejectedError, outcomes: list[WriteOutcome | None]
    ) -> None:
        if len(batch) == 1:  # whatever HubSpot names is about this record
            item = batch[0]
            named = (p for p in error.problems if p.name in item.update.values)
            problem = _refused(batch, error.problems).get(item.index) or next(named, None)
            outcomes[item.index] = WriteOutcome(
                item.update.crm_id, False, describe(item, problem, error.message)
            )
            return
        refused = _refused(batch, error.problems)
        if not refused:
            middle = len(batch) // 2
            self._write(batch[:middle], outcomes)
            self._write(batch[middle:], outcomes)
            return
        for item in batch:
            if item.index in refused:
                outcomes[item.index] = WriteOutcome(
                    item.update.crm_id, False, describe(item, refused[item.index], error.message)
                )
        rest = [item for item in batch if item.index not in refused]
        if rest:
            self._write(rest, outcomes)


def _refused(batch: list[_Item], problems: Sequence[PropertyProblem]) -> dict[int, PropertyProblem]:
    """The items a refusal points at: sending the refused value for the named property (or
    writing a property HubSpot does not have at all)."""
    found: dict[int, PropertyProblem] = {}
    for item in batch:
        for problem in problems:
            if problem.name is None or problem.name not in item.update.values:
                continue
            sent = item.update.values[problem.name]
            if problem.code in SYSTEMATIC_CODES or (
                problem.value is not None
                and (sent == problem.value or problem.value in sent.split(";"))
            ):
                found[item.index] = problem
                break
    return found


def describe(item: _Item, problem: PropertyProblem | None, fallback: str) -> str:
    """`icp_tier='tier_9': INVALID_OPTION: <HubSpot's message>`; the value is what we sent,
    cut short."""
    if problem is None or problem.name is None:
        return fallback
    detail = problem.message or fallback
    if problem.code and problem.code not in detail:
        detail = f"{problem.code}: {detail}"
    value = item.update.values.get(problem.name)
    if value is None:
        return f"{problem.name}: {detail}"
    if len(value) > MAX_VALUE_IN_ERROR:
        value = value[: MAX_VALUE_IN_ERROR - 1] + "…"
    return f"{problem.name}={value!r}: {detail}"


def _record_response(
    batch: list[_Item], payload: Json, outcomes: list[WriteOutcome | None]
) -> None:
    by_id: dict[str, list[_Item]] = {}
    for item in batch:
        by_id.setdefault(item.update.crm_id, []).append(item)
    written = {
        str(result.get("id"))
        for result in payload.get("results") or []
        if isinstance(result, Mapping)
    }
    failed: dict[str, str] = {}
    for error in payload.get("errors") or []:
        if isinstance(error, Mapping):
            for crm_id, text in _error_ids(error, by_id):
                failed[crm_id] = text
    for crm_id, items in by_id.items():
        for item in items:
            if crm_id in failed:
                outcome = WriteOutcome(crm_id, False, failed[crm_id])
            elif crm_id in written:
                outcome = WriteOutcome(crm_id, True)
            else:
                outcome = WriteOutcome(
                    crm_id, False, "HubSpot did not confirm the update (deleted or unknown id?)"
                )
            outcomes[item.index] = outcome


def _error_ids(
    error: Mapping[str, Any], by_id: Mapping[str, list[_Item]]
) -> Iterator[tuple[str, str]]:
    """(record id, error text) for each record a 207 StandardError names."""
    context = error.get("context")
    ids = context.get("ids") if isinstance(context, Mapping) else None
    if not isinstance(ids, list):
        ids = [error["id"]] if isinstance(error.get("id"), str) else []
    category = error.get("category")
    message = str(error.get("message") or category or "refused")
    if isinstance(category, str) and category not in message:
        message = f"{category}: {message}"
    problem = problem_of(error)
    for crm_id in map(str, ids):
        items = by_id.get(crm_id)
        if items:
            yield crm_id, describe(items[0], problem, message)


def _fail_all(
    batch: list[_Item], outcomes: list[WriteOutcome | None], error: str, *, retryable: bool
) -> None:
    for item in batch:
        outcomes[item.index] = WriteOutcome(item.update.crm_id, False, error, retryable)


def _batches(items: list[_Item], size: int) -> Iterator[list[_Item]]:
    """Consecutive runs of up to `size` items, a new batch whenever a record id repeats."""
    batch: list[_Item] = []
    ids: set[str] = set()
    for item in items:
        if len(batch) == size or item.update.crm_id in ids:
            yield batch
            batch, ids = [], set()
        batch.append(item)
        ids.add(item.update.crm_id)
    if batch:
        yield batch
