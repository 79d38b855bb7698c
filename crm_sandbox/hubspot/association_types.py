"""Association types and labels (HubSpot's Associations Schema v4), and the typed links the
v4 association writes leave beyond the deal↔company and contact↔company links the backend and
the contact store keep.

HubSpot-defined type ids: deal→company 5 (Primary) / 341, company→deal 6 / 342, contact→company
1 (Primary) / 279, company→contact 2 / 280, deal→contact 3, contact→deal 4 (the existing
sandbox's and HubSpot's association type table); company→company 13 "parent company to child
company" and 14 "child company to parent company" (HubSpot changelog 2018-09-11, "Parent <->
Child Associations via API") and 450, unlabeled. The labels the labels API gives 13 and 14 are
not in the spec; the sandbox names the record the association points to ("Child Company" on
13, "Parent Company" on 14).

User-defined labels (`POST /crm/v4/associations/{from}/{to}/labels`, body
`PublicAssociationDefinitionCreateRequest`: `name`, `label`, optional `inverseLabel`) make a
pair of type ids, one per direction, from 1000 up. Shapes from
`PublicApiSpecs/CRM/Associations Schema/Rollouts/130902/v4/associationsSchema.json` (v4):
`AssociationSpecWithLabel` {category, typeId, label}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_sandbox.hubspot.errors import JsonObject, validation_error
from crm_sandbox.hubspot.object_types import AnyType

Pair = tuple[AnyType, AnyType]
HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"
FIRST_USER_TYPE_ID = 1_000
PARENT_TO_CHILD = 13
CHILD_TO_PARENT = 14


@dataclass(frozen=True, slots=True)
class AssociationType:
    category: str
    type_id: int
    label: str | None

    def as_json(self) -> JsonObject:
        return {"category": self.category, "typeId": self.type_id, "label": self.label}


def _defined(type_id: int, label: str | None = None) -> AssociationType:
    return AssociationType(HUBSPOT_DEFINED, type_id, label)


#: HubSpot-defined types per (from, to), the default (unlabeled) one last.
DEFINED_TYPES: dict[Pair, tuple[AssociationType, ...]] = {
    ("deals", "companies"): (_defined(5, "Primary"), _defined(341)),
    ("companies", "deals"): (_defined(6, "Primary"), _defined(342)),
    ("contacts", "companies"): (_defined(1, "Primary"), _defined(279)),
    ("companies", "contacts"): (_defined(2, "Primary"), _defined(280)),
    ("deals", "contacts"): (_defined(3),),
    ("contacts", "deals"): (_defined(4),),
    ("companies", "companies"): (
        _defined(PARENT_TO_CHILD, "Child Company"),
        _defined(CHILD_TO_PARENT, "Parent Company"),
        _defined(450),
    ),
}
#: Each HubSpot-defined type id and the id of the same association seen from the other end.
DEFINED_INVERSE: dict[int, int] = {
    5: 6, 6: 5, 341: 342, 342: 341, 1: 2, 2: 1, 279: 280, 280: 279,
    3: 4, 4: 3, 13: 14, 14: 13, 450: 450,
}  # fmt: skip
#: Types the backend or the contact store already keep (the rest go to `TypedLinks`).
BASE_TYPES = frozenset({5, 6, 341, 342, 1, 2, 279, 280})


def default_type(pair: Pair) -> AssociationType:
    return DEFINED_TYPES[pair][-1]


@dataclass(slots=True)
class AssociationLabels:
    """The portal's user-defined labels per (from, to); each has an inverse in (to, from)."""

    by_pair: dict[Pair, list[AssociationType]] = field(default_factory=dict)
    names: dict[Pair, set[str]] = field(default_factory=dict)
    inverse: dict[int, int] = field(default_factory=dict)
    next_id: int = FIRST_USER_TYPE_ID

    def types(self, pair: Pair) -> list[AssociationType]:
        """Every type of a pair, HubSpot's then the user's; 400 if the pair has none."""
        if pair not in DEFINED_TYPES:
            raise validation_error(f"No association types are defined from {pair[0]} to {pair[1]}")
        return [*DEFINED_TYPES[pair], *self.by_pair.get(pair, [])]

    def find(self, pair: Pair, category: object, type_id: object) -> AssociationType:
        for candidate in self.types(pair):
            if candidate.category == category and candidate.type_id == type_id:
                return candidate
        raise validation_error(
            f"associationTypeId {type_id!r} ({category}) is not an association type from "
            f"{pair[0]} to {pair[1]}",
            context={"associationTypeId": [str(type_id)]},
        )

    def inverse_of(self, type_id: int) -> int:
        return DEFINED_INVERSE.get(type_id) or self.inverse[type_id]

    def create(self, pair: Pair, body: object) -> list[AssociationType]:
        """A new label and its inverse; raises 400 naming the field that is wrong."""
        if not isinstance(body, dict):
            raise validation_error("Invalid input JSON: expected {'name': ..., 'label': ...}")
        self.types(pair)
        values = {key: body.get(key) for key in ("name", "label", "inverseLabel")}
        for key in ("name", "label"):
            if not isinstance(values[key], str) or not values[key]:
                raise validation_error(f"{key}: expected a non-empty string, got {values[key]!r}")
        inverse_label = values["inverseLabel"] or values["label"]
        if not isinstance(inverse_label, str):
            raise validation_error(f"inverseLabel: expected a string, got {inverse_label!r}")
        name = str(values["name"])
        if name in self.names.get(pair, set()):
            raise validation_error(f"name: an association label named {name!r} already exists")
        forward = AssociationType(USER_DEFINED, self.next_id, str(values["label"]))
        backward = AssociationType(USER_DEFINED, self.next_id + 1, inverse_label)
        self.next_id += 2
        self.inverse[forward.type_id], self.inverse[backward.type_id] = (
            backward.type_id,
            forward.type_id,
        )
        self.by_pair.setdefault(pair, []).append(forward)
        reverse: Pair = (pair[1], pair[0])
        if reverse != pair:
            self.by_pair.setdefault(reverse, []).append(backward)
        else:
            self.by_pair[pair].append(backward)
        self.names.setdefault(pair, set()).add(name)
        return [forward, backward]


@dataclass(slots=True)
class TypedLinks:
    """Association types between two records that the backend's deal↔company and the contact
    store's contact↔company links do not hold: labels, company↔company, deal↔contact."""

    links: dict[Pair, dict[str, dict[str, list[AssociationType]]]] = field(default_factory=dict)

    def add(self, pair: Pair, from_id: str, to_id: str, kind: AssociationType) -> None:
        kinds = self.links.setdefault(pair, {}).setdefault(from_id, {}).setdefault(to_id, [])
        if kind not in kinds:
            kinds.append(kind)

    def remove(self, pair: Pair, from_id: str, to_id: str) -> None:
        self.links.get(pair, {}).get(from_id, {}).pop(to_id, None)

    def of(self, pair: Pair, from_id: str) -> dict[str, list[AssociationType]]:
        return self.links.get(pair, {}).get(from_id, {})
