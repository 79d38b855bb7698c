"""The enrichment step before the pure scorer: each semantic rule's fact (`semantic.<id>`, a
`SemanticMatch` or None) put into a record's facts, from sentence vectors already at hand.

`semantics_for` gathers those vectors for a batch of records (the store's cache, the model for
the rest); `Semantics.enrich` is then pure, so the scorer and the input digest read the match
like any other value: a record whose text, narrative and model did not change digests the same
and is not rescored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.scoring.compiled import CompiledRubric
from app.scoring.facts import AccountFacts
from app.semantic import embedding
from app.semantic.embedding import cache_version
from app.semantic.match import best_pair, closest
from app.semantic.model import Embedder, local_embedder
from app.semantic.spec import SemanticSpec
from app.semantic.text import embedded, narrative_sentences, split_sentences, text_hash
from app.semantic.vectors import Vectors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

NarrativeVectors = tuple[list[str], Vectors]
_NARRATIVES: dict[tuple[str, str], NarrativeVectors] = {}
"""Per (model version, narrative): a rubric's few narratives, embedded once per process."""


@dataclass(frozen=True, slots=True)
class Semantics:
    """What enriching a batch needs: the rubric's semantic specs, the sentence vectors of the
    batch's texts (by text hash) and of the narratives."""

    specs: tuple[SemanticSpec, ...] = ()
    texts: Mapping[str, Vectors] = field(default_factory=dict)
    narratives: Mapping[str, NarrativeVectors] = field(default_factory=dict)
    sentences: Mapping[str, list[str]] = field(default_factory=dict)
    """The texts' sentences (by text hash), split once per batch: a text is read by each of a
    rubric's semantic rules, and splitting it was a third of a warm rescoring's enrichment."""
    fresh: Mapping[str, Vectors] = field(default_factory=dict)
    """The texts' vectors computed for this batch, not yet in the store (kept when
    `semantics_for` was not asked to store them: `keep_fresh`)."""
    version: str = ""
    """The cache's model version of the vectors."""

    def enrich(self, facts: AccountFacts) -> AccountFacts:
        """The facts with each semantic rule's match set (None: no text to compare)."""
        if not self.specs:
            return facts
        values = dict(facts.values)
        for spec in self.specs:
            values[spec.key] = self.match(spec, spec.text_of(facts))
        return replace(facts, values=values)

    def match(self, spec: SemanticSpec, text: str) -> object:
        digest = text_hash(text)
        sentences = self.sentences.get(digest)
        if sentences is None:
            sentences = split_sentences(text)
        if not sentences:
            return None
        vectors = self.texts.get(digest)
        if vectors is None:
            raise LookupError(f"text for {spec.key} was not embedded before scoring")
        disqualifier = spec.versus is not None
        found = closest(
            sentences, vectors, *self.narratives[spec.narrative], whole=not disqualifier
        )
        if found is None or spec.versus is None:
            return found
        return replace(found, versus=best_pair(vectors, self.narratives[spec.versus][1]))


NO_SEMANTICS = Semantics()


def semantics_for(
    session: Session | None,
    rubric: CompiledRubric,
    records: Iterable[AccountFacts],
    now: datetime,
    *,
    store: bool = True,
    embedder: Embedder | None = None,
) -> Semantics:
    """The vectors `rubric`'s semantic rules need for `records` (their own text, before any
    fallback to a company: pass donors among them): from the store's cache, the rest embedded
    now and, with `store`, added to it (else left in `fresh` for the caller, as a scoring
    process that does not write leaves them to the one that does). A rubric without semantic
    rules needs nothing."""
    specs = rubric.semantic
    if not specs:
        return NO_SEMANTICS
    model = embedder or local_embedder()
    version = cache_version(model)
    texts = dict.fromkeys(spec.text_of(facts) for facts in records for spec in specs)
    sentences = {text_hash(text): split_sentences(text) for text in texts}
    by_hash = {digest: text for text in texts if sentences[digest := text_hash(text)]}
    found: dict[str, Vectors] = {}
    if session is None:  # scoring a file: the store is not even imported
        computed = embedding.embed_texts(model, by_hash.values())
    else:
        from app.semantic.cache import keep, vectors_for

        found, computed = vectors_for(session, model, by_hash)
        if store:
            keep(session, version, computed, now)
    stored = session is not None and store
    return Semantics(
        specs,
        found | computed if computed else found,
        {text: narrative_vectors(model, text) for spec in specs for text in _narratives(spec)},
        sentences,
        {} if stored else computed,
        version,
    )


def keep_fresh(session: Session, semantics: Semantics, now: datetime) -> None:
    """Stores the vectors a batch computed without storing them."""
    from app.semantic.cache import keep

    keep(session, semantics.version, semantics.fresh, now)


def _narratives(spec: SemanticSpec) -> tuple[str, ...]:
    return (spec.narrative,) if spec.versus is None else (spec.narrative, spec.versus)


def narrative_vectors(embedder: Embedder, narrative: str) -> NarrativeVectors:
    key = (embedder.version, narrative)
    found = _NARRATIVES.get(key)
    if found is None:
        sentences = narrative_sentences(narrative)
        found = _NARRATIVES[key] = (sentences, embedder.embed(embedded(sentences)))
    return found


def warm_up(rubrics: Iterable[CompiledRubric]) -> bool:
    """Loads the model and embeds the narratives of `rubrics` that read text by meaning (False:
    none does, nothing loaded), so that the first event a service scores does not wait for
    them (about half a second) on top of its own text."""
    specs = [spec for rubric in rubrics for spec in rubric.semantic]
    if not specs:
        return False
    model = local_embedder()
    for spec in specs:
        for narrative in _narratives(spec):
            narrative_vectors(model, narrative)
    return True
