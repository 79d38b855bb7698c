"""Lists of changed accounts kept in a temporary file, not in memory.

`plan` lists every account moving into or out of `disqualified` (`--json`, `--csv`): on a
big CRM with a strict new disqualifier that can be most of a million accounts. Each change
is written to a temporary file as it is found, and only its sort key and where it lies are
kept; the list is read back, in order, as it is written out.
"""

from __future__ import annotations

import json
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Generic, TypeVar, overload

import numpy as np

T = TypeVar("T")
U = TypeVar("U")
Key = tuple[int, str, str]
"""Sorted by: the first ascending, then the two strings (code-point order)."""


class Spool(Generic[T]):
    """Items appended to a temporary file, each with its sort key, read back sorted (stably:
    ties in the order they came). `encode` and `decode` turn an item into JSON-ready values
    and back."""

    def __init__(self, encode: Callable[[T], Any], decode: Callable[[Any], T]) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the spool
        weakref.finalize(self, self._file.close)  # when neither it nor its `Spooled` is used
        self._encode, self._decode = encode, decode
        self._offsets = array("q", [0])
        self._numbers = array("q")
        self._firsts: list[str] = []
        self._seconds: list[str] = []

    def add(self, item: T, key: Key) -> None:
        line = json.dumps(self._encode(item), separators=(",", ":")).encode() + b"\n"
        self._file.write(line)
        self._offsets.append(self._offsets[-1] + len(line))
        self._numbers.append(key[0])
        self._firsts.append(key[1])
        self._seconds.append(key[2])

    def __len__(self) -> int:
        return len(self._numbers)

    def sorted(self) -> Spooled[T]:
        """The items in key order; the spool takes no more items."""
        self._file.flush()
        n = len(self._numbers)
        order = (
            np.lexsort(
                (
                    np.arange(n),
                    np.array(self._seconds, dtype=str),
                    np.array(self._firsts, dtype=str),
                    np.frombuffer(self._numbers, np.int64),
                )
            )
            if n
            else np.zeros(0, np.int64)
        )
        self._firsts, self._seconds = [], []
        return Spooled(self, order)

    def read(self, item: int) -> T:
        """The item added `item`th (from 0)."""
        start, stop = self._offsets[item], self._offsets[item + 1]
        self._file.seek(start)
        return self._decode(json.loads(self._file.read(stop - start)))


class Spooled(Sequence[T]):
    """A spool's items in order, read from its file as they are asked for."""

    def __init__(self, spool: Spool[T], order: Any) -> None:
        self._spool, self._order = spool, order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._spool.read(int(i)) for i in self._order[index]]
        return self._spool.read(int(self._order[index]))

    def __iter__(self) -> Iterator[T]:
        for i in self._order.tolist():
            yield self._spool.read(i)


class Mapped(Sequence[U], Generic[T, U]):
    """`items` with `convert` applied to each as it is read (a lazy `map` that has a length
    and slices)."""

    def __init__(self, items: Sequence[T], convert: Callable[[T], U]) -> None:
        self._items, self._convert = items, convert

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> U: ...

    @overload
    def __getitem__(self, index: slice) -> list[U]: ...

    def __getitem__(self, index: int | slice) -> U | list[U]:
        if isinstance(index, slice):
            return [self._convert(item) for item in self._items[index]]
        return self._convert(self._items[index])

    def __iter__(self) -> Iterator[U]:
        return map(self._convert, self._items)
