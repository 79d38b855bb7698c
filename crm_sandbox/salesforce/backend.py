"""The Salesforce sandbox's backend: Accounts, Leads and Opportunities in memory, thread-safe,
with what the REST API reads and writes.

Every write takes the next tick of a strictly increasing clock (never behind the wall clock,
starting after the newest seeded record) as `SystemModstamp`. Saving a record runs what
Salesforce computes on save: a Lead's assignment rule (`assignment_rules` on `ICP_Tier__c`,
when asked to) and an Opportunity's `IsClosed`/`IsWon`.

`subscribe(listener)` reports every record created or updated (REST, collections, direct
`create`/`update`, lead conversion) as a `SalesforceChange`; listeners run under the org's lock,
so they must be quick and must not call back into the state. The Outbound Messages
(`outbound_messages`) are such a listener. `org_id` is the org's 18-character id.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from crm_sandbox.salesforce.errors import SalesforceError, not_found
from crm_sandbox.salesforce.ids import PREFIXES, make_id, normalize_id
from crm_sandbox.salesforce.metadata import LEAD_STATUSES, FieldDef
from crm_sandbox.salesforce.permissions import (
    SETUP_OBJECTS,
    UserPermissions,
    check_edit,
    check_setup_record,
    visible_fields,
)
from crm_sandbox.salesforce.values import check_writable, parse_datetime_ms


@dataclass(frozen=True, slots=True)
class SalesforceChange:
    """A record created or updated: what a record-triggered flow (and its Outbound Message
    action) would hear about. `modified_by` is the record's `LastModifiedById`."""

    object_name: str
    record_id: str
    kind: Literal["created", "updated"]
    modified_ms: int
    modified_by: str | None


SalesforceListener = Callable[[SalesforceChange], None]


@dataclass
class SalesforceBackend:
    """What the org's API serves. All methods are safe to call from several threads (one
    lock)."""

    records: dict[str, dict[str, dict[str, Any]]]
    schema: dict[str, dict[str, FieldDef]]
    clock_ms: int
    integration_user_id: str = field(default_factory=lambda: make_id("005", 1))
    org_id: str = field(default_factory=lambda: make_id(PREFIXES["Organization"], 1))
    queues: dict[str, str] = field(
        default_factory=lambda: {
            "Enterprise": make_id("00G", 1),
            "SDR": make_id("00G", 2),
            "Nurture": make_id("00G", 3),
            "Unscored": make_id("00G", 4),
        }
    )
    #: Lead assignment rule: `ICP_Tier__c` value → queue id (first and only criterion), then a
    #: last entry without criteria (`default_queue`: the Unscored queue) that catches the rest,
    #: as salesforce.md's example rule does. None: no catch-all, the owner stays.
    assignment_rules: dict[str, str] = field(default_factory=dict)
    default_queue: str | None = None
    #: Record ids another transaction holds: updates to them fail with UNABLE_TO_LOCK_ROW.
    locked: set[str] = field(default_factory=set)
    #: The integration user's profile (`permissions`); `field_security=False` shows it every
    #: field (FLS relaxed).
    user_permissions: UserPermissions = field(default_factory=UserPermissions)
    field_security: bool = True
    #: Custom field (object, name) → its `00N` id, as the Tooling API lists it.
    custom_field_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Updates saved per record id, by anyone (tests check that no record is written twice).
    updates: Counter[str] = field(default_factory=Counter, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _next_number: int = 1_000_000
    _listeners: list[SalesforceListener] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.default_queue is None:
            self.default_queue = self.queues["Unscored"]
        if not self.assignment_rules:
            self.assignment_rules = {
                "tier_1": self.queues["Enterprise"],
                "tier_2": self.queues["SDR"],
                "disqualified": self.queues["Nurture"],
            }

    # --- listeners ------------------------------------------------------------------------

    def subscribe(self, listener: SalesforceListener) -> Callable[[], None]:
        """Calls `listener` on every create and update; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _changed(
        self, object_name: str, record: Mapping[str, Any], kind: Literal["created", "updated"]
    ) -> None:
        """With the lock held: tells the listeners (the one place every save reports)."""
        if self._listeners:
            change = SalesforceChange(
                object_name,
                str(record["Id"]),
                kind,
                int(record["SystemModstamp"]),
                record.get("LastModifiedById"),
            )
            for listener in list(self._listeners):
                listener(change)

    # --- reading --------------------------------------------------------------------------

    def tick(self) -> int:
        """The next modification time: the wall clock, as on a real org (so a record created
        now is newer than anything a client saw before), and strictly after every earlier one
        (a seed dated in the future keeps counting from its newest record)."""
        with self._lock:
            self.clock_ms = max(int(time.time() * 1000), self.clock_ms + 1)
            return self.clock_ms

    def fields(self, object_name: str) -> dict[str, FieldDef]:
        with self._lock:
            if object_name not in self.schema:
                raise not_found()
            return dict(self.schema[object_name])

    def visible_schema(self, object_name: str) -> dict[str, FieldDef]:
        """The object's fields as the integration user sees them through the API (field-level
        security applied): what describe lists and SOQL and REST writes accept."""
        with self._lock:
            return visible_fields(self, object_name, self.fields(object_name))

    def check_api_write(self, object_name: str, values: Mapping[str, Any]) -> None:
        """Raises what an API insert or update with `values` gets from the integration user:
        no edit right on the object, a field it cannot see or edit, a bad value."""
        with self._lock:
            check_edit(self, object_name)
            check_writable(object_name, self.visible_schema(object_name), values)

    def custom_fields(self) -> list[tuple[str, str]]:
        """(object, field) of every custom field of the data objects."""
        with self._lock:
            return [
                (object_name, name)
                for object_name, fields_ in self.schema.items()
                if object_name not in SETUP_OBJECTS
                for name, definition in fields_.items()
                if definition.custom
            ]

    def custom_field_id(self, object_name: str, name: str) -> str:
        """The field's `00N` id (made on first ask for a field the org started with)."""
        with self._lock:
            key = (object_name, name)
            if key not in self.custom_field_ids:
                self._next_number += 1
                self.custom_field_ids[key] = make_id("00N", self._next_number)
            return self.custom_field_ids[key]

    def resolve_object(self, name: str) -> str | None:
        """The object's canonical name (SOQL names are case-insensitive), or None."""
        for object_name in self.schema:
            if object_name.lower() == name.lower():
                return object_name
        return None

    def snapshot(self, object_name: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Copies of the object's records (deleted ones too with `include_deleted`)."""
        with self._lock:
            return [
                dict(record)
                for record in self.records[object_name].values()
                if include_deleted or not record["IsDeleted"]
            ]

    def update_counts(self) -> dict[str, int]:
        """Updates per record id since the start or the last reseed (creations not counted)."""
        with self._lock:
            return dict(self.updates)

    def get(self, object_name: str, record_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._find(object_name, record_id, allow_deleted=True))

    def _find(self, object_name: str, record_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        if object_name not in self.records:
            raise not_found()
        full = normalize_id(record_id)
        if full is None or not full.startswith(PREFIXES[object_name]):
            raise SalesforceError(
                "MALFORMED_ID",
                f"{object_name} ID: id value of incorrect type: {record_id}",
                fields=("Id",),
            )
        record = self.records[object_name].get(full)
        if record is None:
            raise not_found()
        if record["IsDeleted"] and not allow_deleted:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted")
        return record

    # --- writing --------------------------------------------------------------------------

    def check_update(self, object_name: str, record_id: str, values: Mapping[str, Any]) -> str:
        """Raises the `SalesforceError` an update would fail with; returns the 18-char id."""
        with self._lock:
            record = self._find(object_name, record_id, allow_deleted=False)
            if object_name == "Lead" and record["IsConverted"]:
                raise SalesforceError(
                    "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"
                )
            check_writable(object_name, self.schema[object_name], values)
            if record["Id"] in self.locked:
                raise SalesforceError(
                    "UNABLE_TO_LOCK_ROW",
                    "unable to obtain exclusive access to this record or 1 records: "
                    f"{record['Id']}",
                )
            return str(record["Id"])

    def update(
        self,
        object_name: str,
        record_id: str,
        values: Mapping[str, Any],
        *,
        auto_assign: bool = False,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """Applies an update (bumping `SystemModstamp`, even for no-ops) and, for a Lead with
        `auto_assign`, the assignment rule; returns a copy of the record. `user_id`: who saves
        it (`LastModifiedById`; default the integration user)."""
        with self._lock:
            full_id = self.check_update(object_name, record_id, values)
            record = self.records[object_name][full_id]
            fields_ = self.schema[object_name]
            for name, value in values.items():
                if fields_[name].type == "datetime" and isinstance(value, str):
                    record[name] = parse_datetime_ms(value)  # kept as epoch ms, like the rest
                else:
                    record[name] = value
            self._derive(object_name, record, auto_assign=auto_assign)
            now = self.tick()
            record["LastModifiedDate"] = now
            record["SystemModstamp"] = now
            record["LastModifiedById"] = user_id or self.integration_user_id
            self.updates[full_id] += 1
            self._changed(object_name, record, "updated")
            return dict(record)

    def _derive(self, object_name: str, record: dict[str, Any], *, auto_assign: bool) -> None:
        """Fields Salesforce computes on save: the lead assignment rule, IsClosed/IsWon."""
        rules = self.records.get("AssignmentRule")  # an org without the object: always on
        active = rules is None or any(rule["Active"] for rule in rules.values())
        if object_name == "Lead" and auto_assign and active:
            queue = self.assignment_rules.get(str(record.get("ICP_Tier__c")), self.default_queue)
            if queue is not None:
                record["OwnerId"] = queue
        if object_name == "Opportunity":
            record["IsClosed"] = record["StageName"] in ("Closed Won", "Closed Lost")
            record["IsWon"] = record["StageName"] == "Closed Won"

    def create(
        self,
        object_name: str,
        values: Mapping[str, Any],
        *,
        auto_assign: bool = False,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """Inserts a record (required fields checked, the rest null); returns a copy.
        `user_id`: who creates it (default owner and `LastModifiedById`; default the
        integration user)."""
        with self._lock:
            if object_name not in self.schema:
                raise not_found()
            check_writable(object_name, self.schema[object_name], values)
            if object_name in SETUP_OBJECTS:
                check_setup_record(self, object_name, values)
            fields_ = self.schema[object_name]
            record: dict[str, Any] = {
                name: False if definition.type == "boolean" else None
                for name, definition in fields_.items()
            }
            if object_name == "Lead":
                record["Status"] = LEAD_STATUSES[0]
            for name, value in values.items():
                is_datetime = fields_[name].type == "datetime" and isinstance(value, str)
                record[name] = parse_datetime_ms(value) if is_datetime else value
            missing = [
                name
                for name, definition in fields_.items()
                if not definition.nillable
                and definition.updateable
                and definition.type != "boolean"
                and record[name] is None
            ]
            if missing:
                raise SalesforceError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    fields=tuple(missing),
                )
            self._next_number += 1
            now = self.tick()
            user = user_id or self.integration_user_id
            if "OwnerId" in fields_:
                record["OwnerId"] = record["OwnerId"] or user
            record.update(
                Id=make_id(PREFIXES[object_name], self._next_number),
                CreatedDate=now,
                CreatedById=user,
                LastModifiedDate=now,
                SystemModstamp=now,
                LastModifiedById=user,
            )
            self._derive(object_name, record, auto_assign=auto_assign)
            self.records[object_name][record["Id"]] = record
            self._changed(object_name, record, "created")
            return dict(record)

    def delete(self, object_name: str, record_id: str) -> None:
        """Moves the record to the recycle bin (`IsDeleted` true, visible to queryAll)."""
        with self._lock:
            record = self._find(object_name, record_id, allow_deleted=False)
            now = self.tick()
            record.update(IsDeleted=True, SystemModstamp=now, LastModifiedDate=now)

    def add_custom_field(self, object_name: str, definition: FieldDef) -> str:
        """Adds a custom field (null on every record); returns its `00N` id. A duplicate
        name raises `DUPLICATE_DEVELOPER_NAME`."""
        with self._lock:
            if object_name not in self.schema:
                raise SalesforceError("INVALID_TYPE", f"sObject type '{object_name}' is not "
                                      "supported.")  # fmt: skip
            if not definition.name.endswith("__c"):
                raise SalesforceError(
                    "INVALID_FIELD", f"Custom field names must end with __c: {definition.name}"
                )
            if definition.name in self.schema[object_name]:
                raise SalesforceError(
                    "DUPLICATE_DEVELOPER_NAME",
                    f"There is already a field named {definition.name[:-3]} on {object_name}.",
                )
            self.schema[object_name][definition.name] = definition
            default = False if definition.type == "boolean" else None
            for record in self.records[object_name].values():
                record[definition.name] = default
            return self.custom_field_id(object_name, definition.name)
