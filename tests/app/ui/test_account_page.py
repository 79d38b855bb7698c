"""/ui/accounts/{id} over the real app and store (SQLite and PostgreSQL): the facts, every
criterion with its points and reason, the history's changes, the challengers, the deals and
the link to the CRM; an unknown id is a 404 page, a bad one a 400."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.app.ui.accounts_store import AUTH, FLAG, INSTANCE, PORTAL, Client, client_for, fill


@pytest.fixture
def ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    return fill(sessions)


@pytest.fixture
def client(database_url: str, ids: dict[str, int]) -> Iterator[Client]:
    with client_for(database_url) as started:
        yield started


def section(page: str, element_id: str) -> str:
    """The element with this id, up to its closing tag (none of them nests its own tag)."""
    tag = re.search(rf'<(\w+)[^>]*id="{element_id}"', page)
    assert tag is not None, element_id
    found = re.search(rf'id="{element_id}".*?</{tag.group(1)}>', page, re.S)
    assert found is not None, element_id
    return re.sub(r"\s+", " ", found.group(0))


def test_given_a_company_when_viewed_then_criteria_history_deals_and_crm_link(
    client: Client, ids: dict[str, int]
) -> None:
    response = client.get(f"/ui/accounts/{ids['Acme Robotics']}", headers=AUTH)
    assert response.status_code == 200
    page = response.text
    assert "<h1>Acme Robotics</h1>" in page
    criteria = section(page, "criteria-table")
    assert re.search(
        r'data-criterion="industry">.*?100\.0</td><td>Industry: matched exactly', criteria
    )
    assert re.search(
        r'data-criterion="employees">.*?25\.0</td><td>Employees: only partly', criteria
    )
    history = section(page, "history")
    assert history.index("score 91") < history.index("score 71")  # newest first
    assert "<li>score +20</li>" in history
    assert "<li>tier C → A</li>" in history
    assert "rubric 2026.11-default+aaaaaaaa → 2026.12-default+bbbbbbbb" in history
    assert "<li>first score</li>" in history
    deals = section(page, "deals-table")
    assert re.findall(r'data-deal="(\w+)"', deals) == ["D2", "D1"]
    assert re.findall(r'data-field="outcome">(\w+)<', deals) == ["lost", "won"]
    assert "D3" not in deals  # a contact's deal
    assert "bolder" in section(page, "challengers-table")
    link = f"https://app.hubspot.com/contacts/{PORTAL}/record/0-2/1000"
    assert f'href="{link}"' in section(page, "crm-link")


def test_given_a_disqualified_salesforce_account_when_viewed_then_flags_and_lightning_link(
    client: Client, ids: dict[str, int]
) -> None:
    page = client.get(f"/ui/accounts/{ids['Beta Bank']}", headers=AUTH).text
    assert f"<li>flags added: {FLAG}</li>" in section(page, "history")
    assert f"disqualified ({FLAG})" in section(page, "other-reasons")
    assert f'href="{INSTANCE}/lightning/r/Account/1002/view"' in page
    assert re.findall(r'data-deal="(\w+)"', page) == ["D4"]


def test_given_a_contact_when_viewed_then_its_deals_and_person_facts(
    client: Client, ids: dict[str, int]
) -> None:
    page = client.get(f"/ui/accounts/{ids['Carol Chen']}", headers=AUTH).text
    assert re.findall(r'data-deal="(\w+)"', page) == ["D3"]
    assert "carol@acme.io" in section(page, "facts")
    assert "/record/0-1/1003" in page


def test_given_crm_text_with_markup_when_viewed_then_escaped(
    client: Client, ids: dict[str, int]
) -> None:
    formula = next(i for name, i in ids.items() if name.startswith("=HYPERLINK"))
    page = client.get(f"/ui/accounts/{formula}", headers=AUTH)
    assert "<h1>=HYPERLINK(&#34;http://evil&#34;,&#34;x&#34;)</h1>" in page.text


def test_given_an_archived_record_when_viewed_then_its_state_says_so(
    client: Client, ids: dict[str, int]
) -> None:
    page = client.get(f"/ui/accounts/{ids['Old Archived']}", headers=AUTH).text
    assert 'id="record-state" class="bad">archived' in page


def test_given_an_unknown_or_bad_id_when_viewed_then_404_or_400_page(client: Client) -> None:
    missing = client.get("/ui/accounts/999999", headers=AUTH)
    assert missing.status_code == 404
    assert "No record has the id 999999." in missing.text
    bad = client.get("/ui/accounts/12ab", headers=AUTH)
    assert bad.status_code == 400
    assert "id: &#39;12ab&#39; is not a record id" in bad.text
    assert client.get("/ui/accounts/1").status_code == 401


def test_given_a_rubric_that_cannot_be_read_when_viewed_then_points_and_reasons_still_show(
    database_url: str, ids: dict[str, int], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("layers: [", encoding="utf-8")
    with client_for(database_url, rubric=broken) as client:
        page = client.get(f"/ui/accounts/{ids['Acme Robotics']}", headers=AUTH).text
    assert re.search(
        r'data-criterion="industry">.*?100\.0</td><td>—', section(page, "criteria-table")
    )
    assert "Industry: matched exactly" in section(page, "other-reasons")
