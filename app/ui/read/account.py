"""One record's page: its facts, its current score criterion by criterion, its score history
with what changed at each step, its challengers' scores and its deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.tables import (
    Account,
    ChallengerScore,
    Deal,
    DealAccount,
    DealContact,
    Score,
    ScoreHistory,
)
from app.ui.read.rubrics import Catalog

HISTORY_LIMIT = 200
DEALS_LIMIT = 200


@dataclass(frozen=True)
class CriterionLine:
    id: str
    layer: str | None
    points: float | None
    reason: str | None


@dataclass(frozen=True)
class HistoryEntry:
    scored_at: datetime
    rubric_version: str
    score: int
    tier: str
    disqualified: bool
    flags: list[str]
    first: bool
    score_delta: int | None
    tier_before: str | None
    flags_added: list[str]
    flags_removed: list[str]
    version_before: str | None
    """The previous entry's rubric version when it differs, else None."""


@dataclass(frozen=True)
class DealLine:
    name: str | None
    crm_id: str
    stage: str | None
    amount: Decimal | None
    close_date: date | None
    outcome: str  # won | lost | open


@dataclass(frozen=True)
class AccountView:
    account: Account
    score: Score | None
    criteria: list[CriterionLine]
    other_reasons: list[str]
    """Reason lines no criterion claims: the disqualifiers that hold."""
    history: list[HistoryEntry]
    history_more: bool
    challengers: list[ChallengerScore]
    deals: list[DealLine]


def criteria_lines(score: Score, catalog: Catalog) -> tuple[list[CriterionLine], list[str]]:
    """Each criterion's points with its reason line, paired by the criterion's reason text."""
    reasons = list(score.reasons or [])
    lines = []
    for criterion_id, points in (score.criteria or {}).items():
        info = catalog.criteria.get(criterion_id)
        reason = None
        if info is not None:
            prefixes = tuple(f"{text}: " for text in info.reasons)
            reason = next((r for r in reasons if r.startswith(prefixes)), None)
            if reason is not None:
                reasons.remove(reason)
        value = None if points is None else float(points)
        lines.append(CriterionLine(criterion_id, info.layer if info else None, value, reason))
    order = {c: i for i, c in enumerate(catalog.criteria)}
    lines.sort(key=lambda line: (order.get(line.id, len(order)), line.id))
    return lines, reasons


def history_entries(rows: list[ScoreHistory]) -> list[HistoryEntry]:
    """`rows` oldest first; the entries newest first, each compared with the one before."""
    entries = []
    previous: ScoreHistory | None = None
    for row in rows:
        flags = list(row.flags or [])
        before = list(previous.flags or []) if previous is not None else []
        entries.append(
            HistoryEntry(
                scored_at=row.scored_at,
                rubric_version=row.rubric_version,
                score=row.score,
                tier=row.tier,
                disqualified=row.disqualified,
                flags=flags,
                first=previous is None,
                score_delta=None if previous is None else row.score - previous.score,
                tier_before=previous.tier
                if previous is not None and previous.tier != row.tier
                else None,
                flags_added=[f for f in flags if f not in before],
                flags_removed=[f for f in before if f not in flags],
                version_before=previous.rubric_version
                if previous is not None and previous.rubric_version != row.rubric_version
                else None,
            )
        )
        previous = row
    return entries[::-1]


def _deals(session: Session, account: Account) -> list[DealLine]:
    if account.object_type in ("company", "account"):
        link = select(DealAccount.deal_id).where(DealAccount.account_crm_id == account.crm_id)
    elif account.object_type == "contact":
        link = select(DealContact.deal_id).where(DealContact.contact_crm_id == account.crm_id)
    else:  # a lead has no deals until it is converted
        return []
    deals = session.scalars(
        select(Deal)
        .where(Deal.id.in_(link), Deal.source == account.source)
        .order_by(Deal.close_date.desc().nulls_last(), Deal.id)
        .limit(DEALS_LIMIT)
    )
    return [
        DealLine(
            d.name,
            d.crm_id,
            d.stage,
            d.amount,
            d.close_date,
            ("won" if d.is_won else "lost") if d.is_closed else "open",
        )
        for d in deals
    ]


def account_view(session: Session, account_id: int, catalog: Catalog) -> AccountView | None:
    account = session.get(Account, account_id)
    if account is None:
        return None
    score = session.get(Score, account_id)
    criteria, other = criteria_lines(score, catalog) if score is not None else ([], [])
    newest = list(
        session.scalars(
            select(ScoreHistory)
            .where(ScoreHistory.account_id == account_id)
            .order_by(ScoreHistory.scored_at.desc(), ScoreHistory.id.desc())
            .limit(HISTORY_LIMIT + 1)
        )
    )
    challengers = session.scalars(
        select(ChallengerScore)
        .where(ChallengerScore.account_id == account_id)
        .order_by(ChallengerScore.name)
    )
    return AccountView(
        account=account,
        score=score,
        criteria=criteria,
        other_reasons=other,
        history=history_entries(newest[::-1])[:HISTORY_LIMIT],
        history_more=len(newest) > HISTORY_LIMIT,
        challengers=list(challengers),
        deals=_deals(session, account),
    )
