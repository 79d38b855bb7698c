"""The sentences that carry a seeded description's theme (`descriptions`), one per theme.

- `trigger`: the hidden true ICP's text-only trigger: the company's customer and revenue data is
  scattered after growth, an acquisition or a reorganisation, and its teams work from tools and
  spreadsheets that disagree. Written in many unrelated wordings (no keyword common to most), so
  finding it takes meaning, not a word list.
- `contrast`: hard negatives, the trigger's vocabulary saying the opposite (one tidy platform for
  years, an acquisition already merged) or a company that *sells* consolidation software.
- `not_us`: the negative ICP, text-only: partners, resellers and consultancies that implement
  sales and data tools for clients, and public-sector bodies that buy through tenders.
- `blank`: what an empty or placeholder CRM field holds.

Templates take `{year}` (a recent year), `{founded}`, `{count}` (a small number in words),
`{name}`, `{sector}` and `{city}` (`str.format` keywords).
"""

from __future__ import annotations

from typing import Literal

from crm_sandbox.core.description_activities import Activity

TextTheme = Literal["plain", "trigger", "contrast", "not_us", "blank"]

#: Trigger sentences that fit a company of any size (no teams, mergers or regions in them).
TRIGGER_ANY: tuple[str, ...] = (
    "Customer details are spread across spreadsheets, inboxes and an old contact manager, and "
    "nobody is sure which copy is current.",
    "Their client list lives in a dozen Excel files passed around by email.",
    "Reporting on revenue means exporting from four different tools and pasting it all into one "
    "workbook.",
    "Forecasts come from a shared Google Sheet that someone rebuilds by hand every Monday.",
    "Marketing attribution is guesswork: campaign lists, web sign-ups and closed deals are "
    "never joined up.",
    "They are currently mapping which of their apps holds the 'real' version of each customer.",
    "Notes sit in chat threads, deals in a spreadsheet and contacts in personal mailboxes.",
    "Billing and the pipeline disagree on who the paying accounts even are.",
    "Asked whether we could help them pull their contact records out of five separate apps.",
    "Duplicates everywhere; the same client often gets called twice in one week.",
    "Nobody trusts the pipeline figures because every tool counts things its own way.",
    "Finance and sales quote different client totals, since each pulls from its own source.",
)
#: Trigger sentences about an organisation (teams, regions, acquisitions, restructures).
TRIGGER_ORG: tuple[str, ...] = (
    "Since buying two smaller rivals, they run three separate CRMs side by side.",
    "After the {year} merger, the two sales teams still log deals in different systems.",
    "Went through a reorganisation this spring: territories were redrawn but the records were "
    "not, so ownership is a mess.",
    "Growth outpaced their tooling, with each region picking its own CRM, and leadership now "
    "wants one view of every buyer.",
    "The new CRO's first project is to bring the acquired companies' pipelines under one roof.",
    "Client history is split between an ageing on-prem system and whatever the acquired team "
    "brought along.",
    "Half the sales org still tracks opportunities in personal Excel files.",
    "Post-merger integration is under way, and combining the customer databases is the sticking "
    "point.",
    "Their go-to-market stack grew piecemeal; every team bought its own tools and none of them "
    "talk to each other.",
    "The board asked for a single trusted ARR figure after three quarters of conflicting reports.",
    "Leads from the brand they acquired sit in a separate HubSpot portal the core team cannot see.",
    "Their RevOps lead describes the data as 'held together with CSV exports and goodwill'.",
    "Splitting into business units last year left each unit with its own copy of the account list.",
    "They are untangling overlapping client records after folding in {count} regional "
    "distributors.",
    "Pipeline reviews stall because every manager brings a different version of the numbers.",
    "Moving from founder-led selling to a proper sales team exposed how scattered their contact "
    "data is.",
    "Two billing systems, two CRMs and an unmaintained warehouse, all inherited from the roll-up.",
    "Reps lose Friday afternoons reconciling their pipeline against the finance export.",
    "Headcount doubled in eighteen months and the sales tooling did not keep up.",
    "Integrating last year's acquisition; each legacy business still keeps its own customer "
    "records.",
    "Ops is consolidating {count} regional databases into one, a project that keeps slipping.",
    "Sales and service cannot see each other's view of a client.",
    "Following a restructure, account ownership is unclear and many records have no owner at all.",
    "Buy-and-build strategy: {count} companies acquired since {year}, each with its own CRM "
    "still running.",
)

#: Hard negatives any company can carry: the trigger's words, the opposite situation.
CONTRAST_SENTENCES: tuple[str, ...] = (
    "Has run sales, marketing and service on one shared platform since {year}.",
    "Their RevOps team keeps a famously tidy CRM: one record per client, one owner per account.",
    "All acquired brands were moved onto a single CRM within months of each deal closing.",
    "No acquisitions, no reorganisations: organic growth on the same well-kept system of record "
    "since {year}.",
    "Every department reports from the same dashboards; the last spreadsheet tracker was "
    "retired in {year}.",
    "Customer data sits in one warehouse that every team feeds and trusts.",
    "Went through a restructure last year without losing track of a single account.",
    "Standardised on one go-to-market stack early and has kept it that way through two funding "
    "rounds.",
    "Forecasts come straight out of the CRM; nobody exports anything to Excel.",
    "Integration of the company they bought in {year} is finished, customer lists included.",
)
#: Hard negatives for software and internet firms: they sell consolidation to others.
VENDOR_ACTIVITIES: tuple[Activity, ...] = (
    (
        "builds data-integration software that merges customer records from many sources",
        "a data-integration software vendor",
    ),
    (
        "sells a deduplication engine that companies use to clean up their CRM after mergers",
        "a CRM data-quality vendor",
    ),
    ("makes master-data-management software for enterprises", "a master-data software company"),
    (
        "develops connectors that sync spreadsheets, CRMs and billing systems for clients",
        "a data-sync software company",
    ),
    (
        "offers a customer-data platform that unifies records from scattered tools",
        "a customer-data-platform vendor",
    ),
)

#: The negative ICP's partners and resellers: an opening that replaces the activity sentence.
NOT_US_PARTNER_OPENINGS: tuple[str, ...] = (
    "{name} is a certified implementation partner that configures CRM and sales tools for "
    "{sector}.",
    "{name} resells sales-engagement and CRM licences to {sector} and handles the onboarding.",
    "Consultancy: {name} runs revenue-operations projects for clients, mostly {sector}.",
    "We are an agency that sets up HubSpot and Salesforce for {sector}.",
    "{name} is a systems integrator whose consultants roll out customer-data platforms for "
    "{sector}.",
    "Boutique RevOps consultancy helping {sector} choose and deploy go-to-market software.",
    "{name} administers CRM systems on behalf of clients, mainly {sector}, as a managed service.",
    "Value-added reseller of CRM, data-enrichment and analytics software for {sector}.",
)
#: The negative ICP's public-sector bodies: a sentence added to an ordinary opening.
NOT_US_PUBLIC_SENTENCES: tuple[str, ...] = (
    "A public-sector body; purchasing goes through formal tenders.",
    "Publicly funded and answerable to a government ministry.",
    "State-owned; buys only through approved procurement frameworks.",
    "Part of the municipal administration, financed from the city budget.",
    "A government agency, so every contract above a small threshold must be tendered.",
    "Owned by the regional government.",
)

#: Optional filler: history, recognition, customers, how we met them.
FILLERS: tuple[str, ...] = (
    "Founded in {founded}.",
    "Founded in {founded} by two former colleagues.",
    "Family-owned since {founded}.",
    "Won a regional business award in {year}.",
    "Named one of the best places to work in {city} in {year}.",
    "Customers include several well-known national brands.",
    "Serves customers in more than {count} countries.",
    "Privately held.",
    "ISO 9001 certified.",
    "Recently opened a second office.",
    "Met them at a trade show in {year}.",
    "Inbound lead from a webinar sign-up.",
    "Known to us through a former colleague.",
    "Has a strong reputation for customer service.",
    "Expanding into two new markets next year.",
    "Their website lists dozens of case studies.",
)

#: Empty or placeholder descriptions, "" most often.
PLACEHOLDERS: tuple[str, ...] = (
    "",
    "",
    "",
    "",
    "N/A",
    "n/a",
    "-",
    "Website coming soon",
    "tbd",
    "No description",
)

#: Every trigger template, for tests and for the narrative's copy guard.
TRIGGER_TEMPLATES: tuple[str, ...] = TRIGGER_ANY + TRIGGER_ORG
