"""A per-article cache of the derive stage, in `<root>/.cache/derived/`.

Deriving an article (OpenCC twice, Markdown, tagging) is a third of a cold
build. Its result depends only on the article's text, the site's settings and
the builder's code, so it is stored under a hash of exactly those, and a build
derives again only the articles that changed. Entries no build used are
removed at the end of each build.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from .content import Article
from .derive import Derived
from .fingerprint import package_digest
from .output import write_atomic

FOLDER = Path(".cache") / "derived"


def code_salt(config_fingerprint: str) -> str:
    """The builder's own code and the settings derive uses: either changing invalidates
    every entry."""
    return hashlib.sha256(f"{package_digest()}\n{config_fingerprint}\n".encode()).hexdigest()


class DerivedCache:
    def __init__(self, root: Path, salt: str):
        self.folder = root / FOLDER
        self.salt = salt
        self.used: set[str] = set()

    def key(self, article: Article) -> str:
        return hashlib.sha256(f"{self.salt}\n{article.path}\n{article.digest}".encode()).hexdigest()

    def get(self, article: Article) -> Derived | None:
        key = self.key(article)
        self.used.add(key)
        try:
            with open(self._path(key), "rb") as file:
                derived = pickle.load(file)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # missing or unreadable: derive again
        return derived if isinstance(derived, Derived) else None

    def put(self, article: Article, derived: Derived) -> None:
        """Store an entry; safe from forked workers (the key was marked used by `get`)."""
        key = self.key(article)
        self.used.add(key)
        write_atomic(self._path(key), pickle.dumps(derived, protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self) -> None:
        """Drop the entries this build did not use: edited or deleted articles."""
        if not self.folder.is_dir():
            return
        for folder in self.folder.iterdir():
            for entry in folder.iterdir() if folder.is_dir() else ():
                if entry.stem not in self.used:
                    entry.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"
