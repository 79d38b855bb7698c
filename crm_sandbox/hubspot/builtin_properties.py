"""The company and deal properties a HubSpot portal has before anyone adds one: HubSpot-defined
properties with their real type and fieldType (hubspot.md §6, §7), and the portal's custom
`icp_buying_signals`. Option values come from HubSpot's own lists (`INDUSTRY_OPTIONS`, the
default sales pipeline's stages, `pipelines`) and the seed's vocabularies.

A new portal's standard properties that a migrated data set writes are here too: `founded_year`
(string/text, HubSpot keeps the year as text), `phone` (phonenumber), `address`,
`linkedin_company_page`, `is_public`, `hubspot_owner_id` (an enumeration of the portal's owners,
external options, so any owner id is taken), `hs_parent_company_id` and `hs_num_child_companies`
(set by the parent/child company association, `association_links`), and on deals the owner and
the closed won/lost reasons. `createdate` is writable (`readOnlyValue` false): a client may set
it, to load historical records with their real create date; `hs_lastmodifieddate` and
`hs_object_id` are read-only values, so writing them is a 400 `READ_ONLY_VALUE` (HubSpot's code:
mautic/mautic#8785 quotes HubSpot refusing `hs_object_id`). HubSpot's documentation searched here
does not state the `createdate` rule in so many words; it is the behaviour integrators rely on.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.core.vocabulary import BUYING_SIGNALS, DEAL_STAGES, TECHNOLOGIES
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.pipelines import (
    DEFAULT_PIPELINE_ID,
    DEFAULT_PIPELINE_LABEL,
    STAGE_LABELS,
)
from crm_sandbox.hubspot.schema import (
    BOOL_OPTIONS,
    PropertyDefinition,
    PropertyGroup,
    option,
    options_of,
)

#: Every LinkedIn-style industry value HubSpot offers (a portal may add more).
INDUSTRY_OPTIONS: tuple[str, ...] = (
    "ACCOUNTING", "AIRLINES_AVIATION", "ALTERNATIVE_DISPUTE_RESOLUTION", "ALTERNATIVE_MEDICINE",
    "ANIMATION", "APPAREL_FASHION", "ARCHITECTURE_PLANNING", "ARTS_AND_CRAFTS", "AUTOMOTIVE",
    "AVIATION_AEROSPACE", "BANKING", "BIOTECHNOLOGY", "BROADCAST_MEDIA", "BUILDING_MATERIALS",
    "BUSINESS_SUPPLIES_AND_EQUIPMENT", "CAPITAL_MARKETS", "CHEMICALS",
    "CIVIC_SOCIAL_ORGANIZATION", "CIVIL_ENGINEERING", "COMMERCIAL_REAL_ESTATE",
    "COMPUTER_NETWORK_SECURITY", "COMPUTER_GAMES", "COMPUTER_HARDWARE", "COMPUTER_NETWORKING",
    "COMPUTER_SOFTWARE", "INTERNET", "CONSTRUCTION", "CONSUMER_ELECTRONICS", "CONSUMER_GOODS",
    "CONSUMER_SERVICES", "COSMETICS", "DAIRY", "DEFENSE_SPACE", "DESIGN", "EDUCATION_MANAGEMENT",
    "E_LEARNING", "ELECTRICAL_ELECTRONIC_MANUFACTURING", "ENTERTAINMENT",
    "ENVIRONMENTAL_SERVICES", "EVENTS_SERVICES", "EXECUTIVE_OFFICE", "FACILITIES_SERVICES",
    "FARMING", "FINANCIAL_SERVICES", "FINE_ART", "FISHERY", "FOOD_BEVERAGES", "FOOD_PRODUCTION",
    "FUND_RAISING", "FURNITURE", "GAMBLING_CASINOS", "GLASS_CERAMICS_CONCRETE",
    "GOVERNMENT_ADMINISTRATION", "GOVERNMENT_RELATIONS", "GRAPHIC_DESIGN",
    "HEALTH_WELLNESS_AND_FITNESS", "HIGHER_EDUCATION", "HOSPITAL_HEALTH_CARE", "HOSPITALITY",
    "HUMAN_RESOURCES", "IMPORT_AND_EXPORT", "INDIVIDUAL_FAMILY_SERVICES",
    "INDUSTRIAL_AUTOMATION", "INFORMATION_SERVICES", "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "INSURANCE", "INTERNATIONAL_AFFAIRS", "INTERNATIONAL_TRADE_AND_DEVELOPMENT",
    "INVESTMENT_BANKING", "INVESTMENT_MANAGEMENT", "JUDICIARY", "LAW_ENFORCEMENT",
    "LAW_PRACTICE", "LEGAL_SERVICES", "LEGISLATIVE_OFFICE", "LEISURE_TRAVEL_TOURISM",
    "LIBRARIES", "LOGISTICS_AND_SUPPLY_CHAIN", "LUXURY_GOODS_JEWELRY", "MACHINERY",
    "MANAGEMENT_CONSULTING", "MARITIME", "MARKET_RESEARCH", "MARKETING_AND_ADVERTISING",
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "MEDIA_PRODUCTION", "MEDICAL_DEVICES",
    "MEDICAL_PRACTICE", "MENTAL_HEALTH_CARE", "MILITARY", "MINING_METALS", "MOBILE_GAMES",
    "MOTION_PICTURES_AND_FILM", "MUSEUMS_AND_INSTITUTIONS", "MUSIC", "NANOTECHNOLOGY",
    "NEWSPAPERS", "NON_PROFIT_ORGANIZATION_MANAGEMENT", "OIL_ENERGY", "ONLINE_MEDIA",
    "OUTSOURCING_OFFSHORING", "PACKAGE_FREIGHT_DELIVERY", "PACKAGING_AND_CONTAINERS",
    "PAPER_FOREST_PRODUCTS", "PERFORMING_ARTS", "PHARMACEUTICALS", "PHILANTHROPY",
    "PHOTOGRAPHY", "PLASTICS", "POLITICAL_ORGANIZATION", "PRIMARY_SECONDARY_EDUCATION",
    "PRINTING", "PROFESSIONAL_TRAINING_COACHING", "PROGRAM_DEVELOPMENT", "PUBLIC_POLICY",
    "PUBLIC_RELATIONS_AND_COMMUNICATIONS", "PUBLIC_SAFETY", "PUBLISHING", "RAILROAD_MANUFACTURE",
    "RANCHING", "REAL_ESTATE", "RECREATIONAL_FACILITIES_AND_SERVICES", "RELIGIOUS_INSTITUTIONS",
    "RENEWABLES_ENVIRONMENT", "RESEARCH", "RESTAURANTS", "RETAIL", "SECURITY_AND_INVESTIGATIONS",
    "SEMICONDUCTORS", "SHIPBUILDING", "SPORTING_GOODS", "SPORTS", "STAFFING_AND_RECRUITING",
    "SUPERMARKETS", "TELECOMMUNICATIONS", "TEXTILES", "THINK_TANKS", "TOBACCO",
    "TRANSLATION_AND_LOCALIZATION", "TRANSPORTATION_TRUCKING_RAILROAD", "UTILITIES",
    "VENTURE_CAPITAL_PRIVATE_EQUITY", "VETERINARY", "WAREHOUSING", "WHOLESALE",
    "WINE_AND_SPIRITS", "WIRELESS", "WRITING_AND_EDITING",
)  # fmt: skip


def builtin(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    at_ms: int,
    *,
    options: list[JsonObject] | None = None,
    read_only: bool = False,
    calculated: bool = False,
    hubspot_defined: bool = True,
    read_only_options: bool | None = None,
    **extra: Any,
) -> PropertyDefinition:
    return PropertyDefinition(
        name=name,
        label=label,
        type=type_,
        field_type=field_type,
        group_name=group,
        created_ms=at_ms,
        updated_ms=at_ms,
        options=options or [],
        read_only_value=read_only,
        read_only_definition=hubspot_defined,
        read_only_options=read_only_options,
        calculated=calculated,
        hubspot_defined=hubspot_defined,
        form_field=not read_only,
        **extra,
    )


def calculated(
    name: str, label: str, type_: str, field_type: str, group: str, at_ms: int, **extra: Any
) -> PropertyDefinition:
    """A property HubSpot calculates: its value is read-only."""
    return builtin(
        name, label, type_, field_type, group, at_ms, read_only=True, calculated=True, **extra
    )


def bool_options() -> list[JsonObject]:
    return [dict(item) for item in BOOL_OPTIONS]


def owner_property(label: str, group: str, at_ms: int) -> PropertyDefinition:
    """`hubspot_owner_id`: an enumeration whose options are the portal's owners (external
    options, so any owner id is taken; the sandbox has no owners API)."""
    return builtin(
        "hubspot_owner_id",
        label,
        "enumeration",
        "select",
        group,
        at_ms,
        external_options=True,
        read_only_options=True,
    )


def company_groups() -> list[PropertyGroup]:
    return [
        PropertyGroup("companyinformation", "Company information", 0),
        PropertyGroup("company_activity", "Company activity", 1),
        PropertyGroup("target_accounts", "Target accounts", 2),
    ]


def deal_groups() -> list[PropertyGroup]:
    return [
        PropertyGroup("dealinformation", "Deal information", 0),
        PropertyGroup("deal_activity", "Deal activity", 1),
    ]


def company_properties(at_ms: int) -> list[PropertyDefinition]:
    """HubSpot-defined company properties (and the portal's custom `icp_buying_signals`)."""
    info, activity, target = "companyinformation", "company_activity", "target_accounts"
    return [
        builtin("name", "Company name", "string", "text", info, at_ms),
        builtin("domain", "Company domain name", "string", "text", info, at_ms),
        builtin("website", "Website URL", "string", "text", info, at_ms),
        builtin(
            "industry",
            "Industry",
            "enumeration",
            "select",
            info,
            at_ms,
            options=options_of(INDUSTRY_OPTIONS),
            read_only_options=False,
        ),
        builtin("numberofemployees", "Number of Employees", "number", "number", info, at_ms),
        builtin(
            "annualrevenue",
            "Annual Revenue",
            "number",
            "number",
            info,
            at_ms,
            show_currency_symbol=True,
        ),
        builtin("country", "Country/Region", "string", "text", info, at_ms),
        builtin("state", "State/Region", "string", "text", info, at_ms),
        builtin("city", "City", "string", "text", info, at_ms),
        builtin("zip", "Postal Code", "string", "text", info, at_ms),
        builtin("description", "Description", "string", "textarea", info, at_ms),
        builtin("founded_year", "Year Founded", "string", "text", info, at_ms),
        builtin("phone", "Phone Number", "string", "phonenumber", info, at_ms),
        builtin("address", "Street Address", "string", "text", info, at_ms),
        builtin("linkedin_company_page", "LinkedIn Company Page", "string", "text", info, at_ms),
        builtin(
            "is_public", "Is Public", "bool", "booleancheckbox", info, at_ms, options=bool_options()
        ),
        owner_property("Company owner", info, at_ms),
        builtin(
            "hs_parent_company_id",
            "Parent Company",
            "number",
            "number",
            info,
            at_ms,
            read_only=True,
        ),
        calculated(
            "hs_num_child_companies",
            "Number of child companies",
            "number",
            "number",
            info,
            at_ms,
        ),
        builtin(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=options_of(
                (
                    "subscriber",
                    "lead",
                    "marketingqualifiedlead",
                    "salesqualifiedlead",
                    "opportunity",
                    "customer",
                    "evangelist",
                    "other",
                ),
            ),
            read_only_options=False,
        ),
        builtin(
            "type",
            "Type",
            "enumeration",
            "select",
            info,
            at_ms,
            options=options_of(("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER")),
            read_only_options=False,
        ),
        builtin(
            "web_technologies",
            "Web Technologies",
            "enumeration",
            "checkbox",
            info,
            at_ms,
            options=options_of(TECHNOLOGIES, {tool: tool for tool in TECHNOLOGIES}),
            read_only_options=False,
        ),
        calculated(
            "notes_last_updated",
            "Last Activity Date",
            "datetime",
            "date",
            activity,
            at_ms,
        ),
        builtin("createdate", "Create Date", "datetime", "date", info, at_ms),
        calculated(
            "hs_lastmodifieddate",
            "Last Modified Date",
            "datetime",
            "date",
            info,
            at_ms,
        ),
        builtin("hs_object_id", "Record ID", "number", "number", info, at_ms, read_only=True),
        builtin(
            "hs_ideal_customer_profile",
            "Ideal Customer Profile Tier",
            "enumeration",
            "radio",
            target,
            at_ms,
            options=options_of(
                ("tier_1", "tier_2", "tier_3"),
                {"tier_1": "Tier 1", "tier_2": "Tier 2", "tier_3": "Tier 3"},
            ),
            read_only_options=True,
        ),
        builtin(
            "hs_is_target_account",
            "Target Account",
            "bool",
            "booleancheckbox",
            target,
            at_ms,
            options=bool_options(),
            read_only_options=True,
        ),
        builtin(
            "icp_buying_signals",
            "ICP buying signals",
            "enumeration",
            "checkbox",
            info,
            at_ms,
            options=options_of(BUYING_SIGNALS),
            hubspot_defined=False,
        ),
    ]


def deal_properties(at_ms: int) -> list[PropertyDefinition]:
    info = "dealinformation"
    return [
        builtin("dealname", "Deal Name", "string", "text", info, at_ms),
        builtin("amount", "Amount", "number", "number", info, at_ms, show_currency_symbol=True),
        builtin(
            "dealstage",
            "Deal Stage",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=options_of(DEAL_STAGES, STAGE_LABELS),
            read_only_options=False,
        ),
        builtin(
            "pipeline",
            "Pipeline",
            "enumeration",
            "select",
            info,
            at_ms,
            options=[option(DEFAULT_PIPELINE_ID, DEFAULT_PIPELINE_LABEL, 0)],
            read_only_options=False,
        ),
        builtin("closedate", "Close Date", "datetime", "date", info, at_ms),
        builtin(
            "dealtype",
            "Deal Type",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=options_of(
                ("newbusiness", "existingbusiness"),
                {"newbusiness": "New Business", "existingbusiness": "Existing Business"},
            ),
            read_only_options=False,
        ),
        builtin("description", "Deal Description", "string", "textarea", info, at_ms),
        owner_property("Deal owner", info, at_ms),
        builtin("closed_lost_reason", "Closed Lost Reason", "string", "textarea", info, at_ms),
        builtin("closed_won_reason", "Closed Won Reason", "string", "textarea", info, at_ms),
        builtin("createdate", "Create Date", "datetime", "date", info, at_ms),
        calculated(
            "hs_lastmodifieddate",
            "Last Modified Date",
            "datetime",
            "date",
            info,
            at_ms,
        ),
        builtin("hs_object_id", "Record ID", "number", "number", info, at_ms, read_only=True),
        calculated(
            "hs_is_closed",
            "Is Deal Closed?",
            "bool",
            "booleancheckbox",
            info,
            at_ms,
            options=bool_options(),
        ),
        calculated(
            "hs_is_closed_won",
            "Is Closed Won",
            "bool",
            "booleancheckbox",
            info,
            at_ms,
            options=bool_options(),
        ),
        calculated(
            "hs_deal_stage_probability",
            "Deal Stage Probability",
            "number",
            "number",
            info,
            at_ms,
        ),
    ]
