"""The seed's vocabularies: what generated companies and deals are made of, and how often.

HubSpot's values are the canonical ones (industries in upper snake case, the default sales
pipeline's stage ids, `web_technologies` tools); each sandbox renders them in its CRM's shape.
"""

from __future__ import annotations

#: Industries the generator uses (HubSpot values) with their relative frequency.
INDUSTRY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("COMPUTER_SOFTWARE", 14.0),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", 12.0),
    ("INTERNET", 8.0),
    ("FINANCIAL_SERVICES", 7.0),
    ("MARKETING_AND_ADVERTISING", 7.0),
    ("HOSPITAL_HEALTH_CARE", 6.0),
    ("RETAIL", 6.0),
    ("MANAGEMENT_CONSULTING", 5.0),
    ("STAFFING_AND_RECRUITING", 4.0),
    ("CONSTRUCTION", 4.0),
    ("TELECOMMUNICATIONS", 3.0),
    ("COMPUTER_NETWORK_SECURITY", 3.0),
    ("MACHINERY", 3.0),
    ("REAL_ESTATE", 3.0),
    ("INSURANCE", 3.0),
    ("EDUCATION_MANAGEMENT", 2.5),
    ("LOGISTICS_AND_SUPPLY_CHAIN", 2.5),
    ("BANKING", 2.0),
    ("AUTOMOTIVE", 2.0),
    ("GOVERNMENT_ADMINISTRATION", 2.0),
    ("NON_PROFIT_ORGANIZATION_MANAGEMENT", 1.0),
)
INDUSTRIES: tuple[str, ...] = tuple(name for name, _ in INDUSTRY_WEIGHTS)

#: Industries the hidden true ICP likes best, and those it likes half as much.
EXACT_FIT_INDUSTRIES: tuple[str, ...] = (
    "COMPUTER_SOFTWARE",
    "INTERNET",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
)
ADJACENT_FIT_INDUSTRIES: tuple[str, ...] = (
    "FINANCIAL_SERVICES",
    "MARKETING_AND_ADVERTISING",
    "MANAGEMENT_CONSULTING",
    "STAFFING_AND_RECRUITING",
    "TELECOMMUNICATIONS",
    "COMPUTER_NETWORK_SECURITY",
)

#: Every tool that can appear in a company's stack (HubSpot `web_technologies` option values).
TECHNOLOGIES: tuple[str, ...] = (
    "Salesforce",
    "HubSpot",
    "Outreach",
    "Salesloft",
    "Gong",
    "ZoomInfo",
    "Segment",
    "Snowflake",
    "Slack",
    "Zendesk",
    "Jira",
    "Intercom",
)
#: The tools the hidden true ICP counts as a complementary stack.
COMPLEMENTARY_STACK: tuple[str, ...] = TECHNOLOGIES[:8]
TECH_BASE_RATE: tuple[float, ...] = (
    0.32,
    0.28,
    0.12,
    0.08,
    0.10,
    0.12,
    0.10,
    0.11,
    0.45,
    0.20,
    0.30,
    0.15,
)

#: Values of the custom multi-checkbox property `icp_buying_signals`.
BUYING_SIGNALS: tuple[str, ...] = (
    "hiring",
    "funding",
    "leadership_change",
    "intent_surge",
    "expansion",
)
SIGNAL_COUNT_WEIGHTS: tuple[float, ...] = (45.0, 25.0, 15.0, 9.0, 4.0, 2.0)

PERSONAL_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
)

#: HubSpot's default sales pipeline, in order; the last two are closed.
OPEN_DEAL_STAGES: tuple[str, ...] = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)
OPEN_STAGE_WEIGHTS: tuple[float, ...] = (30.0, 25.0, 20.0, 15.0, 10.0)
WON_STAGE = "closedwon"
LOST_STAGE = "closedlost"
DEAL_STAGES: tuple[str, ...] = (*OPEN_DEAL_STAGES, WON_STAGE, LOST_STAGE)

# (country, weight, top-level domain, ((state, (city, …)), …))
GEOGRAPHY: tuple[tuple[str, float, str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "United States",
        55.0,
        "com",
        (
            ("CA", ("San Francisco", "Los Angeles", "San Diego", "San Jose", "Palo Alto")),
            ("NY", ("New York", "Brooklyn", "Buffalo")),
            ("TX", ("Austin", "Dallas", "Houston")),
            ("MA", ("Boston", "Cambridge")),
            ("WA", ("Seattle", "Bellevue")),
            ("IL", ("Chicago",)),
            ("CO", ("Denver", "Boulder")),
            ("GA", ("Atlanta",)),
            ("FL", ("Miami", "Tampa")),
            ("NC", ("Raleigh", "Charlotte")),
            ("UT", ("Salt Lake City", "Lehi")),
            ("PA", ("Philadelphia", "Pittsburgh")),
            ("OH", ("Columbus", "Cleveland")),
            ("MN", ("Minneapolis",)),
            ("VA", ("Reston", "Arlington")),
        ),
    ),
    (
        "United Kingdom",
        10.0,
        "co.uk",
        (("England", ("London", "Manchester", "Bristol")), ("Scotland", ("Edinburgh",))),
    ),
    ("Germany", 8.0, "de", (("Berlin", ("Berlin",)), ("Bavaria", ("Munich",)))),
    ("Canada", 6.0, "ca", (("ON", ("Toronto", "Ottawa")), ("BC", ("Vancouver",)))),
    ("France", 5.0, "fr", (("Île-de-France", ("Paris",)), ("Auvergne-Rhône-Alpes", ("Lyon",)))),
    ("Australia", 4.0, "com.au", (("NSW", ("Sydney",)), ("VIC", ("Melbourne",)))),
    ("Netherlands", 3.0, "nl", (("North Holland", ("Amsterdam",)),)),
    ("India", 3.0, "in", (("Karnataka", ("Bengaluru",)), ("Maharashtra", ("Mumbai", "Pune")))),
    ("Sweden", 2.0, "se", (("Stockholm County", ("Stockholm",)),)),
    ("Spain", 2.0, "es", (("Madrid", ("Madrid",)), ("Catalonia", ("Barcelona",)))),
    ("Ireland", 2.0, "ie", (("Leinster", ("Dublin",)),)),
)
COUNTRY_WEIGHTS = tuple(weight for _, weight, _, _ in GEOGRAPHY)

STEMS_A = (
    "North", "Blue", "Bright", "Iron", "Silver", "Red", "Green", "Clear", "Swift", "Summit",
    "Pine", "Cedar", "Harbor", "Granite", "Nova", "Astra", "Vertex", "Quantum", "Lumen", "Atlas",
    "Beacon", "Crest", "Delta", "Echo", "Falcon", "Golden", "Helix", "Indigo", "Juniper",
    "Kestrel", "Lattice", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "River", "Sage",
    "Terra", "Vector", "Willow", "Zenith", "Apex", "Boreal", "Cobalt", "Drift", "Ember", "Fathom",
    "Glacier", "Horizon", "Jade", "Keystone", "Meridian", "Nexus", "Onyx", "Polar", "Radiant",
    "Sierra", "Tidal", "Vista", "West", "Zephyr", "Arc", "Bold", "Core", "Dune", "Oak", "Hollow",
)  # fmt: skip
STEMS_B = (
    "wind", "field", "stone", "bridge", "point", "gate", "wave", "line", "path", "works",
    "forge", "light", "spark", "ridge", "bay", "rock", "view", "well", "wood", "mark", "scale",
    "shift", "stack", "loop", "grid", "leaf", "peak", "port", "sync", "ware", "craft", "lane",
)  # fmt: skip
SURNAMES = (
    "Hartley", "Morgan", "Whitaker", "Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura",
    "Brennan", "Fischer", "Patel", "Kowalski", "Sullivan", "Haddad", "Andersen", "Reyes",
)  # fmt: skip
FIRST_NAMES = (
    "Jane", "John", "Priya", "Lucas", "Maria", "Tom", "Aisha", "Chen", "Elena", "Sam",
)  # fmt: skip
NOUNS_TECH = ("Software", "Labs", "Analytics", "Cloud", "Systems", "Technologies", "AI", "Data")
NOUNS_SERVICES = ("Partners", "Group", "Advisors", "Consulting", "Associates", "Solutions")
NOUNS_BY_INDUSTRY: dict[str, tuple[str, ...]] = {
    "COMPUTER_SOFTWARE": NOUNS_TECH,
    "INFORMATION_TECHNOLOGY_AND_SERVICES": ("IT", "Systems", "Technologies", "Digital", "Tech"),
    "INTERNET": ("Online", "Digital", "Media", "Web", "Apps"),
    "FINANCIAL_SERVICES": ("Capital", "Payments", "Finance", "Wealth", "Pay"),
    "MARKETING_AND_ADVERTISING": ("Media", "Marketing", "Creative", "Agency", "Brands"),
    "HOSPITAL_HEALTH_CARE": ("Health", "Care", "Medical", "Clinics", "Hospital"),
    "RETAIL": ("Outfitters", "Stores", "Market", "Goods", "Supply"),
    "MANAGEMENT_CONSULTING": NOUNS_SERVICES,
    "STAFFING_AND_RECRUITING": ("Talent", "Staffing", "Recruiting", "People", "Search"),
    "CONSTRUCTION": ("Builders", "Construction", "Contracting", "Build", "Structures"),
    "TELECOMMUNICATIONS": ("Telecom", "Networks", "Communications", "Connect", "Wireless"),
    "COMPUTER_NETWORK_SECURITY": ("Security", "Cyber", "Defense", "Shield", "Secure"),
    "MACHINERY": ("Machines", "Industrial", "Engineering", "Manufacturing", "Tools"),
    "REAL_ESTATE": ("Properties", "Realty", "Estates", "Homes", "Real Estate"),
    "INSURANCE": ("Insurance", "Assurance", "Underwriters", "Mutual", "Cover"),
    "EDUCATION_MANAGEMENT": ("Learning", "Academy", "Education", "Schools", "Institute"),
    "LOGISTICS_AND_SUPPLY_CHAIN": ("Logistics", "Freight", "Supply Chain", "Shipping", "Cargo"),
    "BANKING": ("Bank", "Bancorp", "Savings", "Trust", "Financial"),
    "AUTOMOTIVE": ("Motors", "Automotive", "Mobility", "Auto", "Parts"),
    "GOVERNMENT_ADMINISTRATION": ("County", "Agency", "Authority", "Department", "Office"),
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": ("Foundation", "Trust", "Alliance", "Fund", "Society"),
}
# Median revenue per employee (USD) by industry; others use the default.
REVENUE_PER_EMPLOYEE: dict[str, float] = {
    "COMPUTER_SOFTWARE": 230_000.0,
    "INTERNET": 260_000.0,
    "FINANCIAL_SERVICES": 300_000.0,
    "BANKING": 320_000.0,
    "INSURANCE": 280_000.0,
    "RETAIL": 140_000.0,
    "STAFFING_AND_RECRUITING": 110_000.0,
    "GOVERNMENT_ADMINISTRATION": 90_000.0,
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": 70_000.0,
}
DEFAULT_REVENUE_PER_EMPLOYEE = 170_000.0
DEAL_KINDS = ("New Business", "Expansion", "Renewal", "Pilot", "Platform", "Team Plan")
