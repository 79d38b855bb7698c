"""The parts that let `plan` and `validate` run in bounded memory on a big CRM: a JSON
document with lazily read lists written byte for byte as `print_json` writes it, lists kept
in a temporary file read back in order, and the comparison keeping only the changes shown."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.validation.json_out import Lazy, write_json
from app.validation.plan import compare
from app.validation.spool import Mapped, Spool
from tests.support import plan_store

TEXT = st.text(st.characters(codec="utf-8"), max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


def dumped(document: object) -> str:
    """As `app.cli.common.print_json` prints it."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"


@settings(max_examples=200)
@given(
    before=st.dictionaries(TEXT, JSON, max_size=3),
    items=st.lists(JSON, max_size=4),
    nested=st.lists(st.dictionaries(TEXT, JSON, max_size=2), max_size=3),
    after=JSON,
)
def test_given_lazy_lists_at_any_depth_when_written_then_the_bytes_are_those_of_json_dumps(
    before: dict[str, object], items: list[object], nested: list[object], after: object
) -> None:
    document = {**before, "\0lazy": items, "inner": {"deeper": nested, "x": after}, "z": after}
    lazy = {**before, "\0lazy": Lazy(items), "inner": {"deeper": Lazy(nested), "x": after}}
    out = io.StringIO()

    write_json({**lazy, "z": after}, out)

    assert out.getvalue() == dumped(document)


@given(st.lists(st.tuples(st.integers(-3, 3), st.sampled_from("ab"), TEXT), max_size=30))
def test_given_keys_when_spooled_then_items_come_back_in_key_order_ties_as_added(
    keys: list[tuple[int, str, str]],
) -> None:
    spool: Spool[list[object]] = Spool(lambda item: item, lambda values: values)
    for index, key in enumerate(keys):
        spool.add([index, *key], key)

    found = spool.sorted()

    expected = sorted(([i, *k] for i, k in enumerate(keys)), key=lambda item: item[1:])
    assert list(found) == expected
    assert found[: len(keys) // 2] == expected[: len(keys) // 2]
    assert [found[i] for i in range(len(found))] == expected
    assert list(Mapped(found, lambda item: item[0])) == [item[0] for item in expected]


def test_given_a_limit_when_compared_then_the_largest_changes_are_kept_and_all_are_counted(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    plan_store.fill(sessions)
    champion = compile_rubric(load_rubric())
    challenger = compile_rubric(load_rubric(plan_store.challenger_rubric(tmp_path)))

    with sessions() as session:
        every = compare(session, champion, challenger, now=plan_store.NOW)
        first = compare(session, champion, challenger, now=plan_store.NOW, keep=3)

    assert first.changed == every.changed[:3]
    assert first.changed_count == every.changed_count == len(every.changed) > 3
    assert list(first.newly_disqualified) == list(every.newly_disqualified)
    assert first.transitions == every.transitions
