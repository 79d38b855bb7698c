"""The control plane's part for the simulated HubSpot workflow "contact owner by ICP tier"
(`crm_sandbox.hubspot.workflows`): `POST /_sandbox/workflows/contact-owner-by-tier` bodies."""

from __future__ import annotations

import json

from crm_sandbox.hubspot.workflows import OwnerByTierWorkflow

WORKFLOW_NAME = "contact-owner-by-tier"
_FIELDS = frozenset({"enabled", "owners"})


def change_workflow(workflow: OwnerByTierWorkflow, body: object) -> None:
    """Applies `{"enabled": bool, "owners": {tier: owner id}}` (either field may be left out;
    `owners` replaces the map). Raises ValueError naming the field and value; changes nothing
    then."""
    if not isinstance(body, dict):
        raise ValueError(f"body: expected a JSON object, got {_shown(body)}")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ValueError(f"body.{unknown[0]}: unknown field (known: enabled, owners)")
    enabled = body.get("enabled", workflow.enabled)
    if not isinstance(enabled, bool):
        raise ValueError(f"body.enabled: expected true or false, got {_shown(enabled)}")
    owners = body.get("owners", workflow.owners)
    if not isinstance(owners, dict):
        raise ValueError(f"body.owners: expected {{tier: owner id}}, got {_shown(owners)}")
    for tier, owner in owners.items():
        if not tier:
            raise ValueError("body.owners: a tier name must not be empty")
        if isinstance(owner, bool) or not isinstance(owner, str | int) or str(owner) == "":
            raise ValueError(f"body.owners.{tier}: expected an owner id, got {_shown(owner)}")
    workflow.enabled = enabled
    workflow.owners = {str(tier): str(owner) for tier, owner in owners.items()}


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
