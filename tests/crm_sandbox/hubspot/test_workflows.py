"""The simulated workflow "contact owner by ICP tier": a contact's new `icp_tier` sets its owner
from the tier → owner map, whoever wrote the tier; it is read, changed and switched off through
the control API (`/_sandbox/workflows/contact-owner-by-tier`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.workflows import DEFAULT_OWNERS
from crm_sandbox.pytest_plugin import SandboxFactory

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
TIER = {
    "name": "icp_tier",
    "label": "ICP tier",
    "type": "enumeration",
    "fieldType": "select",
    "groupName": "icp_sync",
    "options": [
        {"label": label, "value": value, "displayOrder": order, "hidden": False}
        for order, (label, value) in enumerate(
            [("Tier 1", "tier_1"), ("Tier 2", "tier_2"), ("Tier 3", "tier_3"),
             ("Disqualified", "disqualified")]
        )
    ],
}  # fmt: skip


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(
        seed=3, companies=10, as_of=AS_OF, search_lag_s=0, contacts_per_company=1.5
    )


@pytest.fixture
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sandbox.hubspot_url,
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
        trust_env=False,
    ) as client:
        assert client.post(
            "/crm/v3/properties/contacts/groups", json={"name": "icp_sync", "label": "ICP Sync"}
        ).is_success
        assert client.post("/crm/v3/properties/contacts", json=TIER).status_code == 201
        yield client


def _workflow(sandbox: RunningSandbox, body: Any = None) -> httpx.Response:
    url = f"{sandbox.control_url}/workflows/contact-owner-by-tier"
    if body is None:
        return httpx.get(url, trust_env=False)
    return httpx.post(url, json=body, trust_env=False)


def _set_tiers(http: httpx.Client, tiers: dict[str, str]) -> None:
    inputs = [{"id": i, "properties": {"icp_tier": tier}} for i, tier in tiers.items()]
    answer = http.post("/crm/v3/objects/contacts/batch/update", json={"inputs": inputs})
    assert answer.status_code == 200, answer.text


def test_given_tiers_written_through_the_api_then_owners_follow_the_default_map(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    state = sandbox.hubspot
    first, second, third = state.contact_ids()[:3]
    state.touch_contact(third, hubspot_owner_id="999")

    _set_tiers(http, {first: "tier_1", second: "tier_2", third: "disqualified"})

    assert state.contact(first)["hubspot_owner_id"] == DEFAULT_OWNERS["tier_1"]
    assert state.contact(second)["hubspot_owner_id"] == DEFAULT_OWNERS["tier_2"]
    assert state.contact(third)["hubspot_owner_id"] == "999"  # disqualified: left alone
    routed = _workflow(sandbox).json()["routed"]
    assert [(r["contactId"], r["tier"], r["ownerId"]) for r in routed] == [
        (first, "tier_1", DEFAULT_OWNERS["tier_1"]),
        (second, "tier_2", DEFAULT_OWNERS["tier_2"]),
    ]
    sources = [(w.object_id, w.source) for w in state.writes("contacts") if w.object_id == first]
    assert sources[-2:] == [(first, "API"), (first, "WORKFLOW")]


def test_given_a_new_contact_with_a_tier_or_a_users_change_then_the_workflow_routes_it_too(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    created = http.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "t3@tier.example", "icp_tier": "tier_3"}},
    ).json()["id"]
    other = sandbox.hubspot.contact_ids()[4]
    sandbox.hubspot.touch_contact(other, icp_tier="tier_1")

    assert sandbox.hubspot.contact(created)["hubspot_owner_id"] == DEFAULT_OWNERS["tier_3"]
    assert sandbox.hubspot.contact(other)["hubspot_owner_id"] == DEFAULT_OWNERS["tier_1"]


def test_given_the_control_api_when_the_map_changes_or_it_is_off_then_routing_follows(
    sandbox: RunningSandbox, http: httpx.Client
) -> None:
    first, second = sandbox.hubspot.contact_ids()[:2]
    owner_before = sandbox.hubspot.contact(second).get("hubspot_owner_id")

    changed = _workflow(sandbox, {"owners": {"tier_1": "4242", "tier_2": 77}})
    _set_tiers(http, {first: "tier_1"})
    off = _workflow(sandbox, {"enabled": False})
    _set_tiers(http, {second: "tier_2"})

    assert changed.json()["owners"] == {"tier_1": "4242", "tier_2": "77"}
    assert sandbox.hubspot.contact(first)["hubspot_owner_id"] == "4242"
    assert off.json()["enabled"] is False
    assert sandbox.hubspot.contact(second).get("hubspot_owner_id") == owner_before
    assert [r["contactId"] for r in _workflow(sandbox).json()["routed"]] == [first]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"enabled": "yes"}, "body.enabled"),
        ({"owners": ["tier_1"]}, "body.owners"),
        ({"owners": {"tier_1": ""}}, "body.owners.tier_1"),
        ({"paused": True}, "body.paused"),
    ],
)
def test_given_bad_input_when_changing_the_workflow_then_422_names_the_field(
    sandbox: RunningSandbox, body: dict[str, Any], named: str
) -> None:
    answer = _workflow(sandbox, body)

    assert answer.status_code == 422
    assert answer.json()["error"].startswith(named)
    assert _workflow(sandbox).json()["enabled"] is True
