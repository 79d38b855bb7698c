"""Our own writes coming back as notifications. Salesforce's outbound messages and flows do
not say which fields changed, but a record's `LastModifiedById` says who changed it last
(salesforce.md §7): when that is the integration user, the latest change is our own write,
whose values we hold already; fetching the record again would only spend an API call. A change
by anyone else — a user's hand edit of `ICP_Tier__c` included — is fetched, and is repaired
as drift."""

from __future__ import annotations

from collections.abc import Mapping

MODIFIED_BY = "LastModifiedById"


def same_user(one: str, other: str) -> bool:
    """Salesforce ids compare on their first 15 characters (the 18-character form adds a
    case-safe suffix)."""
    return len(one) in (15, 18) and len(other) in (15, 18) and one[:15] == other[:15]


def is_own_change(payload: Mapping[str, object], integration_user: str | None) -> bool:
    """Whether the notification's record was last modified by the integration user (not
    known until the connector's first token: then nothing is taken as ours)."""
    modified_by = payload.get(MODIFIED_BY)
    return (
        integration_user is not None
        and isinstance(modified_by, str)
        and same_user(modified_by.strip(), integration_user)
    )
