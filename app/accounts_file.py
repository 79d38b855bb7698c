"""Reads accounts from CSV or JSON Lines files for offline scoring, and writes results.

A column (or key) `id`, `crm_id` or `record_id` names each record, else its row number;
`object_type` (company, account, lead, contact) defaults to `account`. Every other column is a
field the rubric can reference by name. Files are streamed, so a million rows do not sit in memory.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from app.errors import InputFileError
from app.scoring import AccountFacts, ScoreResult

ID_COLUMNS = ("id", "crm_id", "record_id")
SUPPORTED = (".csv", ".jsonl", ".ndjson")
DEFAULT_OBJECT_TYPE = "account"


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputFileError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; expected .csv or .jsonl"
        )
    return "csv" if suffix == ".csv" else "jsonl"


def _facts(row: dict[str, Any], row_number: int) -> AccountFacts:
    record_id = next((row[c] for c in ID_COLUMNS if row.get(c) not in (None, "")), None)
    object_type = row.get("object_type") or DEFAULT_OBJECT_TYPE
    return AccountFacts(
        id=str(record_id) if record_id is not None else f"row {row_number}",
        values=row,
        object_type=str(object_type).strip().lower(),
    )


def read_accounts(path: Path) -> Iterator[AccountFacts]:
    """Yields one AccountFacts per row; raises InputFileError naming the file, the line and
    what is wrong."""
    kind = _format(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if kind == "csv":
                yield from _read_csv(path, handle)
            else:
                yield from _read_jsonl(path, handle)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, expected a .csv or .jsonl file") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: {_first_undecodable(path)}") from None
    except csv.Error as error:
        raise InputFileError(f"{path}: malformed CSV: {error}") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror}") from None


def _first_undecodable(path: Path) -> str:
    """Where a file stops being UTF-8: decoding errors raised while streaming only know the
    offset inside the chunk being decoded, so the file is scanned again on that error path."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk.count(b"\n", 0, error.start)
                return f"line {line}: not UTF-8 text (byte {offset + error.start})"
            offset += len(chunk)
            line += chunk.count(b"\n")
    return "not UTF-8 text"


def _read_csv(path: Path, handle: IO[str]) -> Iterator[AccountFacts]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        raise InputFileError(f"{path}: empty file, expected a header row of column names")
    blank = [i + 1 for i, name in enumerate(reader.fieldnames) if not name.strip()]
    if blank:
        raise InputFileError(f"{path}: header column {blank[0]} has no name")
    for row in reader:
        extra = row.pop(None, None)
        if extra:
            raise InputFileError(
                f"{path}: line {reader.line_num}: {len(extra)} more value(s) than header columns"
            )
        yield _facts(
            {key: value for key, value in row.items() if value is not None}, reader.line_num
        )


def _read_jsonl(path: Path, handle: IO[str]) -> Iterator[AccountFacts]:
    for line_number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(
                f"{path}: line {line_number}, column {error.colno}: invalid JSON: {error.msg}"
            ) from None
        if not isinstance(document, dict):
            raise InputFileError(
                f"{path}: line {line_number}: expected a JSON object, got {type(document).__name__}"
            )
        yield _facts(document, line_number)


def result_record(facts: AccountFacts, result: ScoreResult) -> dict[str, Any]:
    """The machine-readable form of one scored record (`--json` and JSONL output)."""
    return {
        "id": facts.id,
        "name": facts.values.get("name"),
        "object_type": facts.object_type,
        "score": result.score,
        "tier": result.tier,
        "disqualified": result.disqualified,
        "flags": list(result.flags),
        "reasons": list(result.reasons),
        "criteria": [
            {
                "id": c.id,
                "layer": c.layer,
                "weight": c.weight,
                "points": c.points,
                "contribution": round(c.contribution, 2),
                "outcome": c.outcome,
            }
            for c in result.criteria
        ],
        "rubric_version": result.rubric_version,
    }


CSV_COLUMNS = ("id", "name", "score", "tier", "disqualified", "flags", "reasons", "rubric_version")


class ResultWriter:
    """Writes scored records to a .csv or .jsonl file as they come."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._kind = _format(path)
        self._stack = ExitStack()
        self._csv: csv.DictWriter[str] | None = None
        self._handle: IO[str] | None = None

    def __enter__(self) -> Self:
        try:
            self._handle = self._stack.enter_context(
                self._path.open("w", encoding="utf-8", newline="")
            )
        except OSError as error:
            raise InputFileError(f"{self._path}: cannot write: {error.strerror}") from None
        if self._kind == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=CSV_COLUMNS)
            self._csv.writeheader()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def write(self, facts: AccountFacts, result: ScoreResult) -> None:
        assert self._handle is not None, "use ResultWriter as a context manager"
        record = result_record(facts, result)
        if self._csv is not None:
            self._csv.writerow(
                {
                    **{column: record[column] for column in CSV_COLUMNS},
                    "flags": ";".join(record["flags"]),
                    "reasons": " | ".join(record["reasons"]),
                }
            )
        else:
            self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
