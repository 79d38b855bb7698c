"""Our own score writes coming back as webhooks ("echoes"): told apart from every other change
by the same rule at receive time (not stored, see `app.inbox.receive`) and in the worker (dropped
unprocessed, for events stored before that or by another path).

A first sync of a few thousand HubSpot companies brings back about six echoes per company (one
per score property written): stored, they were most of the inbox, and work for nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from connectors.hubspot.schema import WRITEBACK_PROPERTIES

PROPERTY_CHANGE = "company.propertyChange"
ECHO_SOURCES = frozenset({"INTEGRATION", "API"})
"""`changeSource` values of a write through the API, as our writeback makes."""
OWNED_PROPERTIES: Mapping[str, frozenset[str]] = {"hubspot": frozenset(WRITEBACK_PROPERTIES)}
"""Per CRM, the properties our writeback owns whose changes the CRM notifies with who made them
(HubSpot's `changeSource`). A Salesforce Outbound Message does not say who changed the record:
its echo is stored, fetched and found with nothing to write."""


def is_echo(event_type: str, payload: Mapping[str, Any] | None, owned: Collection[str]) -> bool:
    """A change of a property in `owned` made through the API: what our own write looks like.
    HubSpot says who made a change in `changeSource` (hubspot.md §8: INTEGRATION for an app's
    API write, CRM_UI for a person in HubSpot, IMPORT, WORKFLOWS, …); a change of our property
    by anyone but an integration is drift, and is not an echo. An event without a
    `changeSource` cannot be told apart and is taken as ours (no rescoring loop)."""
    if event_type != PROPERTY_CHANGE:
        return False
    payload = payload or {}
    name, source = payload.get("propertyName"), payload.get("changeSource")
    return isinstance(name, str) and name in owned and source in (None, *ECHO_SOURCES)
