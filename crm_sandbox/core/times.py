"""Times as the sandboxes keep and write them: epoch milliseconds (UTC), written
`2024-08-15T17:09:13.648Z` (HubSpot's format; Salesforce's differs only in the zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

DAY_MS = 86_400_000
_EPOCH_DATE = date(1970, 1, 1)


def iso_ms(epoch_ms: int) -> str:
    """`2024-08-15T17:09:13.648Z`: HubSpot's datetime format."""
    days, in_day = divmod(epoch_ms, DAY_MS)
    seconds, millis = divmod(in_day, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_iso_day(days)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@lru_cache(maxsize=8_192)
def _iso_day(days_since_epoch: int) -> str:
    return (_EPOCH_DATE + timedelta(days=days_since_epoch)).isoformat()


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
