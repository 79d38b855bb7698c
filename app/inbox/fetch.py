"""What a worker's batch of events asks the CRM for: the fresh state of every account-like record
the events name, read by id and type (a webhook carries ids, not the truth)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from app.inbox.batches import record_ids
from app.store.repo import live_accounts
from app.store.tables import WebhookEvent
from connectors.base import CrmConnector
from connectors.records import AccountType, CrmAccount

ACCOUNT_KINDS: tuple[AccountType, ...] = ("company", "account", "contact", "lead")
"""The records scored, fetched in this order: a prospect's company before the prospect."""
LINKING = frozenset({"contact.creation", "contact.associationChange"})
"""A contact's events after which its company is read again as well."""


def fetched_accounts(
    session: Session,
    connector: CrmConnector,
    events: Sequence[WebhookEvent],
    deleted: Collection[tuple[str, str]],
) -> tuple[list[CrmAccount], set[tuple[str, str]]]:
    """The records the events name, fresh from the CRM, and the (type, id) of those gone (a
    deletion event, or a fetch that no longer returns them).

    A contact's company is fetched too when the contact is new or linked to a company (a new
    inbound contact often comes with a company HubSpot just created or enriched, whose data
    its score borrows), or when the store does not hold that company yet. Its rescore then
    re-checks its contacts, which changes nothing when nothing they borrow changed: no loop."""
    wanted = {kind: record_ids(events, {kind}, exclude=set(deleted)) for kind in ACCOUNT_KINDS}
    found: list[CrmAccount] = []
    gone: set[tuple[str, str]] = {(k, crm_id) for k, crm_id in deleted if k in ACCOUNT_KINDS}
    contacts = _fetch(connector, "contact", wanted["contact"], gone)
    linked = {e.object_id for e in events if e.event_type in LINKING}
    companies = {c.company_id for c in contacts if c.company_id} - set(wanted["company"])
    fresh = {c.company_id for c in contacts if c.company_id and c.crm_id in linked}
    stored = {a.crm_id for a in live_accounts(session, connector.source, "company", companies)}
    wanted["company"] += sorted((companies - stored) | (fresh & companies))
    scored_contacts = "contact" in connector.account_types  # else read for their company only
    for kind in ACCOUNT_KINDS:
        if kind == "contact":
            found += contacts if scored_contacts else []
        else:
            found += _fetch(connector, kind, wanted[kind], gone)
    if not scored_contacts:
        gone = {(kind, crm_id) for kind, crm_id in gone if kind != "contact"}
    return found, gone


def _fetch(
    connector: CrmConnector, kind: AccountType, ids: list[str], gone: set[tuple[str, str]]
) -> list[CrmAccount]:
    if not ids:
        return []
    records = connector.fetch_accounts(ids, kind)
    gone |= {(kind, crm_id) for crm_id in set(ids) - {r.crm_id for r in records}}
    return records
