"""SOQL relationship fields, child to parent: `Owner.Name`, `Account.Name` (SOQL and SOSL
Reference, "Relationship Queries"), one level deep.

`resolve_path` turns `Owner.Name` into a `Relation` (through `OwnerId`, to User or Group) and
the field it reads; `Query.run` fills `record["Owner.Name"]` before filtering and sorting, so a
path is filtered and ordered like any field; `render_row` writes the parent as Salesforce
does, a nested object with its own `attributes` (null when the lookup is empty):

    {"attributes": {...}, "Id": "006…", "Account": {"attributes": {"type": "Account",
     "url": "/services/data/v59.0/sobjects/Account/001…"}, "Name": "Acme"}}

A polymorphic lookup (a Lead's owner: a User or a queue) reads only the fields every target
has, as Salesforce's `Name` entity does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.values import render_record, sf_datetime

Schemas = Callable[[str], Mapping[str, FieldDef] | None]
#: id → (object name, record) of a parent record, or None.
Lookup = Callable[[str], tuple[str, Mapping[str, Any]] | None]


@dataclass(frozen=True, slots=True)
class Relation:
    """A lookup followed in a query: `name` (`Owner`) through `via` (`OwnerId`)."""

    name: str
    via: str
    targets: tuple[str, ...]
    fields: dict[str, FieldDef] = field(default_factory=dict)  # read on the parent, by name

    def type_key(self) -> str:
        """Where `enrich` keeps the parent's object name (None: no parent)."""
        return f"{self.name}."


def resolve_path(
    text: str, position: int, own: Mapping[str, FieldDef], schemas: Schemas, query: str,
    relations: dict[str, Relation],
) -> FieldDef:  # fmt: skip
    """The field `Rel.Field` stands for, named by its canonical path; records the relation."""
    relationship, _, name = text.partition(".")
    lookup_field = next(
        (f for f in own.values()
         if f.relationship_name and f.relationship_name.lower() == relationship.lower()),
        None,
    )  # fmt: skip
    if lookup_field is None or "." in name or not name:
        raise _no_such(query, position, relationship if lookup_field is None else name,
                       "the object" if lookup_field is None else lookup_field.name)  # fmt: skip
    entity = lookup_field.reference_to[0] if len(lookup_field.reference_to) == 1 else "Name"
    target_fields = [schemas(target) or {} for target in lookup_field.reference_to]
    found = [
        next((f for f in fields_.values() if f.name.lower() == name.lower()), None)
        for fields_ in target_fields
    ]
    target = found[0] if found else None  # a lookup referencing no object: nothing to read
    if target is None or any(f is None or f.name != target.name for f in found):
        raise _no_such(query, position, name, entity)
    relation_name = lookup_field.relationship_name or relationship
    relation = relations.setdefault(
        relation_name.lower(),
        Relation(relation_name, lookup_field.name, lookup_field.reference_to),
    )
    relation.fields[target.name] = target
    return FieldDef(f"{relation.name}.{target.name}", target.type, target.label,
                    picklist=target.picklist, reference_to=target.reference_to)  # fmt: skip


def _no_such(query: str, position: int, name: str, entity: str) -> SalesforceError:
    return SalesforceError(
        "INVALID_FIELD",
        f"\n{query}\nERROR at Row:1:Column:{position + 1}\nNo such column '{name}' on entity "
        f"'{entity}'. If you are attempting to use a custom field, be sure to append the "
        "'__c' after the custom field name. Please reference your WSDL or the describe call "
        "for the appropriate names.",
    )


def enrich(
    records: list[dict[str, Any]], relations: Sequence[Relation], lookup: Lookup
) -> list[dict[str, Any]]:
    """Copies of the records with each path's value (`Owner.Name`) and parent's type."""
    out = []
    for record in records:
        row = dict(record)
        for relation in relations:
            parent_id = record.get(relation.via)
            parent = lookup(str(parent_id)) if parent_id else None
            row[relation.type_key()] = parent[0] if parent else None
            row[f"{relation.type_key()}Id"] = parent_id
            for name in relation.fields:
                row[f"{relation.name}.{name}"] = parent[1].get(name) if parent else None
        out.append(row)
    return out


def render_row(
    record: Mapping[str, Any], fields: Sequence[str], object_name: str, version: str,
    schema: Mapping[str, FieldDef], relations: Sequence[Relation],
) -> dict[str, Any]:  # fmt: skip
    """A row as the query answer holds it: own fields, then each parent nested where it was
    first selected."""
    own = [name for name in fields if "." not in name]
    if not relations:
        return render_record(record, own, object_name, version, schema)
    flat = render_record(record, own, object_name, version, schema)
    by_name = {relation.name: relation for relation in relations}
    out: dict[str, Any] = {"attributes": flat["attributes"]}
    for name in fields:
        if "." not in name:
            out[name] = flat[name]
            continue
        relationship, _, field_name = name.partition(".")
        relation = by_name[relationship]
        parent_type = record.get(relation.type_key())
        if parent_type is None:
            out[relationship] = None
            continue
        nested = out.setdefault(relationship, {"attributes": {
            "type": parent_type,
            "url": f"/services/data/{version}/sobjects/{parent_type}/"
                   f"{record[f'{relation.type_key()}Id']}",
        }})  # fmt: skip
        value = record.get(name)
        if value is not None and relation.fields[field_name].type == "datetime":
            value = sf_datetime(int(value))
        nested[field_name] = value
    return out
