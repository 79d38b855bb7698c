"""HubSpotConnector against the loopback HubSpot sandbox: real HTTP, the official client."""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import AccountScore
from connectors.errors import AuthError, QuotaExhaustedError
from connectors.hubspot.connector import HubSpotConnector
from connectors.records import CrmDeal, Cursor, PropertyUpdate
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import (
    FLAGS,
    ConnectorFactory,
    RecordingSleep,
    final_cursor,
    records_of,
    set_modified,
)

SCORED_AT = datetime(2024, 9, 1, 8, 30, tzinfo=UTC)


def a_score(**overrides: Any) -> AccountScore:
    default = AccountScore(
        score=74,
        tier="tier_1",
        disqualified=False,
        flags=(),
        reasons=("Industry: Computer Software (exact match) +25",),
        rubric_version="2024.09",
        scored_at=SCORED_AT,
    )
    return replace(default, **overrides)


# -- pulls ------------------------------------------------------------------------------------


def test_given_live_and_archived_companies_when_fully_pulled_then_each_comes_exactly_once(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    state = sandbox.hubspot
    state.archive_company(state.company_ids()[10])
    live, archived = state.company_ids(), state.company_ids(archived=True)
    connector = make_connector()

    pages = list(connector.pull_accounts(None))

    records = records_of(pages)
    assert Counter(r.crm_id for r in records) == Counter(live + archived)
    assert {r.crm_id for r in records if r.archived} == set(archived)
    assert len(archived) >= 2  # the seed archives some, plus ours
    assert connector.stats.calls == 1 + math.ceil(len(live) / 100) + math.ceil(len(archived) / 100)


def test_given_a_full_pull_when_paged_then_only_the_last_page_carries_the_newest_cursor(
    make_connector: ConnectorFactory,
) -> None:
    pages = list(make_connector(page_size=50).pull_accounts(None))

    assert [page.cursor for page in pages[:-1]] == [None] * (len(pages) - 1)
    live = [r for r in records_of(pages) if not r.archived]
    newest = max(live, key=lambda r: (r.modified_at, r.crm_id))
    assert final_cursor(pages).modified_at == newest.modified_at


def test_given_touched_companies_when_pulled_incrementally_then_only_those_and_the_overlap_come(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    overlap = timedelta(seconds=30)
    connector = make_connector(overlap=overlap)
    full = list(connector.pull_accounts(None))
    cursor = final_cursor(full)
    in_overlap = {
        r.crm_id for r in records_of(full) if r.modified_at >= cursor.modified_at - overlap
    }
    touched = sandbox.hubspot.company_ids()[20:25]
    for company_id in touched:
        sandbox.hubspot.touch_company(company_id, industry="INTERNET")
    assert sandbox.wait_search_indexed()

    pages = list(connector.pull_accounts(cursor))

    ids = [r.crm_id for r in records_of(pages)]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(touched) | in_overlap
    assert len(in_overlap) < 10  # the overlap re-reads a handful, not the portal
    assert all(r.industry == "INTERNET" for r in records_of(pages) if r.crm_id in touched)
    newest = final_cursor(pages)
    assert newest.crm_id == touched[-1]  # the last touched is the newest
    cursors = [p.cursor for p in pages if p.cursor is not None]
    assert len(cursors) == len(pages)
    assert cursors == sorted(cursors, key=lambda c: (c.modified_at, c.crm_id))


def test_given_nothing_changed_when_pulled_incrementally_then_only_the_overlap_is_reread(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector(overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))

    pages = list(connector.pull_accounts(cursor))

    assert [r.modified_at for r in records_of(pages)] == [cursor.modified_at]  # closed start
    assert all(p.cursor == cursor for p in pages)


def test_given_a_naive_cursor_from_the_store_when_pulled_then_it_is_read_as_utc(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    naive = Cursor(cursor.modified_at.replace(tzinfo=None), cursor.crm_id)
    sandbox.hubspot.touch_company(sandbox.hubspot.company_ids()[7], city="Rome")
    assert sandbox.wait_search_indexed()

    pages = list(connector.pull_accounts(naive))

    assert {r.crm_id for r in records_of(pages)} == {
        cursor.crm_id,
        sandbox.hubspot.company_ids()[7],
    }
    assert all(p.cursor is not None and p.cursor.modified_at.tzinfo is not None for p in pages)


def test_given_a_tie_group_larger_than_a_page_when_pulled_then_none_is_missed_or_repeated(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(page_size=3, overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    tied = sandbox.hubspot.company_ids()[30:38]  # 8 records, one millisecond
    set_modified(sandbox, tied, datetime.now(UTC) + timedelta(seconds=5))
    later = sandbox.hubspot.company_ids()[40]
    sandbox.hubspot.touch_company(later, city="Lyon")
    assert sandbox.wait_search_indexed()

    ids = [r.crm_id for r in records_of(list(connector.pull_accounts(cursor)))]

    assert Counter(ids) == Counter([cursor.crm_id, *tied, later])


def test_given_a_pull_stopped_inside_a_tie_group_when_resumed_from_its_cursor_then_none_is_missed(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(page_size=3, overlap=timedelta(0))
    start = final_cursor(list(connector.pull_accounts(None)))
    tied = sandbox.hubspot.company_ids()[50:57]
    set_modified(sandbox, tied, datetime.now(UTC) + timedelta(seconds=5))
    assert sandbox.wait_search_indexed()

    first_page = next(iter(connector.pull_accounts(start)))  # then the process dies
    assert first_page.cursor is not None
    resumed = records_of(list(connector.pull_accounts(first_page.cursor)))

    assert set(tied) <= {r.crm_id for r in [*first_page.records, *resumed]}


@pytest.mark.slow  # waits twice for search's 3-second lag
def test_given_records_modified_during_an_incremental_pull_when_paged_then_none_is_skipped(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(page_size=10, overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    touched = sandbox.hubspot.company_ids()[60:100]
    for company_id in touched:
        sandbox.hubspot.touch_company(company_id, city="Oslo")
    assert sandbox.wait_search_indexed()

    seen: list[str] = []
    for number, page in enumerate(connector.pull_accounts(cursor)):
        seen.extend(r.crm_id for r in page.records)
        if number == 0:  # a writeback lands on a record of the first page mid-pull
            sandbox.hubspot.touch_company(page.records[-1].crm_id, city="Bergen")
            assert sandbox.wait_search_indexed()  # and reaches search before the next page

    assert set(touched) <= set(seen)  # offset paging would skip one record here


def test_given_a_tie_group_past_the_search_cap_when_pulled_then_the_list_fallback_finds_all(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(page_size=3, overlap=timedelta(0), search_cap=6)
    cursor = final_cursor(list(connector.pull_accounts(None)))
    tied = sandbox.hubspot.company_ids()[100:112]
    set_modified(sandbox, tied, datetime.now(UTC) + timedelta(seconds=5))
    assert sandbox.wait_search_indexed()

    ids = [r.crm_id for r in records_of(list(connector.pull_accounts(cursor)))]

    assert Counter(ids) == Counter([cursor.crm_id, *tied])


def test_given_a_company_archived_after_a_sync_when_pulled_incrementally_then_it_comes_archived(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    gone = sandbox.hubspot.company_ids()[5]
    sandbox.hubspot.archive_company(gone)
    assert sandbox.wait_search_indexed()

    pages = list(connector.pull_accounts(cursor))

    archived = [(r, p.cursor) for p in pages for r in p.records if r.crm_id == gone]
    assert len(archived) == 1
    record, page_cursor = archived[0]
    assert record.archived is True
    assert page_cursor == cursor  # archived pages never move the cursor


def test_given_deals_when_fully_pulled_then_each_carries_its_company_ids(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    state = sandbox.hubspot
    deals = records_of(list(make_connector().pull_deals(None)))

    assert len(deals) == state.count("deals") + state.count("deals", archived=True)
    by_id = {d.crm_id: d for d in deals}
    assert all(isinstance(d, CrmDeal) for d in deals)
    archived = set(state.company_ids(archived=True))
    linked = {
        deal_id: [c for c in state.associated_company_ids(deal_id) if c not in archived]
        for deal_id in state.deal_ids()
    }  # HubSpot hides associations to archived records
    assert sum(1 for ids in linked.values() if ids) > 100
    assert {deal_id: list(by_id[deal_id].account_ids) for deal_id in linked} == linked


def test_given_a_touched_deal_when_pulled_incrementally_then_its_company_ids_come_from_search_path(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    state = sandbox.hubspot
    connector = make_connector(overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_deals(None)))
    deal_id = next(d for d in state.deal_ids() if state.associated_company_ids(d))
    state.touch_deal(deal_id, amount="4321")
    assert sandbox.wait_search_indexed()

    deals = {d.crm_id: d for d in records_of(list(connector.pull_deals(cursor)))}

    assert deals[deal_id].amount == 4321
    assert list(deals[deal_id].account_ids) == state.associated_company_ids(deal_id)


def test_given_known_and_unknown_ids_when_fetched_then_known_ones_come_in_order(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    ids = sandbox.hubspot.company_ids()[:150]
    connector = make_connector()

    accounts = connector.fetch_accounts([ids[149], "999999999", *ids[:149]])

    assert [a.crm_id for a in accounts] == [ids[149], *ids[:149]]
    assert connector.stats.calls == 2


# -- writes -----------------------------------------------------------------------------------


@pytest.fixture
def big_sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=11, companies=300)


def test_given_250_updates_when_written_then_three_batch_calls_land_every_value(
    big_sandbox: RunningSandbox,
) -> None:
    with HubSpotConnector(big_sandbox.hubspot_url, big_sandbox.hubspot_token, flags=FLAGS) as hs:
        hs.ensure_schema()
        ids = big_sandbox.hubspot.company_ids()[:250]
        rendered = {
            company_id: hs.render_score(a_score(score=n % 101, tier=f"tier_{n % 3 + 1}"))
            for n, company_id in enumerate(ids)
        }
        before = big_sandbox.hubspot.stats.calls("batch/update")

        outcomes = hs.write([PropertyUpdate("company", i, rendered[i]) for i in ids])

        assert big_sandbox.hubspot.stats.calls("batch/update") - before == 3
        assert [(o.crm_id, o.written, o.error) for o in outcomes] == [(i, True, None) for i in ids]
        read_back = {a.crm_id: a.properties for a in hs.fetch_accounts(ids)}
        for company_id in ids:
            for name, value in rendered[company_id].items():
                assert read_back[company_id][name] == (value or None), (company_id, name)


def test_given_one_invalid_record_in_a_batch_when_written_then_the_rest_land_and_it_is_named(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    ids = sandbox.hubspot.company_ids()[:100]
    good = connector.render_score(a_score())
    updates = [PropertyUpdate("company", i, good) for i in ids]
    updates[37] = PropertyUpdate("company", ids[37], {**good, "icp_tier": "tier_9"})
    before = sandbox.hubspot.stats.calls("batch/update")

    outcomes = connector.write(updates)

    assert [o.crm_id for o in outcomes] == ids
    assert [o.written for o in outcomes] == [i != 37 for i in range(100)]
    error = outcomes[37].error or ""
    assert "icp_tier" in error
    assert "tier_9" in error
    assert outcomes[37].retryable is False
    assert sandbox.hubspot.company(ids[36])["icp_tier"] == "tier_1"
    assert "icp_tier" not in sandbox.hubspot.company(ids[37])
    assert sandbox.hubspot.stats.calls("batch/update") - before <= 3


def test_given_refusals_that_quote_no_value_when_written_then_bisection_isolates_them(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    ids = sandbox.hubspot.company_ids()[:40]
    good = connector.render_score(a_score())
    updates = [PropertyUpdate("company", i, good) for i in ids]
    for bad in (3, 29):  # STRING_TOO_LONG names the property, not the value
        updates[bad] = PropertyUpdate("company", ids[bad], {**good, "icp_reasons": "x" * 70_000})
    before = sandbox.hubspot.stats.calls("batch/update")

    outcomes = connector.write(updates)

    assert [o.written for o in outcomes] == [i not in (3, 29) for i in range(40)]
    assert "icp_reasons='xxx" in (outcomes[3].error or "")
    assert len(outcomes[3].error or "") < 1000  # the 70,000-character value is cut short
    assert sandbox.hubspot.company(ids[4])["icp_fit_score"] == "74"
    assert sandbox.hubspot.stats.calls("batch/update") - before > 3  # it really bisected


def test_given_values_hubspot_refuses_by_name_when_written_then_each_is_named_in_few_calls(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    ids = sandbox.hubspot.company_ids()[:100]
    good = connector.render_score(a_score())
    updates = [PropertyUpdate("company", i, good) for i in ids]
    bad = {
        10: ("icp_fit_score", "eighty"),
        20: ("icp_scored_at", "soon"),
        30: ("icp_flags", "too_small;bogus"),
        40: ("icp_fit_score", "eighty"),
    }
    for index, (name, value) in bad.items():
        updates[index] = PropertyUpdate("company", ids[index], {**good, name: value})
    before = sandbox.hubspot.stats.calls("batch/update")

    outcomes = connector.write(updates)

    assert [i for i, o in enumerate(outcomes) if not o.written] == sorted(bad)
    for index, (name, value) in bad.items():
        assert f"{name}={value!r}" in (outcomes[index].error or "")
    assert sandbox.hubspot.stats.calls("batch/update") - before <= 4


def test_given_the_same_record_twice_when_written_then_separate_batches_and_the_last_wins(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    first, second = sandbox.hubspot.company_ids()[:2]
    updates = [
        PropertyUpdate("company", first, {"icp_fit_score": "10"}),
        PropertyUpdate("company", second, {"icp_fit_score": "20"}),
        PropertyUpdate("company", first, {"icp_fit_score": "30"}),
    ]
    before = sandbox.hubspot.stats.calls("batch/update")

    outcomes = connector.write(updates)

    assert [(o.crm_id, o.written) for o in outcomes] == [
        (first, True),
        (second, True),
        (first, True),
    ]
    assert sandbox.hubspot.stats.calls("batch/update") - before == 2
    assert sandbox.hubspot.company(first)["icp_fit_score"] == "30"


def test_given_an_unknown_and_an_archived_record_when_written_then_both_reported_not_written(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    ids = sandbox.hubspot.company_ids()[:3]
    sandbox.hubspot.archive_company(ids[1])
    values = connector.render_score(a_score())

    outcomes = connector.write(
        [PropertyUpdate("company", i, values) for i in [ids[0], ids[1], "999999999", ids[2]]]
    )

    assert [o.written for o in outcomes] == [True, False, False, True]
    assert "OBJECT_NOT_FOUND" in (outcomes[2].error or "")


# -- faults, limits, schema, secrets ------------------------------------------------------------


def test_given_a_429_burst_when_pulling_then_it_is_absorbed_counted_and_nothing_is_lost(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    sleep = RecordingSleep()
    connector = make_connector(sleep=sleep)
    expected = sandbox.hubspot.count("companies") + sandbox.hubspot.count(
        "companies", archived=True
    )
    sandbox.hubspot_faults.fail_next(5, status=429, retry_after=2)
    sandbox.hubspot_faults.fail_next(2, status=503, path="/objects/companies?")

    records = records_of(list(connector.pull_accounts(None)))

    assert len(records) == expected
    assert len({r.crm_id for r in records}) == expected
    assert connector.stats.rate_limited == 5
    assert connector.stats.retries == 7
    assert sleep.retry_waits[:5] == [2.0] * 5  # Retry-After honoured


def test_given_another_client_spent_the_window_without_retry_after_when_pulling_then_one_429(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    limiter = sandbox.hubspot_limiter
    limiter.burst = 2
    limiter.retry_after = False
    for _ in range(2):  # another process on the same token spends the window first
        limiter.admit(sandbox.hubspot_token, search=False)
    sleep = RecordingSleep(on_sleep=lambda _: limiter.reset())  # the window passes at once
    connector = make_connector(sleep=sleep, page_size=50)

    records = records_of(list(connector.pull_accounts(None)))

    assert len(records) == 200
    assert connector.stats.rate_limited == 1  # then the pacer knows the limit: no more 429s
    assert sleep.retry_waits[0] == 10.0  # X-HubSpot-RateLimit-Interval-Milliseconds
    assert all(wait <= 10.0 for wait in sleep.retry_waits)


def test_given_a_burst_limit_of_2_when_pulling_then_the_pacer_waits_instead_of_a_429(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    limiter = sandbox.hubspot_limiter
    limiter.burst = 2
    sleep = RecordingSleep(on_sleep=lambda _: limiter.reset())  # the window passes at once
    connector = make_connector(sleep=sleep, page_size=50)

    records = records_of(list(connector.pull_accounts(None)))

    assert len(records) == 200
    assert connector.stats.rate_limited == 0
    assert sandbox.hubspot.stats.rate_limited == 0
    assert sleep.retry_waits  # it waited for the window (1 call per 10 s: 90% of 2, rounded)
    assert all(wait <= 10.0 for wait in sleep.retry_waits)


@pytest.mark.slow  # paced searches in real time, after search's 3-second lag
def test_given_the_real_search_limit_when_pulling_incrementally_then_pacing_avoids_429s(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    assert sandbox.hubspot_limiter.search_per_second == 5  # the default, as HubSpot's
    connector = make_connector(page_size=5, overlap=timedelta(0))
    cursor = final_cursor(list(connector.pull_accounts(None)))
    touched = sandbox.hubspot.company_ids()[:30]
    for company_id in touched:
        sandbox.hubspot.touch_company(company_id, city="Graz")
    assert sandbox.wait_search_indexed()

    records = records_of(list(connector.pull_accounts(cursor)))

    assert Counter(r.crm_id for r in records) == Counter({*touched, cursor.crm_id})
    assert connector.stats.rate_limited == 0


def test_given_the_daily_quota_is_spent_when_pulling_or_writing_then_no_retry_and_writes_kept(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.ensure_schema()
    sandbox.hubspot_limiter.daily = 0
    values = connector.render_score(a_score())
    updates = [PropertyUpdate("company", i, values) for i in sandbox.hubspot.company_ids()[:150]]
    calls = connector.stats.calls

    with pytest.raises(QuotaExhaustedError):
        list(connector.pull_accounts(None))
    outcomes = connector.write(updates)

    assert connector.stats.calls - calls == 2  # one refused call each, no retry
    assert connector.stats.retries == 0
    assert all(not o.written and o.retryable for o in outcomes)
    assert len(outcomes) == 150


def test_given_setup_ran_when_run_again_then_all_unchanged_and_no_write_call(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = connector.ensure_schema()
    writes_before = _property_writes(sandbox)

    second = connector.ensure_schema()

    assert {c.action for c in first} == {"created"}
    assert len(first) == 16  # the group and seven properties, on companies then on contacts
    assert [c.name for c in first][8:10] == ["contacts.icp_sync", "contacts.icp_fit_score"]
    assert [(c.name, c.action) for c in second] == [(c.name, "unchanged") for c in first]
    assert _property_writes(sandbox) == writes_before


def test_given_a_new_disqualifier_when_setup_runs_then_flag_options_are_updated_only(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    make_connector().ensure_schema()

    changes = make_connector(flags=(*FLAGS, "existing_customer")).ensure_schema()

    assert [c.name for c in changes if c.action != "unchanged"] == [
        "icp_flags",
        "contacts.icp_flags",
    ]
    definition = sandbox.hubspot.property_definition("companies", "icp_flags")
    values = [option["value"] for option in definition.options]
    assert values[: len(FLAGS) + 1] == [*FLAGS, "existing_customer"]


def test_given_a_wrong_token_when_called_then_auth_error_without_retry_or_token_in_message(
    make_connector: ConnectorFactory,
) -> None:
    wrong = "pat-na1-00000000-dead-beef-0000-000000000000"
    connector = make_connector(token=wrong)

    with pytest.raises(AuthError) as raised:
        list(connector.pull_accounts(None))

    assert connector.stats.calls == 1
    assert wrong not in str(raised.value)
    assert "401" in str(raised.value)


def test_given_any_failure_when_logged_or_raised_then_the_token_never_appears(
    sandbox: RunningSandbox, make_connector: ConnectorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sandbox.hubspot_token
    connector = make_connector()
    messages: list[str] = [repr(connector)]
    connector.ensure_schema()
    sandbox.hubspot_faults.fail_next(2, status=429)
    sandbox.hubspot_faults.fail_next(1, status=502)
    list(connector.pull_accounts(None))
    ids = sandbox.hubspot.company_ids()[:5]
    bad = [PropertyUpdate("company", i, {"icp_tier": "nope"}) for i in ids]
    messages += [o.error or "" for o in connector.write(bad)]
    for wrong in (token[:-1] + "x", "pat-other"):
        with pytest.raises(AuthError) as raised:
            make_connector(token=wrong).fetch_accounts(ids)
        messages += [str(raised.value), repr(raised.value)]

    logged = [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    assert any("retry" in m for m in logged)  # the retries were logged…
    assert not [m for m in [*logged, *messages] if token in m]  # …and never with the token


def _property_writes(sandbox: RunningSandbox) -> int:
    stats = sandbox.hubspot.stats
    return sum(
        count
        for route, count in stats.by_route.items()
        if "/properties/" in route and not route.startswith("GET")
    )
