"""What rescoring one account decides and stores, as plain values: the facts and digest of a
prepared account, whether a result differs from the current score, and the column values of the
score, its history row and the writeback's desired state. The per-record path (ORM rows,
app.sync.rescore) and the bulk mode (Core statements, app.sync.bulk) both build on these, so
they cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from app.scoring import AccountFacts, CompiledRubric, ScoreResult
from app.semantic.enrich import NO_SEMANTICS, Semantics
from app.store.repo import DealCounts
from app.sync.facts import (
    DONORS,
    PROSPECTS,
    AccountColumns,
    account_facts,
    donor_key,
    input_hash,
    lead_inputs_hash,
    with_account_fallback,
)
from connectors.base import AccountScore

A = TypeVar("A", bound=AccountColumns)
NO_DEALS = DealCounts()


class ScoreContent(Protocol):
    """What `differs` compares of a stored score: a `Score` row or a row read in bulk."""

    @property
    def score(self) -> int: ...
    @property
    def tier(self) -> str: ...
    @property
    def flags(self) -> Sequence[str]: ...
    @property
    def reasons(self) -> Sequence[str]: ...
    @property
    def rubric_version(self) -> str: ...


def prepare(
    accounts: Sequence[A],
    donors: Mapping[str, AccountColumns],
    counts: Mapping[str, DealCounts],
    rubric: CompiledRubric,
    semantics: Semantics = NO_SEMANTICS,
) -> Iterator[tuple[A, AccountFacts, str | None, str]]:
    """Per account: the facts the rubric scores (a prospect's completed from its donor), the
    reason line saying where a prospect's company data came from, and the digest of the inputs
    (a donor's includes what its prospects could borrow). `donors`: `donor_key` (a lead's
    domain, a contact's company id) → the record a prospect falls back on; `counts`: deal
    counts by CRM id (empty when the rubric reads no deals); `semantics`: the rubric's
    (`app.semantic.enrich.semantics_of`): its rules' texts are referenced, by hash, for the
    digest; a record to score is then resolved (`Semantics.loaded`, `Semantics.resolve`)."""
    for account in accounts:
        facts, reason = facts_of(account, donors, counts, rubric, semantics)
        extra = lead_inputs_hash(rubric, facts) if account.object_type in DONORS else reason
        yield account, facts, reason, input_hash(rubric, facts, extra)


def facts_of(
    account: AccountColumns,
    donors: Mapping[str, AccountColumns],
    counts: Mapping[str, DealCounts],
    rubric: CompiledRubric,
    semantics: Semantics = NO_SEMANTICS,
) -> tuple[AccountFacts, str | None]:
    """What `prepare` scores of one account, without the digest: its facts (a prospect's
    completed from its donor) and the reason line saying where a prospect's company data came
    from (None for any other record)."""
    if semantics.specs is not rubric.semantic and semantics.specs != rubric.semantic:
        raise ValueError("the rubric reads text by meaning: enrich with its own semantics")
    facts = semantics.refer(account_facts(account, counts.get(account.crm_id, NO_DEALS)))
    if account.object_type not in PROSPECTS:
        return facts, None
    key = donor_key(account)
    donor = donors.get(key) if key else None
    if donor is not None and donor.object_type != PROSPECTS[account.object_type]:
        donor = None
    donor_deals = counts.get(donor.crm_id, NO_DEALS) if donor else NO_DEALS
    return with_account_fallback(rubric, facts, donor, donor_deals, semantics.refer)


def differs(current: ScoreContent, result: ScoreResult) -> bool:
    """Whether the result changes the score's content (a history row; `scored_at` moves)."""
    return current.rubric_version != result.rubric_version or (
        current.score,
        current.tier,
        list(current.flags),
        list(current.reasons),
    ) != (result.score, result.tier, list(result.flags), list(result.reasons))


def score_values(result: ScoreResult, digest: str) -> dict[str, Any]:
    """A score's columns but its account and `scored_at`."""
    return {
        "score": result.score,
        "tier": result.tier,
        "disqualified": result.disqualified,
        "flags": list(result.flags),
        "reasons": list(result.reasons),
        "criteria": {c.id: c.points for c in result.criteria},
        "rubric_version": result.rubric_version,
        "input_hash": digest,
    }


def history_values(account_id: int, result: ScoreResult, now: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "score": result.score,
        "tier": result.tier,
        "disqualified": result.disqualified,
        "flags": list(result.flags),
        "reasons": list(result.reasons),
        "rubric_version": result.rubric_version,
        "scored_at": now,
    }


def account_score(result: ScoreResult, scored_at: datetime) -> AccountScore:
    """The stored score as a connector renders it: `scored_at` moves only when the content
    changes, so re-scoring to the same result renders the same CRM values."""
    return AccountScore(
        score=result.score,
        tier=result.tier,
        disqualified=result.disqualified,
        flags=tuple(result.flags),
        reasons=tuple(result.reasons),
        rubric_version=result.rubric_version,
        scored_at=scored_at,
    )
