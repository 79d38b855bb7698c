"""Simulated inbound leads: new records arriving in a sandbox CRM at a steady rate, so a
benchmark can measure how long icp-sync takes from a lead's arrival to its tier written back.

    run = sandbox.simulate_inbound(5.0, 100, "hubspot")   # started, in a background thread
    run.wait(60)                                          # True once all 100 exist
    for lead in run.leads:
        lead.object_id, lead.company_id, lead.created_monotonic, lead.created_wall_ms

- HubSpot: each lead is a new company (generated firmographics and description:
  `seed.NewCompanies`) and a contact at its domain associated with it, both created as a user
  would (`changeSource` `CRM_UI` in their webhooks): `company.creation`, then
  `contact.creation`.
- Salesforce: each lead is a new Lead with its own company data and description (as a
  web-to-lead form with enrichment would leave it), created by the site's guest user
  (`WEB_USER_ID`, not the integration user) with the assignment rule run, firing the Lead
  Outbound Message.

Lead `n` is created at `start + n / rate` (no catch-up burst when creating runs late);
`created_monotonic` is `time.monotonic()` and `created_wall_ms` the wall clock in epoch ms, both
read just after the record exists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crm_sandbox.core.seed import NewCompanies, SeedCompany
from crm_sandbox.core.vocabulary import PERSONAL_EMAIL_DOMAINS
from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.metadata import INDUSTRY_MAP, LEAD_STATUSES
from crm_sandbox.salesforce.seeding import LEAD_TITLES
from crm_sandbox.salesforce.state import SalesforceState

logger = logging.getLogger(__name__)

Crm = Literal["hubspot", "salesforce"]
#: The Salesforce user web-to-lead creates records as (the site guest user).
WEB_USER_ID = make_id("005", 9)


@dataclass(frozen=True, slots=True)
class InboundLead:
    """One simulated arrival. HubSpot: `object_id` is the contact, `company_id` its new company;
    Salesforce: `object_id` is the Lead, `company_id` None."""

    crm: Crm
    object_type: str  # "contacts" or "Lead"
    object_id: str
    company_id: str | None
    company_name: str
    domain: str
    created_monotonic: float
    created_wall_ms: int


LeadMaker = Callable[[int], InboundLead]


class InboundSimulation:
    """Creates `count` leads (None: until stopped) at `rate_per_second` in a daemon thread."""

    def __init__(
        self, make: LeadMaker, rate_per_second: float, count: int | None, *, name: str
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError(f"rate must be above 0 leads per second, got {rate_per_second}")
        if count is not None and count < 0:
            raise ValueError(f"count must be at least 0, got {count}")
        self.rate_per_second = rate_per_second
        self.count = count
        self.error: BaseException | None = None
        self._make = make
        self._leads: list[InboundLead] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> InboundSimulation:
        self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        number = 0
        try:
            while self.count is None or number < self.count:
                delay = started + number / self.rate_per_second - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                if self._stop.is_set():
                    break
                lead = self._make(number)
                with self._lock:
                    self._leads.append(lead)
                number += 1
        except Exception as error:  # reported on the handle, never a thread traceback
            logger.exception("inbound lead simulation stopped")
            self.error = error
        finally:
            self._done.set()

    @property
    def leads(self) -> list[InboundLead]:
        """The leads created so far, in order."""
        with self._lock:
            return list(self._leads)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the last lead (or a stop, or an error); True if the run is over."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)


def _mailbox(first: str, last: str, domain: str, number: int) -> str:
    name = f"{first.lower()}.{last.lower()}"
    if domain in PERSONAL_EMAIL_DOMAINS:
        name += str(number)  # personal domains repeat; e-mail addresses must not
    return f"{name}@{domain}"


def hubspot_lead_maker(state: HubSpotState, seed: int) -> LeadMaker:
    """New company + contact per lead, through the state's direct (user) path."""
    with state.lock:
        taken = [
            record.properties.get("domain", "")
            for record in state.store("companies").ordered
            if record.properties.get("domain")
        ]
        as_of_ms = state.clock.last_ms
    companies = NewCompanies(seed, as_of_ms=as_of_ms, taken_domains=taken)

    def make(number: int) -> InboundLead:
        company = companies.next()
        first, last = companies.person()
        title = companies.rng.choice(LEAD_TITLES)
        with state.lock:
            company_id = state.create_company(**_hubspot_company(company))
            contact_id = state.create_contact(
                company_id,
                email=_mailbox(first, last, company.domain, number),
                firstname=first,
                lastname=last,
                jobtitle=title,
                company=company.name,
                country=company.country,
                lifecyclestage="lead",
            )
        return InboundLead(
            "hubspot",
            "contacts",
            contact_id,
            company_id,
            company.name,
            company.domain,
            time.monotonic(),
            time.time_ns() // 1_000_000,
        )

    return make


def _hubspot_company(company: SeedCompany) -> dict[str, object]:
    return {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "numberofemployees": company.employees,
        "annualrevenue": company.annual_revenue,
        "country": company.country,
        "state": company.state,
        "city": company.city,
        "description": company.description or None,
        "web_technologies": list(company.technologies),
        "icp_buying_signals": list(company.buying_signals),
        "lifecyclestage": "lead",
    }


def salesforce_lead_maker(state: SalesforceState, seed: int) -> LeadMaker:
    """A new Lead with its own company data per lead, created by the web-to-lead user."""
    taken: list[str] = []
    for account in state.snapshot("Account", include_deleted=True):
        website = str(account.get("Website") or "")
        taken.append(website.removeprefix("https://").removeprefix("http://").removeprefix("www."))
    for lead in state.snapshot("Lead", include_deleted=True):
        email = str(lead.get("Email") or "")
        if "@" in email:
            taken.append(email.rsplit("@", 1)[1])
    companies = NewCompanies(seed, as_of_ms=state.clock_ms, taken_domains=taken)
    has_state_field = "State" in state.fields("Lead")

    def make(number: int) -> InboundLead:
        company = companies.next()
        first, last = companies.person()
        values: dict[str, object] = {
            "FirstName": first,
            "LastName": last,
            "Company": company.name,
            "Title": companies.rng.choice(LEAD_TITLES),
            "Email": _mailbox(first, last, company.domain, number),
            "Website": None
            if company.domain in PERSONAL_EMAIL_DOMAINS
            else f"https://www.{company.domain}",
            "Industry": INDUSTRY_MAP.get(company.industry) if company.industry else None,
            "NumberOfEmployees": company.employees,
            "AnnualRevenue": company.annual_revenue,
            "Country": company.country,
            "Description": company.description or None,
            "Status": LEAD_STATUSES[0],
        }
        if has_state_field:
            values["State"] = company.state
        created = state.create(
            "Lead",
            {name: value for name, value in values.items() if value is not None},
            auto_assign=True,
            user_id=WEB_USER_ID,
        )
        return InboundLead(
            "salesforce",
            "Lead",
            str(created["Id"]),
            None,
            company.name,
            company.domain,
            time.monotonic(),
            time.time_ns() // 1_000_000,
        )

    return make
