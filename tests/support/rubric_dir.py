"""Rubric directories for the challenger tests: the shipped rubric as the champion and a
challenger that scores differently (another version, employees weighing most, no
disqualifiers), so whatever it wrote to a CRM would show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.rubric import DEFAULT_RUBRIC_PATH, parse_rubric
from app.scoring import compile_rubric

CHAMPION_VERSION = "2026.11-default"
CHALLENGER_VERSION = "2026.12-challenger"


def challenger_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"))
    document["version"] = CHALLENGER_VERSION
    for criterion in document["layers"]["firmographic"]["criteria"]:
        if criterion["id"] == "employees":
            criterion["weight"] = 80
    document["disqualifiers"] = []
    return document


def rubric_dir(folder: Path, *, champion: str = "champion", challenger: str = "challenger") -> Path:
    """`folder` holding `<champion>.yaml` (the shipped rubric) and `<challenger>.yaml`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{champion}.yaml").write_text(
        DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / f"{challenger}.yaml").write_text(
        yaml.safe_dump(challenger_document()), encoding="utf-8"
    )
    return folder


def _written(document: dict[str, Any]) -> str:
    return compile_rubric(parse_rubric(document)).written_version


CHAMPION_WRITTEN = _written(yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")))
"""The versions written to the CRM (and stored with each score): they name the content."""
CHALLENGER_WRITTEN = _written(challenger_document())
