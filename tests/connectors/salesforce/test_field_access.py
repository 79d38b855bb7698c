"""Field-level security of the ICP fields for the integration user, against the sandbox org:
visible / hidden / missing, a grant through a permission set that a second run leaves alone,
and the admin's steps when the user may not grant."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from connectors.retry import Retrier, RetryPolicy
from connectors.salesforce.auth import ClientCredentials
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.field_access import (
    PERMISSION_SET_NAME,
    FieldAccess,
    FieldAccessDenied,
    field_access,
    grant_field_access,
    manual_steps,
)
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.permissions import UserPermissions
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.hubspot import RecordingSleep
from tests.support.salesforce import OrgFactory

NAMES = ["Buying_Signals__c", "ICP_Tier__c", "ICP_Nope__c"]
ClientFactory = Callable[[RunningSalesforce], SalesforceClient]


@pytest.fixture
def client_of() -> Iterator[ClientFactory]:
    made: list[SalesforceClient] = []

    def build(org: RunningSalesforce) -> SalesforceClient:
        client = SalesforceClient(
            org.url,
            ClientCredentials(org.client_id, org.client_secret),
            retrier=Retrier(policy=RetryPolicy(max_attempts=2), sleep=RecordingSleep()),
            ca_bundle=org.ca_bundle,
        )
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


def _hidden_tier_org(start_org: OrgFactory, **options: object) -> RunningSalesforce:
    org = start_org(with_icp_fields=False, companies=3, **options)
    org.salesforce.add_custom_field("Account", FieldDef("ICP_Tier__c", "string", custom=True))
    return org


def test_given_a_visible_a_hidden_and_an_absent_field_then_their_states_say_so(
    start_org: OrgFactory, client_of: ClientFactory
) -> None:
    client = client_of(_hidden_tier_org(start_org))

    states = field_access(client, "Account", NAMES)

    assert [(a.name, a.state, a.editable) for a in states] == [
        ("Buying_Signals__c", "visible", True),
        ("ICP_Tier__c", "hidden", False),
        ("ICP_Nope__c", "missing", False),
    ]
    assert [a.needs_grant for a in states] == [False, True, False]


def test_given_hidden_field_when_granted_twice_then_editable_and_second_grant_changes_nothing(
    start_org: OrgFactory, client_of: ClientFactory
) -> None:
    org = _hidden_tier_org(start_org)
    client = client_of(org)
    hidden = [a for a in field_access(client, "Account", NAMES) if a.needs_grant]
    assert client.user_id == org.salesforce.integration_user_id  # from the token's id URL

    first = grant_field_access(client, hidden, org.salesforce.integration_user_id)
    second = grant_field_access(client, hidden, org.salesforce.integration_user_id)

    assert [(c.kind, c.action) for c in first] == [
        ("permission set", "created"),
        ("field permission", "created"),
        ("permission set assignment", "created"),
    ]
    assert second == []
    assert field_access(client, "Account", ["ICP_Tier__c"]) == [
        FieldAccess("Account", "ICP_Tier__c", "visible", True)
    ]
    named = [
        r for r in org.salesforce.snapshot("PermissionSet") if r["Name"] == PERMISSION_SET_NAME
    ]
    assert len(named) == 1


def test_given_user_who_may_not_grant_when_granting_then_denied_with_the_setup_steps(
    start_org: OrgFactory, client_of: ClientFactory
) -> None:
    org = _hidden_tier_org(
        start_org, user_permissions=UserPermissions(manage_profiles_permissionsets=False)
    )
    client = client_of(org)
    hidden = [a for a in field_access(client, "Account", NAMES) if a.needs_grant]

    with pytest.raises(FieldAccessDenied) as caught:
        grant_field_access(client, hidden, org.salesforce.integration_user_id)

    assert caught.value.code == "INSUFFICIENT_ACCESS"
    assert caught.value.steps == manual_steps(hidden)
    assert any("Account" in s and "ICP_Tier__c" in s for s in caught.value.steps)
    assert any("Permission Sets" in s for s in caught.value.steps)
