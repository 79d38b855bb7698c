"""The private-app scopes icp-sync needs, each with the call that needs it.

Names as HubSpot's scope list spells them (hubspot.md §1; a call outside them is answered 403
`MISSING_SCOPES`). Deals are only read; contacts only to find a new inbound contact's company.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REQUIRED_SCOPES: Mapping[str, str] = {
    "crm.objects.companies.read": "pull companies",
    "crm.objects.companies.write": "write the scores back",
    "crm.objects.deals.read": "pull deals and their companies",
    "crm.objects.contacts.read": "find a new inbound contact's company",
    "crm.schemas.companies.read": "read the ICP property definitions",
    "crm.schemas.companies.write": "create the ICP properties (setup)",
}


def missing_scopes(granted: Iterable[str]) -> list[str]:
    """The required scopes not in `granted`, in `REQUIRED_SCOPES` order."""
    have = set(granted)
    return [scope for scope in REQUIRED_SCOPES if scope not in have]
