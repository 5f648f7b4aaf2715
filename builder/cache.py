"""A per-article cache of the derive stage, in `<root>/.cache/derived/`.

Deriving an article (OpenCC twice, Markdown, tagging) is a third of a cold
build. Its result depends only on the article's text, the site's settings and
the builder's code, so it is stored under a hash of exactly those, and a build
derives again only the articles that changed. Entries no build used are
removed at the end of each build.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import pickle
import struct
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from .content import Article
from .derive import Derived
from .fingerprint import package_digest
from .output import write_atomic

FOLDER = Path(".cache") / "derived"
MAGIC = b"builder-derived-2\n"
# An entry is one file: MAGIC, then two parts, each its length, its SHA-256 and its
# bytes: the search terms (marshal), then the rest of the result (pickle). One file, not
# two: a cold build at 1,000 articles created 1,000 files fewer, and the index still
# reads the terms alone, from the head of the file.
_PART = struct.Struct("<Q32s")
TERMS, WHOLE = 0, 1


def code_salt(config_fingerprint: str) -> str:
    """The builder's own code and the settings derive uses: either changing invalidates
    every entry."""
    return hashlib.sha256(f"{package_digest()}\n{config_fingerprint}\n".encode()).hexdigest()


class DerivedCache:
    """Entries are checked against a digest of their bytes before they are unpickled: a
    damaged entry (a flipped bit, a truncated write) is derived again, never loaded as
    other data. The cache is optional: when it cannot be written (a read-only or full
    disk, a file where its folder should be) the build goes on without it."""

    def __init__(self, root: Path, salt: str):
        self.folder = root / FOLDER
        self.salt = salt
        self.used: set[str] = set()
        self.problem = self._probe()

    @property
    def usable(self) -> bool:
        return self.problem is None

    def key(self, article: Article) -> str:
        return self.key_of(article.path, article.digest)

    def key_of(self, path: str, digest: str) -> str:
        return hashlib.sha256(f"{self.salt}\n{path}\n{digest}".encode()).hexdigest()

    def keep(self, article: Article) -> None:
        """The article's entry is in use: `prune` keeps it."""
        self.used.add(self.key(article))

    def get(self, article: Article, keep: bool = True) -> Derived | None:
        """The article's result without its search terms (`search_terms` reads those):
        what its pages are rendered from."""
        key = self.key(article)
        if keep:
            self.used.add(key)
        if not self.usable:
            return None
        payload = _checked(self._path(key), WHOLE)
        if payload is None:
            return None  # missing, damaged or from another version: derive again
        try:
            derived = pickle.loads(payload)
        except Exception:   # a checked entry that still fails to load: derive again
            return None
        return derived if isinstance(derived, Derived) else None

    def put(self, article: Article, derived: Derived) -> None:
        """Store an entry; safe from forked workers (the key was marked used by `get`)."""
        key = self.key(article)
        self.used.add(key)
        if not self.usable:
            return
        # The terms once, in their own part: pickled with the rest as well, they were
        # 60 % of its bytes, and two thirds of the time to write it and to read it back
        # for every page an article has (0.16 and 0.27 ms an article, against 0.05 and
        # 0.04 without them)
        payload = pickle.dumps(replace(derived, search_terms=()),
                               protocol=pickle.HIGHEST_PROTOCOL)
        terms = marshal.dumps(derived.search_terms)
        # the disk may have filled up since the probe: the next build derives it again
        with contextlib.suppress(OSError):
            write_atomic(self._path(key), _sealed(terms, payload))

    def search_terms(self, path: str, digest: str) -> tuple[tuple[str, int], ...] | None:
        """The search terms of the article at `path` with text `digest`, alone: the index
        reads every article's, and these load ten times faster than the whole entry. None
        when missing or damaged."""
        if not self.usable:
            return None
        payload = _checked(self._path(self.key_of(path, digest)), TERMS)
        if payload is None:
            return None
        try:
            terms = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        return terms if isinstance(terms, tuple) else None

    def drop(self, stale: Iterable[tuple[str, str]]) -> None:
        """Remove the entries of these (path, digest) pairs, by name."""
        if not self.usable:
            return
        for path, digest in stale:
            with contextlib.suppress(OSError):
                os.unlink(self._path(self.key_of(path, digest)))

    def prune(self) -> None:
        """Drop every entry this build did not use (`keep`, `get`, `put`)."""
        if not self.usable:
            return
        # names, not Paths: listing the 200,000 entries of 100,000 articles took
        # 0.26–0.31 s with a Path for each, 0.14–0.18 s without
        try:
            with os.scandir(self.folder) as folders:
                for folder in folders:
                    if not folder.is_dir():
                        continue
                    with os.scandir(folder.path) as found:
                        for entry in found:
                            if entry.name.rsplit(".", 1)[0] not in self.used and entry.is_file():
                                with contextlib.suppress(FileNotFoundError):
                                    os.unlink(entry.path)
        except OSError:
            pass    # a cache we cannot tidy is still a cache

    def _probe(self) -> str | None:
        """Why the cache cannot be used, or None."""
        probe = self.folder / f".probe-{os.getpid()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return f"{exc.strerror or exc}"
        return None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"


def _sealed(*parts: bytes) -> bytes:
    return MAGIC + b"".join(_PART.pack(len(part), hashlib.sha256(part).digest()) + part
                            for part in parts)


def _checked(path: Path, wanted: int) -> bytes | None:
    """Part `wanted` of what `_sealed` wrote to `path`, or None when it is missing,
    unreadable, damaged or from another version. Only the parts up to it are read."""
    try:
        with open(path, "rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                return None
            length = os.fstat(file.fileno()).st_size
            for number in range(wanted + 1):
                head = file.read(_PART.size)
                if len(head) != _PART.size:
                    return None
                size, digest = _PART.unpack(head)
                if size > length - file.tell():
                    return None     # a damaged length: never read (or allocate) past the end
                if number < wanted:
                    file.seek(size, os.SEEK_CUR)
                    continue
                part = file.read(size)
                return part if hashlib.sha256(part).digest() == digest else None
    except OSError:
        return None
    return None
