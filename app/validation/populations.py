"""The records validated, as populations judged apart: accounts (HubSpot companies,
Salesforce accounts) and HubSpot contacts.

A contact's outcome comes from the deals associated with it (`deal_contacts`), an account's
from the deals associated with it (`deal_accounts`); HubSpot ids are unique per object type
only, so each population is joined through its own links and keeps to its own object types.
Contacts of one company are not independent (they share its facts and mostly its deals), so
their bootstrap resamples companies: a contact's *cluster* is its company, or itself without
one. Their figures are reported beside the accounts', never mixed into them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.validation.accounts import ClosedDeals
    from app.validation.record_scores import Candidates, RecordScores

ACCOUNTS, CONTACTS = "accounts", "contacts"
POPULATIONS = (ACCOUNTS, CONTACTS)


@dataclass(slots=True)
class Population:
    """One population's closed deals (read once per command), its candidates per `since` and,
    per rubric fingerprint and `since`, its candidates' own scores until taken."""

    name: str
    closed_deals: ClosedDeals | None = None
    candidates: dict[date | None, Candidates] = field(default_factory=dict)
    record_scores: dict[tuple[str, date | None], RecordScores] = field(default_factory=dict)

    @property
    def by_company(self) -> bool:
        """Whether its records are resampled by company (`cluster_of`)."""
        return self.name == CONTACTS


COMPANY_CLUSTER, OWN_CLUSTER = "company:", "contact:"


def cluster_of(crm_id: str, company_crm_id: str | None) -> str:
    """A contact's resampling cluster: its company, else itself (kept apart by a prefix)."""
    return COMPANY_CLUSTER + company_crm_id if company_crm_id else OWN_CLUSTER + crm_id
