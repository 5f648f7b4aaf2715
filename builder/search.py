"""A static search index that finds articles in either script.

Both the index and the reader's query are folded to one form: NFKC, lower
case, and Traditional characters mapped to Simplified character by character
(the map is made from OpenCC at build time and shipped with the index). So 貸款餘額
on the Simplified edition and 贷款余额 on the Traditional one find the same
articles, whichever script they were written in.

Every Han character and every pair of neighbouring Han characters is a term,
and Latin letters or digits form whole-word terms. A query matches articles
that hold all its terms: every two-character word matches, and so does any
longer substring (生态城 needs 生态 and 态城), which a word index alone misses.

The postings are split into shards by a hash of the term, and documents into
pages of `DOCS_PER_SHARD`, so the browser downloads only the shards its query
needs. `static/js/search.js` mirrors `fold`, `terms` and `shard_of` exactly.
"""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

from .errors import BuildError

INDEX_DIR = "search"
DOCS_PER_SHARD = 200
RECENT_DOCS = 256
HELD_SHARDS = 256    # a patch of more shards is written as it is made, not held
PASS_DOCS = 50_000   # documents whose postings a whole index gathers in one pass
TARGET_SHARD_BYTES = 48 * 1024
TITLE_WEIGHT = 5
# The ideographs of the supplementary planes too (Extensions B–H: characters of names and
# places that the standard list of characters in use took in), as static/js/search.js
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(rf"[{_HAN}]+|[a-z0-9]+")


def fold_map(traditional: Iterable[str], to_simplified: Callable[[str], str]) -> dict[str, str]:
    """Traditional character → its Simplified character, where OpenCC gives exactly one."""
    folded = {}
    for char in sorted(traditional):
        simple = to_simplified(char)
        if len(simple) == 1 and simple != char:
            folded[char] = simple
    return folded


def fold(text: str, mapping: dict[str, str] | dict[int, str]) -> str:
    """`mapping` is a fold map, or the translate table `table(mapping)` made from it once."""
    if mapping and isinstance(next(iter(mapping)), str):
        mapping = table(mapping)  # type: ignore[arg-type]
    return unicodedata.normalize("NFKC", text).lower().translate(mapping)


def table(mapping: dict[str, str]) -> dict[int, str]:
    return {ord(k): v for k, v in mapping.items()}


def terms(folded: str) -> list[str]:
    """Han characters and neighbouring pairs, and Latin or digit words, in order."""
    out: list[str] = []
    for run in _RUNS.findall(folded):
        if run[0] > "\x7f":     # Han: the other runs are [a-z0-9] (a quarter of the time
            out += run          # went to matching each run again)
            out += map(str.__add__, run, run[1:])
        else:
            out.append(run)
    return out


def shard_of(term: str, shards: int) -> int:
    """FNV-1a over UTF-16 code units, as JavaScript's charCodeAt sees the string."""
    value = 0x811C9DC5
    data = term.encode("utf-16-le")
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value % shards


@dataclass(frozen=True)
class SearchDoc:
    path: str               # inside an edition: articles/<slug>/
    date: str
    titles: tuple[str, ...]     # one per edition, in the site's order
    summaries: tuple[str, ...]
    title_text: str = ""    # what is indexed: folded from the Simplified edition
    body_text: str = ""


@dataclass(frozen=True)
class IndexFile:
    path: str
    text: str


def doc_terms(doc: SearchDoc, mapping: dict[str, str] | dict[int, str]
              ) -> tuple[tuple[str, int], ...]:
    """Pure: a document's terms with their weights, title terms counting TITLE_WEIGHT."""
    return text_terms(doc.title_text, doc.body_text, mapping)


def text_terms(title_text: str, body_text: str, mapping: dict[str, str] | dict[int, str]
               ) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter(terms(fold(body_text, mapping)))
    for term in terms(fold(title_text, mapping)):
        counts[term] += TITLE_WEIGHT
    return tuple(counts.items())  # in first-seen order: deterministic, and no sort needed


Terms = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Segment:
    """The postings of the documents numbered `start` to `end` (not included), in
    `shards` files of `search/<folder>/`; `size` is their weight, which decides `shards`."""

    folder: str
    start: int
    end: int
    size: int
    shards: int


@dataclass(frozen=True)
class IndexState:
    """What patching the index next time needs: each document's identity by number, and
    its segments: the archive's, then the recent documents'."""

    ids: tuple[object, ...]
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Index:
    # The files made: all of them, or those a patch changed. Made as they are read, once:
    # the text of a whole index of 100,000 articles is some 800 MB, and only one file of
    # it need exist at a time.
    files: Iterator[IndexFile]
    paths: tuple[str, ...]      # every file of the index
    state: IndexState


def shard_count(size: int) -> int:
    shards = 1
    while shards < 4096 and size / shards > TARGET_SHARD_BYTES:
        shards *= 2
    return shards


def _weight(term: str, numbers: int) -> int:
    """What a term's postings (`numbers` integers) weigh, roughly, in bytes."""
    return len(term) * 3 + 8 * numbers


def recent_from(docs: int) -> int:
    """The first of the recent documents: the last `RECENT_DOCS` or fewer. A new article
    is a new last number, so publishing one rewrites the small shards of the recent
    segment (8 to 128 files, 0.2 to 2 MB, at 10,000 articles), not a shard of the
    archive for each of its terms (some 600 files); the archive's shards take in the
    recent documents each time `RECENT_DOCS` more have been published. Where the line
    falls depends on the number of documents alone: an index patched equals one made
    whole."""
    return docs - docs % RECENT_DOCS


def make_index(docs: Sequence[SearchDoc], ids: Sequence[object], mapping: dict[str, str],
               terms_of: Callable[[int], Terms] | None = None) -> Index:
    """The whole index. Documents are numbered in the order given (the engine gives the
    oldest first, so a new article is a new last number and the rest keep theirs)."""
    translate = table(mapping)
    counted = terms_of or (lambda number: doc_terms(docs[number], translate))
    split = recent_from(len(docs))
    archive, archive_files = _make_segment("t", 0, split, counted)
    recent, recent_files = _make_segment("r", split, len(docs), counted)

    def files() -> Iterator[IndexFile]:
        yield from archive_files
        yield from recent_files
        yield from _doc_pages(docs, range(0, len(docs), DOCS_PER_SHARD))
        yield _meta(len(docs), (archive, recent), mapping)

    return Index(files(), _paths(len(docs), (archive, recent)),
                 IndexState(tuple(ids), (archive, recent)))


def _make_segment(folder: str, start: int, end: int, terms_of: Callable[[int], Terms]
                  ) -> tuple[Segment, Iterator[IndexFile]]:
    # Past `PASS_DOCS` documents, the postings are gathered in several passes over the
    # documents' terms, each keeping the terms of one group of shards: the process that
    # makes the index is forked with all the plan holds, and at 100,000 articles the
    # postings made it a cold build's largest (1,656 MB in one pass, 1,032 in four,
    # each pass reading every article's terms again: 0.5 min of its 7).
    groups = 1
    while (end - start) / groups > PASS_DOCS:
        groups *= 2
    postings, size = _postings(start, end, terms_of, groups, 0)
    shards = shard_count(size)
    if shards < groups:     # a shard holds the terms of several groups: all at once
        groups = 1
        postings, size = _postings(start, end, terms_of, 1, 0)

    def files() -> Iterator[IndexFile]:
        # Shard n holds the terms of group n % groups: both are the term's hash modulo
        # a power of two, and `groups` divides `shards`.
        gathered = postings
        for group in range(groups):
            if group:
                gathered = _postings(start, end, terms_of, groups, group)[0]
            sharded: dict[int, list[str]] = defaultdict(list)
            for term in gathered:
                sharded[shard_of(term, shards)].append(term)
            for number in range(group, shards, groups):  # each shard's postings go once made
                yield IndexFile(_shard_path(folder, number), _shard_text(
                    (term, _listed(gathered.pop(term))) for term in sorted(sharded[number])))

    return Segment(folder, start, end, size, shards), files()


def _postings(start: int, end: int, terms_of: Callable[[int], Terms], groups: int, group: int
              ) -> tuple[dict[str, array[int]], int]:
    """The postings of the terms of `group` (of `groups`, by the term's hash), and the
    weight of every term's."""
    # Postings as arrays of machine integers, not lists of Python ints: a tenth of the
    # memory for the millions of (document, count) pairs of a large archive. Appended
    # one by one, found with `get`: a third less time than a default dict's `extend`
    # of a pair (this loop runs for every term of every article).
    postings: dict[str, array[int]] = {}
    get = postings.get
    group_of: dict[str, int] = {}   # each term's group, hashed once
    size = 0
    for number in range(start, end):
        for term, count in terms_of(number):
            if groups > 1:
                found = group_of.get(term)
                if found is None:
                    found = group_of[term] = shard_of(term, groups)
                    size += _weight(term, 0)
                size += _weight("", 2)
                if found != group:
                    continue
            listed = get(term)
            if listed is None:
                postings[term] = array("I", (number, count))
            else:
                listed.append(number)
                listed.append(count)
    if groups == 1:     # weighed once, by the lists' lengths
        size = sum(_weight(t, len(p)) for t, p in postings.items())
    return postings, size


def patch_index(docs: Sequence[SearchDoc], ids: Sequence[object], mapping: dict[str, str],
                terms_of: Callable[[int], Terms], previous: IndexState,
                old_terms: Callable[[object], Terms | None],
                read_shard: Callable[[str], str | None]) -> Index | None:
    """The index `make_index` would make, changing only the files that hold a changed
    document: its shards and its page of documents. None when that does not pay (many
    documents renumbered), the number of the archive's shards changes, or the old terms
    or files are not at hand: then the index is made whole."""
    before, now = previous.ids, tuple(ids)
    changed = [n for n in range(max(len(before), len(now)))
               if n >= len(before) or n >= len(now) or before[n] != now[n]]
    if len(changed) > max(64, len(now) // 10) or len(previous.segments) != 2:
        return None
    split = recent_from(len(now))
    old_archive, old_recent = previous.segments
    archive = _patch_segment(old_archive, 0, split, before, now, terms_of, old_terms,
                             read_shard)
    if archive is None:
        return None
    if old_recent.start == split:
        recent = _patch_segment(old_recent, split, len(now), before, now, terms_of, old_terms,
                                read_shard)
    else:
        recent = None
    if recent is None:      # a few hundred documents at most: made whole
        recent = _make_segment("r", split, len(now), terms_of)
    segments = (archive[0], recent[0])
    pages = _doc_pages(docs, sorted({start for n in changed
                                     if (start := n - n % DOCS_PER_SHARD) < len(now)}))
    files = chain(archive[1], recent[1], pages, [_meta(len(now), segments, mapping)])
    return Index(files, _paths(len(now), segments), IndexState(now, segments))


def _patch_segment(old: Segment, start: int, end: int, before: tuple[object, ...],
                   now: tuple[object, ...], terms_of: Callable[[int], Terms],
                   old_terms: Callable[[object], Terms | None],
                   read_shard: Callable[[str], str | None]
                   ) -> tuple[Segment, Iterator[IndexFile]] | None:
    """The segment for documents `start` to `end`, patched from `old`, with the files
    it changed; None if its number of shards would change or what it needs is missing."""
    gone: dict[str, set[int]] = defaultdict(set)     # term → numbers whose postings go
    added: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for n in range(min(start, old.start), max(end, old.end)):
        was = before[n] if old.start <= n < old.end else None
        is_ = now[n] if start <= n < end else None
        if was == is_:
            continue
        old_counts: dict[str, int] = {}
        if was is not None:
            counted = old_terms(was)
            if counted is None:
                return None
            old_counts = dict(counted)
        new_counts = dict(terms_of(n)) if is_ is not None else {}
        # only the terms whose count changed: an edit keeps most of an article's terms,
        # and each of them would cost its shard read and written again (a sentence
        # added at 100,000 articles: 25 s for all of them)
        for term, count in old_counts.items():
            if new_counts.get(term) != count:
                gone[term].add(n)
        for term, count in new_counts.items():
            if old_counts.get(term) != count:
                added[term].append((n, count))
    by_shard: dict[int, set[str]] = defaultdict(set)
    for term in (*gone, *added):
        by_shard[shard_of(term, old.shards)].add(term)
    # The size first: it decides the number of shards, which a patch must keep. A patch
    # of many shards (the recent documents taken into the archive: all 4,096 of them at
    # 10,000 articles, 400 MB of text at 100,000) is not held: each shard is patched
    # again as it is written.
    def patched() -> Iterator[tuple[str, tuple[dict[str, str], int] | None]]:
        for shard, words in sorted(by_shard.items()):
            path = _shard_path(old.folder, shard)
            text = read_shard(path)
            yield path, _patch_shard(text, words, gone, added) if text is not None else None

    held = len(by_shard) <= HELD_SHARDS
    size, files = old.size, []
    for path, lines in patched():
        if lines is None:
            return None
        if held:
            files.append(IndexFile(path, _shard_text(sorted(lines[0].items()))))
        size += lines[1]
    if shard_count(size) != old.shards:
        return None

    def again() -> Iterator[IndexFile]:
        for path, lines in patched():
            if lines is None:
                raise BuildError.single(f"{path} changed while the build read it",
                                        hint="build again")
            yield IndexFile(path, _shard_text(sorted(lines[0].items())))

    return Segment(old.folder, start, end, size, old.shards), iter(files) if held else again()


def _patch_shard(text: str, words: Iterable[str], gone: dict[str, set[int]],
                 added: dict[str, list[tuple[int, int]]]) -> tuple[dict[str, str], int] | None:
    """The shard's lines with the postings of `words` changed, and how much its weight
    changed; None if `text` is not a shard this module wrote."""
    lines = _shard_lines(text)
    if lines is None:
        return None
    change = 0
    try:
        for term in words:
            listed = lines.pop(term, None)
            change -= _weight(term, listed.count(",") + 1) if listed else 0
            new = sorted(added.get(term, ()))
            drop = set(gone.get(term, ()))
            # Today's article, or yesterday's deleted, is the newest number: its postings
            # are at the end, and the term's list (all 10,000 articles', for a common
            # word) is not parsed.
            if listed and drop:
                listed = _cut_tail(listed, drop)
            if not drop and (not listed or not new or new[0][0] > _last_document(listed)):
                kept = [listed[1:-1]] if listed else []
                kept += (f"{n},{c}" for n, c in new)
                listed = "[" + ",".join(kept) + "]" if kept else None
            else:
                values = json.loads(listed) if listed else []
                pairs = sorted([(values[i], values[i + 1]) for i in range(0, len(values), 2)
                                if values[i] not in drop] + new)
                listed = _listed([value for pair in pairs for value in pair]) if pairs else None
            if listed:
                lines[term] = listed
                change += _weight(term, listed.count(",") + 1)
    except (ValueError, TypeError, IndexError):
        return None
    return lines, change


def _shard_path(folder: str, shard: int) -> str:
    return f"{INDEX_DIR}/{folder}/{shard}.json"


# A shard is JSON with one term to a line, in term order: a patch splits it into lines,
# parses only the lists of the terms that changed and copies the others as they are. An
# addition touches some 600 shards at 10,000 articles, and parsing and writing each whole
# again was most of its cost. Terms are Han characters and [a-z0-9] words (`terms`):
# nothing in them needs escaping, nor in the lists of integers.

def _shard_text(lines: Iterable[tuple[str, str]]) -> str:
    return "{" + ",\n".join(f'"{term}":{listed}' for term, listed in lines) + "}"


def _shard_lines(text: str) -> dict[str, str] | None:
    """Term → its list as JSON text; None when `text` is not a shard `_shard_text` made."""
    if text == "{}":
        return {}
    if not (text.startswith('{"') and text.endswith("]}")):
        return None
    lines = {}
    for line in text[1:-1].split(",\n"):
        cut = line.find('":[')
        if cut < 2 or not line.endswith("]"):
            return None
        lines[line[1:cut]] = line[cut + 2:]
    return lines


def _listed(numbers: Sequence[int]) -> str:
    # the list's own text without its spaces: a sixth less time than joining the
    # numbers' texts (every posting of the index is written this way)
    return str(list(numbers)).replace(" ", "")


def _last_document(listed: str) -> int:
    """The last document of a list of (document, count) pairs, without parsing it all."""
    count = listed.rfind(",")
    return int(listed[listed.rfind(",", 0, count) + 1 or 1:count])


def _cut_tail(listed: str, drop: set[int]) -> str | None:
    """The list without its last pairs whose documents are in `drop` (taken out of it)."""
    end = len(listed) - 1       # the closing bracket
    while drop:
        count = listed.rfind(",", 0, end)
        start = listed.rfind(",", 0, count)     # -1: the first pair, after the bracket
        document = int(listed[start + 1 or 1:count])
        if document not in drop:
            break
        drop.discard(document)
        end = max(start, 0)
    return listed[:end] + "]" if end > 0 else None


def _doc_pages(docs: Sequence[SearchDoc], starts: Iterable[int]) -> list[IndexFile]:
    return [IndexFile(f"{INDEX_DIR}/d/{start // DOCS_PER_SHARD}.json",
                      _dump([[d.path, d.date, *d.titles, *d.summaries]
                             for d in docs[start:start + DOCS_PER_SHARD]]))
            for start in starts]


def _meta(docs: int, segments: Sequence[Segment], mapping: dict[str, str]) -> IndexFile:
    archive, recent = segments
    meta = {"docs": docs, "docsPerShard": DOCS_PER_SHARD, "shards": archive.shards,
            "recentFrom": recent.start, "recentShards": recent.shards,
            "titleWeight": TITLE_WEIGHT,
            "fold": "".join(k + v for k, v in sorted(mapping.items()))}
    return IndexFile(f"{INDEX_DIR}/meta.json", _dump(meta))


def _paths(docs: int, segments: Sequence[Segment]) -> tuple[str, ...]:
    pages = range((docs + DOCS_PER_SHARD - 1) // DOCS_PER_SHARD)
    return (*(_shard_path(s.folder, n) for s in segments for n in range(s.shards)),
            *(f"{INDEX_DIR}/d/{n}.json" for n in pages), f"{INDEX_DIR}/meta.json")


def _dump(value: object) -> str:
    # <, > and & escaped as in Jinja's tojson: the index stays inert even if a browser or a
    # careless template ever treats it as HTML.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
