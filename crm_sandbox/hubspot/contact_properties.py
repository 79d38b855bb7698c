"""The contact properties and groups a HubSpot portal has before anyone adds one, with HubSpot's
types, field types and options (`lifecyclestage` and `hs_lead_status` with their real option
values; `hubspot_owner_id` an enumeration of owners with external options, as on companies).

Read-only values: `lastmodifieddate` (contacts' last-modified property; they have no
`hs_lastmodifieddate`), `hs_object_id`, `hs_email_domain` (derived from `email`),
`associatedcompanyid` (the primary company's id, derived from the contact→company association),
and the activity properties HubSpot calculates (`notes_last_updated`, `notes_last_contacted`,
`num_contacted_notes`). `createdate` is writable, as on companies and deals.

`hs_seniority` is the seniority HubSpot's enrichment (Breeze Intelligence, formerly Clearbit)
fills in; it is not in HubSpot's OpenAPI specs (which list no properties), but live portals
carry it as an enumeration with the values `executive`, `vp`, `director`, `manager`,
`employee`, `entry` (seen in integrators' code), so the sandbox has exactly those.
"""

from __future__ import annotations

from crm_sandbox.hubspot.builtin_properties import builtin, calculated, owner_property
from crm_sandbox.hubspot.schema import PropertyDefinition, PropertyGroup, options_of

LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LIFECYCLE_LABELS = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "marketingqualifiedlead": "Marketing Qualified Lead",
    "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other",
}
LEAD_STATUSES: tuple[str, ...] = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
SENIORITIES: tuple[str, ...] = ("executive", "vp", "director", "manager", "employee", "entry")
SENIORITY_LABELS = {
    "executive": "Executive",
    "vp": "VP",
    "director": "Director",
    "manager": "Manager",
    "employee": "Employee",
    "entry": "Entry",
}


def contact_groups() -> list[PropertyGroup]:
    return [
        PropertyGroup("contactinformation", "Contact information", 0),
        PropertyGroup("contact_activity", "Contact activity", 1),
        PropertyGroup("sales_properties", "Sales properties", 2),
    ]


def contact_properties(at_ms: int) -> list[PropertyDefinition]:
    info, activity, sales = "contactinformation", "contact_activity", "sales_properties"
    return [
        builtin("email", "Email", "string", "text", info, at_ms),
        builtin("firstname", "First Name", "string", "text", info, at_ms),
        builtin("lastname", "Last Name", "string", "text", info, at_ms),
        builtin("jobtitle", "Job Title", "string", "text", info, at_ms),
        builtin("company", "Company Name", "string", "text", info, at_ms),
        builtin("industry", "Industry", "string", "text", info, at_ms),
        builtin("website", "Website URL", "string", "text", info, at_ms),
        builtin("phone", "Phone Number", "string", "phonenumber", info, at_ms),
        builtin("city", "City", "string", "text", info, at_ms),
        builtin("state", "State/Region", "string", "text", info, at_ms),
        builtin("country", "Country/Region", "string", "text", info, at_ms),
        builtin(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=options_of(LIFECYCLE_STAGES, LIFECYCLE_LABELS),
            read_only_options=False,
        ),
        builtin(
            "hs_lead_status",
            "Lead Status",
            "enumeration",
            "radio",
            sales,
            at_ms,
            options=options_of(LEAD_STATUSES),
            read_only_options=False,
        ),
        builtin(
            "hs_seniority",
            "Seniority",
            "enumeration",
            "select",
            info,
            at_ms,
            options=options_of(SENIORITIES, SENIORITY_LABELS),
            read_only_options=True,
        ),
        owner_property("Contact owner", sales, at_ms),
        calculated("hs_email_domain", "Email Domain", "string", "text", info, at_ms),
        calculated(
            "associatedcompanyid", "Primary Associated Company ID", "number", "number", info, at_ms
        ),
        calculated("notes_last_updated", "Last Activity Date", "datetime", "date", activity, at_ms),
        calculated("notes_last_contacted", "Last Contacted", "datetime", "date", activity, at_ms),
        calculated(
            "num_contacted_notes", "Number of times contacted", "number", "number", activity, at_ms
        ),
        builtin("createdate", "Create Date", "datetime", "date", info, at_ms),
        calculated("lastmodifieddate", "Last Modified Date", "datetime", "date", info, at_ms),
        builtin("hs_object_id", "Record ID", "number", "number", info, at_ms, read_only=True),
    ]
