"""Our own writes coming back as webhooks. HubSpot says who made a change in `changeSource`
(hubspot.md §8: INTEGRATION for an app's API write, CRM_UI for a person in HubSpot, IMPORT,
WORKFLOWS, …). A `propertyChange` of a property the writeback owns, made through the API, is
what our write looks like; the same change by a person or a workflow is drift, to be repaired.
An event without a `changeSource` cannot be told apart and is taken as ours: no loop."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from connectors.hubspot.schema import WRITEBACK_PROPERTIES

PROPERTY_CHANGES = frozenset({"company.propertyChange", "contact.propertyChange"})
API_SOURCES = frozenset({"INTEGRATION", "API"})
"""`changeSource` values of a write through the API, as our writeback makes."""


def is_own_change(
    event_type: str,
    payload: Mapping[str, object] | None,
    owned: Collection[str] = frozenset(WRITEBACK_PROPERTIES),
) -> bool:
    """Whether the event is a change of one of the `owned` properties (default: those our
    writeback owns) made through the API. Used at receive time (an echo is not stored: a first
    sync of a few thousand companies brings back about six per company) and by the worker."""
    if event_type not in PROPERTY_CHANGES:
        return False
    payload = payload or {}
    name, source = payload.get("propertyName"), payload.get("changeSource")
    return isinstance(name, str) and name in owned and source in (None, *API_SOURCES)
