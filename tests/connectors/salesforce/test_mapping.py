"""Salesforce query records → CrmAccount/CrmDeal (pure mapping), fuzzed with garbage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.normalise import FREE_MAIL_DOMAINS, company_email_domain
from connectors.salesforce.mapping import (
    account_to_account,
    lead_to_account,
    opportunity_to_deal,
)
from connectors.values import EPOCH

ACCOUNT: dict[str, Any] = {
    "attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/0015e0000"},
    "Id": "0015e00000AbCdEAAV",
    "Name": " Acme Analytics ",
    "Website": "https://www.Acme-Analytics.com/about",
    "Industry": "Technology",
    "NumberOfEmployees": 250,
    "AnnualRevenue": Decimal("12500000.50"),
    "BillingCountry": "United States",
    "BillingState": "CA",
    "CreatedDate": "2024-05-01T12:00:00.000+0000",
    "SystemModstamp": "2024-06-02T08:30:00.000+0000",
    "IsDeleted": False,
    "OwnerId": "0055e0000000002AAA",
    "ICP_Fit_Score__c": 87.0,
    "ICP_Tier__c": None,
    "Owner": {"attributes": {"type": "User"}, "Name": "Jo Ng"},
}
LEAD: dict[str, Any] = {
    "attributes": {"type": "Lead"},
    "Id": "00Q5e00000XyZaBEAV",
    "Company": "Beta Corp",
    "Title": "VP Sales",
    "Email": "ada.ng@mail.beta-corp.io",
    "Website": None,
    "Industry": None,
    "NumberOfEmployees": None,
    "AnnualRevenue": None,
    "Country": "Germany",
    "State": "BE",
    "IsConverted": False,
    "IsDeleted": False,
    "SystemModstamp": "2024-06-02T08:30:00.000+0000",
}
OPPORTUNITY: dict[str, Any] = {
    "attributes": {"type": "Opportunity"},
    "Id": "0065e00000QwErTAAV",
    "Name": "Acme – New Business",
    "AccountId": "0015e00000AbCdEAAV",
    "StageName": "Closed Won",
    "IsClosed": True,
    "IsWon": True,
    "Amount": 29900,
    "CloseDate": "2024-11-19",
    "CreatedDate": "2024-10-19T12:31:41.336+0000",
    "SystemModstamp": "2024-11-21T22:17:11.573+0000",
    "IsDeleted": False,
}


def test_given_an_account_record_when_mapped_then_canonical_fields_and_raw_text_properties() -> (
    None
):
    account = account_to_account(ACCOUNT)

    assert account.source == "salesforce"
    assert account.object_type == "account"
    assert account.crm_id == "0015e00000AbCdEAAV"
    assert account.name == "Acme Analytics"
    assert account.domain == "acme-analytics.com"
    assert account.industry == "Technology"
    assert account.employees == 250
    assert account.annual_revenue == Decimal("12500000.50")
    assert (account.country, account.state) == ("United States", "CA")
    assert account.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert account.modified_at == datetime(2024, 6, 2, 8, 30, tzinfo=UTC)
    assert account.archived is False
    assert account.properties["NumberOfEmployees"] == "250"
    assert account.properties["AnnualRevenue"] == "12500000.50"
    assert account.properties["IsDeleted"] == "false"
    assert account.properties["ICP_Fit_Score__c"] == "87.0"
    assert account.properties["ICP_Tier__c"] is None
    assert account.properties["Owner.Name"] == "Jo Ng"
    assert not any(
        key.startswith("attributes") or ".attributes" in key for key in account.properties
    )


def test_given_a_deleted_account_when_mapped_then_archived() -> None:
    assert account_to_account({**ACCOUNT, "IsDeleted": True}).archived is True


def test_given_a_lead_without_website_when_mapped_then_the_email_domain_is_its_domain() -> None:
    lead = lead_to_account(LEAD)

    assert lead.object_type == "lead"
    assert lead.name == "Beta Corp"
    assert lead.domain == "mail.beta-corp.io"
    assert lead.email == "ada.ng@mail.beta-corp.io"
    assert lead.title == "VP Sales"
    assert (lead.country, lead.state) == ("Germany", "BE")
    assert lead.archived is False


def test_given_a_lead_with_a_website_when_mapped_then_the_website_wins_over_the_email() -> None:
    lead = lead_to_account({**LEAD, "Website": "http://www.beta.example/x", "Email": "a@b.io"})

    assert lead.domain == "beta.example"


def test_given_a_free_mail_lead_when_mapped_then_no_domain_but_the_email_is_kept() -> None:
    for provider in sorted(FREE_MAIL_DOMAINS):
        lead = lead_to_account({**LEAD, "Email": f"someone@{provider.upper()}"})
        assert lead.domain is None, provider
        assert lead.email == f"someone@{provider.upper()}"
    assert company_email_domain("not an address") is None
    assert company_email_domain("a@b") is None


def test_given_a_converted_or_deleted_lead_when_mapped_then_archived() -> None:
    assert lead_to_account({**LEAD, "IsConverted": True}).archived is True
    assert lead_to_account({**LEAD, "IsDeleted": True}).archived is True


def test_given_an_opportunity_when_mapped_then_deal_with_account_and_outcome() -> None:
    deal = opportunity_to_deal(OPPORTUNITY)

    assert deal.crm_id == "0065e00000QwErTAAV"
    assert deal.stage == "Closed Won"
    assert (deal.is_closed, deal.is_won) == (True, True)
    assert deal.amount == Decimal(29900)
    assert deal.close_date == date(2024, 11, 19)
    assert deal.account_ids == ("0015e00000AbCdEAAV",)
    assert deal.properties["IsWon"] == "true"
    assert opportunity_to_deal({**OPPORTUNITY, "AccountId": None}).account_ids == ()
    assert opportunity_to_deal({**OPPORTUNITY, "IsDeleted": True}).archived is True


def test_given_a_record_without_timestamps_when_mapped_then_epoch_and_no_crash() -> None:
    account = account_to_account({"Id": "0015e00000AbCdEAAV"})

    assert account.modified_at == EPOCH
    assert account.created_at is None
    assert account.name is None


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(5_000, 40_000)),
    st.sampled_from(["2024-13-45T99:00:00.000+0000", "true", "  ", "¹²³", "9" * 400, "@", "a@"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
FIELDS = sorted(set(ACCOUNT) | set(LEAD) | set(OPPORTUNITY) | {"LastModifiedDate", "Title"})


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(values=st.dictionaries(st.sampled_from(FIELDS), garbage))
def test_given_garbage_values_when_mapped_then_nothing_raises_and_bad_values_are_none(
    values: dict[str, Any],
) -> None:
    for base, mapper in ((ACCOUNT, account_to_account), (LEAD, lead_to_account)):
        account = mapper({**base, **values})
        assert account.employees is None or isinstance(account.employees, int)
        assert account.annual_revenue is None or account.annual_revenue.is_finite()
        assert account.name is None or isinstance(account.name, str)
        assert account.domain is None or isinstance(account.domain, str)
        assert account.modified_at.tzinfo is not None
        assert all(v is None or isinstance(v, str) for v in account.properties.values())
        assert isinstance(account.archived, bool)
    deal = opportunity_to_deal({**OPPORTUNITY, **values})
    assert deal.amount is None or deal.amount.is_finite()
    assert deal.close_date is None or isinstance(deal.close_date, date)
    assert all(isinstance(i, str) and i for i in deal.account_ids)


@settings(max_examples=100, deadline=None)
@given(record=st.dictionaries(st.text(max_size=20), garbage, max_size=8))
def test_given_a_record_of_anything_when_mapped_then_nothing_raises(record: dict[str, Any]) -> None:
    account_to_account(record)
    lead_to_account(record)
    opportunity_to_deal(record)
