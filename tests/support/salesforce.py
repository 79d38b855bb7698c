"""Helpers shared by the Salesforce connector tests (imported by name: tests are not a package)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.crm import salesforce_connector
from app.rubric import Rubric
from connectors.base import AccountScore
from connectors.records import CrmAccount, CrmDeal, Cursor, Page
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.state import SalesforceState

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SF_TIERS = ("tier_1", "tier_2", "tier_3")
SF_FLAGS = ("too_small", "excluded_industry", "personal_email_domain", "competitor")

OrgFactory = Callable[..., RunningSalesforce]
SalesforceFactory = Callable[..., SalesforceConnector]


def records_of(pages: list[Page[CrmAccount]] | list[Page[CrmDeal]]) -> list[Any]:
    return [record for page in pages for record in page.records]


def final_cursor(pages: list[Page[CrmAccount]] | list[Page[CrmDeal]]) -> Cursor:
    cursor = pages[-1].cursor
    assert cursor is not None
    return cursor


def stamp(record: dict[str, Any]) -> tuple[int, str]:
    """The (SystemModstamp ms, Id) a sandbox record sorts by."""
    return int(record["SystemModstamp"]), str(record["Id"])


def live(org: SalesforceState, object_name: str) -> list[dict[str, Any]]:
    return org.snapshot(object_name)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def a_score(**overrides: Any) -> AccountScore:
    default = AccountScore(
        score=87,
        tier="tier_1",
        disqualified=False,
        flags=(),
        reasons=("Industry: Technology (exact match) +25", "Employees: 250 +20"),
        rubric_version="2026.11-acme",
        scored_at=datetime(2026, 11, 1, 8, 30, 5, 123456, tzinfo=UTC),
    )
    return replace(default, **overrides)


def rsa_private_pem() -> str:
    """A fresh 2048-bit RSA private key, PKCS#8 PEM: a key no connected app knows."""
    key = rsa.generate_private_key(public_exponent=65_537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def new_lead(org: RunningSalesforce, **values: Any) -> str:
    """A lead as a web-to-lead form creates it: assignment rules run on creation, but it has no
    tier yet, so it lands in the Unscored queue (the rule's catch-all entry)."""
    fields = {
        "FirstName": "Nia",
        "LastName": "Okoro",
        "Company": "Brightwave Software",
        "Email": "nia@brightwave-software.example",
        "Website": "https://brightwave-software.example",
        "Industry": "Technology",
        "NumberOfEmployees": 800,
        "AnnualRevenue": 120_000_000,
        "Country": "United States",
        **values,
    }
    return str(org.salesforce.create("Lead", fields, auto_assign=True)["Id"])


def rubric_connector(
    org: RunningSalesforce,
    rubric: Rubric,
    *,
    retry: RetryPolicy | None = None,
    overlap: timedelta | None = None,
) -> SalesforceConnector:
    """The connector a sync builds for this rubric (its tiers, flags and fields) on `org`."""
    return salesforce_connector(
        org.url,
        rubric,
        client_id=org.client_id,
        client_secret=org.client_secret,
        ca_bundle=org.ca_bundle,
        retry=retry,
        overlap=overlap,
    )
