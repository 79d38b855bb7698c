"""Writing ICP field values to Accounts and Leads, one outcome per update, in order.

* Routine writes go through sObject Collections (`PATCH composite/sobjects`, `allOrNone:
  false`), at most 200 records a call, never one record twice in a call, with
  `Sforce-Auto-Assign: FALSE`: Salesforce re-runs the Lead assignment rule on every write that
  does not say FALSE, and a rescore must not churn lead owners. Accounts and Leads share calls
  (fewer calls against the daily limit), grouped by type within each: Salesforce processes a
  mixed collection in chunks, a new one at every change of type, and refuses more than ten.
* The first write to a lead created since the last full sync (`new_record=True`), when
  `assign_new_leads`, goes alone as `PATCH sobjects/Lead/{id}` with `Sforce-Auto-Assign:
  TRUE`, so the org's assignment rule routes the new lead on its tier, once. Whether
  Salesforce honours the header on collections is undocumented, so routing never relies on
  it. These go first: a new inbound lead waits for its owner.
* Salesforce answers a collection with one result per record: a refused record (`success:
  false`) fails alone with `statusCode: message` and the field and value we sent, retryable
  when the code is transient (`UNABLE_TO_LOCK_ROW`…); the others land.
* A call that fails after the retry policy gave up fails its records `retryable=True`; the
  daily limit (`QuotaExhaustedError`) fails that call's records and every later one
  `retryable=True` without calling again. An `AuthError` is raised: nothing can be written.
* Values arrive as strings (the stored desired state) and are sent as the field's JSON type:
  the score as a number, the checkbox as a boolean, an empty flag list as null.
* An update for an object type Salesforce has not (`company`), or whose id is not a
  well-formed id of that object, is not written and not retryable.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.errors import QuotaExhaustedError, RejectedError, RetryableError
from connectors.records import PropertyUpdate, WriteOutcome
from connectors.salesforce.client import TRANSIENT_CODES, SalesforceClient
from connectors.salesforce.schema import DISQUALIFIED_FLAG, FIT_SCORE, FLAGS
from connectors.salesforce.soql import record_id
from connectors.values import parse_bool

MAX_COLLECTION = 200
MAX_VALUE_IN_ERROR = 80
OBJECTS = {"account": ("Account", "001"), "lead": ("Lead", "00Q")}
RETRYABLE_RECORD_CODES = TRANSIENT_CODES | {"ALL_OR_NONE_OPERATION_ROLLED_BACK"}


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    update: PropertyUpdate
    object_name: str
    crm_id: str  # the 18-character form


@dataclass(frozen=True, slots=True)
class _Call:
    items: list[_Item]
    routed: bool


class CollectionWriter:
    def __init__(
        self,
        client: SalesforceClient,
        *,
        assign_new_leads: bool = True,
        batch_size: int = MAX_COLLECTION,
    ) -> None:
        self._client = client
        self._assign_new_leads = assign_new_leads
        self._batch_size = min(max(batch_size, 1), MAX_COLLECTION)

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome | None] = [None] * len(updates)
        routed: list[_Item] = []
        routine: list[_Item] = []
        for index, update in enumerate(updates):
            item = _item(index, update)
            if isinstance(item, WriteOutcome):
                outcomes[index] = item
            elif update.object_type == "lead" and update.new_record and self._assign_new_leads:
                routed.append(item)
            else:
                routine.append(item)
        calls = [_Call([item], routed=True) for item in routed]
        calls += [_Call(batch, routed=False) for batch in _batches(routine, self._batch_size)]
        for position, call in enumerate(calls):
            try:
                self._send(call, outcomes)
            except QuotaExhaustedError as error:
                for rest in calls[position:]:
                    _fail_all(rest.items, outcomes, str(error), retryable=True)
                break
        return [
            outcome or WriteOutcome(updates[i].crm_id, False, "not attempted", retryable=True)
            for i, outcome in enumerate(outcomes)
        ]

    def _send(self, call: _Call, outcomes: list[WriteOutcome | None]) -> None:
        try:
            if call.routed:
                item = call.items[0]
                self._client.update_record(
                    item.object_name, item.crm_id, payload(item.update.values), auto_assign=True
                )
                results: list[Any] = [{"success": True}]
            else:
                results = self._client.update_collection(
                    [_record(item) for item in call.items], auto_assign=False
                )
        except RetryableError as error:
            _fail_all(call.items, outcomes, str(error), retryable=True)
            return
        except RejectedError as error:
            if call.routed:
                item = call.items[0]
                outcomes[item.index] = WriteOutcome(
                    item.update.crm_id, False, _rejection(item, error)
                )
            else:
                _fail_all(call.items, outcomes, str(error), retryable=False)
            return
        for position, item in enumerate(call.items):
            result = results[position] if position < len(results) else None
            outcomes[item.index] = _outcome(item, result)


def payload(values: Mapping[str, str]) -> dict[str, Any]:
    """The field values as JSON types: the score a number, the checkbox a boolean, an empty
    multi-select a null; anything that does not read as its type is sent as it is, for
    Salesforce to refuse with its own message."""
    converted: dict[str, Any] = {}
    for name, value in values.items():
        converted[name] = _json_value(name, value)
    return converted


def _json_value(name: str, value: str) -> Any:
    if name == FIT_SCORE:
        if not value.strip():
            return None
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    if name == DISQUALIFIED_FLAG:
        flag = parse_bool(value)
        return value if flag is None else flag
    if name == FLAGS:
        return value or None
    return value


def _item(index: int, update: PropertyUpdate) -> _Item | WriteOutcome:
    known = OBJECTS.get(update.object_type)
    if known is None:
        refusal = f"Salesforce has no {update.object_type!r} records"
        return WriteOutcome(update.crm_id, False, refusal)
    object_name, prefix = known
    crm_id = record_id(update.crm_id)
    if crm_id is None or not crm_id.startswith(prefix):
        return WriteOutcome(
            update.crm_id, False, f"{update.crm_id!r} is not a Salesforce {object_name} id"
        )
    return _Item(index, update, object_name, crm_id)


def _record(item: _Item) -> dict[str, Any]:
    return {
        "attributes": {"type": item.object_name},
        "id": item.crm_id,
        **payload(item.update.values),
    }


def _outcome(item: _Item, result: object) -> WriteOutcome:
    crm_id = item.update.crm_id
    if not isinstance(result, Mapping):
        return WriteOutcome(crm_id, False, "Salesforce did not report on this record", True)
    if result.get("success") is True:
        return WriteOutcome(crm_id, True)
    errors = result.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, Mapping):
        return WriteOutcome(crm_id, False, "Salesforce refused the record without saying why")
    code = _text(first.get("statusCode")) or _text(first.get("errorCode"))
    fields = first.get("fields")
    names = [f for f in fields if isinstance(f, str)] if isinstance(fields, list) else []
    text = describe(item, code, _text(first.get("message")), names)
    return WriteOutcome(crm_id, False, text, retryable=code in RETRYABLE_RECORD_CODES)


def describe(item: _Item, code: str | None, message: str | None, fields: Sequence[str]) -> str:
    """`STATUS_CODE: Salesforce's message (ICP_Tier__c='tier_9')`: the fields it names, with
    the values we sent, cut short."""
    text = f"{code}: {message or 'refused'}" if code else message or "refused"
    sent = []
    for name in fields:
        value = item.update.values.get(name)
        if value is None:
            sent.append(name)
            continue
        if len(value) > MAX_VALUE_IN_ERROR:
            value = value[: MAX_VALUE_IN_ERROR - 1] + "…"
        sent.append(f"{name}={value!r}")
    return f"{text} ({', '.join(sent)})" if sent else text


def _rejection(item: _Item, error: RejectedError) -> str:
    fields = [p.name for p in error.problems if p.name]
    return describe(item, None, error.message, fields)


def _fail_all(
    items: list[_Item], outcomes: list[WriteOutcome | None], error: str, *, retryable: bool
) -> None:
    for item in items:
        outcomes[item.index] = WriteOutcome(item.update.crm_id, False, error, retryable)


def _batches(items: list[_Item], size: int) -> Iterator[list[_Item]]:
    """Consecutive runs of up to `size` items, a new batch whenever a record id repeats; each
    grouped by object type (Accounts, then Leads), in order within a type."""
    batch: list[_Item] = []
    ids: set[str] = set()
    for item in items:
        if len(batch) == size or item.crm_id in ids:
            yield sorted(batch, key=lambda queued: queued.object_name)
            batch, ids = [], set()
        batch.append(item)
        ids.add(item.crm_id)
    if batch:
        yield sorted(batch, key=lambda queued: queued.object_name)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
