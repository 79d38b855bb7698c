"""`plan`: what a rubric change would do, before it ships. Every live stored account and lead is
scored in memory by the current rubric (champion) and the new one (challenger), exactly as the
sync would score it; nothing is stored and nothing is written to a CRM."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.rubric.model import DISQUALIFIED_TIER
from app.scoring import CompiledRubric, ScoreResult
from app.sync.facts import AccountColumns
from app.validation.accounts import ScoredAccounts

INTO, OUT_OF = "into", "out_of"
SHOWN = 50
"""Accounts into (and out of) disqualified listed in the terminal and the HTML report, with
their count; `--json` and `--csv` list every one."""


@dataclass(frozen=True, slots=True)
class Change:
    source: str
    object_type: str
    crm_id: str
    name: str | None
    tier_before: str
    tier_after: str
    score_before: int
    score_after: int
    flags_added: tuple[str, ...]
    flags_removed: tuple[str, ...]
    direction: str | None
    """`into` or `out_of` disqualified when the tier crosses that line, else None."""


@dataclass(frozen=True, slots=True)
class Comparison:
    accounts: int
    transitions: dict[str, dict[str, int]]
    """Tier before → tier after → accounts (every account, unchanged ones on the diagonal)."""
    changed: tuple[Change, ...]
    """Accounts whose tier, score or flags change, the largest score move first."""
    newly_disqualified: tuple[Change, ...]
    no_longer_disqualified: tuple[Change, ...]


def compare(
    session: Session,
    champion: CompiledRubric,
    challenger: CompiledRubric,
    *,
    now: datetime,
    source: str | None = None,
    accounts: ScoredAccounts | None = None,
) -> Comparison:
    """`accounts`: scores to share with the command's other calls (its `now` is the one
    scored with); by default read here."""
    if accounts is None:
        accounts = ScoredAccounts(session, now=now, source=source)
    transitions: Counter[tuple[str, str]] = Counter()
    changed: list[Change] = []
    total = 0
    for (account, old), (_, new) in zip(
        accounts.as_synced(champion), accounts.as_synced(challenger), strict=True
    ):
        total += 1
        transitions[(old.tier, new.tier)] += 1
        if (old.tier, old.score, old.flags) != (new.tier, new.score, new.flags):
            changed.append(_change(account, old, new))
    changed.sort(key=lambda c: (-abs(c.score_after - c.score_before), c.source, c.crm_id))
    matrix: dict[str, dict[str, int]] = defaultdict(dict)
    for (old_tier, new_tier), count in sorted(transitions.items()):
        matrix[old_tier][new_tier] = count
    return Comparison(
        accounts=total,
        transitions=dict(matrix),
        changed=tuple(changed),
        newly_disqualified=tuple(c for c in changed if c.direction == INTO),
        no_longer_disqualified=tuple(c for c in changed if c.direction == OUT_OF),
    )


def _change(account: AccountColumns, old: ScoreResult, new: ScoreResult) -> Change:
    return Change(
        source=account.source,
        object_type=account.object_type,
        crm_id=account.crm_id,
        name=account.name,
        tier_before=old.tier,
        tier_after=new.tier,
        score_before=old.score,
        score_after=new.score,
        flags_added=tuple(f for f in new.flags if f not in old.flags),
        flags_removed=tuple(f for f in old.flags if f not in new.flags),
        direction=_direction(old.tier, new.tier),
    )


def _direction(before: str, after: str) -> str | None:
    if after == DISQUALIFIED_TIER != before:
        return INTO
    if before == DISQUALIFIED_TIER != after:
        return OUT_OF
    return None
