"""The enrichment step before the pure scorer, in two phases.

1. `Semantics.refer` (pure, no vector): each semantic rule's fact (`semantic.<id>`) is a
   `TextRef` (model version and text hash; None without a sentence). The input digest reads
   it, so a record whose text did not change is found unchanged, and skipped, at the cost of
   hashing its text.
2. `Semantics.loaded` gathers the vectors of the records that will be scored (the store's
   cache, the model for the rest); `Semantics.resolve` then replaces each reference by the
   `SemanticMatch` the scorer reads.

`Semantics.enrich` does both for callers that score every record (validate, plan, a file)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.rubric.model import Rubric
from app.scoring.compiled import CompiledRubric
from app.scoring.facts import AccountFacts
from app.semantic.fact import TextRef
from app.semantic.model import Embedder, local_embedder, model_version
from app.semantic.spec import SemanticSpec, semantic_specs
from app.semantic.text import split_sentences, stored_version, text_hash

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.semantic.vectors import Vectors

NarrativeVectors = tuple[list[str], "Vectors"]
_NARRATIVES: dict[tuple[str, str], NarrativeVectors] = {}
"""Per (model version, narrative): a rubric's few narratives, embedded once per process."""


@dataclass(frozen=True, slots=True)
class Semantics:
    """A rubric's semantic specs and, once `loaded`, the vectors of a batch's texts (by text
    hash) and of the narratives."""

    specs: tuple[SemanticSpec, ...] = ()
    version: str = ""
    """The cache's model version (`text.stored_version`)."""
    texts: Mapping[str, Vectors] = field(default_factory=dict)
    narratives: Mapping[str, NarrativeVectors] = field(default_factory=dict)
    fresh: Mapping[str, Vectors] = field(default_factory=dict)
    """The vectors computed for this batch and not yet stored (`keep_fresh`)."""

    def refer(self, facts: AccountFacts) -> AccountFacts:
        """The facts with each semantic rule's text referenced (phase 1)."""
        if not self.specs:
            return facts
        values = dict(facts.values)
        for spec in self.specs:
            text = spec.text_of(facts)
            values[spec.key] = TextRef(text, text_hash(text), self.version) if text else None
        return replace(facts, values=values)

    def resolve(self, facts: AccountFacts) -> AccountFacts:
        """The facts with each reference replaced by its match (phase 2; `loaded` first)."""
        if not self.specs:
            return facts
        values = dict(facts.values)
        for spec in self.specs:
            found = values.get(spec.key)
            if isinstance(found, TextRef):
                values[spec.key] = self._match(spec, found)
        return replace(facts, values=values)

    def enrich(self, facts: AccountFacts) -> AccountFacts:
        return self.resolve(self.refer(facts))

    def loaded(
        self,
        session: Session | None,
        records: Iterable[AccountFacts],
        now: datetime,
        *,
        store: bool = True,
        embedder: Embedder | None = None,
    ) -> Semantics:
        """These semantics with the vectors of the texts `records` reference (refer them
        first) or hold: read from the store's cache, the rest embedded now and, with `store`,
        added to it (else left in `fresh` for the caller, as a scoring process that does not
        write leaves them to the one that does). Without a session (a file) nothing is read."""
        if not self.specs:
            return self
        by_hash = {
            ref.hash: ref.text
            for facts in records
            for spec in self.specs
            if isinstance(ref := facts.values.get(spec.key), TextRef)
            and ref.hash not in self.texts
            and split_sentences(ref.text)
        }
        from app.semantic.embedding import embed_texts

        model = embedder or local_embedder()
        version = stored_version(model.version)
        found_vectors: dict[str, Vectors] = {}
        if session is None:  # scoring a file: the store is not even imported
            computed = embed_texts(model, by_hash.values())
        else:
            from app.semantic.cache import keep, vectors_for

            found_vectors, computed = vectors_for(session, model, by_hash)
            if store:
                keep(session, version, computed, now)
        narratives = {
            text: narrative_vectors(model, text) for spec in self.specs for text in _texts(spec)
        }
        return replace(
            self,
            version=version,
            texts={**self.texts, **found_vectors, **computed},
            narratives=narratives,
            fresh={**self.fresh, **({} if session is not None and store else computed)},
        )

    def _match(self, spec: SemanticSpec, ref: TextRef) -> object:
        from app.semantic.match import best_pair, closest

        sentences = split_sentences(ref.text)
        if not sentences:
            return None
        vectors = self.texts.get(ref.hash)
        if vectors is None:
            raise LookupError(f"text for {spec.key} was not loaded before scoring")
        narrative = self.narratives[spec.narrative]
        found = closest(sentences, vectors, *narrative, whole=spec.versus is None)
        if found is None or spec.versus is None:
            return found
        return replace(found, versus=best_pair(vectors, self.narratives[spec.versus][1]))


NO_SEMANTICS = Semantics()


def semantics_of(rubric: CompiledRubric) -> Semantics:
    """The rubric's semantics before any vector is loaded (no model is loaded either)."""
    if not rubric.semantic:
        return NO_SEMANTICS
    return Semantics(rubric.semantic, stored_version(model_version()))


def semantics_for(
    session: Session | None,
    rubric: CompiledRubric,
    records: Iterable[AccountFacts],
    now: datetime,
    *,
    store: bool = True,
    embedder: Embedder | None = None,
) -> Semantics:
    """The rubric's semantics loaded for `records` (their own text, before any fallback to a
    company: pass donors among them), for callers that enrich every record (`enrich`)."""
    semantics = semantics_of(rubric)
    refs = [semantics.refer(facts) for facts in records]
    return semantics.loaded(session, refs, now, store=store, embedder=embedder)


def keep_fresh(session: Session, semantics: Semantics, now: datetime) -> None:
    """Stores the vectors a batch computed without storing them."""
    if semantics.fresh:
        from app.semantic.cache import keep

        keep(session, semantics.version, semantics.fresh, now)


def _texts(spec: SemanticSpec) -> tuple[str, ...]:
    return (spec.narrative,) if spec.versus is None else (spec.narrative, spec.versus)


def narrative_vectors(embedder: Embedder, narrative: str) -> NarrativeVectors:
    key = (embedder.version, narrative)
    found = _NARRATIVES.get(key)
    if found is None:
        from app.semantic.text import embedded, narrative_sentences

        sentences = narrative_sentences(narrative)
        found = _NARRATIVES[key] = (sentences, embedder.embed(embedded(sentences)))
    return found


def warm_up(rubrics: Iterable[Rubric]) -> bool:
    """Loads the model and embeds the narratives of `rubrics` that read text by meaning (False:
    none does, nothing loaded), so that the first event a service scores does not wait for
    them (about half a second) on top of its own text."""
    specs = [spec for rubric in rubrics for spec in semantic_specs(rubric)]
    if not specs:
        return False
    model = local_embedder()
    for spec in specs:
        for narrative in _texts(spec):
            narrative_vectors(model, narrative)
    return True
