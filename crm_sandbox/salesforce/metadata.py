"""What the sandbox org's objects look like: their fields (`FieldDef`), picklist values and
what describe says of them (`describe`).

The org starts with Account, Lead and Opportunity (`standard_schema`) and, once icp-sync's setup
has run, the seven ICP fields on Account and Lead (`icp_fields`). The seed's CRM-neutral values
(HubSpot's industries and deal stages) map onto Salesforce's default picklists
(`INDUSTRY_MAP`, `STAGE_MAP`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_sandbox.core.vocabulary import LOST_STAGE, WON_STAGE

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


ACCOUNT_TYPES: tuple[str, ...] = (
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
)  # fmt: skip
LEAD_SOURCES: tuple[str, ...] = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List",
                                 "Other")  # fmt: skip
RATINGS: tuple[str, ...] = ("Hot", "Warm", "Cold")
OWNERSHIPS: tuple[str, ...] = ("Public", "Private", "Subsidiary", "Other")


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of an sObject as describe shows it. `type` is Salesforce's describe type.
    `createable` None: as `updateable`. `precision`/`scale`: a number's digits (an `int`'s
    are its describe `digits`)."""

    name: str
    type: str  # id, string, picklist, multipicklist, int, double, currency, percent, boolean,
    # date, datetime, reference, url, email, phone, textarea
    label: str = ""
    updateable: bool = True
    custom: bool = False
    nillable: bool = True
    length: int = 255
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    createable: bool | None = None
    precision: int = 0
    scale: int = 0

    @property
    def can_create(self) -> bool:
        return self.updateable if self.createable is None else self.createable

    @property
    def relationship_name(self) -> str | None:
        """`Owner` for `OwnerId`, `Account` for `AccountId`, `Parent__r` for `Parent__c`."""
        if self.type != "reference":
            return None
        if self.name.endswith("__c"):
            return self.name[:-1] + "r"
        return self.name[:-2] if self.name.endswith("Id") else None


def ref(name: str, label: str, *targets: str, writable: bool = True) -> FieldDef:
    return FieldDef(name, "reference", label, updateable=writable, length=18, reference_to=targets)


def system_fields(owners: tuple[str, ...] = ("User",)) -> list[FieldDef]:
    """What every object has; read-only but `OwnerId` (Lead's may be a queue, a Group)."""
    return [
        FieldDef("Id", "id", "Record ID", updateable=False, nillable=False, length=18),
        FieldDef("IsDeleted", "boolean", "Deleted", updateable=False, nillable=False),
        ref("OwnerId", "Owner ID", *owners),
        FieldDef("CreatedDate", "datetime", "Created Date", updateable=False, nillable=False),
        ref("CreatedById", "Created By ID", "User", writable=False),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", updateable=False),
        ref("LastModifiedById", "Last Modified By ID", "User", writable=False),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", updateable=False),
    ]


def _picklist(name: str, label: str, values: tuple[str, ...], *, nillable: bool = True) -> FieldDef:
    return FieldDef(name, "picklist", label, nillable=nillable, picklist=values)


def standard_schema() -> dict[str, dict[str, FieldDef]]:
    """Account, Lead and Opportunity with the standard fields a new org has (the ones an
    integration reads; compound address and geolocation fields left out)."""
    account = [
        *system_fields(),
        FieldDef("Name", "string", "Account Name", nillable=False),
        FieldDef("AccountNumber", "string", "Account Number", length=40),
        _picklist("Type", "Account Type", ACCOUNT_TYPES),
        ref("ParentId", "Parent Account ID", "Account"),
        FieldDef("Phone", "phone", "Account Phone", length=40),
        FieldDef("Website", "url", "Website"),
        _picklist("Industry", "Industry", SF_INDUSTRIES),
        FieldDef("NumberOfEmployees", "int", "Employees", precision=8),
        FieldDef("AnnualRevenue", "currency", "Annual Revenue", precision=18),
        _picklist("Ownership", "Ownership", OWNERSHIPS),
        _picklist("Rating", "Account Rating", RATINGS),
        _picklist("AccountSource", "Account Source", LEAD_SOURCES),
        FieldDef("Description", "textarea", "Account Description", length=32_000),
        FieldDef("BillingStreet", "textarea", "Billing Street"),
        FieldDef("BillingCity", "string", "Billing City", length=40),
        FieldDef("BillingState", "string", "Billing State/Province", length=80),
        FieldDef("BillingPostalCode", "string", "Billing Zip/Postal Code", length=20),
        FieldDef("BillingCountry", "string", "Billing Country", length=80),
        FieldDef("LastActivityDate", "date", "Last Activity", updateable=False),
        FieldDef("Buying_Signals__c", "string", "Buying Signals", custom=True),
    ]
    lead = [
        *system_fields(("Group", "User")),
        FieldDef("FirstName", "string", "First Name", length=40),
        FieldDef("LastName", "string", "Last Name", nillable=False, length=80),
        FieldDef("Company", "string", "Company", nillable=False),
        FieldDef("Title", "string", "Title", length=128),
        FieldDef("Email", "email", "Email", length=80),
        FieldDef("Phone", "phone", "Phone", length=40),
        FieldDef("Website", "url", "Website"),
        _picklist("Industry", "Industry", SF_INDUSTRIES),
        FieldDef("NumberOfEmployees", "int", "Employees", precision=8),
        FieldDef("AnnualRevenue", "currency", "Annual Revenue", precision=18),
        _picklist("LeadSource", "Lead Source", LEAD_SOURCES),
        _picklist("Rating", "Rating", RATINGS),
        FieldDef("Description", "textarea", "Description", length=32_000),
        FieldDef("City", "string", "City", length=40),
        FieldDef("State", "string", "State/Province", length=80),
        FieldDef("Country", "string", "Country", length=80),
        _picklist("Status", "Status", LEAD_STATUSES, nillable=False),
        FieldDef("IsConverted", "boolean", "Converted", updateable=False, nillable=False),
        ref("ConvertedAccountId", "Converted Account ID", "Account", writable=False),
        FieldDef("ConvertedDate", "date", "Converted Date", updateable=False),
    ]
    opportunity = [
        *system_fields(),
        FieldDef("Name", "string", "Name", nillable=False, length=120),
        ref("AccountId", "Account ID", "Account"),
        FieldDef("Description", "textarea", "Description", length=32_000),
        _picklist("StageName", "Stage", tuple(STAGE_MAP.values()), nillable=False),
        FieldDef("IsClosed", "boolean", "Closed", updateable=False, nillable=False),
        FieldDef("IsWon", "boolean", "Won", updateable=False, nillable=False),
        FieldDef("Amount", "currency", "Amount", precision=18, scale=2),
        FieldDef("Probability", "percent", "Probability (%)", precision=3),
        FieldDef("CloseDate", "date", "Close Date", nillable=False),
        _picklist("Type", "Opportunity Type", ("New Business", "Existing Business")),
        _picklist("LeadSource", "Lead Source", LEAD_SOURCES),
        FieldDef("NextStep", "string", "Next Step"),
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
