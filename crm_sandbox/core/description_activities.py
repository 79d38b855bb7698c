"""What a seeded company does, by industry, for its description (`descriptions`).

Each entry is a pair: a third-person verb phrase ("builds …", to follow the company's name) and
a noun phrase for the same business ("a … company", for note-style openings). Several per
industry so two companies of one industry rarely read alike; all of them plausible at any size
of the seed's size bands. Kept apart from the themes (`description_themes`) so the ordinary
text and the hidden trigger's text are written from different vocabularies.
"""

from __future__ import annotations

Activity = tuple[str, str]

ACTIVITIES: dict[str, tuple[Activity, ...]] = {
    "COMPUTER_SOFTWARE": (
        ("builds scheduling software for field-service teams", "a scheduling-software company"),
        ("makes subscription billing software for B2B firms", "a billing-software vendor"),
        ("develops a contract-management platform for legal teams", "a legal-tech software house"),
        ("sells a project-planning app to architecture practices", "a project-planning app maker"),
        ("offers a learning-management system to corporate trainers", "an e-learning vendor"),
        ("builds API monitoring tools for engineering teams", "a developer-tools company"),
    ),
    "INFORMATION_TECHNOLOGY_AND_SERVICES": (
        ("runs managed IT and helpdesk services for offices", "a managed IT services provider"),
        ("provides cloud hosting and infrastructure support", "a cloud infrastructure firm"),
        ("builds custom software for insurers and lenders", "a custom development shop"),
        ("sets up networks and PCs for schools and clinics", "an IT support firm"),
        ("offers data-centre colocation and backup services", "a colocation provider"),
    ),
    "INTERNET": (
        ("runs an online marketplace for pre-owned furniture", "an online furniture marketplace"),
        ("operates a comparison site for broadband and energy deals", "a price-comparison site"),
        ("publishes a booking app for independent hotels", "a travel-booking platform"),
        ("runs a meal-kit subscription sold online", "a direct-to-consumer meal-kit brand"),
        ("operates a job board for hospitality workers", "an online job board"),
    ),
    "FINANCIAL_SERVICES": (
        ("offers invoice financing to small manufacturers", "an invoice-finance lender"),
        ("runs a payments gateway for online merchants", "a payment-processing company"),
        ("manages wealth for families and founders", "a wealth-management firm"),
        ("provides equipment leasing to haulage fleets", "an equipment-leasing company"),
        ("brokers commercial mortgages", "a commercial mortgage broker"),
    ),
    "MARKETING_AND_ADVERTISING": (
        ("runs paid-social campaigns for consumer brands", "a performance-marketing agency"),
        ("produces video content and brand campaigns", "a creative studio"),
        ("plans and buys media for retail advertisers", "a media-buying agency"),
        ("handles PR and events for technology firms", "a PR and events agency"),
        ("does SEO and content writing for webshops", "an SEO and content agency"),
    ),
    "HOSPITAL_HEALTH_CARE": (
        ("runs outpatient physiotherapy clinics", "an outpatient physiotherapy group"),
        ("operates a private hospital for specialist surgery", "a private hospital"),
        ("provides home-care nursing for elderly patients", "a home-care nursing provider"),
        ("runs a group of dental practices", "a dental practice group"),
        ("offers diagnostic imaging and lab tests", "a diagnostics provider"),
    ),
    "RETAIL": (
        ("sells outdoor clothing through its own shops and online", "an outdoor-clothing retailer"),
        ("runs a chain of garden centres", "a garden-centre chain"),
        ("sells home furnishings from showrooms and a webshop", "a home-furnishings retailer"),
        ("operates convenience stores", "a convenience-store operator"),
        ("retails consumer electronics", "an electronics retailer"),
    ),
    "MANAGEMENT_CONSULTING": (
        ("advises manufacturers on operations and supply strategy", "an operations consultancy"),
        ("helps hospitals improve patient flow and rostering", "a healthcare advisory firm"),
        ("runs strategy projects for private-equity portfolio firms", "a strategy boutique"),
        ("advises on pricing and margin improvement", "a pricing consultancy"),
        ("supports family businesses with succession planning", "a family-business adviser"),
    ),
    "STAFFING_AND_RECRUITING": (
        ("places software engineers with start-ups", "a tech recruitment agency"),
        ("supplies temporary warehouse staff", "a temporary staffing company"),
        ("runs executive search for finance leaders", "an executive-search firm"),
        ("recruits nurses and care workers", "a healthcare staffing agency"),
        ("hires contract engineers for the energy sector", "a contract engineering recruiter"),
    ),
    "CONSTRUCTION": (
        ("builds commercial offices and warehouses", "a commercial building contractor"),
        ("does residential renovations and extensions", "a residential renovation firm"),
        ("installs electrical systems in new-build housing", "an electrical contractor"),
        ("delivers civil works for roads and bridges", "a civil-engineering contractor"),
        ("fits out shop and restaurant interiors", "an interior fit-out company"),
    ),
    "TELECOMMUNICATIONS": (
        ("sells business broadband and fibre lines", "a business broadband provider"),
        ("runs a mobile network for rural areas", "a regional mobile operator"),
        ("provides hosted phone systems to small offices", "a cloud telephony provider"),
        ("builds and leases fibre backbone capacity", "a fibre infrastructure company"),
        ("offers IoT connectivity for fleets and meters", "an IoT connectivity provider"),
    ),
    "COMPUTER_NETWORK_SECURITY": (
        ("runs a round-the-clock security operations centre", "a managed security provider"),
        ("builds endpoint protection software", "an endpoint-security vendor"),
        ("does penetration testing and red-team exercises", "a penetration-testing firm"),
        ("sells identity and access management tools", "an identity-security company"),
        ("filters email for phishing and fraud", "an email-security company"),
    ),
    "MACHINERY": (
        ("manufactures packaging machines for food producers", "a packaging-machinery maker"),
        ("builds hydraulic presses and metal-forming equipment", "a metal-forming press builder"),
        ("makes agricultural harvesters and spare parts", "an agricultural machinery maker"),
        ("produces industrial pumps and valves", "a pump and valve manufacturer"),
        ("designs CNC machining centres", "a CNC machine builder"),
    ),
    "REAL_ESTATE": (
        ("manages rental apartments", "a residential property manager"),
        ("develops mixed-use urban schemes", "a property developer"),
        ("brokers office leases for tenants", "a commercial real-estate broker"),
        ("owns and runs self-storage sites", "a self-storage operator"),
        ("sells and lets holiday homes", "a holiday-home agency"),
    ),
    "INSURANCE": (
        ("underwrites commercial property insurance", "a commercial property insurer"),
        ("sells pet insurance online", "a pet insurer"),
        ("brokers liability cover for contractors", "a specialist insurance broker"),
        ("provides health plans to employers", "an employee health insurer"),
        ("offers travel cover through airline partners", "a travel insurer"),
    ),
    "EDUCATION_MANAGEMENT": (
        ("runs private language schools", "a language-school group"),
        ("operates a network of nurseries", "a nursery group"),
        ("offers online courses in accounting", "an online-learning provider"),
        ("manages international boarding schools", "a boarding-school group"),
        ("trains apprentices for technical trades", "a vocational training provider"),
    ),
    "LOGISTICS_AND_SUPPLY_CHAIN": (
        ("runs temperature-controlled warehouses", "a cold-chain warehousing company"),
        ("moves freight by road across the region", "a road-freight carrier"),
        ("handles last-mile parcel delivery for webshops", "a last-mile delivery company"),
        ("arranges sea and air freight forwarding", "a freight forwarder"),
        ("provides order fulfilment for online brands", "a fulfilment provider"),
    ),
    "BANKING": (
        ("is a savings bank for households and small firms", "a regional savings bank"),
        ("offers business accounts and lending", "a business bank"),
        ("runs a digital-only retail bank", "a digital bank"),
        ("provides trade finance to exporters", "a trade-finance bank"),
        ("is a cooperative bank owned by its members", "a cooperative bank"),
    ),
    "AUTOMOTIVE": (
        ("supplies brake components to car makers", "an automotive parts supplier"),
        ("runs car dealerships", "a car dealership group"),
        ("converts vans for trades and delivery fleets", "a van conversion specialist"),
        ("builds charging hardware for electric vehicles", "an EV-charging hardware maker"),
        ("repairs and services commercial vehicles", "a commercial-vehicle workshop"),
    ),
    "GOVERNMENT_ADMINISTRATION": (
        ("administers local planning and building permits", "a local planning authority"),
        ("runs public transport for the metro area", "a public transport authority"),
        ("manages the county's social services", "a county social-services department"),
        ("oversees water and waste services for the region", "a regional utilities authority"),
        ("issues licences and registrations", "a licensing office"),
    ),
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": (
        ("raises funds for childhood cancer research", "a medical-research charity"),
        ("runs food banks", "a food-bank network"),
        ("protects wetlands and coastal habitats", "a conservation charity"),
        ("supports refugees with housing and language classes", "a refugee-support charity"),
        ("funds arts programmes in schools", "an arts-education foundation"),
    ),
}

#: When the industry is unknown: nothing more specific can be said.
UNKNOWN_ACTIVITIES: tuple[Activity, ...] = (
    ("serves business customers", "a privately held company"),
    ("works with clients across several sectors", "a services business"),
    ("sells mostly to companies in its home region", "a regional business"),
)

#: People signed up with a personal e-mail domain: one-person businesses, whatever the industry.
PERSONAL_ACTIVITIES: tuple[Activity, ...] = (
    ("works as an independent consultant", "an independent consultant"),
    ("freelances on short projects", "a freelancer"),
    ("runs a one-person practice", "a sole trader"),
    ("takes on contract work", "a contractor"),
)

#: Who a company's clients are, by its industry (what a partner or reseller serves).
SECTORS: dict[str, str] = {
    "COMPUTER_SOFTWARE": "software companies",
    "INFORMATION_TECHNOLOGY_AND_SERVICES": "IT service firms",
    "INTERNET": "online businesses",
    "FINANCIAL_SERVICES": "financial-services firms",
    "MARKETING_AND_ADVERTISING": "marketing teams",
    "HOSPITAL_HEALTH_CARE": "healthcare providers",
    "RETAIL": "retailers",
    "MANAGEMENT_CONSULTING": "professional-services firms",
    "STAFFING_AND_RECRUITING": "recruitment agencies",
    "CONSTRUCTION": "construction firms",
    "TELECOMMUNICATIONS": "telecom operators",
    "COMPUTER_NETWORK_SECURITY": "security vendors",
    "MACHINERY": "industrial manufacturers",
    "REAL_ESTATE": "property companies",
    "INSURANCE": "insurers",
    "EDUCATION_MANAGEMENT": "schools and colleges",
    "LOGISTICS_AND_SUPPLY_CHAIN": "logistics firms",
    "BANKING": "banks",
    "AUTOMOTIVE": "dealer groups",
    "GOVERNMENT_ADMINISTRATION": "public bodies",
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": "charities",
}
DEFAULT_SECTOR = "mid-sized businesses"

#: Industries where a public-sector owner is plausible (the not-us theme's public variant).
PUBLIC_PLAUSIBLE: frozenset[str | None] = frozenset(
    {
        "HOSPITAL_HEALTH_CARE",
        "EDUCATION_MANAGEMENT",
        "GOVERNMENT_ADMINISTRATION",
        "TELECOMMUNICATIONS",
        "LOGISTICS_AND_SUPPLY_CHAIN",
        "BANKING",
        None,
    }
)
#: Industries where a company may itself sell data-consolidation software (a hard negative).
VENDOR_PLAUSIBLE: frozenset[str | None] = frozenset(
    {"COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "INTERNET"}
)
