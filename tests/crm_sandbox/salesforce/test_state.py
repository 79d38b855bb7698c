"""The Salesforce org state: ids, seeded records, the modification clock and writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.salesforce import soql as client_soql
from crm_sandbox.core.seed import generate
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.ids import checksum_suffix, make_id, normalize_id
from crm_sandbox.salesforce.metadata import SF_INDUSTRIES, FieldDef, icp_fields
from crm_sandbox.salesforce.state import SalesforceState

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def org() -> SalesforceState:
    return SalesforceState.seeded(seed=3, companies=150, as_of=AS_OF)


def test_given_known_salesforce_id_when_checksummed_then_suffix_matches_salesforce() -> None:
    # 001A0000006Vm9r -> 001A0000006Vm9rIAC (documented example of the 18-char algorithm)
    assert checksum_suffix("001A0000006Vm9r") == "IAC"
    assert normalize_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert normalize_id("001A0000006Vm9riac") == "001A0000006Vm9rIAC"
    assert normalize_id("001A0000006Vm9rXXX") is None
    assert normalize_id("not-an-id") is None


def test_given_known_ids_when_checksummed_then_the_sandbox_and_the_client_agree() -> None:
    for id15, suffix in {"001xx000003DGb2": "AAG", "001A0000006Vm9r": "IAC"}.items():
        assert checksum_suffix(id15) == client_soql.checksum_suffix(id15) == suffix
    made = [make_id(prefix, n) for prefix in ("001", "00Q", "006") for n in range(0, 10**7, 9_973)]
    assert all(client_soql.checksum_suffix(i[:15]) == i[15:] for i in made)


def test_given_prefixes_when_ids_are_made_then_they_are_18_chars_unique_and_prefixed() -> None:
    ids = [make_id("00Q", n) for n in range(5000)]
    assert len(set(ids)) == 5000
    assert all(len(i) == 18 and i.startswith("00Q") and normalize_id(i) == i for i in ids)


def test_given_seed_when_org_is_built_then_records_mirror_the_shared_generator(
    org: SalesforceState,
) -> None:
    data = generate(3, 150, as_of=AS_OF)
    accounts = org.snapshot("Account", include_deleted=True)
    assert [a["Name"] for a in accounts] == [c.name for c in data.companies]
    assert [a["IsDeleted"] for a in accounts] == [c.archived for c in data.companies]
    assert all(a["Industry"] is None or a["Industry"] in SF_INDUSTRIES for a in accounts)
    assert all(str(a["Id"]).startswith("001") for a in accounts)
    opportunities = org.snapshot("Opportunity", include_deleted=True)
    assert len(opportunities) == len(data.deals)
    won = [o for o in opportunities if o["IsWon"]]
    assert won
    assert all(o["IsClosed"] and o["StageName"] == "Closed Won" for o in won)
    account_ids = {a["Id"] for a in accounts}
    assert all(o["AccountId"] in account_ids for o in opportunities)


def test_given_seeded_leads_when_matched_by_domain_then_some_match_accounts_and_some_do_not(
    org: SalesforceState,
) -> None:
    domains = {str(a["Website"]).removeprefix("https://www.") for a in org.snapshot("Account")}
    leads = org.snapshot("Lead")
    matching = [le for le in leads if str(le["Email"]).split("@")[1] in domains]
    assert matching
    assert len(matching) < len(leads)
    assert all(str(le["Id"]).startswith("00Q") and le["IsConverted"] is False for le in leads)


def test_given_two_writes_when_applied_then_system_modstamp_strictly_increases(
    org: SalesforceState,
) -> None:
    account = org.snapshot("Account")[0]
    newest = max(int(r["SystemModstamp"]) for r in org.snapshot("Account", include_deleted=True))
    first = org.update("Account", str(account["Id"]), {})  # a no-op still bumps the stamp
    second = org.update("Account", str(account["Id"]), {"ICP_Fit_Score__c": 82.0})
    assert newest < first["SystemModstamp"] < second["SystemModstamp"]
    assert second["ICP_Fit_Score__c"] == 82.0
    assert second["LastModifiedById"] == org.integration_user_id


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"Nope__c": 1}, "INVALID_FIELD"),
        ({"IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"ICP_Tier__c": "gold"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ({"NumberOfEmployees": "many"}, "JSON_PARSER_ERROR"),
        ({"Name": "x" * 300}, "STRING_TOO_LONG"),
        ({"Name": None}, "REQUIRED_FIELD_MISSING"),
    ],
)
def test_given_invalid_values_when_updating_then_the_salesforce_error_is_raised_and_nothing_changes(
    org: SalesforceState, values: dict[str, object], code: str
) -> None:
    account = org.snapshot("Account")[1]
    with pytest.raises(SalesforceError) as caught:
        org.update("Account", str(account["Id"]), values)
    assert caught.value.code == code
    assert org.get("Account", str(account["Id"])) == account


def test_given_deleted_record_when_updated_then_entity_is_deleted(org: SalesforceState) -> None:
    account_id = str(org.snapshot("Account")[0]["Id"])
    org.delete("Account", account_id)
    with pytest.raises(SalesforceError) as caught:
        org.update("Account", account_id, {"ICP_Fit_Score__c": 1.0})
    assert caught.value.code == "ENTITY_IS_DELETED"
    org.undelete("Account", account_id)
    assert org.update("Account", account_id, {"ICP_Fit_Score__c": 1.0})["IsDeleted"] is False


def test_given_lead_tier_when_updated_with_auto_assign_then_owner_becomes_the_rule_queue(
    org: SalesforceState,
) -> None:
    lead = org.snapshot("Lead")[0]
    kept = org.update("Lead", str(lead["Id"]), {"ICP_Tier__c": "tier_1"}, auto_assign=False)
    assert kept["OwnerId"] == lead["OwnerId"]
    routed = org.update("Lead", str(lead["Id"]), {"ICP_Tier__c": "disqualified"}, auto_assign=True)
    assert routed["OwnerId"] == org.queues["Nurture"]


def test_given_custom_field_when_added_twice_then_the_second_is_a_duplicate(
    org: SalesforceState,
) -> None:
    field_id = org.add_custom_field("Lead", FieldDef("ICP_Reason__c", "string", custom=True))
    assert field_id.startswith("00N")
    assert all(le["ICP_Reason__c"] is None for le in org.snapshot("Lead"))
    with pytest.raises(SalesforceError) as caught:
        org.add_custom_field("Lead", FieldDef("ICP_Reason__c", "string", custom=True))
    assert caught.value.code == "DUPLICATE_DEVELOPER_NAME"


def test_given_custom_datetime_field_when_written_with_offset_then_stored_as_utc_and_checked(
    org: SalesforceState,
) -> None:
    org.add_custom_field("Account", FieldDef("Last_Enriched_At__c", "datetime", custom=True))
    account_id = str(org.snapshot("Account")[0]["Id"])
    updated = org.update(
        "Account", account_id, {"Last_Enriched_At__c": "2026-11-01T12:00:00+02:00"}
    )
    assert updated["Last_Enriched_At__c"] == int(
        datetime(2026, 11, 1, 10, tzinfo=UTC).timestamp() * 1000
    )
    with pytest.raises(SalesforceError) as caught:
        org.update("Account", account_id, {"Last_Enriched_At__c": "yesterday"})
    assert caught.value.code == "JSON_PARSER_ERROR"


def test_given_opportunity_stage_change_when_updated_then_is_closed_and_is_won_follow(
    org: SalesforceState,
) -> None:
    opportunity = next(o for o in org.snapshot("Opportunity") if not o["IsClosed"])
    won = org.update("Opportunity", str(opportunity["Id"]), {"StageName": "Closed Won"})
    assert (won["IsClosed"], won["IsWon"]) == (True, True)
    lost = org.update("Opportunity", str(opportunity["Id"]), {"StageName": "Closed Lost"})
    assert (lost["IsClosed"], lost["IsWon"]) == (True, False)


def test_given_a_seeded_org_when_set_up_then_all_seven_icp_fields_and_lead_titles_exist(
    org: SalesforceState,
) -> None:
    for object_name in ("Account", "Lead"):
        fields = org.fields(object_name)
        assert {f.name for f in icp_fields()} <= set(fields)
        assert len([name for name in fields if name.startswith("ICP_")]) == 7
    assert org.fields("Lead")["Title"].type == "string"
    titles = [le["Title"] for le in org.snapshot("Lead")]
    assert len(set(titles) - {None}) > 3
    assert None in titles  # about one lead in ten has no title


def test_given_no_icp_fields_when_seeded_then_the_org_is_not_set_up() -> None:
    bare = SalesforceState.seeded(seed=3, companies=10, as_of=AS_OF, with_icp_fields=False)

    assert not [name for name in bare.fields("Account") if name.startswith("ICP_")]
    assert not [name for name in bare.snapshot("Lead")[0] if name.startswith("ICP_")]


@pytest.mark.parametrize("per_company", [0.0, 0.5, 2.0])
def test_given_leads_per_company_when_seeded_then_about_that_many_with_the_same_mix(
    per_company: float,
) -> None:
    companies = 300
    seeded = SalesforceState.seeded(
        seed=3, companies=companies, as_of=AS_OF, leads_per_company=per_company
    )

    leads = seeded.snapshot("Lead")
    domains = {str(a["Website"]).removeprefix("https://www.") for a in seeded.snapshot("Account")}
    matching = [le for le in leads if str(le["Email"]).split("@")[1] in domains]
    own = [le for le in leads if le not in matching]
    assert companies * per_company * 0.97 <= len(leads) <= companies * per_company
    assert len(own) == int(companies * per_company / 3)
    assert all(le["Website"] is None and le["NumberOfEmployees"] is None for le in matching)
    assert all(le["Website"] and le["NumberOfEmployees"] for le in own)
    assert len({le["Id"] for le in leads}) == len(leads)
    assert len({le["Email"] for le in matching}) == len(matching)


def test_given_the_default_lead_rate_when_seeded_then_one_lead_for_every_third_live_company(
    org: SalesforceState,
) -> None:
    data = generate(3, 150, as_of=AS_OF)
    matched = [c.name for c in data.companies if c.index % 3 == 0 and not c.archived]
    leads = org.snapshot("Lead")
    assert [le["Company"] for le in leads[: len(matched)]] == matched
    assert len(leads) == len(matched) + 150 // 6


def test_given_a_locked_row_when_updated_then_unable_to_lock_row(org: SalesforceState) -> None:
    account_id = str(org.snapshot("Account")[0]["Id"])
    org.locked.add(account_id)

    with pytest.raises(SalesforceError) as caught:
        org.update("Account", account_id, {"ICP_Fit_Score__c": 1.0})

    assert caught.value.code == "UNABLE_TO_LOCK_ROW"
    assert account_id in caught.value.message
    org.locked.clear()
    assert org.update("Account", account_id, {"ICP_Fit_Score__c": 1.0})["ICP_Fit_Score__c"] == 1.0


def test_given_a_lead_when_converted_then_it_is_flagged_stamped_and_read_only(
    org: SalesforceState,
) -> None:
    lead = org.snapshot("Lead")[0]
    account_id = str(org.snapshot("Account")[0]["Id"])

    converted = org.convert_lead(str(lead["Id"]), account_id)

    assert converted["IsConverted"] is True
    assert converted["Status"] == "Closed - Converted"
    assert converted["ConvertedAccountId"] == account_id
    assert converted["SystemModstamp"] > lead["SystemModstamp"]
    with pytest.raises(SalesforceError) as caught:
        org.update("Lead", str(lead["Id"]), {"ICP_Fit_Score__c": 1.0})
    assert caught.value.code == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_given_a_restricted_multipicklist_when_written_then_each_value_is_checked(
    org: SalesforceState,
) -> None:
    org.add_custom_field(
        "Account",
        FieldDef(
            "Regions__c", "multipicklist", custom=True, picklist=("EU", "US"), restricted=True
        ),
    )
    account_id = str(org.snapshot("Account")[0]["Id"])

    assert org.update("Account", account_id, {"Regions__c": "EU;US"})["Regions__c"] == "EU;US"
    with pytest.raises(SalesforceError) as caught:
        org.update("Account", account_id, {"Regions__c": "EU;APAC"})
    assert caught.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
