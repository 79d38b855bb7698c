"""What `icp-sync doctor` reports: one `Check` per thing checked, and the rules every check
follows.

A check never raises: `guarded` turns a CRM refusal, a configuration error or anything else
into a failed check (the connector's message, which names the call and the CRM's reason and
never a token; for an unexpected error only its type). `skip` is for what could not be checked
(an earlier check failed, or only a person can look: the fix then says where).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.errors import IcpSyncError
from connectors.errors import ConnectorError

Status = Literal["ok", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skip")
LOW_SHARE = 0.10
"""Below this share of the daily API calls left, `api_calls_today` warns."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    source: str  # hubspot, salesforce, or local (settings, rubric, store)
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }


def guarded(source: str, name: str, fix: str, run: Callable[[], Check]) -> Check:
    """`run()`, or a failed check carrying the error's message and `fix`."""
    try:
        return run()
    except (ConnectorError, IcpSyncError) as error:
        return Check(name, source, "fail", str(error), fix)
    except Exception as error:  # a check must report, never crash the others
        return Check(name, source, "fail", f"unexpected {type(error).__name__}", fix)


def skipped(source: str, names: Iterable[str], why: str) -> list[Check]:
    return [Check(name, source, "skip", why) for name in names]


def failed(checks: Sequence[Check]) -> bool:
    return any(check.status == "fail" for check in checks)


def counts(checks: Sequence[Check]) -> dict[str, int]:
    return {status: sum(1 for c in checks if c.status == status) for status in STATUSES}


def daily_calls_check(source: str, remaining: int, limit: int, reset: str) -> Check:
    """`api_calls_today`: fail at none left, warn under `LOW_SHARE` of the limit."""
    detail = f"{remaining:,} of {limit:,} API calls left today"
    if remaining <= 0:
        return Check("api_calls_today", source, "fail", detail, f"no call succeeds until {reset}")
    if limit > 0 and remaining < LOW_SHARE * limit:
        return Check(
            "api_calls_today",
            source,
            "warn",
            detail,
            f"syncs may stop part-way until {reset}; find what else uses the API",
        )
    return Check("api_calls_today", source, "ok", detail)


def unknown_names(source: str, wanted: Sequence[str], known: Iterable[str], absent: str) -> Check:
    """`rubric_fields`: every CRM property the rubric reads exists (a typo would score every
    record as missing), with the closest existing name as a hint. `absent` says where a
    missing one is not ("not a HubSpot company property")."""
    import difflib

    names = list(known)
    missing = [name for name in wanted if name not in names]
    if not wanted:
        return Check("rubric_fields", source, "ok", "the rubric reads no CRM-specific property")
    if not missing:
        return Check("rubric_fields", source, "ok", f"the rubric's {', '.join(wanted)} exist")
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, names, n=1)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return Check(
        "rubric_fields",
        source,
        "fail",
        f"the rubric reads {', '.join(hints)}: {absent}, so every record would score it as missing",
        f"correct the name in the rubric (`fields:` → {source}, or the criterion's `field`), "
        "or create the property",
    )
