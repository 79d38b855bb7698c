"""`icp-sync rubric check`, `icp-sync score` and `icp-sync explain` end to end, through the
typer app, on real files: exit codes, JSON shapes, output files and user-facing errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from app.accounts_file import CSV_COLUMNS
from app.cli.main import cli
from app.rubric.loader import DEFAULT_RUBRIC_PATH, load_rubric
from app.scoring import compile_rubric
from app.settings import get_settings

SAMPLE_CSV = Path(__file__).resolve().parents[3] / "app" / "samples" / "accounts.csv"
AS_OF = "2026-11-23"
CRITERIA = [
    "industry",
    "employees",
    "annual_revenue",
    "complementary_stack",
    "buying_signals",
    "recent_engagement",
]
TIER_NAMES = ["tier_1", "tier_2", "tier_3", "disqualified"]
WRITTEN_VERSION = compile_rubric(load_rubric()).written_version
"""The default rubric's version as scores carry it: its declared one and its content hash."""


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Default rubric, no stray `.env`, and a wide console so messages are not wrapped."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _json(result: Result) -> Any:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


def _user_error(result: Result) -> str:
    """The single-line message of a handled user error; fails on a crash or a success."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception  # not an escaped error
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("error: ")
    return result.stderr.removeprefix("error: ").strip()


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _score_json(input_file: Path, *extra: str | Path) -> dict[str, Any]:
    document: dict[str, Any] = _json(
        _invoke("score", "--input", input_file, "--as-of", AS_OF, "--json", *extra)
    )
    return document


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in document["results"]}


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_jsonl(path: Path, records: Sequence[object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


def _broken_rubric(tmp_path: Path) -> Path:
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text("utf-8"))
    document["layers"]["firmographic"]["criteria"][1]["bands"][0]["min"] = "fifty"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return path


BROKEN_PROBLEM = "layers.firmographic.criteria[1].bands[0].min: expected a number, got 'fifty'"


# --- rubric check ---------------------------------------------------------------------------


def test_given_default_rubric_when_rubric_check_then_exit_0_and_version_named() -> None:
    result = _invoke("rubric", "check", DEFAULT_RUBRIC_PATH)

    assert (result.exit_code, result.exception) == (0, None)
    assert f"{DEFAULT_RUBRIC_PATH}: valid — Default B2B SaaS ICP, version 2026.11-default" in (
        result.stdout
    )
    for criterion in CRITERIA:
        assert criterion in result.stdout
    assert "weights sum to" not in result.stdout  # they sum to 100: no normalisation note
    assert result.stderr == ""


def test_given_default_rubric_when_rubric_check_json_then_summary_is_valid_json() -> None:
    summary = _json(_invoke("rubric", "check", DEFAULT_RUBRIC_PATH, "--json"))

    assert summary["valid"] is True
    assert summary["version"] == "2026.11-default"
    assert summary["total_weight"] == 100
    assert {name: layer["weight"] for name, layer in summary["layers"].items()} == {
        "firmographic": 50,
        "technographic": 15,
        "behavioural": 35,
    }
    criteria = [c for layer in summary["layers"].values() for c in layer["criteria"]]
    assert [c["id"] for c in criteria] == CRITERIA
    assert sum(c["share_percent"] for c in criteria) == 100
    assert criteria[0] == {
        "id": "industry",
        "field": "industry",
        "rule": "match",
        "weight": 25,
        "share_percent": 25.0,
        "missing": 0,
        "applies_to": None,
    }
    assert summary["tiers"] == [
        {"name": "tier_1", "label": "Tier 1", "min_score": 70},
        {"name": "tier_2", "label": "Tier 2", "min_score": 50},
        {"name": "tier_3", "label": "Tier 3", "min_score": 0},
    ]
    assert [d["id"] for d in summary["disqualifiers"]] == [
        "too_small",
        "excluded_industry",
        "personal_email_domain",
        "competitor",
    ]


def test_given_broken_rubric_when_rubric_check_then_exit_1_with_key_path_and_value(
    tmp_path: Path,
) -> None:
    path = _broken_rubric(tmp_path)

    message = _user_error(_invoke("rubric", "check", path))

    assert message == f"invalid rubric {path}:\n  {BROKEN_PROBLEM}"


def test_given_broken_rubric_when_rubric_check_json_then_exit_1_and_errors_listed(
    tmp_path: Path,
) -> None:
    path = _broken_rubric(tmp_path)

    result = _invoke("rubric", "check", path, "--json")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert json.loads(result.stdout) == {
        "valid": False,
        "file": str(path),
        "errors": [BROKEN_PROBLEM],
    }


def test_given_missing_rubric_file_when_rubric_check_json_then_file_not_found_listed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nope.yaml"

    result = _invoke("rubric", "check", path, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "file": str(path),
        "errors": ["file not found"],
    }


def test_given_applies_to_naming_no_object_type_when_rubric_check_then_a_note_names_it(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text("utf-8"))
    criteria = document["layers"]["behavioural"]["criteria"]
    criteria.append(
        {
            "id": "authority", "field": "title", "weight": 15, "reason": "Decision authority",
            "applies_to": ["contact", "leads"], "seniority": {"c_level": 100, "manager": 60},
        }
    )  # fmt: skip
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(document), "utf-8")

    text = _invoke("rubric", "check", path)
    summary = _json(_invoke("rubric", "check", path, "--json"))

    note = (
        "criterion authority: applies_to 'leads' is not an object type records come as "
        "(account, company, lead, contact), so it never applies"
    )
    assert text.exit_code == 0, text.stdout
    assert f"note: {note}" in text.stdout
    assert "authority (contact, leads only)" in text.stdout
    assert summary["notes"] == [note]
    assert summary["layers"]["behavioural"]["criteria"][-1]["rule"] == "seniority"


# --- score ----------------------------------------------------------------------------------


def test_given_sample_csv_when_score_json_then_one_result_per_row_with_full_shape() -> None:
    document = _score_json(SAMPLE_CSV)
    rows = _sample_rows()

    assert document["rubric_version"] == WRITTEN_VERSION
    assert document["as_of"] == "2026-11-23T00:00:00+00:00"
    assert document["count"] == len(rows) == len(document["results"])
    assert list(document["tiers"]) == TIER_NAMES
    assert sum(document["tiers"].values()) == document["count"]
    assert [r["id"] for r in document["results"]] == [row["id"] for row in rows]
    for record in document["results"]:
        assert type(record["score"]) is int
        assert 0 <= record["score"] <= 100
        assert record["tier"] in TIER_NAMES
        assert record["disqualified"] is (record["tier"] == "disqualified")
        assert isinstance(record["flags"], list)
        assert bool(record["flags"]) is record["disqualified"]
        assert all(isinstance(reason, str) for reason in record["reasons"])
        assert len(record["reasons"]) == len(CRITERIA) + len(record["flags"])
        assert [c["id"] for c in record["criteria"]] == CRITERIA
        assert record["object_type"] == "account"
        assert record["rubric_version"] == WRITTEN_VERSION
        contributions = sum(c["contribution"] for c in record["criteria"])
        assert abs(contributions - record["score"]) <= 0.5 + 0.01 * len(CRITERIA)
    counted = dict.fromkeys(TIER_NAMES, 0)
    for record in document["results"]:
        counted[record["tier"]] += 1
    assert document["tiers"] == counted


def test_given_sample_csv_when_score_json_then_known_accounts_get_their_tiers_and_flags() -> None:
    results = _by_id(_score_json(SAMPLE_CSV))

    northwind = results["northwind-robotics"]
    assert (northwind["score"], northwind["tier"], northwind["flags"]) == (100, "tier_1", [])
    assert northwind["reasons"] == [
        "Industry: Computer Software (exact match) +25",
        "Employees: 640 in band 200–2,000 +15",
        "Annual revenue: 85M (read from '$85M') in band 20M–500M +10",
        "Complementary tech stack: 3 (Salesforce, Outreach, Gong) +15",
        "Buying signals: 3 (hiring, funding, intent_surge) +25",
        "Last engagement: 11 days ago +10",
    ]
    assert (results["pinecone-studio"]["tier"], results["pinecone-studio"]["flags"]) == (
        "disqualified",
        ["too_small"],
    )
    assert results["madkudu-demo"]["flags"] == ["competitor"]
    assert results["madkudu-demo"]["tier"] == "disqualified"
    assert (
        "Competitor: domain madkudu.com → disqualified (competitor)"
        in (results["madkudu-demo"]["reasons"])
    )
    assert "personal_email_domain" in results["kestrel-solo"]["flags"]
    assert results["juniper-city"]["flags"] == ["excluded_industry"]
    # A row with only an unknown industry: every other criterion says "missing", no flag.
    umbra = results["umbra-ventures"]
    assert (umbra["score"], umbra["tier"], umbra["flags"]) == (0, "tier_3", [])
    assert umbra["reasons"][0] == "Industry: Venture Capital Private Equity (no match) +0"
    assert all(reason.endswith(": missing +0") for reason in umbra["reasons"][1:])


def _typed(row: dict[str, str]) -> dict[str, object]:
    """A CSV row as a JSONL record would hold it: numbers as numbers, lists as lists, empty
    cells left out."""
    record: dict[str, object] = {}
    for key, value in row.items():
        if value == "":
            continue
        if key in ("technologies", "buying_signals"):
            record[key] = value.split(";")
        elif key in ("employees", "annual_revenue") and value.replace(",", "").isdigit():
            record[key] = int(value.replace(",", ""))
        else:
            record[key] = value
    return record


def test_given_same_accounts_as_jsonl_when_score_json_then_same_tiers_and_scores_as_csv(
    tmp_path: Path,
) -> None:
    records = [_typed(row) for row in _sample_rows()]
    assert any(isinstance(r.get("employees"), int) for r in records)
    jsonl = _write_jsonl(tmp_path / "accounts.jsonl", records)

    from_csv = _by_id(_score_json(SAMPLE_CSV))
    from_jsonl = _by_id(_score_json(jsonl))

    assert {i: (r["score"], r["tier"], r["flags"]) for i, r in from_jsonl.items()} == {
        i: (r["score"], r["tier"], r["flags"]) for i, r in from_csv.items()
    }


def test_given_output_csv_when_score_then_every_row_is_written_with_fixed_columns(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.csv"

    summary = _score_json(SAMPLE_CSV, "--output", out)

    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        written = list(reader)
    assert (
        tuple(reader.fieldnames or ())
        == CSV_COLUMNS
        == (
            "id",
            "name",
            "score",
            "tier",
            "disqualified",
            "flags",
            "reasons",
            "rubric_version",
        )
    )
    assert [row["id"] for row in written] == [row["id"] for row in _sample_rows()]
    assert summary["count"] == len(written)
    assert summary["output"] == str(out)
    rows = {row["id"]: row for row in written}
    assert rows["northwind-robotics"] | {"reasons": ""} == {
        "id": "northwind-robotics",
        "name": "Northwind Robotics",
        "score": "100",
        "tier": "tier_1",
        "disqualified": "False",
        "flags": "",
        "reasons": "",
        "rubric_version": WRITTEN_VERSION,
    }
    assert rows["northwind-robotics"]["reasons"].split(" | ")[0] == (
        "Industry: Computer Software (exact match) +25"
    )
    assert rows["kestrel-solo"]["flags"] == "too_small;personal_email_domain"
    assert rows["kestrel-solo"]["disqualified"] == "True"


def test_given_output_jsonl_when_score_then_every_line_is_a_result_object(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    result = _invoke("score", "--input", SAMPLE_CSV, "--as-of", AS_OF, "--output", out)

    assert (result.exit_code, result.exception) == (0, None)
    assert "Scored 24 records into" in result.stdout  # the table title wraps the path
    lines = out.read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [row["id"] for row in _sample_rows()]
    assert set(records[0]) == {
        "id",
        "name",
        "object_type",
        "score",
        "tier",
        "disqualified",
        "flags",
        "reasons",
        "criteria",
        "rubric_version",
    }
    assert records == _score_json(SAMPLE_CSV)["results"]


def test_given_sample_csv_when_score_as_table_then_rows_and_tier_counts_are_printed() -> None:
    result = _invoke("score", "--input", SAMPLE_CSV, "--as-of", AS_OF)

    assert (result.exit_code, result.exception) == (0, None)
    assert "northwind-robotics" in result.stdout
    assert f"Scored 24 records, rubric {WRITTEN_VERSION}" in " ".join(result.stdout.split())
    assert "Disqualified" in result.stdout


def test_given_rubric_env_variable_when_score_then_that_rubric_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_SYNC_RUBRIC", str(_broken_rubric(tmp_path)))
    get_settings.cache_clear()

    message = _user_error(_invoke("score", "--input", SAMPLE_CSV, "--as-of", AS_OF))

    assert BROKEN_PROBLEM in message


@pytest.mark.parametrize("source", ["dotenv", "lower_case_variable"])
def test_given_the_rubric_set_in_a_dotenv_or_a_lower_case_variable_when_score_then_it_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    # `score` reads the settings only when something is configured (app.settings_sources):
    # both are, as the settings read them.
    broken = _broken_rubric(tmp_path)
    if source == "dotenv":
        (tmp_path / ".env").write_text(f"ICP_SYNC_RUBRIC={broken}\n")
    else:
        monkeypatch.setenv("icp_sync_rubric", str(broken))
    get_settings.cache_clear()

    message = _user_error(_invoke("score", "--input", SAMPLE_CSV, "--as-of", AS_OF))

    assert BROKEN_PROBLEM in message


# --- score: errors --------------------------------------------------------------------------


def test_given_missing_input_when_score_then_exit_1_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"

    assert _user_error(_invoke("score", "--input", path)) == f"{path}: file not found"


def test_given_xlsx_input_when_score_then_exit_1_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(b"PK\x03\x04")

    assert _user_error(_invoke("score", "--input", path)) == (
        f"{path}: unsupported file type '.xlsx'; expected .csv or .jsonl"
    )


def test_given_malformed_jsonl_line_when_score_then_exit_1_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.jsonl"
    path.write_text('{"id": "a", "employees": 300}\n\n{"id": "b", "employees": }\n', "utf-8")

    message = _user_error(_invoke("score", "--input", path, "--json"))

    assert message.startswith(f"{path}: line 3, column 26: invalid JSON: Expecting value")


def test_given_jsonl_line_that_is_an_array_when_score_then_exit_1_expected_object(
    tmp_path: Path,
) -> None:
    path = _write_jsonl(tmp_path / "accounts.jsonl", [{"id": "a"}, ["b", 300]])

    assert _user_error(_invoke("score", "--input", path)) == (
        f"{path}: line 2: expected a JSON object, got list"
    )


def test_given_csv_row_with_extra_values_when_score_then_exit_1_naming_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("id,employees\na,300\nb,400,extra,more\n", "utf-8")

    assert _user_error(_invoke("score", "--input", path)) == (
        f"{path}: line 3: 2 more value(s) than header columns"
    )


def test_given_empty_csv_when_score_then_exit_1_header_expected(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("", "utf-8")

    assert _user_error(_invoke("score", "--input", path)) == (
        f"{path}: empty file, expected a header row of column names"
    )


def test_given_non_utf8_csv_when_score_then_exit_1_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,name\na,Caf\xe9\n")

    assert (
        _user_error(_invoke("score", "--input", path))
        == f"{path}: line 2: not UTF-8 text (byte 13)"
    )


def test_given_non_utf8_byte_deep_in_csv_when_score_then_its_file_offset_is_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,name\na," + b"x" * 20000 + b"\xe9\n")

    assert _user_error(_invoke("score", "--input", path)) == (
        f"{path}: line 2: not UTF-8 text (byte 20010)"
    )


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "23/11/2026"])
def test_given_bad_as_of_when_score_then_exit_1_naming_the_value(value: str) -> None:
    message = _user_error(_invoke("score", "--input", SAMPLE_CSV, "--as-of", value))

    assert message == (
        f"--as-of: expected an ISO-8601 date or time such as 2026-11-23, got {value!r}"
    )


def test_given_broken_rubric_option_when_score_then_exit_1_with_key_path(tmp_path: Path) -> None:
    path = _broken_rubric(tmp_path)

    message = _user_error(_invoke("score", "--input", SAMPLE_CSV, "--rubric", path))

    assert message == f"invalid rubric {path}:\n  {BROKEN_PROBLEM}"


def test_given_unsupported_output_type_when_score_then_exit_1_and_nothing_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.txt"

    message = _user_error(_invoke("score", "--input", SAMPLE_CSV, "--output", out))

    assert message == f"{out}: unsupported file type '.txt'; expected .csv or .jsonl"
    assert not out.exists()


def test_given_output_same_as_input_when_score_then_the_input_file_is_left_intact(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(SAMPLE_CSV.read_bytes())

    result = _invoke("score", "--input", path, "--output", path)

    assert path.read_bytes() == SAMPLE_CSV.read_bytes()
    assert result.exit_code == 1


# --- explain --------------------------------------------------------------------------------


def test_given_record_id_when_explain_then_every_criterion_is_shown() -> None:
    result = _invoke(
        "explain", "--input", SAMPLE_CSV, "--record", "northwind-robotics", "--as-of", AS_OF
    )

    assert (result.exit_code, result.exception) == (0, None)
    assert "northwind-robotics — Northwind Robotics: score 100 → Tier 1" in result.stdout
    for criterion in CRITERIA:
        assert criterion in result.stdout
    assert "Last engagement: 11 days ago +10" in result.stdout
    assert "by layer: firmographic 50.0, technographic 15.0, behavioural 35.0" in result.stdout
    assert "no disqualifier holds" in result.stdout


def test_given_disqualified_record_when_explain_then_each_disqualifier_is_listed() -> None:
    result = _invoke("explain", "--input", SAMPLE_CSV, "--record", "kestrel-solo", "--as-of", AS_OF)

    assert (result.exit_code, result.exception) == (0, None)
    assert "→ Disqualified" in result.stdout
    assert "✗ Too small to buy: employees 1 < 10 → disqualified (too_small)" in result.stdout
    assert (
        "✗ Personal or free e-mail domain: domain gmail.com → disqualified (personal_email_domain)"
    ) in result.stdout


def test_given_record_id_when_explain_json_then_one_entry_per_criterion() -> None:
    document = _json(
        _invoke(
            "explain",
            "--input",
            SAMPLE_CSV,
            "--record",
            "northwind-robotics",
            "--as-of",
            AS_OF,
            "--json",
        )
    )

    assert document["id"] == "northwind-robotics"
    assert document["as_of"] == "2026-11-23T00:00:00+00:00"
    assert [c["id"] for c in document["criteria"]] == CRITERIA
    assert [c["layer"] for c in document["criteria"]] == [
        "firmographic",
        "firmographic",
        "firmographic",
        "technographic",
        "behavioural",
        "behavioural",
    ]
    assert all(c["outcome"] == "matched" for c in document["criteria"])
    assert (document["score"], document["tier"]) == (100, "tier_1")


def test_given_row_number_when_explain_json_then_that_row_is_explained() -> None:
    document = _json(
        _invoke("explain", "--input", SAMPLE_CSV, "--record", "2", "--as-of", AS_OF, "--json")
    )

    assert document["id"] == _sample_rows()[1]["id"] == "acme-analytics"


def test_given_set_values_when_explain_json_then_those_values_are_scored() -> None:
    document = _json(
        _invoke(
            "explain",
            "--set",
            "industry=COMPUTER_SOFTWARE",
            "--set",
            "employees=500",
            "--as-of",
            AS_OF,
            "--json",
        )
    )

    assert (document["id"], document["object_type"]) == ("(--set)", "account")
    points = {c["id"]: (c["points"], c["outcome"]) for c in document["criteria"]}
    assert points == {
        "industry": (100, "matched"),
        "employees": (100, "matched"),
        "annual_revenue": (0, "missing"),
        "complementary_stack": (0, "missing"),
        "buying_signals": (0, "missing"),
        "recent_engagement": (0, "missing"),
    }
    assert document["reasons"][:2] == [
        "Industry: Computer Software (exact match) +25",
        "Employees: 500 in band 200–2,000 +15",
    ]
    assert (document["score"], document["tier"], document["flags"]) == (40, "tier_3", [])


def test_given_set_personal_domain_when_explain_json_then_disqualified() -> None:
    document = _json(
        _invoke("explain", "--set", "domain=someone@gmail.com", "--as-of", AS_OF, "--json")
    )

    assert (document["tier"], document["flags"]) == ("disqualified", ["personal_email_domain"])


def test_given_neither_record_nor_set_when_explain_then_exit_1_with_usage_message() -> None:
    assert _user_error(_invoke("explain")) == (
        "give --input FILE --record ID, or one or more --set FIELD=VALUE"
    )


def test_given_input_without_record_when_explain_then_exit_1_with_usage_message() -> None:
    assert _user_error(_invoke("explain", "--input", SAMPLE_CSV)) == (
        "give --input FILE --record ID, or one or more --set FIELD=VALUE"
    )


def test_given_both_record_and_set_when_explain_then_exit_1() -> None:
    result = _invoke(
        "explain", "--input", SAMPLE_CSV, "--record", "northwind-robotics", "--set", "a=b"
    )

    assert _user_error(result) == "use either --input with --record, or --set, not both"


def test_given_unknown_record_when_explain_then_exit_1_naming_the_record() -> None:
    assert _user_error(_invoke("explain", "--input", SAMPLE_CSV, "--record", "nope")) == (
        f"--record: no record with id or row number 'nope' in {SAMPLE_CSV}"
    )


def test_given_set_without_equals_when_explain_then_exit_1_naming_the_assignment() -> None:
    assert _user_error(_invoke("explain", "--set", "industry")) == (
        "--set: expected FIELD=VALUE, got 'industry'"
    )


# --- lenient values: parsed or reported as unreadable, never a crash ------------------------


def test_given_range_and_currency_text_when_score_then_parsed_values_are_in_reasons(
    tmp_path: Path,
) -> None:
    path = _write_csv(
        tmp_path / "accounts.csv",
        [
            {"id": "ranged", "employees": "50-100", "annual_revenue": "$1.2M"},
            {"id": "wordy", "employees": "lots", "annual_revenue": "about a million"},
        ],
    )

    results = _by_id(_score_json(path))

    ranged = results["ranged"]["reasons"]
    assert ranged[1] == "Employees: 75 (read from '50-100') in band 50–200 +10.5"
    assert ranged[2] == "Annual revenue: 1.2M (read from '$1.2M'), outside every band +2"
    wordy = results["wordy"]
    assert wordy["reasons"][1] == "Employees: unreadable value 'lots' +0"
    assert wordy["reasons"][2] == "Annual revenue: unreadable value 'about a million' +0"
    assert [c["outcome"] for c in wordy["criteria"][1:3]] == ["unreadable", "unreadable"]
    assert wordy["flags"] == []  # an unreadable head count never disqualifies


def test_given_odd_json_types_when_score_then_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "accounts.jsonl",
        [
            {
                "id": "odd",
                "industry": {"name": "Software"},
                "employees": True,
                "annual_revenue": [1, 2],
                "technologies": 3,
                "buying_signals": {"hiring": True},
                "last_engagement_at": "not a date",
                "domain": 42,
            }
        ],
    )

    (record,) = _score_json(path)["results"]

    assert record["reasons"][1] == "Employees: unreadable value True +0"
    assert record["reasons"][5] == "Last engagement: unreadable value 'not a date' +0"
    assert record["criteria"][0]["outcome"] == "unreadable"
    assert record["criteria"][3]["outcome"] == "matched"  # an integer count is read as a count
    assert record["flags"] == []


def test_given_set_unreadable_employees_when_explain_json_then_unreadable_reason() -> None:
    document = _json(_invoke("explain", "--set", "employees=lots", "--as-of", AS_OF, "--json"))

    assert document["reasons"][1] == "Employees: unreadable value 'lots' +0"


def test_given_huge_json_integer_when_score_then_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "accounts.jsonl"
    path.write_text('{"id": "big", "employees": ' + "9" * 400 + "}\n", "utf-8")

    result = _invoke("score", "--input", path, "--as-of", AS_OF, "--json")

    assert result.exception is None
    assert "unreadable value" in json.loads(result.stdout)["results"][0]["reasons"][1]


def test_given_date_before_year_1_in_utc_when_score_then_no_crash(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "accounts.csv",
        [{"id": "ancient", "last_engagement_at": "0001-01-01T00:00:00+01:00"}],
    )

    result = _invoke("score", "--input", path, "--as-of", AS_OF, "--json")

    assert result.exception is None


def test_given_as_of_beyond_year_9999_in_utc_when_score_then_exit_1_not_a_crash() -> None:
    result = _invoke("score", "--input", SAMPLE_CSV, "--as-of", "9999-12-31T23:59:59-05:00")

    assert isinstance(result.exception, SystemExit)
    assert result.exit_code == 1


def test_given_infinite_weight_rubric_when_score_then_exit_1_not_a_crash(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text("utf-8"))
    document["layers"]["firmographic"]["criteria"][0]["weight"] = float("inf")
    rubric = tmp_path / "inf.yaml"
    rubric.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    problem = "layers.firmographic.criteria[0].weight: expected a finite number, got inf"

    score = _invoke("score", "--input", SAMPLE_CSV, "--rubric", rubric, "--as-of", AS_OF)
    check = _invoke("rubric", "check", rubric, "--json")

    assert _user_error(score) == f"invalid rubric {rubric}:\n  {problem}"
    assert check.exit_code == 1
    assert json.loads(check.stdout)["errors"] == [problem]  # strict JSON: no Infinity/NaN
