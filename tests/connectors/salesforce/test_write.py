"""SalesforceConnector writeback against the HTTPS sandbox: rendering, sObject Collections of 200,
per-record failures, lead routing on the first write of a new lead only, and the daily limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import AuthError
from connectors.records import AccountType, PropertyUpdate
from connectors.salesforce.render import render_score
from connectors.salesforce.schema import REASONS_LENGTH
from connectors.salesforce.write import CollectionWriter, payload
from connectors.text import utf16_length
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.salesforce import OrgFactory, SalesforceFactory, a_score


def update(object_type: AccountType, crm_id: str, **values: str) -> PropertyUpdate:
    rendered = dict(render_score(a_score()))
    rendered.update(values)
    return PropertyUpdate(object_type, crm_id, rendered)


# -- rendering --------------------------------------------------------------------------------


def test_given_a_score_when_rendered_then_the_seven_icp_fields_as_strings() -> None:
    rendered = render_score(a_score(disqualified=True, tier="disqualified", flags=("a", "b", "a")))

    assert rendered == {
        "ICP_Fit_Score__c": "87",
        "ICP_Tier__c": "disqualified",
        "ICP_Disqualified__c": "true",
        "ICP_Flags__c": "a;b",
        "ICP_Reasons__c": "Industry: Technology (exact match) +25\nEmployees: 250 +20",
        "ICP_Scored_At__c": "2026-11-01T08:30:05.123Z",
        "ICP_Rubric_Version__c": "2026.11-acme",
    }


def test_given_huge_reasons_and_a_long_version_when_rendered_then_they_fit_their_fields() -> None:
    rendered = render_score(
        a_score(reasons=tuple("🏢 reason " * 400 for _ in range(30)), rubric_version="v" * 100)
    )

    assert utf16_length(rendered["ICP_Reasons__c"]) <= REASONS_LENGTH
    assert rendered["ICP_Reasons__c"].endswith("more not shown")
    assert rendered["ICP_Rubric_Version__c"] == "v" * 64


def test_given_rendered_values_when_sent_then_each_field_gets_its_json_type() -> None:
    sent = payload(render_score(a_score()))

    assert sent["ICP_Fit_Score__c"] == 87.0
    assert sent["ICP_Disqualified__c"] is False
    assert sent["ICP_Flags__c"] is None
    assert sent["ICP_Tier__c"] == "tier_1"
    assert payload({"ICP_Fit_Score__c": "", "ICP_Disqualified__c": "maybe"}) == {
        "ICP_Fit_Score__c": None,
        "ICP_Disqualified__c": "maybe",
    }
    assert payload({"ICP_Fit_Score__c": "nan"}) == {"ICP_Fit_Score__c": "nan"}


# -- collections ------------------------------------------------------------------------------


def test_given_201_updates_when_written_then_two_collection_calls_and_all_land(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(companies=210, deals_per_company=0)
    ids = [str(a["Id"]) for a in org.salesforce.snapshot("Account")][:201]
    connector = connect(org)
    used = org.usage.used

    outcomes = connector.write([update("account", i) for i in ids])

    assert [o.crm_id for o in outcomes] == ids
    assert all(o.written for o in outcomes)
    assert org.usage.used - used == 2
    assert connector.stats.calls == 1 + 2  # token, two collections
    stored = org.salesforce.get("Account", ids[200])
    assert stored["ICP_Fit_Score__c"] == 87.0
    assert stored["ICP_Tier__c"] == "tier_1"
    assert stored["ICP_Disqualified__c"] is False
    assert stored["ICP_Scored_At__c"] == int(
        datetime(2026, 11, 1, 8, 30, 5, 123000, tzinfo=UTC).timestamp() * 1000
    )


def test_given_one_bad_value_in_a_collection_of_200_when_written_then_it_fails_alone(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(companies=210, deals_per_company=0)
    ids = [str(a["Id"]) for a in org.salesforce.snapshot("Account")][:200]
    updates = [update("account", i) for i in ids]
    updates[57] = update("account", ids[57], ICP_Tier__c="tier_9")
    connector = connect(org)

    outcomes = connector.write(updates)

    assert sum(o.written for o in outcomes) == 199
    bad = outcomes[57]
    assert (bad.crm_id, bad.written, bad.retryable) == (ids[57], False, False)
    assert bad.error is not None
    assert bad.error.startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: ")
    assert "ICP_Tier__c='tier_9'" in bad.error
    assert connector.stats.calls == 1 + 1
    assert org.salesforce.get("Account", ids[57])["ICP_Tier__c"] is None
    assert org.salesforce.get("Account", ids[58])["ICP_Tier__c"] == "tier_1"


def test_given_accounts_and_leads_mixed_when_written_then_one_collection_serves_both(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    account = str(org.salesforce.snapshot("Account")[0]["Id"])
    lead = str(org.salesforce.snapshot("Lead")[0]["Id"])
    connector = connect(org)

    outcomes = connector.write([update("account", account), update("lead", lead)])

    assert [o.written for o in outcomes] == [True, True]
    assert connector.stats.calls == 2
    assert org.salesforce.get("Lead", lead)["ICP_Fit_Score__c"] == 87.0


def test_given_the_same_record_twice_when_written_then_two_collections_in_order(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    account = str(org.salesforce.snapshot("Account")[0]["Id"])
    connector = connect(org)

    outcomes = connector.write(
        [update("account", account, ICP_Fit_Score__c="10"), update("account", account)]
    )

    assert [o.written for o in outcomes] == [True, True]
    assert connector.stats.calls == 1 + 2
    assert org.salesforce.get("Account", account)["ICP_Fit_Score__c"] == 87.0


def test_given_updates_salesforce_cannot_take_when_written_then_not_written_and_not_sent(
    shared_org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    account = str(shared_org.salesforce.snapshot("Account")[0]["Id"])
    lead = str(shared_org.salesforce.snapshot("Lead")[0]["Id"])
    connector = connect(shared_org)

    outcomes = connector.write(
        [
            update("company", account),
            update("account", lead),
            update("lead", "00Q' OR Id != '"),
        ]
    )

    assert [(o.written, o.retryable) for o in outcomes] == [(False, False)] * 3
    assert outcomes[0].error == "Salesforce has no 'company' records"
    assert outcomes[1].error == f"{lead!r} is not a Salesforce Account id"
    assert connector.stats.calls == 0


def test_given_a_locked_row_and_a_converted_lead_when_written_then_only_the_lock_is_retryable(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    state = org.salesforce
    locked = str(state.snapshot("Account")[1]["Id"])
    state.locked.add(locked)
    converted = str(state.snapshot("Lead")[0]["Id"])
    state.convert_lead(converted)
    fine = str(state.snapshot("Account")[2]["Id"])

    outcomes = connect(org).write(
        [update("account", locked), update("lead", converted), update("account", fine)]
    )

    assert [(o.written, o.retryable) for o in outcomes] == [
        (False, True),
        (False, False),
        (True, False),
    ]
    assert outcomes[0].error is not None
    assert outcomes[0].error.startswith("UNABLE_TO_LOCK_ROW: ")
    assert outcomes[1].error is not None
    assert outcomes[1].error.startswith("CANNOT_UPDATE_CONVERTED_LEAD: ")


def test_given_server_errors_outlasting_retries_when_written_then_the_batch_is_retryable(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    accounts = [str(a["Id"]) for a in org.salesforce.snapshot("Account")[:3]]
    connector = connect(org)
    org.faults.fail_next(4, status=503, path="composite")

    outcomes = connector.write([update("account", i) for i in accounts])

    assert [(o.written, o.retryable) for o in outcomes] == [(False, True)] * 3
    assert all("SERVER_UNAVAILABLE" in (o.error or "") for o in outcomes)
    assert connector.stats.retries == 3


def test_given_the_daily_limit_runs_out_mid_write_when_written_then_the_rest_is_retryable_unsent(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(companies=450, deals_per_company=0)
    ids = [str(a["Id"]) for a in org.salesforce.snapshot("Account")][:420]
    org.usage.used = org.usage.daily_limit - 1  # one call left
    connector = connect(org)

    outcomes = connector.write([update("account", i) for i in ids])

    assert all(o.written for o in outcomes[:200])
    rest = outcomes[200:]
    assert all(not o.written and o.retryable for o in rest)
    assert "daily API request limit is exhausted" in (rest[0].error or "")
    assert connector.stats.calls == 1 + 2  # token, one collection, one refused: not a third
    assert connector.stats.retries == 0


def test_given_a_revoked_app_when_writing_then_auth_error_is_raised(
    org: RunningSalesforce, connect: SalesforceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = str(org.salesforce.snapshot("Account")[0]["Id"])
    connector = connect(org)
    monkeypatch.setattr(org.auth, "client_secret", "rotated-by-an-admin")

    with pytest.raises(AuthError):
        connector.write([update("account", account)])


# -- routing ------------------------------------------------------------------------------------


def test_given_routine_and_new_lead_writes_when_written_then_only_the_new_lead_is_routed(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    state = org.salesforce
    leads = state.snapshot("Lead")
    routine, new = str(leads[0]["Id"]), str(leads[1]["Id"])
    owner = leads[0]["OwnerId"]
    new_account = str(state.snapshot("Account")[0]["Id"])
    connector = connect(org)
    used = org.usage.used

    outcomes = connector.write(
        [
            update("lead", routine),
            PropertyUpdate("lead", new, render_score(a_score()), new_record=True),
            PropertyUpdate("account", new_account, render_score(a_score()), new_record=True),
        ]
    )

    assert all(o.written for o in outcomes)
    assert state.get("Lead", routine)["OwnerId"] == owner
    assert state.get("Lead", routine)["ICP_Tier__c"] == "tier_1"
    assert state.get("Lead", new)["OwnerId"] == state.queues["Enterprise"]
    assert org.usage.used - used == 2  # one single PATCH for the new lead, one collection


def test_given_routing_switched_off_when_a_new_lead_is_written_then_its_owner_stays(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    lead = org.salesforce.snapshot("Lead")[3]
    connector = connect(org, assign_new_leads=False)

    outcomes = connector.write(
        [PropertyUpdate("lead", str(lead["Id"]), render_score(a_score()), new_record=True)]
    )

    assert outcomes[0].written
    assert org.salesforce.get("Lead", str(lead["Id"]))["OwnerId"] == lead["OwnerId"]


def test_given_a_new_lead_with_a_refused_value_when_routed_then_it_fails_with_the_field(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    lead = org.salesforce.snapshot("Lead")[4]

    outcomes = connect(org).write(
        [
            PropertyUpdate(
                "lead",
                str(lead["Id"]),
                {**render_score(a_score()), "ICP_Tier__c": "gold"},
                new_record=True,
            )
        ]
    )

    assert (outcomes[0].written, outcomes[0].retryable) == (False, False)
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in (outcomes[0].error or "")
    assert "ICP_Tier__c='gold'" in (outcomes[0].error or "")
    assert org.salesforce.get("Lead", str(lead["Id"]))["OwnerId"] == lead["OwnerId"]


class RecordingClient:
    """Stands in for SalesforceClient: records each collection and accepts every record."""

    def __init__(self) -> None:
        self.collections: list[list[dict[str, Any]]] = []

    def update_collection(
        self, records: list[dict[str, Any]], *, auto_assign: bool
    ) -> list[dict[str, object]]:
        assert auto_assign is False
        self.collections.append(records)
        return [{"id": r["id"], "success": True, "errors": []} for r in records]


def test_given_interleaved_accounts_and_leads_when_written_then_grouped_by_type_per_collection() -> (
    None
):
    accounts = [make_id("001", n) for n in range(150)]
    leads = [make_id("00Q", n) for n in range(150)]
    kinds: tuple[AccountType, AccountType] = ("account", "lead")
    updates = [
        update(kind, crm_id)
        for pair in zip(accounts, leads, strict=True)
        for kind, crm_id in zip(kinds, pair, strict=True)
    ]
    client = RecordingClient()

    outcomes = CollectionWriter(client).write(updates)  # type: ignore[arg-type]

    assert [o.crm_id for o in outcomes] == [u.crm_id for u in updates]
    assert all(o.written for o in outcomes)
    assert [len(c) for c in client.collections] == [200, 100]
    for collection in client.collections:
        types = [r["attributes"]["type"] for r in collection]
        assert types == sorted(types)  # one Account chunk, then one Lead chunk
