"""What the pages need from the rubrics the service knows (its rubric, and every file of its
rubric directory): each criterion's reason text, to pair a stored score's criterion points
with its reason line, and the flag (disqualifier) ids, for the accounts filter.

A stored score keeps its criteria as a JSON object of id → points and its reasons as lines
(`"<criterion reason>: <why>"`, in rubric order, then one per disqualifier that holds).
PostgreSQL's JSONB does not keep an object's key order, so the points cannot be paired with
the lines by position: a line is paired by its criterion's reason text instead. Read once
per process; a rubric that cannot be read leaves the catalog empty, never a page broken.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from app.rubric.model import Rubric
from app.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CriterionInfo:
    layer: str
    reasons: tuple[str, ...]
    """Its reason text in each rubric that has it (rubrics may word it differently)."""


@dataclass(frozen=True)
class Catalog:
    criteria: dict[str, CriterionInfo] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def catalog_of(rubrics: list[Rubric]) -> Catalog:
    criteria: dict[str, CriterionInfo] = {}
    flags: list[str] = []
    for rubric in rubrics:
        for layer, criterion in rubric.criteria:
            known = criteria.get(criterion.id, CriterionInfo(layer, ()))
            if criterion.reason not in known.reasons:
                known = CriterionInfo(known.layer, (*known.reasons, criterion.reason))
            criteria[criterion.id] = known
        flags.extend(d.id for d in rubric.disqualifiers if d.id not in flags)
    return Catalog(criteria, sorted(flags))


def _known_rubrics(settings: Settings) -> list[Rubric]:
    from app.rubric.registry import rubric_files, single

    rubrics = [single(settings.rubric).champion.rubric]
    if settings.rubric_dir is not None:
        rubrics.extend(f.rubric for f in rubric_files(settings.rubric_dir).values())
    return rubrics


class RubricCatalog:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None

    def get(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                try:
                    self._catalog = catalog_of(_known_rubrics(self._settings))
                except Exception as error:  # a page shows the stored scores without it
                    logger.warning("dashboard: rubrics not read: %s", type(error).__name__)
                    self._catalog = Catalog()
            return self._catalog
