"""The people of the seed's contacts: names from several languages and job titles written the
way people write them, by seniority level (C-level, VP, head, director, manager, individual
contributor, assistant), with abbreviations, odd casing and some non-English titles.
"""

from __future__ import annotations

from typing import Literal

from crm_sandbox.core.vocabulary import FIRST_NAMES, SURNAMES

Level = Literal["c_level", "vp", "head", "director", "manager", "individual", "assistant", "none"]

CONTACT_FIRST_NAMES: tuple[str, ...] = (
    *FIRST_NAMES,
    "Sophie", "Mateo", "Björn", "Zoë", "Anaïs", "José", "Hiroshi", "Fatima", "Olusegun",
    "Ingrid", "Raj", "Camille", "Lukas", "Sofía", "Mei", "Daniel", "Emily", "Ahmed", "Noah",
    "Olivia", "Giulia", "Pieter", "Kwame", "Ana", "Thomas", "Sarah", "Michael", "Laura",
)  # fmt: skip
CONTACT_SURNAMES: tuple[str, ...] = (
    *SURNAMES,
    "García", "Müller", "Dubois", "O'Brien", "Nguyen", "Rossi", "Van der Berg", "Schmidt",
    "Kim", "Mensah", "Silva", "Johansson", "Smith", "Johnson", "Williams", "Brown", "Tanaka",
    "Kowalczyk", "Novak", "Martin", "Lefèvre", "Iyer", "Adeyemi", "Cohen", "Murphy",
)  # fmt: skip

TITLES: dict[Level, tuple[str, ...]] = {
    "c_level": (
        "CEO", "Chief Executive Officer", "Co-Founder & CEO", "CTO", "Chief Revenue Officer",
        "CFO", "COO", "Founder", "Managing Director", "Geschäftsführer", "Directeur Général",
        "President", "Owner", "ceo", "Chief Marketing Officer", "Founder/CEO",
    ),
    "vp": (
        "VP Sales", "VP of Marketing", "Vice President, Engineering", "SVP Revenue",
        "VP, Customer Success", "EVP Operations", "vp sales emea", "Vice President of Sales",
        "VP Growth",
    ),
    "head": (
        "Head of Sales", "Head of Growth", "Head of RevOps", "Head of Data", "Leiter Vertrieb",
        "Responsable Marketing", "Head of Partnerships", "Head of IT",
    ),
    "director": (
        "Director of Sales", "Sales Director", "Director, IT", "Sr. Director Marketing",
        "Regional Sales Director", "Directeur Commercial", "Director de Ventas",
        "Director of Operations", "Dir. Demand Generation",
    ),
    "manager": (
        "Sales Manager", "Marketing Manager", "IT Manager", "Sr Manager, Demand Gen",
        "Product Manager", "Account Manager", "Jefe de Ventas", "Teamleiter IT",
        "Office Manager", "Operations Manager", "mgr, sales ops",
    ),
    "individual": (
        "Account Executive", "Software Engineer", "Sales Development Representative", "SDR",
        "Marketing Specialist", "Data Analyst", "Sr. Software Engineer", "Consultant",
        "Customer Success Associate", "Ingénieur Commercial", "Analista de Datos", "BDR",
        "Solutions Engineer", "Recruiter", "Accountant",
    ),
    "assistant": (
        "Executive Assistant", "Executive Assistant to the CEO", "Assistant", "Intern",
        "Sales Intern", "Receptionist", "Werkstudent", "Office Assistant",
    ),
    "none": ("",),
}  # fmt: skip
LEVELS: tuple[Level, ...] = tuple(TITLES)
#: How often each level occurs among a company's contacts (small companies: more founders).
LEVEL_WEIGHTS: tuple[float, ...] = (10.0, 10.0, 8.0, 14.0, 22.0, 26.0, 4.0, 6.0)
#: HubSpot's enrichment seniority (`hs_seniority`) of each level.
HS_SENIORITY: dict[Level, str] = {
    "c_level": "executive",
    "vp": "vp",
    "head": "director",
    "director": "director",
    "manager": "manager",
    "individual": "employee",
    "assistant": "entry",
}
#: How senior each level is, for the deals' choice of contacts (`true_icp`).
SENIORITY_RANK: dict[Level, int] = {
    "c_level": 6,
    "vp": 5,
    "head": 4,
    "director": 4,
    "manager": 3,
    "individual": 2,
    "assistant": 1,
    "none": 2,
}
