"""/ui/accounts and /ui/accounts.csv over the real app and store (SQLite and PostgreSQL):
each filter narrows to exactly its records, sorting and paging, the CSV export of every
matching record (safe against spreadsheet formulas), and bad input as a 400 page naming the
field and the value."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.ui.read import account_filter
from tests.app.ui.accounts_store import AUTH, FLAG, Client, client_for, fill

HYPERLINK = '=HYPERLINK("http://evil","x")'


@pytest.fixture
def ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    return fill(sessions)


@pytest.fixture
def client(database_url: str, ids: dict[str, int]) -> Iterator[Client]:
    with client_for(database_url) as started:
        yield started


def listed(client: Client, query: str, ids: dict[str, int]) -> list[str]:
    response = client.get(f"/ui/accounts?{query}", headers=AUTH)
    assert response.status_code == 200, response.text
    names = {v: k for k, v in ids.items()}
    return [names[int(i)] for i in re.findall(r'<tr data-id="(\d+)"', response.text)]


FILTERS = [
    ("q=aCmE", ["Acme Robotics", "Carol Chen"]),
    ("q=BANK", ["Beta Bank"]),
    ("q=%25", []),
    ("source=salesforce", ["Beta Bank", "Dan Lead"]),
    ("kind=contact", ["Carol Chen"]),
    ("tier=B", [HYPERLINK, "Carol Chen"]),
    (f"flag={FLAG}", ["Beta Bank"]),
    ("min_score=55&max_score=70", [HYPERLINK, "Carol Chen"]),
    ("changed_since=2026-11-28", ["Acme Robotics", "Beta Bank"]),
    ("changed_since=2026-12-02", []),
    ("source=hubspot&min_score=60", ["Acme Robotics", "Carol Chen"]),
]


def test_given_each_filter_when_listing_then_exactly_its_live_records_show(
    client: Client, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    for query, expected in FILTERS:
        assert sorted(listed(client, query, ids)) == sorted(expected), query
    monkeypatch.setattr("app.ui.read.accounts.FEW_CHANGES", 1)  # many changes: probed instead
    for query, expected in FILTERS:
        if query.startswith("changed_since"):
            assert sorted(listed(client, query, ids)) == sorted(expected), query


def test_given_no_filter_when_listing_then_live_records_by_name_and_unscored_ones_too(
    client: Client, ids: dict[str, int]
) -> None:
    names = listed(client, "", ids)
    assert names == sorted(names)
    assert "Zeta Unscored" in names
    assert "Old Archived" not in names
    assert "Old Deleted" not in names


def test_given_sort_by_score_when_listing_then_ordered_and_the_header_says_so(
    client: Client, ids: dict[str, int]
) -> None:
    assert listed(client, "sort=score&dir=desc", ids) == [
        "Acme Robotics", "Carol Chen", HYPERLINK, "Dan Lead", "Beta Bank"
    ]  # fmt: skip
    assert listed(client, "sort=score&dir=asc", ids)[0] == "Beta Bank"
    page = client.get("/ui/accounts?tier=B&sort=score&dir=desc", headers=AUTH).text
    assert re.search(r'aria-sort="descending">\s*<a href="/ui/accounts\?[^"]*tier=B[^"]*'
                     r'sort=score&amp;dir=asc', page)  # fmt: skip


def test_given_more_records_than_a_page_when_paging_then_each_record_once(
    client: Client, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.ui.read.accounts.PAGE_SIZE", 4)
    first = client.get("/ui/accounts?source=hubspot", headers=AUTH).text
    assert "Page 1 of 1" in first  # 4 hubspot records fit
    monkeypatch.setattr("app.ui.read.accounts.PAGE_SIZE", 2)
    pages = [listed(client, f"page={n}", ids) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert len({name for page in pages for name in page}) == 6  # the live records, each once
    second = client.get("/ui/accounts?page=2&q=a", headers=AUTH).text
    assert 'href="/ui/accounts?q=a&amp;sort=name&amp;dir=asc" rel="prev"' in second
    assert "page=3" in second
    assert "Page 2 of" in second


def test_given_more_matches_than_can_be_paged_when_paging_then_it_stops_and_says_why(
    client: Client, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.ui.read.accounts.PAGE_SIZE", 2)
    monkeypatch.setattr("app.ui.read.accounts.BROWSABLE", 4)  # two pages of the six records

    second = client.get("/ui/accounts?page=2", headers=AUTH).text
    beyond = listed(client, "page=3", ids)

    assert "Page 2 of 3" in second
    assert 'rel="next"' not in second
    assert "The first 4 matches can be paged through" in second
    assert beyond == listed(client, "page=2", ids)  # the last page that can be shown


def test_given_filters_when_exporting_csv_then_every_matching_row_with_formulas_defused(
    client: Client, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.ui.read.accounts.CSV_CHUNK", 2)
    response = client.get("/ui/accounts.csv?source=hubspot", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["name"] for r in rows} == {
        "Acme Robotics", "'" + HYPERLINK, "Carol Chen", "Zeta Unscored"
    }  # fmt: skip
    acme = next(r for r in rows if r["name"] == "Acme Robotics")
    assert acme == {
        "id": str(ids["Acme Robotics"]), "source": "hubspot", "kind": "company",
        "crm_id": "1000", "name": "Acme Robotics", "domain": "acme.io", "tier": "A",
        "score": "91", "disqualified": "false", "flags": "",
        "rubric_version": "2026.12-default+bbbbbbbb", "scored_at": "2026-11-28T12:00:00+00:00",
    }  # fmt: skip
    page = client.get("/ui/accounts?source=hubspot&sort=score", headers=AUTH).text
    assert 'href="/ui/accounts.csv?source=hubspot"' in page


BAD = [
    ("min_score=abc", "min_score", "abc"),
    ("max_score=101", "max_score", "101"),
    ("min_score=50&max_score=10", "max_score", "10"),
    ("page=0", "page", "0"),
    ("sort=bogus", "sort", "bogus"),
    ("dir=up", "dir", "up"),
    ("source=pipedrive", "source", "pipedrive"),
    ("changed_since=2026-13-01", "changed_since", "2026-13-01"),
    ("page=" + "9" * 5000, "page", "9" * 10),
]


def test_given_bad_input_when_asking_then_400_page_names_field_and_value(
    client: Client,
) -> None:
    for path in ("/ui/accounts", "/ui/accounts.csv"):
        for query, field, value in BAD:
            response = client.get(f"{path}?{query}", headers=AUTH)
            assert response.status_code == 400, (path, query)
            assert response.headers["content-type"].startswith("text/html")
            message = re.search(r'id="message">([^<]*)<', response.text)
            assert message is not None
            assert message.group(1).startswith(f"{field}: &#39;{value}"), message.group(1)


def test_given_an_unknown_tier_when_listing_then_no_rows_and_the_choice_kept(
    client: Client, ids: dict[str, int]
) -> None:
    assert listed(client, "tier=Z", ids) == []
    page = client.get("/ui/accounts?tier=Z", headers=AUTH).text
    assert '<option value="Z" selected>' in page
    assert "No record matches" in page


def test_given_no_login_when_asking_then_sent_to_log_in_or_refused(client: Client) -> None:
    page = client.get("/ui/accounts?tier=A", headers={"accept": "text/html"},
                      follow_redirects=False)  # fmt: skip
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=/ui/accounts%3Ftier%3DA"
    assert client.get("/ui/accounts.csv").status_code == 401


def test_given_query_parameters_when_linking_then_defaults_left_out() -> None:
    found = account_filter.AccountFilter.parse({"q": " acme ", "page": "1", "sort": "score"})
    assert (found.q, found.dir) == ("acme", "desc")
    assert found.query(page=2) == "q=acme&sort=score&dir=desc&page=2"
    assert found.filters_only() == "q=acme"
