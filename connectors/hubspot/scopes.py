"""The private-app scopes icp-sync needs, each with the calls that need it.

Per the `security` sections of HubSpot's OpenAPI specs (PublicApiSpecs/CRM: Companies and
Deals `Rollouts/424/v3`, Properties `Rollouts/145899/v3`, Associations `Rollouts/130902/v4`),
where any one scope listed for an operation grants it: object reads need
`crm.objects.<type>.read`, writes `.write`; property reads are granted by the object's read
scope; property and group writes need `crm.schemas.<type>.write`; association reads need the
*from* object's read scope (deals → companies, contacts → companies). A call outside the
token's scopes is answered 403 `MISSING_SCOPES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REQUIRED_SCOPES: Mapping[str, str] = {
    "crm.objects.companies.read": "pull companies and read the ICP property definitions",
    "crm.objects.companies.write": "write the scores back",
    "crm.objects.deals.read": "pull deals and their companies",
    "crm.objects.contacts.read": "pull contacts and their companies",
    "crm.objects.contacts.write": "write the scores onto contacts",
    "crm.schemas.companies.write": "create and update the ICP properties (setup)",
    "crm.schemas.contacts.write": "create and update the contacts' ICP properties (setup)",
}
SETUP_ONLY = frozenset({"crm.schemas.companies.write", "crm.schemas.contacts.write"})
"""Needed by `icp-sync setup hubspot` alone: without it a sync still runs."""


CONTACTS_ONLY = frozenset({"crm.objects.contacts.write", "crm.schemas.contacts.write"})
"""Needed only when contacts are scored (`ICP_SYNC_HUBSPOT_CONTACTS`, on by default)."""


def required_scopes(*, contacts: bool = True) -> dict[str, str]:
    """`REQUIRED_SCOPES`, less those only scoring contacts needs when it is off."""
    return {s: why for s, why in REQUIRED_SCOPES.items() if contacts or s not in CONTACTS_ONLY}


def missing_scopes(granted: Iterable[str], *, contacts: bool = True) -> list[str]:
    """The required scopes not in `granted`, in `REQUIRED_SCOPES` order."""
    have = set(granted)
    return [scope for scope in required_scopes(contacts=contacts) if scope not in have]
