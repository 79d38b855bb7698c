"""A simulated HubSpot workflow, "contact owner by ICP tier": when a contact's `icp_tier` gets a
value (by any write: the API, a direct state change, a create), the sandbox sets the contact's
`hubspot_owner_id` from a tier → owner id map, as a HubSpot workflow enrolling contacts on
"ICP tier is known" with a "rotate/set owner" action would. The write's source is the workflow:
webhooks say `changeSource` `AUTOMATION_PLATFORM` (HubSpot's source for workflow writes, as in
property history), and the write log says "WORKFLOW".

The workflow acts at once (in the same lock as the write that triggered it) rather than
seconds later as HubSpot's does, so tests see its result right after their write. A tier
without an owner in the map (by default `disqualified`, and any tier the rubric adds) leaves
the owner unchanged; so does an owner that is already the right one. `icp_tier` does not exist
on contacts until a client creates it (icp-sync's `setup hubspot`), so the workflow fires only
once it has.

On by default with `DEFAULT_OWNERS`; `crm_sandbox.control` reads and changes it
(`/_sandbox/workflows/contact-owner-by-tier`) and lists what it routed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TIER_PROPERTY = "icp_tier"
OWNER_PROPERTY = "hubspot_owner_id"
WORKFLOW_SOURCE = "WORKFLOW"
#: tier_1 → a senior account executive, tier_2 → the SDR pool, tier_3 → the nurture owner.
DEFAULT_OWNERS: Mapping[str, str] = {
    "tier_1": "75100001",
    "tier_2": "75100002",
    "tier_3": "75100003",
}
MAX_ROUTED_KEPT = 10_000  # the oldest routings are forgotten beyond this


@dataclass(frozen=True, slots=True)
class Routing:
    """One contact the workflow gave an owner."""

    contact_id: str
    tier: str
    owner_id: str
    at_ms: int

    def as_json(self) -> dict[str, Any]:
        return {
            "contactId": self.contact_id,
            "tier": self.tier,
            "ownerId": self.owner_id,
            "at": self.at_ms,
        }


@dataclass(slots=True)
class OwnerByTierWorkflow:
    """The workflow's settings and what it did (call with the backend's lock held)."""

    enabled: bool = True
    owners: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_OWNERS))
    routed: list[Routing] = field(default_factory=list)

    def owner_to_set(self, tier: str, current_owner: str | None) -> str | None:
        """The owner the workflow would write for a new tier value (None: leave it)."""
        if not self.enabled or not tier:
            return None
        owner = self.owners.get(tier)
        if owner is None or owner == current_owner:
            return None
        return owner

    def remember(self, routing: Routing) -> None:
        self.routed.append(routing)
        if len(self.routed) > MAX_ROUTED_KEPT:
            del self.routed[: len(self.routed) - MAX_ROUTED_KEPT]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": "contact owner by ICP tier",
            "enabled": self.enabled,
            "owners": dict(self.owners),
            "routed": [routing.as_json() for routing in self.routed],
        }
