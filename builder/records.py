"""Frozen, slotted dataclasses for what is kept of every article, read back fast.

A slotted class holds its fields without a per-object dict (what the state keeps of
100,000 articles: 1.82 → 1.49 GB at the peak of an edit); but the state that
`dataclasses` gives such a class to unpickle calls `fields()` for every object: 0.76 s of
the 1.0 s it took to read 10,000 articles' entries. These take the names once.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from dataclasses import dataclass, fields
from typing import TypeVar

C = TypeVar("C", bound=type)


def record(cls: C) -> C:
    """`@dataclass(frozen=True, slots=True)`, with a pickled state of its values in order."""
    made = dataclass(frozen=True, slots=True)(cls)
    names = tuple(f.name for f in fields(made))
    # each slot's own setter, past the frozen class's __setattr__
    setters = {f"_set{i}": made.__dict__[name].__set__ for i, name in enumerate(names)}

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, name) for name in names)

    # One statement a field, written once for the class (as `dataclasses` writes
    # __init__): a loop over the setters was half the time of unpickling a record
    # (10,000 records of six fields: 9.2 → 5.1 ms). What is read back was pickled by
    # this same code (the state and the caches are keyed by its digest); a state too
    # short raises, and the caller reads the entry as damaged.
    body = "".join(f"    _set{i}(self, state[{i}])\n" for i in range(len(names)))
    exec("def __setstate__(self, state):\n" + (body or "    pass\n"), setters)

    made.__getstate__ = __getstate__    # type: ignore[attr-defined]
    made.__record__ = True              # type: ignore[attr-defined]
    made.__setstate__ = setters["__setstate__"]  # type: ignore[attr-defined]
    return made


def dumps_unshared(value: object) -> bytes:
    """`pickle.dumps(value)`, the same bytes, leaving nothing behind in `value`. Pickle
    writes a string through its UTF-8 form, which CPython then keeps inside the string
    for as long as it lives: sealing 10,000 articles' entries for the state left 18 MB
    of them in the process that goes on holding the entries. Here the records' strings
    are copied as they are written (a string met twice, once), and the copies go. The
    same bytes where every string is a record's, as in an entry (one also held outside
    a record would be written twice)."""
    out = io.BytesIO()
    _Unshared(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


class _Unshared(pickle.Pickler):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._copies: dict[int, str] = {}  # by the original's id: it lives through the dump

    def reducer_override(self, obj: object) -> object:
        if getattr(type(obj), "__record__", False):
            return (copyreg.__newobj__, (type(obj),),
                    tuple(self._field(v) for v in obj.__getstate__()))  # type: ignore[attr-defined]
        return NotImplemented

    def _field(self, value: object) -> object:
        if type(value) is str:
            return self._copy(value)
        if type(value) is tuple and value and type(value[0]) is str:
            return tuple(self._copy(v) if type(v) is str else v for v in value)
        return value

    def _copy(self, text: str) -> str:
        if text.isascii():  # its UTF-8 form is itself
            return text
        copy = self._copies.get(id(text))
        if copy is None:
            copy = self._copies[id(text)] = text.encode("utf-8", "surrogatepass").decode(
                "utf-8", "surrogatepass")
        return copy
