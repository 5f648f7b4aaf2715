"""What the last build made, kept between builds: the engine's memory, in SQLite.

`sources`: for every article file, its stamp (size, modification time, inode)
and its compact entry (the derived article without its body: what planning
needs), so an unchanged file is neither read nor derived again; the stamps and
entries are kept in `buckets` of up to `BUCKET`, pickled together, and the
table says which bucket holds a file. `shards`: each shard of pages the last
build made, by a digest of its inputs, with what its walk found (every page's
path and a digest of everything it was made from) and a summary of it (its
count of pages, what the sitemaps list), so an unchanged shard is not walked
again, nor its rows read, and a changed one's pages are rendered and written
only where their digests changed; `parts`: the same for each article's own
pages, by the article, so that in a shard walked again only the articles whose
inputs changed are. `readers`: for every word among the entries' tag
candidates, the files whose entries hold it, so that the related-articles
search of a change finds the articles on a word's list without reading every
entry's words. `outputs`: the same digest for every other published file
(static files, photos, sitemaps, the search index, the pages of shards without
a key), kept in `OUTPUT_CHUNKS` maps by a hash of the path. `blobs`: values the
engine keeps whole, or with their large maps in chunks (`chunk_blobs`).

The store is a cache: whatever is wrong with it (a damaged or foreign file, a
schema from another version, a disk that cannot be written) means a full
build, never a failed one and never a wrong page. Its `generation` is also
written into the output's marker: a state that does not match the published
output (restored from another run, or a build killed between the two) is not
trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .fingerprint import Stamp
from .records import dumps_unshared

SCHEMA = "builder-state-7"
FOLDER = Path(".cache") / "state"
# Entries pickled together, in the order they were first recorded: one pickle an entry
# (a row, a digest, a class looked up by name for every record of every entry) took
# 3.2 s to read 100,000 articles' entries back, these 1.8 s. An edit seals its
# bucket again (128 entries: 8 ms).
BUCKET = 128
# Each large map of a blob saved in chunks (`chunk_blobs`) is kept in as many: an edit
# at 100,000 articles changes a few of its keys, and sealing the taxonomy's memo again
# whole (35 MB, two maps of 100,000 keys) took 0.85 s of it.
CHUNKS = 64
# The outputs' digests, in maps by a hash of the path (an archive's photos come to
# hundreds of thousands of files): an edit seals again the maps of the few files it
# changed, a thousandth of them each.
OUTPUT_CHUNKS = 512
# SQLite's primary result codes for a damaged file, for one that is not a database, and
# for a query this version's tables cannot answer (a table or column missing: a store
# altered or made by another program under this schema's name)
_DAMAGED = {11, 26, 1}  # SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_ERROR


def state_path(root: Path, out: Path) -> Path:
    """One state per output folder: the preview's and the build's differ in base URL."""
    name = hashlib.sha256(str(out).encode()).hexdigest()[:16]
    return root / FOLDER / f"{name}.sqlite"


def seal(value: object, dumps: Callable[[object], bytes] | None = None) -> bytes:
    """`value` pickled (by `dumps`, when given), behind a digest of the bytes."""
    payload = (dumps(value) if dumps is not None
               else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return hashlib.sha256(payload).digest() + payload


def unseal(data: bytes) -> object | None:
    """The value, or None when the bytes are not what `seal` wrote."""
    if not isinstance(data, bytes):
        return None
    # a view, not `data[32:]`: two copies of every payload were 0.36 s of reading
    # 100,000 articles' entries back (250 MB)
    payload = memoryview(data)[32:]
    if hashlib.sha256(payload).digest() != data[:32]:
        return None
    try:
        return pickle.loads(payload)
    except Exception:
        return None


class State:
    """An open state store. `problem` says why it cannot be written, if it cannot."""

    def __init__(self, path: Path):
        self.path = path
        self.problem: str | None = None
        self._db: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except (OSError, sqlite3.Error) as exc:
            self._db = None
            self.problem = getattr(exc, "strerror", None) or str(exc)

    def _open(self) -> sqlite3.Connection:
        for attempt in range(2):
            try:
                # the preview opens it on its main thread and updates on its worker thread,
                # one at a time; the default check refuses that (and the state was lost)
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                if self._meta(db, "schema") not in (None, SCHEMA):
                    raise sqlite3.DatabaseError("another version's state")
                db.execute("CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, "
                           "bucket INTEGER)")
                db.execute("CREATE INDEX IF NOT EXISTS by_bucket ON sources (bucket)")
                db.execute("CREATE TABLE IF NOT EXISTS buckets (id INTEGER PRIMARY KEY, "
                           "entries BLOB)")
                db.execute("CREATE TABLE IF NOT EXISTS outputs (id INTEGER PRIMARY KEY, "
                           "digests BLOB)")
                db.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, value BLOB)")
                db.execute("CREATE TABLE IF NOT EXISTS shards (key BLOB PRIMARY KEY, rows BLOB, "
                           "summary BLOB)")
                db.execute("CREATE TABLE IF NOT EXISTS parts (identity BLOB PRIMARY KEY, "
                           "key BLOB, rows BLOB)")
                db.execute("CREATE TABLE IF NOT EXISTS readers (word TEXT PRIMARY KEY, "
                           "paths BLOB)")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                # No `PRAGMA quick_check` here: it read the whole store (0.3–0.6 s of an
                # edit at 100,000 articles). Damage past the schema is found by the query
                # that reads it, and then the store is removed too (`_failed`).
                return db
            except sqlite3.DatabaseError:
                # damaged, foreign or old: start afresh (it only ever saves work)
                with contextlib.suppress(NameError, sqlite3.Error):
                    db.close()
                if attempt:
                    raise
                self._remove()
        raise AssertionError("unreachable")

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def usable(self) -> bool:
        return self._db is not None

    def generation(self) -> str | None:
        return self._safe(lambda db: self._meta(db, "generation"))

    def settings(self) -> str | None:
        return self._safe(lambda db: self._meta(db, "settings"))

    def sources(self) -> Iterator[tuple[str, Stamp, object]]:
        """Every recorded article file with its stamp and entry (None: a draft), read
        bucket by bucket as it is consumed: 100,000 articles' entries are 250 MB of
        bytes, which need not all be held beside what they unpickle to. The files of a
        damaged bucket are left out (read again); a store that fails part way yields
        what it read. The stamps come with the entries, not from the table (reading
        100,000 rows of it and matching them took 0.2 s)."""
        rows = self._safe(lambda db: db.execute("SELECT entries FROM buckets"))
        try:
            for (data,) in rows or ():
                for path, (mtime, size, inode), entry in _members(data):
                    yield path, Stamp(mtime, size, inode), entry
        except sqlite3.Error as exc:
            self._failed(exc)

    def blob(self, key: str) -> object | None:
        """A value saved with `save(blobs=…)`, if it is intact."""
        row = self._safe(lambda db: db.execute("SELECT value FROM blobs WHERE key = ?",
                                               (key,)).fetchone())
        return unseal(row[0]) if row else None

    def chunked(self, key: str) -> tuple[object, Chunked] | None:
        """A value saved with `chunk_blobs`: its head and its maps, if every chunk the
        head names is there, intact, and the one written with it."""
        saved = self.blob(key)
        if not (isinstance(saved, tuple) and len(saved) == 2 and isinstance(saved[1], dict)):
            return None
        head, tokens = saved
        maps: dict[str, dict[str, object]] = {}
        for name, token in tokens.items():
            chunk = self.blob(f"{key}/{name}")
            if not (isinstance(chunk, tuple) and len(chunk) == 2 and chunk[0] == token
                    and isinstance(chunk[1], dict)):
                return None
            maps.setdefault(name.rpartition("/")[0], {}).update(chunk[1])
        return head, Chunked(maps, tokens)

    def shard(self, key: bytes) -> object | None:
        """A shard's rows saved with `save(shards=…)`, if they are intact (of the type
        the caller gave: the caller checks it)."""
        row = self._safe(lambda db: db.execute("SELECT rows FROM shards WHERE key = ?",
                                               (key,)).fetchone())
        return unseal(row[0]) if row else None

    def shard_summaries(self) -> dict[bytes, object] | None:
        """The summaries of the shards saved with `save(shards=…)` (the last build's), by
        key; None if one is damaged or they cannot be read (of the type the caller gave:
        the caller checks it)."""
        rows = self._safe(lambda db: db.execute("SELECT key, summary FROM shards").fetchall())
        if rows is None:
            return None
        found = {key: unseal(summary) for key, summary in rows}
        return None if None in found.values() else found

    def part(self, identity: bytes, key: bytes) -> object | None:
        """An article's rows saved with `save(parts=…)` under `key`, if they are intact
        (as `shard`)."""
        row = self._safe(lambda db: db.execute("SELECT key, rows FROM parts WHERE identity = ?",
                                               (identity,)).fetchone())
        return unseal(row[1]) if row and row[0] == key else None

    def readers(self, words: Collection[str]) -> dict[str, list[str]] | None:
        """The files whose entries hold each of these words among their tag candidates,
        as saved with `save(readers=…)` (a word no file holds is left out); None when one
        is damaged or they cannot be read. A file's entry lost to a damaged bucket may
        leave it among a word's files without the word: more, never fewer."""
        def read(db: sqlite3.Connection) -> list[tuple[str, bytes]]:
            return [(word, row[0]) for word in words
                    for row in db.execute("SELECT paths FROM readers WHERE word = ?", (word,))]
        rows = self._safe(read)
        if rows is None:
            return None
        found: dict[str, list[str]] = {}
        for word, data in rows:
            paths = unseal(data)
            if not isinstance(paths, str):
                return None
            found[word] = paths.split("\n")
        return found

    def outputs(self) -> dict[str, bytes]:
        """The digest of every published file not a page of a shard with a key, by path;
        nothing if a map of them is damaged (a full build then: a file left out would
        never be removed)."""
        rows = self._safe(lambda db: db.execute("SELECT digests FROM outputs").fetchall())
        found: dict[str, bytes] = {}
        for (data,) in rows or ():
            chunk = unseal(data)
            if not isinstance(chunk, dict):
                return {}
            found.update(chunk)
        return found

    def save(self, generation: str, settings: str,
             sources: Iterable[tuple[str, Stamp, object]] | None,
             removed_sources: Iterable[str],
             outputs: Iterable[tuple[str, bytes]], removed_outputs: Iterable[str],
             replace_all: bool, blobs: dict[str, object] | None = None,
             shards: Iterable[tuple[bytes, bytes, bytes]] = (),
             kept_shards: set[bytes] | None = None,
             parts: Iterable[tuple[bytes, bytes, bytes]] = (),
             kept_parts: set[bytes] | None = None,
             readers: ReadersChange | None = None) -> bool:
        """Record a build, all or nothing (False: nothing; the store is then not used
        again). `replace_all`: the sources, their entries and the outputs' maps are
        rewritten whole (shards and parts go by what is kept).
        `sources`: the article files new or changed, with their entries (None: a draft);
        `removed_sources`: those gone. `shards`: the shards walked, by key, with their
        sealed rows and summaries; `kept_shards`: every shard of the build (the others
        are dropped; None keeps them). `parts` and `kept_parts`: the same for articles'
        own pages, by identity, with their keys. `readers`: how the files that hold each
        word changed (None: as they were)."""
        def write(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                # first: pickling a large value (the taxonomy's memo) takes several times
                # its size for a moment, and that moment then does not come on top of
                # what sealing the rest adds (a cold build at 10,000 articles: 28 MB
                # added by recording with the blobs last, 23 MB with them first)
                db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)",
                               ((k, seal(v)) for k, v in (blobs or {}).items()))
                if replace_all:     # shards and parts: by what is kept, below
                    for table in ("sources", "buckets", "outputs"):
                        db.execute(f"DELETE FROM {table}")
                _save_sources(db, sources or (), removed_sources, fresh=replace_all)
                _save_outputs(db, outputs, removed_outputs, fresh=replace_all)
                if kept_shards is not None:
                    _keep_only(db, "shards", "key", kept_shards)
                db.executemany("INSERT OR REPLACE INTO shards VALUES (?, ?, ?)", shards)
                if kept_parts is not None:
                    _keep_only(db, "parts", "identity", kept_parts)
                db.executemany("INSERT OR REPLACE INTO parts VALUES (?, ?, ?)", parts)
                if readers is not None:
                    _save_readers(db, readers)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('settings', ?)", (settings,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return True
        if not self._safe(write):
            self.forget()
            return False
        return True

    def forget(self) -> None:
        """Drop what is recorded: the next build is a full one."""
        def clear(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM meta WHERE key = 'generation'")
            return True
        self._safe(clear)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _safe(self, action):
        """Run `action` on the database; a failure leaves the store unused, not the build."""
        if self._db is None:
            return None
        try:
            return action(self._db)
        except sqlite3.Error as exc:
            self._failed(exc)
            return None

    def _failed(self, exc: sqlite3.Error) -> None:
        """A failure leaves the store unused (and says why), not the build. A damaged
        store is removed as well: the next build starts a new one, rather than failing on
        the same damage again and never saving."""
        self.problem = str(exc)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _DAMAGED:
            with contextlib.suppress(OSError):
                self._remove()


@dataclass(frozen=True)
class Chunked:
    """A value's large maps as the store holds them (`State.chunked`, `chunk_blobs`),
    with the token each chunk was written with."""

    maps: Mapping[str, Mapping[str, object]]
    tokens: Mapping[str, bytes]     # by chunk: the map's name / the chunk's number


def chunk_blobs(key: str, head: object, maps: Mapping[str, Mapping[str, object]],
                before: Chunked | None) -> tuple[dict[str, object], Chunked]:
    """The blobs that save `head` and its `maps` under `key`, and what the store will
    hold once they are saved. Each map is cut into `CHUNKS` by a hash of its keys; only
    the chunks that differ from `before` (what the store holds, if known) are written,
    each with a new token that the head names, so that a chunk from another build is
    never taken for this one's (`State.chunked` then finds nothing)."""
    tokens = dict(before.tokens) if before is not None else {}
    blobs: dict[str, object] = {}
    for name, new in maps.items():
        old = before.maps.get(name) if before is not None else None
        if old is None:
            changed = set(range(CHUNKS))
        else:
            changed = {_chunk(k) for k, v in new.items()
                       if (was := old.get(k, _ABSENT)) is not v and was != v}
            changed.update(_chunk(k) for k in old.keys() - new.keys())
        chunks: dict[int, dict[str, object]] = {number: {} for number in changed}
        for k, v in new.items():
            if (chunk := chunks.get(_chunk(k))) is not None:
                chunk[k] = v
        for number, chunk in chunks.items():
            token = os.urandom(8)
            tokens[f"{name}/{number}"] = token
            blobs[f"{key}/{name}/{number}"] = (token, chunk)
    blobs[key] = (head, tokens)
    return blobs, Chunked(dict(maps), tokens)


_ABSENT = object()


def _chunk(key: str, count: int = CHUNKS) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % count


def _save_outputs(db: sqlite3.Connection, changed: Iterable[tuple[str, bytes]],
                  removed: Iterable[str], fresh: bool) -> None:
    """Each changed file's digest into its map, each removed file out of it; each map
    touched sealed again whole. `fresh`: the table is empty. A damaged map fails the
    save (the next build is then a full one), rather than forget files silently."""
    touched: dict[int, dict[str, bytes | None]] = {}
    for path, value in changed:
        touched.setdefault(_chunk(path, OUTPUT_CHUNKS), {})[path] = value
    for path in removed:
        touched.setdefault(_chunk(path, OUTPUT_CHUNKS), {})[path] = None
    for number, patch in touched.items():
        row = None if fresh else db.execute("SELECT digests FROM outputs WHERE id = ?",
                                            (number,)).fetchone()
        chunk = unseal(row[0]) if row else {}
        if not isinstance(chunk, dict):
            raise sqlite3.DatabaseError(f"the state's map of outputs {number} is damaged")
        for path, value in patch.items():
            if value is None:
                chunk.pop(path, None)
            else:
                chunk[path] = value
        if chunk:
            db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?)", (number, seal(chunk)))
        else:
            db.execute("DELETE FROM outputs WHERE id = ?", (number,))


def _save_sources(db: sqlite3.Connection, sources: Iterable[tuple[str, Stamp, object]],
                  removed: Iterable[str], fresh: bool) -> None:
    """Each changed file's entry into the bucket that holds it, a new file's into the last
    bucket while it has room; each bucket touched is sealed again whole. Sources come as
    a stream (a full build's: every article): sealed a bucket at a time. `fresh`: the
    tables are empty."""
    gone = set(removed)
    place = {path: bucket for path in gone
             for (bucket,) in db.execute("SELECT bucket FROM sources WHERE path = ?", (path,))}
    changed: dict[int, dict[str, tuple[Stamp, object]]] = {}
    last = db.execute("SELECT max(id) FROM buckets").fetchone()[0]
    room = 0 if last is None else BUCKET - db.execute(
        "SELECT count(*) FROM sources WHERE bucket = ?", (last,)).fetchone()[0]
    for path, stamp, entry in sources:
        found = None if fresh else db.execute("SELECT bucket FROM sources WHERE path = ?",
                                              (path,)).fetchone()
        if found is None:
            if room <= 0:
                # full: the last bucket is sealed now, not held until the end
                if last is not None and last in changed:
                    _seal_bucket(db, last, changed.pop(last), gone)
                last, room = (last or 0) + 1, BUCKET
            room -= 1
            found = (last,)
        changed.setdefault(found[0], {})[path] = (stamp, entry)
    for bucket in {*changed, *place.values()}:
        _seal_bucket(db, bucket, changed.get(bucket, {}), gone)
    db.executemany("DELETE FROM sources WHERE path = ?", ((p,) for p in gone))


def _seal_bucket(db: sqlite3.Connection, bucket: int,
                 changed: dict[str, tuple[Stamp, object]], gone: set[str]) -> None:
    """The bucket's entries as recorded (of files it still holds: those of a damaged
    bucket are lost, and read again next time), with `changed` in place and `gone`
    left out."""
    kept = {path for (path,) in db.execute("SELECT path FROM sources WHERE bucket = ?",
                                           (bucket,))}
    row = db.execute("SELECT entries FROM buckets WHERE id = ?", (bucket,)).fetchone()
    members = {path: (stamp, entry) for path, stamp, entry in (_members(row[0]) if row else ())
               if path in kept and path not in gone}
    members.update((path, ((s.mtime_ns, s.size, s.inode), entry))
                   for path, (s, entry) in changed.items())
    db.executemany("DELETE FROM sources WHERE path = ?",
                   ((p,) for p in kept - members.keys() - gone))
    db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?)",
                   ((p, bucket) for p in changed))
    if members:
        # by a pickler that leaves nothing behind in the entries, which live on; each
        # stamp as three numbers (a `Stamp` pickles through `dataclasses`, slowly)
        db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?)",
                   (bucket, seal([(p, s, e) for p, (s, e) in members.items()], dumps_unshared)))
    else:
        db.execute("DELETE FROM buckets WHERE id = ?", (bucket,))


def _members(data: bytes) -> list[tuple[str, tuple[int, int, int], object]]:
    """A bucket's (path, stamp, entry) triples; none if it is damaged."""
    value = unseal(data)
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class ReadersChange:
    """How the files that hold each word among their tag candidates changed
    (`State.readers`)."""

    added: Mapping[str, Sequence[str]]      # word → files that hold it now, not before
    removed: Mapping[str, Sequence[str]]    # word → files that held it, no longer
    whole: bool = False     # `added` is every word's files: the record is made anew


def _save_readers(db: sqlite3.Connection, change: ReadersChange) -> None:
    """Each changed word's files patched; a word's record found damaged is left as it is
    (`State.readers` then answers None, until a build records them anew)."""
    if change.whole:
        db.execute("DELETE FROM readers")
    for word in change.added.keys() | change.removed.keys():
        added = change.added.get(word, ())
        if change.whole:
            paths = list(added)
        else:
            row = db.execute("SELECT paths FROM readers WHERE word = ?", (word,)).fetchone()
            held = unseal(row[0]) if row else ""
            if not isinstance(held, str):
                continue
            gone = set(change.removed.get(word, ()))
            paths = [p for p in held.split("\n") if p and p not in gone]
            paths += sorted(set(added).difference(paths))
        if paths:
            db.execute("INSERT OR REPLACE INTO readers VALUES (?, ?)",
                       (word, seal("\n".join(paths))))
        else:
            db.execute("DELETE FROM readers WHERE word = ?", (word,))


def _keep_only(db: sqlite3.Connection, table: str, column: str, kept: set) -> None:
    """Drop the rows of `table` whose `column` is not in `kept` (names of this module's)."""
    gone = [(k,) for (k,) in db.execute(f"SELECT {column} FROM {table}") if k not in kept]
    db.executemany(f"DELETE FROM {table} WHERE {column} = ?", gone)

