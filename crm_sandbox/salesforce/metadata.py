"""What the sandbox org's objects look like: their fields (`FieldDef`), picklist values and
the describe answer (`GET /services/data/vNN.N/sobjects/{Obj}/describe`).

The org starts with Account, Lead and Opportunity (`standard_schema`) and, once icp-sync's setup
has run, the seven ICP fields on Account and Lead (`icp_fields`). The seed's CRM-neutral values
(HubSpot's industries and deal stages) map onto Salesforce's default picklists
(`INDUSTRY_MAP`, `STAGE_MAP`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_sandbox.core.vocabulary import LOST_STAGE, WON_STAGE
from crm_sandbox.salesforce.ids import PREFIXES

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


def standard_schema() -> dict[str, dict[str, FieldDef]]:
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


def describe(object_name: str, schema: dict[str, FieldDef]) -> dict[str, Any]:
    """The describe answer for an object (the parts simple-salesforce and icp-sync read)."""
    return {
        "name": object_name,
        "label": object_name,
        "keyPrefix": PREFIXES[object_name],
        "custom": False,
        "queryable": True,
        "updateable": True,
        "fields": [
            {
                "name": f.name,
                "label": f.label or f.name,
                "type": f.type,
                "custom": f.custom,
                "updateable": f.updateable,
                "createable": f.updateable,
                "nillable": f.nillable,
                "length": f.length if f.type not in ("int", "double", "currency", "boolean") else 0,
                "referenceTo": list(f.reference_to),
                "restrictedPicklist": f.restricted,
                "picklistValues": [
                    {"value": v, "label": v, "active": True, "defaultValue": False}
                    for v in f.picklist
                ],
            }
            for f in schema.values()
        ],
    }
