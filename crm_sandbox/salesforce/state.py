"""The Salesforce sandbox's org: Accounts, Leads and Opportunities in memory, thread-safe.

Seeded from the shared generator (`seed.generate`), rendered with Salesforce field names:
companies become Accounts (archived ones sit in the recycle bin, `IsDeleted` true), deals become
Opportunities, and Leads are made (`leads_per_company`, 0.5 by default): two thirds whose e-mail
domain matches an Account's website (no company data of their own), one third with their own
company data and a domain matching no Account. Ids are 18-character Salesforce ids with the
right key prefixes.

Datetimes are kept as epoch milliseconds and rendered `2024-05-01T12:34:56.000+0000`; dates as
`YYYY-MM-DD` strings. Every write takes the next tick of a strictly increasing clock (one second
after the previous one, starting after the newest seeded record) as `SystemModstamp`.

`subscribe(listener)` reports every record created or updated (REST, collections, direct
`create`/`update`, lead conversion) as a `SalesforceChange`; listeners run under the org's lock,
so they must be quick and must not call back into the state. The Outbound Message sender
(`salesforce_outbound`) is such a listener. `org_id` is the org's 18-character id.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction
from math import ceil, floor
from typing import Any, Literal

from connectors.salesforce.soql import checksum_suffix
from crm_sandbox.core.seed import DAY_MS, LOST_STAGE, WON_STAGE, generate, iso_ms

_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

PREFIXES: dict[str, str] = {
    "Account": "001",
    "Lead": "00Q",
    "Opportunity": "006",
    "User": "005",
    "Group": "00G",
    "CustomField": "00N",
    "Organization": "00D",
}

#: Salesforce's 32 default `Industry` picklist values.
SF_INDUSTRIES: tuple[str, ...] = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
    "Utilities", "Other",
)  # fmt: skip

#: The seed's (HubSpot) industries rendered as Salesforce default picklist values.
INDUSTRY_MAP: dict[str, str] = {
    "COMPUTER_SOFTWARE": "Technology",
    "INFORMATION_TECHNOLOGY_AND_SERVICES": "Technology",
    "INTERNET": "Technology",
    "FINANCIAL_SERVICES": "Finance",
    "MARKETING_AND_ADVERTISING": "Media",
    "HOSPITAL_HEALTH_CARE": "Healthcare",
    "RETAIL": "Retail",
    "MANAGEMENT_CONSULTING": "Consulting",
    "STAFFING_AND_RECRUITING": "Consulting",
    "CONSTRUCTION": "Construction",
    "TELECOMMUNICATIONS": "Telecommunications",
    "COMPUTER_NETWORK_SECURITY": "Technology",
    "MACHINERY": "Machinery",
    "REAL_ESTATE": "Other",
    "INSURANCE": "Insurance",
    "EDUCATION_MANAGEMENT": "Education",
    "LOGISTICS_AND_SUPPLY_CHAIN": "Transportation",
    "BANKING": "Banking",
    "AUTOMOTIVE": "Manufacturing",
    "GOVERNMENT_ADMINISTRATION": "Government",
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": "Not For Profit",
}

#: The seed's deal stages rendered as Salesforce's default opportunity stages.
STAGE_MAP: dict[str, str] = {
    "appointmentscheduled": "Prospecting",
    "qualifiedtobuy": "Qualification",
    "presentationscheduled": "Value Proposition",
    "decisionmakerboughtin": "Id. Decision Makers",
    "contractsent": "Negotiation/Review",
    WON_STAGE: "Closed Won",
    LOST_STAGE: "Closed Lost",
}
LEAD_STATUSES: tuple[str, ...] = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
ICP_TIERS: tuple[str, ...] = ("tier_1", "tier_2", "tier_3", "disqualified")
#: The shipped rubric's disqualifier ids: the values of a set-up org's `ICP_Flags__c`.
ICP_FLAGS: tuple[str, ...] = (
    "too_small",
    "excluded_industry",
    "personal_email_domain",
    "competitor",
)
#: Job titles of seeded leads, from the C-suite to people who do not buy.
LEAD_TITLES: tuple[str, ...] = (
    "CEO", "CTO", "Chief Revenue Officer", "Founder", "VP Sales", "VP Marketing",
    "Head of Revenue Operations", "Director of Sales", "Sales Manager", "Marketing Manager",
    "Account Executive", "Sales Development Representative", "Analyst", "Software Engineer",
    "Office Manager", "Student",
)  # fmt: skip


def make_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, `0` padding, the number in base 62, the checksum."""
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _ID_CHARS[rest] + digits
        if number == 0:
            break
    id15 = prefix + "5e" + digits.rjust(10, "0")
    return id15 + checksum_suffix(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None if it is not one."""
    if len(value) == 15 and value.isalnum():
        return value + checksum_suffix(value)
    if len(value) == 18 and value.isalnum() and checksum_suffix(value[:15]) == value[15:].upper():
        return value[:15] + checksum_suffix(value[:15])
    return None


def sf_datetime(epoch_ms: int) -> str:
    """`2024-05-01T12:34:56.000+0000`: how the REST API renders datetimes."""
    return iso_ms(epoch_ms)[:-1] + "+0000"


def parse_datetime_ms(text: str) -> int:
    """Epoch ms of an ISO 8601 datetime with a zone (`Z`, `+02:00` or `+0200`); ValueError
    if it is not one."""
    normalized = text.replace("Z", "+00:00")
    if len(normalized) > 5 and normalized[-5] in "+-" and normalized[-4:].isdigit():
        normalized = normalized[:-2] + ":" + normalized[-2:]
    moment = datetime.fromisoformat(normalized)
    if moment.tzinfo is None:
        raise ValueError(f"datetime without a zone: {text}")
    return int(moment.astimezone(UTC).timestamp() * 1000)


def sf_date(epoch_ms: int) -> str:
    return iso_ms(epoch_ms)[:10]


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of an sObject as describe shows it. `type` is Salesforce's describe type."""

    name: str
    type: str  # id, string, picklist, multipicklist, int, double, currency, boolean, date,
    # datetime, reference, url, email, textarea
    label: str = ""
    updateable: bool = True
    custom: bool = False
    nillable: bool = True
    length: int = 255
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()


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


class SalesforceError(Exception):
    """A Salesforce error: `code` is the errorCode/statusCode, `status` the HTTP status."""

    def __init__(
        self, code: str, message: str, *, status: int = 400, fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def _system_fields() -> list[FieldDef]:
    return [
        FieldDef("Id", "id", "Record ID", updateable=False, nillable=False, length=18),
        FieldDef("IsDeleted", "boolean", "Deleted", updateable=False, nillable=False),
        FieldDef("OwnerId", "reference", "Owner ID", length=18, reference_to=("User", "Group")),
        FieldDef("CreatedDate", "datetime", "Created Date", updateable=False, nillable=False),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", updateable=False),
        FieldDef("LastModifiedById", "reference", "Last Modified By ID", updateable=False),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", updateable=False),
    ]


def _standard_schema() -> dict[str, dict[str, FieldDef]]:
    account = [
        *_system_fields(),
        FieldDef("Name", "string", "Account Name", nillable=False),
        FieldDef("Website", "url", "Website"),
        FieldDef("Industry", "picklist", "Industry", picklist=SF_INDUSTRIES),
        FieldDef("NumberOfEmployees", "int", "Employees"),
        FieldDef("AnnualRevenue", "currency", "Annual Revenue"),
        FieldDef("BillingCountry", "string", "Billing Country"),
        FieldDef("BillingState", "string", "Billing State/Province"),
        FieldDef("BillingCity", "string", "Billing City"),
        FieldDef("LastActivityDate", "date", "Last Activity", updateable=False),
        FieldDef("Buying_Signals__c", "string", "Buying Signals", custom=True),
    ]
    lead = [
        *_system_fields(),
        FieldDef("FirstName", "string", "First Name"),
        FieldDef("LastName", "string", "Last Name", nillable=False),
        FieldDef("Company", "string", "Company", nillable=False),
        FieldDef("Title", "string", "Title", length=128),
        FieldDef("Email", "email", "Email"),
        FieldDef("Website", "url", "Website"),
        FieldDef("Industry", "picklist", "Industry", picklist=SF_INDUSTRIES),
        FieldDef("NumberOfEmployees", "int", "Employees"),
        FieldDef("AnnualRevenue", "currency", "Annual Revenue"),
        FieldDef("Country", "string", "Country"),
        FieldDef("State", "string", "State/Province"),
        FieldDef("Status", "picklist", "Status", picklist=LEAD_STATUSES, nillable=False),
        FieldDef("IsConverted", "boolean", "Converted", updateable=False, nillable=False),
        FieldDef(
            "ConvertedAccountId",
            "reference",
            "Converted Account ID",
            updateable=False,
            length=18,
            reference_to=("Account",),
        ),
        FieldDef("ConvertedDate", "date", "Converted Date", updateable=False),
    ]
    opportunity = [
        *_system_fields(),
        FieldDef("Name", "string", "Name", nillable=False),
        FieldDef("AccountId", "reference", "Account ID", reference_to=("Account",)),
        FieldDef("StageName", "picklist", "Stage", picklist=tuple(STAGE_MAP.values())),
        FieldDef("IsClosed", "boolean", "Closed", updateable=False, nillable=False),
        FieldDef("IsWon", "boolean", "Won", updateable=False, nillable=False),
        FieldDef("Amount", "currency", "Amount"),
        FieldDef("CloseDate", "date", "Close Date", nillable=False),
        FieldDef("Type", "picklist", "Type", picklist=("New Business", "Existing Business")),
    ]
    return {
        "Account": {f.name: f for f in account},
        "Lead": {f.name: f for f in lead},
        "Opportunity": {f.name: f for f in opportunity},
    }


def icp_fields() -> list[FieldDef]:
    """The seven ICP fields icp-sync writes, as its setup leaves them on Account and Lead (for
    the shipped rubric): Number(3,0), restricted Picklist, Checkbox, MultiselectPicklist,
    LongTextArea(32768), DateTime, Text(64)."""
    return [
        FieldDef("ICP_Fit_Score__c", "double", "ICP Fit Score", custom=True),
        FieldDef(
            "ICP_Tier__c", "picklist", "ICP Tier", custom=True, picklist=ICP_TIERS, restricted=True
        ),
        FieldDef("ICP_Disqualified__c", "boolean", "ICP Disqualified", custom=True, nillable=False),
        FieldDef(
            "ICP_Flags__c",
            "multipicklist",
            "ICP Flags",
            custom=True,
            length=4099,
            picklist=ICP_FLAGS,
        ),
        FieldDef("ICP_Reasons__c", "textarea", "ICP Reasons", custom=True, length=32_768),
        FieldDef("ICP_Scored_At__c", "datetime", "ICP Scored At", custom=True),
        FieldDef("ICP_Rubric_Version__c", "string", "ICP Rubric Version", custom=True, length=64),
    ]


@dataclass
class SalesforceState:
    """The org. All methods are safe to call from several threads (one lock)."""

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

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def seeded(
        cls,
        seed: int = 7,
        companies: int = 200,
        deals_per_company: float = 2.0,
        *,
        as_of: datetime | date | None = None,
        with_icp_fields: bool = True,
        leads_per_company: float = 0.5,
    ) -> SalesforceState:
        """An org from `seed.generate(...)`; `with_icp_fields` pre-creates the seven
        `ICP_*__c` fields on Account and Lead (as after icp-sync's setup).

        `leads_per_company` Leads per company: two thirds of them belong to live companies
        (e-mail at the company's domain, no company data of their own; spread evenly, so 0.5
        gives one lead to every third company, 2.0 four to every three), one third are
        companies of their own (own company data, a domain no Account has)."""
        if not 0 <= leads_per_company <= 50:
            raise ValueError(f"leads per company must be within 0-50, got {leads_per_company}")
        data = generate(seed, companies, deals_per_company, as_of=as_of)
        schema = _standard_schema()
        if with_icp_fields:
            for object_name in ("Account", "Lead"):
                schema[object_name].update({f.name: f for f in icp_fields()})
        owner = make_id("005", 2)  # the sales rep owning seeded records
        records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in schema}
        newest = data.as_of_ms

        def base(
            prefix: str, number: int, created: int, modified: int, deleted: bool
        ) -> dict[str, Any]:
            return {
                "Id": make_id(prefix, number),
                "IsDeleted": deleted,
                "OwnerId": owner,
                "CreatedDate": created,
                "LastModifiedDate": modified,
                "LastModifiedById": owner,
                "SystemModstamp": modified,
            }

        account_ids: list[str] = []
        for company in data.companies:
            record = base("001", company.index + 1, company.created_ms, company.modified_ms,
                          company.archived)  # fmt: skip
            record.update(
                Name=company.name,
                Website=f"https://www.{company.domain}",
                Industry=INDUSTRY_MAP.get(company.industry) if company.industry else None,
                NumberOfEmployees=company.employees,
                AnnualRevenue=company.annual_revenue,
                BillingCountry=company.country,
                BillingState=company.state,
                BillingCity=company.city,
                LastActivityDate=(
                    sf_date(company.last_activity_ms) if company.last_activity_ms else None
                ),
                Buying_Signals__c=";".join(company.buying_signals) or None,
            )
            records["Account"][record["Id"]] = record
            account_ids.append(record["Id"])
            newest = max(newest, company.modified_ms)
        for deal in data.deals:
            record = base("006", deal.index + 1, deal.created_ms, deal.modified_ms, deal.archived)
            record.update(
                Name=deal.name,
                AccountId=account_ids[deal.company_index],
                StageName=STAGE_MAP[deal.stage],
                IsClosed=deal.is_closed,
                IsWon=deal.is_won,
                Amount=deal.amount,
                CloseDate=sf_date(deal.close_ms),
                Type="New Business" if deal.deal_type == "newbusiness" else "Existing Business",
            )
            records["Opportunity"][record["Id"]] = record
            newest = max(newest, deal.modified_ms)
        rng = random.Random(seed * 7_919 + 1)  # noqa: S311 - reproducible fake data
        titles = random.Random(seed * 7_919 + 2)  # noqa: S311 - apart, so `rng` draws as before
        first_names = ("Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
        last_names = ("Ng", "Park", "Okafor", "Silva", "Berg", "Khan", "Rossi", "Dubois")
        rate = Fraction(leads_per_company).limit_denominator(1000)
        matched_rate = rate * 2 / 3  # leads per company at the company's own domain
        number = 0
        for company in data.companies:
            count = ceil((company.index + 1) * matched_rate) - ceil(company.index * matched_rate)
            if company.archived:
                continue
            for nth in range(count):
                number += 1
                first, last = rng.choice(first_names), rng.choice(last_names)
                created = company.created_ms + DAY_MS + nth * 60_000
                record = base("00Q", number, created, created, False)
                mailbox = f"{first.lower()}.{last.lower()}" + (str(nth) if nth else "")
                record.update(
                    FirstName=first,
                    LastName=last,
                    Company=company.name,
                    Title=_title(titles),
                    Email=f"{mailbox}@{company.domain}",
                    Website=None,
                    Industry=None,
                    NumberOfEmployees=None,
                    AnnualRevenue=None,
                    Country=company.country,
                    State=company.state,
                    Status=rng.choice(LEAD_STATUSES[:2]),
                    IsConverted=False,
                )
                records["Lead"][record["Id"]] = record
                newest = max(newest, created)
        own = floor(len(data.companies) * rate / 3)
        for extra in range(max(1, own) if data.companies and rate else 0):
            number += 1
            first, last = rng.choice(first_names), rng.choice(last_names)
            created = data.as_of_ms - (extra % 730 + 1) * DAY_MS - extra // 730 * 60_000
            record = base("00Q", number, created, created, False)
            record.update(
                FirstName=first,
                LastName=last,
                Company=f"{last} Ventures {extra}",
                Title=_title(titles),
                Email=f"{first.lower()}@{last.lower()}-ventures-{extra}.example",
                Website=f"https://{last.lower()}-ventures-{extra}.example",
                Industry=SF_INDUSTRIES[rng.randrange(len(SF_INDUSTRIES))],
                NumberOfEmployees=rng.randrange(5, 5_000),
                AnnualRevenue=None,
                Country="United States",
                State=None,
                Status=LEAD_STATUSES[0],
                IsConverted=False,
            )
            records["Lead"][record["Id"]] = record
        for object_name, fields_ in schema.items():  # every record carries every field
            for record in records[object_name].values():
                for name, definition in fields_.items():
                    record.setdefault(name, False if definition.type == "boolean" else None)
        return cls(records=records, schema=schema, clock_ms=newest)

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
                raise SalesforceError(
                    "NOT_FOUND", "The requested resource does not exist", status=404
                )
            return dict(self.schema[object_name])

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

    def get(self, object_name: str, record_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._find(object_name, record_id, allow_deleted=True))

    def _check_writable(self, object_name: str, values: Mapping[str, Any]) -> None:
        """Every field exists on the object, is writable, and has a value of its type."""
        fields_ = self.schema[object_name]
        for name, value in values.items():
            definition = fields_.get(name)
            if definition is None:
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {object_name}",
                )
            if not definition.updateable:
                raise SalesforceError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}. Please check the security "
                    "settings of this field and verify that it is read/write for your "
                    "profile or permission set.",
                    fields=(name,),
                )
            _check_value(definition, value)

    def _find(self, object_name: str, record_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        if object_name not in self.records:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        full = normalize_id(record_id)
        if full is None or not full.startswith(PREFIXES[object_name]):
            raise SalesforceError(
                "MALFORMED_ID",
                f"{object_name} ID: id value of incorrect type: {record_id}",
                fields=("Id",),
            )
        record = self.records[object_name].get(full)
        if record is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
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
            self._check_writable(object_name, values)
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
        if object_name == "Lead" and auto_assign:
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
                raise SalesforceError("NOT_FOUND", "The requested resource does not exist",
                                      status=404)  # fmt: skip
            self._check_writable(object_name, values)
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
            record.update(
                Id=make_id(PREFIXES[object_name], self._next_number),
                OwnerId=record["OwnerId"] or user,
                CreatedDate=now,
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

    def convert_lead(self, lead_id: str, account_id: str | None = None) -> dict[str, Any]:
        """Converts a Lead as the UI would (there is no REST verb for it): `IsConverted`, the
        converted status and date, the account it went to; the lead is read-only after."""
        with self._lock:
            record = self._find("Lead", lead_id, allow_deleted=False)
            if record["IsConverted"]:
                raise SalesforceError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference "
                                      "converted lead")  # fmt: skip
            now = self.tick()
            if account_id is not None:
                account_id = str(self._find("Account", account_id, allow_deleted=False)["Id"])
            record.update(
                IsConverted=True,
                Status="Closed - Converted",
                ConvertedAccountId=account_id,
                ConvertedDate=sf_date(now),
                SystemModstamp=now,
                LastModifiedDate=now,
                LastModifiedById=self.integration_user_id,
            )
            self._changed("Lead", record, "updated")
            return dict(record)

    def undelete(self, object_name: str, record_id: str) -> None:
        with self._lock:
            record = self._find(object_name, record_id, allow_deleted=True)
            now = self.tick()
            record.update(IsDeleted=False, SystemModstamp=now, LastModifiedDate=now)

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
            self._next_number += 1
            return make_id("00N", self._next_number)


def _title(rng: random.Random) -> str | None:
    """A job title; about one lead in ten has none."""
    return None if rng.random() < 0.1 else rng.choice(LEAD_TITLES)


def _check_value(definition: FieldDef, value: Any) -> None:
    name = definition.name
    if value is None:
        if not definition.nillable:
            raise SalesforceError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", fields=(name,)
            )
        if definition.restricted:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition.label or name}: bad value for restricted picklist field: null",
                fields=(name,),
            )
        return
    kind = definition.type
    if kind in ("int", "double", "currency"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {kind} from value {value!r} for field {name}",
            )
        if abs(value) >= 1e18:
            raise SalesforceError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{definition.label or name}: value outside of valid range on numeric field",
                fields=(name,),
            )
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Cannot deserialize boolean from {value!r} for field {name}"
            )
        return
    if not isinstance(value, str):
        raise SalesforceError(
            "JSON_PARSER_ERROR", f"Cannot deserialize {kind} from {value!r} for field {name}"
        )
    if kind in ("date", "datetime"):
        try:
            if kind == "date":
                date.fromisoformat(value)
            else:
                parse_datetime_ms(value)
        except ValueError:
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Cannot deserialize {kind} from {value!r} for field {name}"
            ) from None
        return
    if kind == "picklist" and definition.restricted and value not in definition.picklist:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{definition.label or name}: bad value for restricted picklist field: {value}",
            fields=(name,),
        )
    if kind == "multipicklist" and definition.restricted:
        unknown = [part for part in value.split(";") if part and part not in definition.picklist]
        if unknown:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition.label or name}: bad value for restricted picklist field: "
                f"{unknown[0]}",
                fields=(name,),
            )
    if len(value) > definition.length and kind not in ("date", "datetime"):
        raise SalesforceError(
            "STRING_TOO_LONG",
            f"{definition.label or name}: data value too large: {value[:40]} "
            f"(max length={definition.length})",
            fields=(name,),
        )
