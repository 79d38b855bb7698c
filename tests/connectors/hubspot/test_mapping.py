"""HubSpot company/contact/deal payloads → CrmAccount/CrmDeal (pure mapping)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.hubspot.mapping import company_to_account, contact_to_account, deal_to_deal
from connectors.normalise import normalise_domain
from connectors.values import EPOCH, parse_datetime, parse_decimal, parse_int, storable

ACME = {
    "id": "512",
    "properties": {
        "name": "Acme Analytics",
        "domain": "https://www.Acme-Analytics.com/about",
        "industry": "COMPUTER_SOFTWARE",
        "numberofemployees": "250",
        "annualrevenue": "12500000.50",
        "country": "United States",
        "state": "CA",
        "web_technologies": "salesforce;segment; ;hubspot;segment",
        "hs_object_id": "512",
        "createdate": "2024-01-17T19:55:04.281Z",
        "hs_lastmodifieddate": "2024-09-11T13:27:39.356Z",
        "custom_signal": "webinar",
        "description": None,
    },
    "createdAt": "2024-01-17T19:55:04.281Z",
    "updatedAt": "2024-09-11T13:27:39.356Z",
    "archived": False,
}


JANE: dict[str, Any] = {
    "id": "10000000042",
    "properties": {
        "email": "Jane.Doe@Acme-Analytics.com",
        "firstname": "Jane",
        "lastname": "Doe",
        "jobtitle": " VP, Sales ",
        "country": "Germany",
        "associatedcompanyid": "512",
        "lastmodifieddate": "2024-09-12T08:00:00.000Z",
        "createdate": "2024-09-10T08:00:00.000Z",
        "hs_object_id": "10000000042",
    },
    "associations": {"companies": {"results": [{"id": "777", "type": "contact_to_company"}]}},
    "archived": False,
}


def test_given_a_contact_when_mapped_then_a_person_at_its_primary_company() -> None:
    jane = contact_to_account(JANE)

    assert (jane.object_type, jane.crm_id, jane.name) == ("contact", "10000000042", "Jane Doe")
    assert (jane.email, jane.title) == ("Jane.Doe@Acme-Analytics.com", "VP, Sales")
    assert jane.domain == "acme-analytics.com"
    assert jane.company_id == "512"  # associatedcompanyid: the primary, before other links
    assert jane.modified_at == datetime(2024, 9, 12, 8, tzinfo=UTC)
    assert jane.properties["jobtitle"] == " VP, Sales "


def test_given_a_contact_without_a_primary_company_when_mapped_then_its_first_link_or_none() -> (
    None
):
    linked = {**JANE, "properties": {**JANE["properties"], "associatedcompanyid": None}}
    alone = {**linked, "associations": {}}

    assert contact_to_account(linked).company_id == "777"
    assert contact_to_account(alone, ["901"]).company_id == "901"
    assert contact_to_account(alone).company_id is None


def test_given_a_free_mail_contact_when_mapped_then_its_domain_comes_from_its_website() -> None:
    props = {"email": "jane@gmail.com", "website": "https://www.brightwave.io/team"}

    assert contact_to_account({"id": "5", "properties": props}).domain == "brightwave.io"
    no_site = contact_to_account({"id": "6", "properties": {"email": "jane@gmail.com"}})
    assert (no_site.domain, no_site.name) == (None, "jane@gmail.com")


@settings(max_examples=200, deadline=None)
@given(properties=st.dictionaries(st.text(max_size=20), st.one_of(st.none(), st.text())))
def test_given_arbitrary_contact_properties_when_mapped_then_never_raises(
    properties: dict[str, str | None],
) -> None:
    contact = contact_to_account({"id": "9", "properties": properties})

    assert contact.object_type == "contact"
    assert set(contact.properties) == {storable(k) for k in properties}


def test_given_a_realistic_company_when_mapped_then_canonical_fields_are_typed_and_normalised() -> (
    None
):
    account = company_to_account(ACME)

    assert account.source == "hubspot"
    assert account.object_type == "company"
    assert account.crm_id == "512"
    assert account.name == "Acme Analytics"
    assert account.domain == "acme-analytics.com"
    assert account.industry == "COMPUTER_SOFTWARE"
    assert account.employees == 250
    assert account.annual_revenue == Decimal("12500000.50")
    assert account.country == "United States"
    assert account.state == "CA"
    assert account.technologies == ("salesforce", "segment", "hubspot")
    assert account.modified_at == datetime(2024, 9, 11, 13, 27, 39, 356000, tzinfo=UTC)
    assert account.created_at == datetime(2024, 1, 17, 19, 55, 4, 281000, tzinfo=UTC)
    assert account.archived is False


def test_given_a_company_when_mapped_then_every_raw_property_is_kept_verbatim() -> None:
    account = company_to_account(ACME)

    assert dict(account.properties) == ACME["properties"]


def test_given_malformed_values_when_mapped_then_fields_are_none_and_raw_values_stay() -> None:
    payload = {
        "id": "7",
        "properties": {
            "numberofemployees": "12abc",
            "annualrevenue": "lots",
            "domain": "not a domain",
            "hs_lastmodifieddate": "yesterday-ish",
            "createdate": "2024-13-45",
            "web_technologies": "",
            "name": "   ",
        },
        "updatedAt": "2024-05-01T10:00:00.000Z",
    }

    account = company_to_account(payload)

    assert account.employees is None
    assert account.annual_revenue is None
    assert account.domain is None
    assert account.name is None
    assert account.created_at is None
    assert account.technologies == ()
    assert account.modified_at == datetime(2024, 5, 1, 10, tzinfo=UTC)  # falls back to updatedAt
    assert account.properties["numberofemployees"] == "12abc"
    assert account.properties["hs_lastmodifieddate"] == "yesterday-ish"


def test_given_no_domain_when_mapped_then_the_website_supplies_it() -> None:
    account = company_to_account({"id": "1", "properties": {"website": "http://www.beta.io/"}})

    assert account.domain == "beta.io"


def test_given_an_archived_company_when_mapped_then_it_is_flagged_and_modified_at_its_archiving() -> (
    None
):
    payload = {
        "id": "9",
        "properties": {"hs_lastmodifieddate": "2024-01-01T00:00:00Z"},
        "updatedAt": "2024-01-01T00:00:00Z",
        "archived": True,
        "archivedAt": "2024-03-02T08:00:00.000Z",
    }

    account = company_to_account(payload)

    assert account.archived is True
    assert account.modified_at == datetime(2024, 3, 2, 8, tzinfo=UTC)


def test_given_no_timestamp_at_all_when_mapped_then_modified_at_is_the_epoch_sentinel() -> None:
    assert company_to_account({"id": "3"}).modified_at == EPOCH


def test_given_a_won_deal_on_a_custom_pipeline_when_mapped_then_flags_follow_hubspot_calculations() -> (
    None
):
    payload = {
        "id": "42",
        "properties": {
            "dealname": "Acme renewal",
            "dealstage": "98765",  # a custom stage id: its name says nothing
            "pipeline": "custom-enterprise",
            "hs_is_closed": "true",
            "hs_is_closed_won": "true",
            "amount": "18000.00",
            "closedate": "2024-06-30T00:00:00.000Z",
            "createdate": "2024-02-01T09:00:00.000Z",
            "hs_lastmodifieddate": "2024-07-01T12:00:00.000Z",
        },
        "associations": {
            "companies": {
                "results": [
                    {"id": "512", "type": "deal_to_company"},
                    {"id": "512", "type": "deal_to_company_unlabeled"},
                    {"id": "77", "type": "deal_to_company_unlabeled"},
                ]
            }
        },
        "archived": False,
    }

    deal = deal_to_deal(payload, account_ids=["77", "900"])

    assert deal.crm_id == "42"
    assert deal.is_closed is True
    assert deal.is_won is True
    assert deal.stage == "98765"
    assert deal.pipeline == "custom-enterprise"
    assert deal.amount == Decimal("18000.00")
    assert deal.close_date == date(2024, 6, 30)
    assert deal.account_ids == ("512", "77", "900")
    assert deal.modified_at == datetime(2024, 7, 1, 12, tzinfo=UTC)


def test_given_a_lost_deal_when_mapped_then_closed_but_not_won() -> None:
    deal = deal_to_deal(
        {"id": "1", "properties": {"hs_is_closed": "TRUE", "hs_is_closed_won": "false"}}
    )

    assert (deal.is_closed, deal.is_won) == (True, False)


def test_given_a_deal_named_closedwon_without_calculated_flags_when_mapped_then_not_assumed_won() -> (
    None
):
    deal = deal_to_deal({"id": "1", "properties": {"dealstage": "closedwon"}})

    assert (deal.is_closed, deal.is_won) == (False, False)


def test_given_number_strings_when_parsed_then_only_real_numbers_are_read() -> None:
    assert parse_int("250") == 250
    assert parse_int("250.0") == 250
    assert parse_int("2.5e2") == 250
    assert parse_int("1e400") is None  # absurd, and would be a huge int
    assert parse_int("NaN") is None
    assert parse_int("") is None
    assert parse_decimal("1,200,000") == Decimal(1200000)
    assert parse_decimal("Infinity") is None


def test_given_hubspot_datetimes_when_parsed_then_iso_and_epoch_ms_are_read_as_utc() -> None:
    expected = datetime(2024, 8, 15, 17, 9, 13, 648000, tzinfo=UTC)
    assert parse_datetime("2024-08-15T17:09:13.648Z") == expected
    assert parse_datetime("1723741753648") == expected
    assert parse_datetime("2024-08-15") == datetime(2024, 8, 15, tzinfo=UTC)
    assert parse_datetime("2024-08-15T19:09:13.648+02:00") == expected
    assert parse_datetime("9" * 30) is None


property_values = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.eE+-,;: TZ"),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["true", "FALSE", "12abc", "2024-02-30", "1e999999", "-0", "٣٤٥", "🏢;💥"]),
)
known_names = st.sampled_from(
    [
        "name",
        "domain",
        "website",
        "industry",
        "numberofemployees",
        "annualrevenue",
        "web_technologies",
        "hs_lastmodifieddate",
        "createdate",
        "hs_is_closed",
        "hs_is_closed_won",
        "amount",
        "closedate",
        "dealstage",
    ]
)
property_dicts = st.dictionaries(st.one_of(known_names, st.text()), property_values, max_size=20)
top_level = st.one_of(st.none(), st.text(), st.booleans(), st.integers(), st.lists(st.text()))


@pytest.mark.slow
@example(
    properties={"hs_lastmodifieddate": "²", "numberofemployees": "٣٤٥"},
    updated="²",
    archived=None,
    archived_at="¹²",
)
@settings(max_examples=300, deadline=None)
@given(properties=property_dicts, updated=top_level, archived=top_level, archived_at=top_level)
def test_given_arbitrary_properties_when_mapped_then_never_raises_and_keeps_every_raw_property(
    properties: dict[str, str | None], updated: Any, archived: Any, archived_at: Any
) -> None:
    payload = {
        "id": "1",
        "properties": properties,
        "updatedAt": updated,
        "archived": archived,
        "archivedAt": archived_at,
        "associations": {"companies": {"results": [{"id": updated}]}},
    }

    account = company_to_account(payload)
    deal = deal_to_deal(payload)

    # Verbatim, but for NUL characters and lone surrogates, which no store can hold (U+FFFD).
    kept = {storable(k): None if v is None else storable(v) for k, v in properties.items()}
    assert dict(account.properties) == kept
    assert dict(deal.properties) == kept
    assert account.modified_at.tzinfo is not None
    assert deal.modified_at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.integers(min_value=-(10**5000), max_value=10**5000)))
def test_given_non_string_property_values_when_mapped_then_kept_as_text(value: Any) -> None:
    account = company_to_account({"id": "1", "properties": {"numberofemployees": value}})

    assert isinstance(account.properties["numberofemployees"], str)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/pricing?x=1", "acme.com"),
        ("WWW.ACME.CO.UK", "acme.co.uk"),
        ("jane@Sub.Acme.io", "sub.acme.io"),
        ("  acme.com.  ", "acme.com"),
        ("acme.com:8443", "acme.com"),
        ("localhost", None),
        ("not a domain", None),
        ("-bad-.com", None),
        ("", None),
    ],
)
def test_given_domain_spellings_when_normalised_then_bare_lower_case_or_none(
    raw: str, expected: str | None
) -> None:
    assert normalise_domain(raw) == expected


@pytest.mark.slow
@settings(max_examples=300)
@given(
    value=st.one_of(
        st.text(),
        st.from_regex(r"(https?://)?(www\.)?[A-Za-z0-9-]{1,12}\.[a-z]{2,4}(/\w*)?", fullmatch=True),
        st.emails(),
    )
)
def test_given_any_text_when_domains_normalised_then_result_is_canonical_and_stable(
    value: str,
) -> None:
    domain = normalise_domain(value)

    if domain is not None:
        assert domain == domain.lower()
        assert "://" not in domain
        assert not domain.startswith("www.")
        assert normalise_domain(domain) == domain
