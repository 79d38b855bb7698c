"""SalesforceConnector pulls and reads against the HTTPS sandbox: full and incremental pulls of
Accounts, Leads and Opportunities, deleted and converted records, cursors, and ids."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from connectors.errors import RejectedError
from connectors.records import Cursor
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.values import sf_datetime
from tests.support.salesforce import OrgFactory, SalesforceFactory, final_cursor, records_of, stamp


def cursor_key(cursor: Cursor | None) -> tuple[datetime, str]:
    assert cursor is not None
    return (cursor.modified_at, cursor.crm_id)


def test_given_accounts_when_fully_pulled_then_each_live_one_comes_once_in_id_order(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    state = org.salesforce
    state.delete("Account", str(state.snapshot("Account")[3]["Id"]))
    live = state.snapshot("Account")

    pages = list(connect(org).pull_accounts(None))

    records = records_of(pages)
    assert [r.crm_id for r in records] == sorted(str(a["Id"]) for a in live)
    assert not any(r.archived for r in records)
    assert all(r.object_type == "account" and r.source == "salesforce" for r in records)
    assert len(pages) == -(-len(live) // 10)  # the org serves 10 records a page
    assert [(p.cursor, p.resume is None) for p in pages[:-1]] == [(None, False)] * (len(pages) - 1)
    assert pages[-1].resume is None
    newest = max(live, key=stamp)  # the last page's cursor: the newest modification
    assert sf_datetime(int(newest["SystemModstamp"])).startswith(
        final_cursor(pages).modified_at.strftime("%Y-%m-%dT%H:%M:%S")
    )


def test_given_a_full_pull_cut_short_when_resumed_then_only_the_rest_is_read_and_changes_behind_come_next(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)
    first_run = connector.pull_accounts(None)
    done = [next(first_run), next(first_run)]  # then the process dies
    behind = done[0].records[0].crm_id
    org.salesforce.update("Account", behind, {"NumberOfEmployees": 4321})  # behind the point
    queries = org.usage.used

    rest = list(connect(org).pull_accounts(None, resume=done[-1].resume))

    ids = [r.crm_id for r in records_of(done + rest)]
    assert sorted(ids) == sorted(str(a["Id"]) for a in org.salesforce.snapshot("Account"))
    assert len(ids) == len(set(ids))  # nothing read twice
    assert org.usage.used - queries == len(rest) + 1  # describe, then the rest's pages only
    changed = records_of(list(connector.pull_accounts(final_cursor(rest))))
    assert [r.employees for r in changed if r.crm_id == behind] == [4321]


def test_given_leads_when_fully_pulled_then_converted_ones_are_left_out(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    state = org.salesforce
    converted = str(state.snapshot("Lead")[0]["Id"])
    state.convert_lead(converted, str(state.snapshot("Account")[0]["Id"]))

    records = records_of(list(connect(org).pull_accounts(None, "lead")))

    expected = {str(le["Id"]) for le in state.snapshot("Lead") if not le["IsConverted"]}
    assert {r.crm_id for r in records} == expected
    assert converted not in expected
    assert all(r.object_type == "lead" for r in records)
    assert any(r.title for r in records)


def test_given_a_change_when_pulled_incrementally_then_it_and_its_overlap_come_and_cursor_moves(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    overlap = timedelta(minutes=5)
    connector = connect(org, overlap=overlap)
    cursor = final_cursor(list(connector.pull_accounts(None)))
    state = org.salesforce
    touched = str(state.snapshot("Account")[7]["Id"])
    state.update("Account", touched, {"Industry": "Technology", "NumberOfEmployees": 4321})
    window = int((cursor.modified_at - overlap).timestamp() * 1000)
    expected = {str(a["Id"]) for a in state.snapshot("Account") if a["SystemModstamp"] >= window}

    pages = list(connector.pull_accounts(cursor))

    records = records_of(pages)
    assert {r.crm_id for r in records} == expected
    assert touched in expected
    assert len(expected) < 10  # the overlap re-reads a few, not the org
    changed = next(r for r in records if r.crm_id == touched)
    assert (changed.industry, changed.employees) == ("Technology", 4321)
    newest = final_cursor(pages)
    assert newest.crm_id == touched
    assert cursor_key(newest) > cursor_key(cursor)
    assert all(cursor_key(p.cursor) >= cursor_key(cursor) for p in pages)


def test_given_nothing_changed_when_pulled_incrementally_then_the_cursor_stays(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org, overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))

    pages = list(connector.pull_accounts(cursor))

    assert [r.crm_id for r in records_of(pages)] == [cursor.crm_id]  # the closed start
    assert [p.cursor for p in pages] == [cursor]


def test_given_a_naive_cursor_from_the_store_when_pulled_then_it_is_read_as_utc(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org, overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    naive = Cursor(cursor.modified_at.replace(tzinfo=None), cursor.crm_id)

    pages = list(connector.pull_accounts(naive))

    assert [p.cursor for p in pages] == [cursor]


def test_given_a_deleted_account_when_pulled_incrementally_then_it_comes_archived_via_query_all(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)
    cursor = final_cursor(list(connector.pull_accounts(None)))
    victim = str(org.salesforce.snapshot("Account")[4]["Id"])
    org.salesforce.delete("Account", victim)

    records = records_of(list(connector.pull_accounts(cursor)))

    deleted = next(r for r in records if r.crm_id == victim)
    assert deleted.archived is True
    assert deleted.properties["IsDeleted"] == "true"
    assert victim not in {r.crm_id for r in records_of(list(connector.pull_accounts(None)))}


def test_given_a_converted_lead_when_pulled_incrementally_then_it_comes_archived(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)
    cursor = final_cursor(list(connector.pull_accounts(None, "lead")))
    lead = str(org.salesforce.snapshot("Lead")[2]["Id"])
    org.salesforce.convert_lead(lead)

    pages = list(connector.pull_accounts(cursor, "lead"))

    converted = next(r for r in records_of(pages) if r.crm_id == lead)
    assert converted.archived is True
    assert converted.properties["IsConverted"] == "true"
    assert final_cursor(pages).crm_id == lead


def test_given_opportunities_when_pulled_then_deals_carry_their_account_and_outcome(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    live = shared_org.salesforce.snapshot("Opportunity")

    deals = records_of(list(connect(shared_org).pull_deals(None)))

    assert Counter(d.crm_id for d in deals) == Counter(str(o["Id"]) for o in live)
    by_id = {str(o["Id"]): o for o in live}
    for deal in deals:
        source = by_id[deal.crm_id]
        assert deal.account_ids == (source["AccountId"],)
        assert (deal.is_closed, deal.is_won) == (source["IsClosed"], source["IsWon"])
        assert deal.stage == source["StageName"]
    assert any(d.is_won for d in deals)
    assert any(d.is_closed and not d.is_won for d in deals)


def test_given_a_deleted_opportunity_when_pulled_incrementally_then_archived(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org)
    cursor = final_cursor(list(connector.pull_deals(None)))
    victim = str(org.salesforce.snapshot("Opportunity")[0]["Id"])
    org.salesforce.delete("Opportunity", victim)

    deals = records_of(list(connector.pull_deals(cursor)))

    assert [d.archived for d in deals if d.crm_id == victim] == [True]


def test_given_ids_of_every_kind_when_fetched_then_live_accounts_and_leads_in_the_order_asked(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    state = org.salesforce
    accounts = [str(a["Id"]) for a in state.snapshot("Account")[:3]]
    lead = str(state.snapshot("Lead")[1]["Id"])
    deleted = str(state.snapshot("Account")[5]["Id"])
    state.delete("Account", deleted)
    opportunity = str(state.snapshot("Opportunity")[0]["Id"])
    unknown = "0015e00000ZZZZZ"  # well-formed, in no org
    asked = [lead, accounts[2], accounts[0][:15], deleted, opportunity, unknown, accounts[1], lead]

    found = connect(org).fetch_accounts(asked)

    assert [a.crm_id for a in found] == [lead, accounts[2], accounts[0], accounts[1]]
    assert [a.object_type for a in found] == ["lead", "account", "account", "account"]


def test_given_a_soql_injection_attempt_as_id_when_fetched_then_nothing_is_sent_or_returned(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(shared_org)
    used = shared_org.usage.used

    found = connector.fetch_accounts(
        ["001' OR Name != '", "00Q') OR (Id != '", "001\\' OR Name != \\'", ""]
    )

    assert found == []
    assert connector.stats.calls == 0
    assert shared_org.usage.used == used


def test_given_more_ids_than_an_in_list_takes_when_fetched_then_chunked_queries(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(companies=230, deals_per_company=0)
    ids = [str(a["Id"]) for a in org.salesforce.snapshot("Account")]
    connector = connect(org)

    found = connector.fetch_accounts(ids)

    assert [a.crm_id for a in found] == ids
    assert connector.stats.calls == 1 + 1 + 2  # token, describe, two IN queries of ≤ 200


def test_given_rubric_extra_fields_when_pulled_then_those_that_exist_are_selected(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(shared_org, extra_fields=["Buying_Signals__c", "Status"])

    accounts = records_of(list(connector.pull_accounts(None)))
    leads = records_of(list(connector.pull_accounts(None, "lead")))

    assert any(a.properties.get("Buying_Signals__c") for a in accounts)
    assert all("Status" not in a.properties for a in accounts)  # a Lead field only
    assert all("Buying_Signals__c" not in le.properties for le in leads)
    assert all(le.properties.get("Status") for le in leads)


def test_given_an_extra_field_on_neither_object_when_pulled_then_rejected_naming_it(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(shared_org, extra_fields=["Buying_Signals__c", "Intent_Score__c"])

    with pytest.raises(RejectedError, match="Intent_Score__c") as caught:
        list(connector.pull_accounts(None))

    assert "Buying_Signals__c" not in str(caught.value)


@pytest.mark.parametrize("name", ["Name, (SELECT Id FROM Contacts)", "Id FROM Lead --", "a b"])
def test_given_an_extra_field_that_is_no_api_name_when_constructed_then_value_error(
    shared_org: RunningSalesforce, connect: SalesforceFactory, name: str
) -> None:
    with pytest.raises(ValueError, match="not a Salesforce field"):
        connect(shared_org, extra_fields=[name])


def test_given_an_org_without_icp_fields_when_pulled_then_the_query_leaves_them_out(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False)

    accounts = records_of(list(connect(org).pull_accounts(None)))

    assert accounts
    assert all(not any(k.startswith("ICP_") for k in a.properties) for a in accounts)


def test_given_an_unknown_object_type_when_pulled_then_value_error(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    with pytest.raises(ValueError, match="no 'company' records"):
        connect(shared_org).pull_accounts(None, "company")


def test_given_the_full_pull_cursor_when_a_record_changes_during_the_pull_then_next_pull_has_it(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    connector = connect(org, overlap=timedelta(0))
    pages = connector.pull_accounts(None)
    first = next(pages)
    early = first.records[0].crm_id  # already delivered, now modified mid-pull
    org.salesforce.update("Account", early, {"BillingCity": "Lisbon"})
    cursor = final_cursor([first, *list(pages)])

    again = records_of(list(connector.pull_accounts(cursor)))

    assert early in {r.crm_id for r in again}
