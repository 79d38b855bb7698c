"""Private-app scopes: which a sandbox token carries, which each route requires, and HubSpot's
403 `MISSING_SCOPES` answer when a token lacks them.

What each route requires is what its operation's `security` section lists in HubSpot's
OpenAPI specs (HubSpot/HubSpot-public-api-spec-collection, `PublicApiSpecs/CRM/…`: Companies,
Deals, Contacts `Rollouts/424/v3`, Properties `Rollouts/145899/v3`, Associations
`Rollouts/130902/v4` and `Rollouts/120891/v3`, Pipelines `Rollouts/145896/v3`; read
2026-08). Each `security` entry is an alternative: any one of the listed scopes grants the call.
The specs of the generic routes (`{objectType}` in the path) list the alternatives for every
object type; the sandbox keeps those of the object type in the path. So a route row names its
scopes as templates (`crm.objects.{objectType}.read`), resolved here per request:

- object reads (`GET …/objects/companies`, batch read, search): `crm.objects.<type>.read`;
- object writes (create, update, archive, batch writes): `crm.objects.<type>.write`;
- property and group reads: any of `crm.objects.<type>.read/.write`, `crm.schemas.<type>.read`;
- property and group writes: `crm.schemas.<type>.write`;
- association reads and writes (v3, v4, labels): any of `crm.objects.<from type>.read/.write`;
- pipeline reads: as property reads.

The 403 body is HubSpot's as seen from live portals (HubSpot community threads; the
`errors[].context.requiredGranularScopes` list, "One or more of the following scopes are
required."): `status`, `message`, `correlationId`, `errors`, `links.scopes`, `category`
`MISSING_SCOPES`. A 403 is counted against the rate limits like any authenticated call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crm_sandbox.hubspot.errors import HubSpotApiError
from crm_sandbox.hubspot.object_types import ANY_TYPE_ALIASES

#: What the scopes of an object type are named after, per path spelling of that type.
SCOPE_OBJECT_NAMES: Mapping[str, str] = ANY_TYPE_ALIASES

#: The scopes of icp-sync's private app, which a sandbox token carries unless told otherwise:
#: read and write on companies, deals and contacts and on their property schemas.
DEFAULT_SCOPES: frozenset[str] = frozenset(
    f"crm.{kind}.{object_type}.{access}"
    for kind in ("objects", "schemas")
    for object_type in ("companies", "deals", "contacts")
    for access in ("read", "write")
)

# Route scope templates (`HubSpotRoute.scopes`): any one of them grants the call.
OBJECTS_READ = ("crm.objects.{objectType}.read",)
OBJECTS_WRITE = ("crm.objects.{objectType}.write",)
SCHEMAS_READ = (
    "crm.objects.{objectType}.read",
    "crm.objects.{objectType}.write",
    "crm.schemas.{objectType}.read",
)
SCHEMAS_WRITE = ("crm.schemas.{objectType}.write",)
ASSOCIATIONS = ("crm.objects.{objectType}.read", "crm.objects.{objectType}.write")

SCOPES_LINK = "https://developers.hubspot.com/scopes"
MISSING_SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    f"required scopes here: {SCOPES_LINK}."
)


def parse_scopes(scopes: Iterable[str] | None) -> frozenset[str]:
    """The token's scope set (None: `DEFAULT_SCOPES`); raises ValueError naming a bad one."""
    if scopes is None:
        return DEFAULT_SCOPES
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    found: set[str] = set()
    for scope in scopes:
        name = scope.strip()
        if not name or any(char.isspace() for char in name):
            raise ValueError(f"scope {scope!r} is not a scope name (e.g. crm.objects.deals.read)")
        found.add(name)
    return frozenset(found)


def required_scopes(templates: Iterable[str], path: Mapping[str, str]) -> tuple[str, ...]:
    """The scopes of which one grants a call, for its path parameters; () when none applies
    (an object type HubSpot does not know is the handler's to refuse, with its own error)."""
    object_type = SCOPE_OBJECT_NAMES.get(
        str(path.get("objectType", path.get("fromObjectType", "")))
    )
    resolved: list[str] = []
    for template in templates:
        if "{objectType}" in template:
            if object_type is None:
                return ()
            template = template.replace("{objectType}", object_type)
        resolved.append(template)
    return tuple(resolved)


def check_scopes(granted: frozenset[str], required: tuple[str, ...]) -> None:
    """Raises HubSpot's 403 `MISSING_SCOPES` unless `granted` holds one of `required`."""
    if not required or granted.intersection(required):
        return
    raise HubSpotApiError(
        403,
        MISSING_SCOPES_MESSAGE,
        "MISSING_SCOPES",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": list(required)},
            }
        ],
        extra={"links": {"scopes": SCOPES_LINK}},
    )
