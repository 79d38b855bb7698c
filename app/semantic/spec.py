"""A rubric's semantic rules as the enrichment step reads them: which text fields (per CRM,
through the rubric's `fields` mapping), which narrative, and the fact each sets. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.rubric.model import Rubric
from app.scoring.facts import AccountFacts
from app.semantic.text import joined_text


@dataclass(frozen=True, slots=True)
class SemanticSpec:
    """`key`: the fact set (`semantic.<id>`); `fields`: (name, {CRM: property}) of each text
    field; `narrative`: what the text is compared with; `versus`: for a disqualifier, the ICP
    narrative its negative one is weighed against."""

    key: str
    fields: tuple[tuple[str, Mapping[str, str]], ...]
    narrative: str
    versus: str | None = None

    def reads(self, source: str | None) -> tuple[tuple[str, bool], ...]:
        """(key, read from the raw properties) of each text field for a record of `source`:
        a mapped CRM property, else the canonical value falling back to a property."""
        return tuple(
            (mapped, True) if (mapped := by_crm.get(source or "")) else (name, False)
            for name, by_crm in self.fields
        )

    def text_of(self, facts: AccountFacts) -> str:
        """The record's text for this rule: its text fields' values, one per line."""
        found: list[object] = []
        for key, from_properties in self.reads(facts.source):
            value = None if from_properties else facts.values.get(key)
            found.append(facts.properties.get(key) if value is None else value)
        return joined_text(found)


def semantic_specs(rubric: Rubric) -> tuple[SemanticSpec, ...]:
    """One spec per semantic criterion, then per semantic disqualifier, in rubric order."""
    us = rubric.narrative.us if rubric.narrative else ""
    not_us = rubric.narrative.not_us if rubric.narrative else ""

    def fields(names: list[str]) -> tuple[tuple[str, Mapping[str, str]], ...]:
        return tuple(
            (name, {str(crm): prop for crm, prop in rubric.fields.get(name, {}).items()})
            for name in names
        )

    specs = [
        SemanticSpec(c.field, fields(c.semantic.fields), c.semantic.narrative or us)
        for _, c in rubric.criteria
        if c.semantic is not None
    ]
    specs += [
        SemanticSpec(d.field, fields(d.semantic.fields), d.semantic.narrative or not_us, us)
        for d in rubric.disqualifiers
        if d.semantic is not None
    ]
    return tuple(specs)
