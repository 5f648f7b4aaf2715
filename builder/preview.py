"""The preview's side of the engine: one `Engine` kept warm, writing in place.

OpenCC, jieba and the state stay loaded between updates, so a save costs what
it changes (see engine.py). `pending()` tells whether any source file changed
since the last update was tried; the server asks it only when the file watcher
reports a change, so an idle preview does nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_FILE
from .content import ARTICLE_SUFFIX, relative_files
from .engine import Engine, Outcome
from .errors import BuildError
from .fingerprint import Stamp

WATCHED = ("content", "templates", "static")


@dataclass(frozen=True)
class Sources:
    """The stamps of every source file: what an update is made from."""

    stamps: tuple[tuple[str, Stamp | None], ...]

    @classmethod
    def of(cls, root: Path) -> Sources:
        stamps = [(CONFIG_FILE, Stamp.of(root / CONFIG_FILE))]
        for folder in WATCHED:
            if (root / folder).is_dir():
                stamps += [(relative, Stamp.of(os.path.join(root, relative)))
                           for relative in relative_files(root / folder)]
        return cls(tuple(stamps))


@dataclass(frozen=True)
class Update:
    written: list[str]
    removed: list[str]
    full: bool
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


class Session:
    def __init__(self, root: Path, out: Path, base_url: str | None = None):
        self.root = root.resolve()
        # scheduled articles are shown, marked, ahead of their time
        self.engine = Engine(self.root, out, base_url, future=True, in_place=True)
        self._attempted: Sources | None = None     # the sources the last update tried
        self._scanned: Sources | None = None       # what `pending` found, for `update`

    def pending(self) -> bool:
        """Has any source file changed since the last update was tried? Drafts and
        editors' backup files count as changes once, not for ever; an update that failed
        on bad input is tried again only when something changes."""
        self._scanned = Sources.of(self.root)
        return self._scanned != self._attempted

    def first(self, saved: list[str]) -> list[str]:
        """The saved articles' own pages, at once (see `Engine.first`); `update` follows."""
        return self.engine.first(saved)

    def saved_articles(self, paths: Iterable[str]) -> list[str]:
        """Of the absolute paths a file watcher reported, the articles (relative to the
        site); none unless every path is one: anything else needs the whole update."""
        found = []
        for path in paths:
            try:
                relative = Path(path).resolve().relative_to(self.root).as_posix()
            except (ValueError, OSError):
                return []
            if not (relative.startswith("content/") and relative.endswith(ARTICLE_SUFFIX)):
                return []
            found.append(relative)
        return sorted(found)

    def update(self, cancelled: Callable[[], bool] = lambda: False) -> Update:
        """Bring the output up to date. On bad input, raises BuildError and keeps the last
        good output, so the next good save recovers. `cancelled`: see `Engine.run`; a
        cancelled update leaves the sources pending."""
        started = time.perf_counter()
        # the sources `pending` just scanned (one stat of every file per save, not two);
        # a change since then makes the next `pending` true again
        sources, self._scanned = self._scanned or Sources.of(self.root), None
        try:
            outcome: Outcome = self.engine.run(
                dt.datetime.now(dt.UTC), cancelled=cancelled,
                scanned=[(path, stamp) for path, stamp in sources.stamps
                         if path.startswith("content/") and path.endswith(ARTICLE_SUFFIX)])
        except BuildError:
            self._attempted = sources
            raise
        self._attempted = sources
        return Update(outcome.written, outcome.removed, outcome.full,
                      time.perf_counter() - started)
