"""The incremental pull (`connectors/hubspot/pull.py`) against search as HubSpot's behaves:
changes reach search seconds late (the sandbox's default lag, 3 s) and records sharing a
`hs_lastmodifieddate` come in no particular order. The connector runs with its default overlap.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from connectors.hubspot.connector import DEFAULT_OVERLAP
from connectors.records import CrmAccount, Cursor, Page
from crm_sandbox.hubspot.search_index import DEFAULT_SEARCH_LAG_S
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import ConnectorFactory, final_cursor, records_of, set_modified


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    """A smaller sandbox than the connectors' `sandbox`, every default on."""
    return start_crm_sandbox(seed=7, companies=40, deals_per_company=0)


def test_given_the_defaults_then_the_pulls_overlap_exceeds_the_search_lag() -> None:
    assert timedelta(seconds=DEFAULT_SEARCH_LAG_S) < DEFAULT_OVERLAP


def test_given_a_change_stamped_before_the_cursor_but_not_yet_searchable_when_pulled_again_then_it_comes(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    assert sandbox.hubspot.search_index.lag_s == DEFAULT_SEARCH_LAG_S
    connector = make_connector(overlap=DEFAULT_OVERLAP)
    without_overlap = make_connector(overlap=timedelta(0))
    start = final_cursor(list(connector.pull_accounts(None)))
    late = next(i for i in sandbox.hubspot.company_ids() if i != start.crm_id)
    sandbox.hubspot.touch_company(late, name="Latecomer")  # committed now, stamped just before
    set_modified(sandbox, [late], start.modified_at - timedelta(milliseconds=1))  # the cursor

    during_lag = list(connector.pull_accounts(start))
    assert sandbox.wait_search_indexed()
    next_pull = records_of(list(connector.pull_accounts(final_cursor(during_lag))))
    no_overlap = records_of(list(without_overlap.pull_accounts(final_cursor(during_lag))))

    assert all(r.name != "Latecomer" for r in records_of(during_lag))  # not searchable yet
    assert final_cursor(during_lag) == start
    assert [r.name for r in next_pull if r.crm_id == late] == ["Latecomer"]
    assert late not in {r.crm_id for r in no_overlap}  # the overlap is what finds it


@pytest.mark.slow  # 300 companies, and search's 3-second lag waited for
def test_given_250_records_sharing_one_modified_instant_when_pulled_by_pages_of_100_then_each_comes_once(
    start_crm_sandbox: SandboxFactory, make_connector: ConnectorFactory
) -> None:
    big = start_crm_sandbox(seed=8, companies=300, deals_per_company=0)
    connector = make_connector(
        base_url=big.hubspot_url, token=big.hubspot_token, overlap=DEFAULT_OVERLAP, page_size=100
    )
    start = final_cursor(list(connector.pull_accounts(None)))
    tied = big.hubspot.company_ids()[:250]
    set_modified(big, tied, datetime.now(UTC) + timedelta(seconds=1))
    assert big.wait_search_indexed()

    first = list(connector.pull_accounts(start))
    second = list(connector.pull_accounts(final_cursor(first)))

    for pull in (first, second):
        delivered = Counter(r.crm_id for r in records_of(pull))
        assert set(tied) <= set(delivered)
        assert set(delivered.values()) == {1}  # once per record per pull
    order = [r.crm_id for r in records_of(first) if r.crm_id in set(tied)]
    assert order != sorted(order)  # search scrambled the ties; the pull still got them all
    assert final_cursor(first).modified_at == final_cursor(second).modified_at


def test_given_records_changed_and_created_during_a_pull_when_pulled_again_then_none_is_lost(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    state = sandbox.hubspot
    connector = make_connector(overlap=DEFAULT_OVERLAP, page_size=10)
    live = state.company_ids()
    start = Cursor(datetime(2000, 1, 1, tzinfo=UTC), live[0])  # the whole seed is in the window

    changed: dict[str, str] = {}
    first: list[Page[CrmAccount]] = []
    for number, page in enumerate(connector.pull_accounts(start)):
        first.append(page)
        if number == 1:  # a writeback, a user's edit and a new company land mid-pull
            changed[page.records[0].crm_id] = "Writeback"
            changed[live[35]] = "Edited"
            changed[state.create_company(name="Created")] = "Created"
            for company_id, name in changed.items():
                state.touch_company(company_id, name=name)
    assert sandbox.wait_search_indexed()
    second = {r.crm_id: r for r in records_of(list(connector.pull_accounts(final_cursor(first))))}

    assert set(live) <= {r.crm_id for r in records_of(first)}
    assert {i: second[i].name for i in changed if i in second} == changed


def test_given_a_full_pull_cut_short_at_any_page_when_resumed_then_the_rest_comes_once(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    for company_id in sandbox.hubspot.company_ids()[:12]:  # two pages in the archived pass
        sandbox.hubspot.archive_company(company_id)
    whole = list(make_connector(page_size=10).pull_accounts(None))
    assert sum(r.archived for r in records_of(whole)) >= 12

    for cut in range(len(whole) - 1):
        resumed = make_connector(page_size=10)
        rest = list(resumed.pull_accounts(None, resume=whole[cut].resume))

        assert records_of(whole[: cut + 1] + rest) == records_of(whole)
        assert resumed.stats.calls == len(rest)  # the list pages left, no search, none again
        assert final_cursor(rest) == final_cursor(whole)
    assert whole[-1].resume is None


def test_given_a_company_changed_behind_a_cut_full_pull_when_resumed_then_the_next_incremental_reads_it(
    sandbox: RunningSandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(page_size=10, overlap=DEFAULT_OVERLAP)
    first_run = connector.pull_accounts(None)
    done = [next(first_run), next(first_run)]  # then the process dies
    behind = done[0].records[0].crm_id
    sandbox.hubspot.touch_company(behind, name="Changed between runs")

    rest = list(make_connector(page_size=10).pull_accounts(None, resume=done[-1].resume))
    assert sandbox.wait_search_indexed()
    incremental = records_of(list(connector.pull_accounts(final_cursor(rest))))

    assert behind not in {r.crm_id for r in records_of(rest)}
    assert [r.name for r in incremental if r.crm_id == behind] == ["Changed between runs"]
