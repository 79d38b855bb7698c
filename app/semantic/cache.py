"""Sentence embeddings kept in the store per model version and text hash (`text_embeddings`),
so that a record is embedded once per text: rescoring it while its text is unchanged, after a
restart or on another replica, reads the row instead. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.semantic import embedding
from app.semantic.model import Embedder, available, model_version
from app.semantic.text import stored_version
from app.semantic.vectors import Vectors, pack, unpack
from app.store.insert import insert_ignoring_conflicts
from app.store.tables import TextEmbedding

LOOKUP_CHUNK = 500
"""Hashes per `IN (…)`: well under SQLite's bound-parameter limit."""


def stored_vectors(session: Session, version: str, hashes: Iterable[str]) -> dict[str, Vectors]:
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, Vectors] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        query = select(TextEmbedding.text_hash, TextEmbedding.vectors).where(
            TextEmbedding.model_version == version,
            TextEmbedding.text_hash.in_(wanted[start : start + LOOKUP_CHUNK]),
        )
        for digest, blob in session.connection().execute(query):
            found[digest] = unpack(blob)
    return found


def vectors_for(
    session: Session, embedder: Embedder, by_hash: Mapping[str, str]
) -> tuple[dict[str, Vectors], dict[str, Vectors]]:
    """text hash → sentence vectors for every text of `by_hash` (text hash → a text that has a
    sentence): those read from the store, and those embedded now (which `keep` adds to it)."""
    found = stored_vectors(session, stored_version(embedder.version), by_hash)
    missing = [text for digest, text in by_hash.items() if digest not in found]
    return found, embedding.embed_texts(embedder, missing) if missing else {}


def keep(session: Session, version: str, computed: Mapping[str, Vectors], now: datetime) -> None:
    """Adds embeddings computed for the model `version` (`text.stored_version`); a row another
    writer added meanwhile is left as it is."""
    if not computed:
        return
    rows = [
        {
            "model_version": version,
            "text_hash": digest,
            "sentences": len(vectors),
            "vectors": pack(vectors),
            "created_at": now,
        }
        for digest, vectors in computed.items()
    ]
    statement = insert_ignoring_conflicts(session, TextEmbedding, ("model_version", "text_hash"))
    session.connection().execute(statement, rows)


def prune(session: Session) -> int:
    """Deletes the rows of every model version but the installed one (after an upgrade, texts
    are re-embedded as they are scored); returns how many. Nothing without the model."""
    if not available():
        return 0
    current = stored_version(model_version())
    result = session.connection().execute(
        delete(TextEmbedding).where(TextEmbedding.model_version != current)
    )
    return int(result.rowcount or 0)
