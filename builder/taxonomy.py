"""Tags, topics, authors, sources, archives and related articles.

Two stages, like the rest of the build:
- `Analyzer.analyse` is per article and pure: jieba segments the article's
  Simplified text once, and that one segmentation gives the tag candidates
  (TF-IDF over jieba's own IDF table, filtered by part of speech, stopwords and
  shape) and the topic scores.
- `build_taxonomy` is a cheap reduce over those analyses: it applies the
  corpus-wide filter, front matter and site.toml overrides, and groups articles.
"""

from __future__ import annotations

import hashlib
import heapq
import importlib.util
import itertools
import marshal
import math
import re
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from .config import OTHER_TOPIC, SiteConfig, TagConfig, Topic
from .editions import Script, script_of
from .records import record
from .segment import Segmenter
from .slugs import Spelling

T = TypeVar("T")
TERM_KINDS = ("tags", "topics", "authors", "sources")
# The articles, by place, whose tag candidates (`Analysis.words`) hold each of these words,
# as the engine keeps them (`State.readers`); None: not known. More articles than hold a
# word do no harm (the lists and the checks read each article's own words), fewer would.
Readers = Callable[[Collection[str]], Mapping[str, Collection[int]] | None]

# Nouns, names, places, organisations, other proper nouns, verbal nouns.
TAG_POS = frozenset({"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "vn", "nw"})
_NUMERIC = re.compile(r"[0-9０-９.%％]|^[零〇一二两三四五六七八九十百千万亿几]+$|^(?:百分之|第)")
_UNIT_END = re.compile(r"[年月日时分秒号届期次个家亿万元米吨]$")
_HAN_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
CANDIDATES_KEPT = 24
QUERY_TERMS = 12        # an article's strongest words, used to look for related articles
TITLE_WEIGHT = 3


@record
class Analysis:
    """What the per-article stage learns about an article's subject. Every article's is
    held while a site is planned, so it is kept compact: words as one string, scores as
    packed doubles (24 candidates take 0.4 KB this way, 4 KB as tuples of pairs)."""

    words: str          # the best tag candidates, highest score first, separated by spaces
    scores: bytes       # their scores, packed doubles (`array("d")`), in the same order
    # every candidate word, for document frequency, separated by spaces
    vocabulary: str
    # "slug\tscore" lines for the configured topics it scores on: one string, not a tuple
    # of pairs (0.8 KB an article, held for every article)
    topics: str

    @classmethod
    def of(cls, terms: Sequence[tuple[str, float]], vocabulary: Iterable[str],
           topic_scores: tuple[tuple[str, int], ...] = ()) -> Analysis:
        """Words must not hold spaces: only Han words are candidates (`_eligible`)."""
        return cls(" ".join(w for w, _ in terms), _packed(s for _, s in terms),
                   " ".join(vocabulary), "\n".join(f"{slug}\t{score}" for slug, score in topic_scores))

    @property
    def topic_scores(self) -> tuple[tuple[str, int], ...]:
        """(topic slug, score) for each configured topic it scores on."""
        return tuple((slug, int(score)) for slug, score
                     in (line.split("\t") for line in self.topics.splitlines()))

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """The candidates with their scores, highest first."""
        return tuple(zip(self.words.split(), _unpacked(self.scores), strict=True))


class Analyzer:
    """jieba plus its IDF table, loaded once per process."""

    def __init__(self, segmenter: Segmenter, config: TagConfig):
        self.segmenter, self.config = segmenter, config
        self._table: tuple[dict[str, str], float] | None = None
        self.stopwords = _load_stopwords() | frozenset(config.stopwords)
        # word → `_eligible(word)`: the words of a newsroom's articles repeat, and each
        # check is up to four regular expressions
        self._eligible_words: dict[str, bool] = {}

    def __reduce__(self):
        return (Analyzer, (self.segmenter, self.config))   # the IDF table is read where needed

    def analyse(self, title: str, text: str, topics: Sequence[Topic]) -> Analysis:
        """`title` and `text` are Simplified."""
        counts: Counter[str] = Counter()
        eligible = self._eligible_words
        for weight, part in ((TITLE_WEIGHT, title), (1, text)):
            for word, pos in self.segmenter.tagged(part):
                if pos in TAG_POS:
                    found = eligible.get(word)
                    if found is None:
                        found = eligible[word] = self._eligible(word)
                    if found:
                        counts[word] += weight
        total = sum(counts.values()) or 1
        # highest first, then by word: as tuples, sorted without a key function
        scored = sorted((-(c / total * self._idf(w)), w) for w, c in counts.items())
        return Analysis.of(
            terms=[(w, round(-s, 6)) for s, w in scored[:CANDIDATES_KEPT]],
            vocabulary=sorted(counts),
            topic_scores=tuple(
                (topic.slug, score) for topic in topics
                if (score := topic_score(topic, title, text)) > 0),
        )

    def ready(self) -> None:
        """Load now what is otherwise loaded on first use."""
        self.segmenter.tagged("新闻")
        self._load()

    def _load(self) -> tuple[dict[str, str], float]:
        # Loaded on first use: in the workers that derive articles, not in the process
        # that plans and renders pages and never needs it.
        if self._table is None:
            self._table = _load_idf()
        return self._table

    def _idf(self, word: str) -> float:
        idf, default = self._load()
        value = idf.get(word)
        return float(value) if value is not None else default

    def _eligible(self, word: str) -> bool:
        return (len(word) >= 2 and bool(_HAN_ONLY.match(word))
                and word not in self.stopwords and not _NUMERIC.search(word)
                and not (_UNIT_END.search(word) and _NUMERIC.search(word[:-1])))


def topic_score(topic: Topic, title: str, text: str) -> int:
    return sum(TITLE_WEIGHT * title.count(k) + text.count(k) for k in topic.keywords)


def _load_idf() -> tuple[dict[str, str], float]:
    # Found without importing jieba, whose import warns and is not needed here.
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jieba is not installed: it provides the IDF table for tags")
    path = Path(spec.submodule_search_locations[0]) / "analyse" / "idf.txt"
    fields = path.read_text(encoding="utf-8").split()
    # Values stay text until looked up: parsing 350,000 floats would cost more than
    # all the lookups of a build.
    idf = dict(zip(fields[::2], fields[1::2], strict=True))
    # the middle value, counted over the few distinct ones (sorting 350,000 was 0.08 s)
    counts: Counter[float] = Counter()
    for text, n in Counter(fields[1::2]).items():
        counts[float(text)] += n
    middle = len(fields[1::2]) // 2
    for value in sorted(counts):
        middle -= counts[value]
        if middle < 0:
            return idf, value
    raise RuntimeError(f"{path}: no IDF values")


def _load_stopwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


# --- the reduce ---------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """A tag, topic, author, source or archive month: one slug, a name in each edition."""

    kind: str           # tags / topics / authors / sources
    key: str            # Simplified form, the identity
    slug: str
    names: tuple[tuple[str, str], ...]  # (edition's lang, name), in the site's order
    description: str = ""

    def name(self, lang: str) -> str:
        for edition, name in self.names:
            if edition == lang:
                return name
        raise KeyError(lang)

    @cached_property
    def shown(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What a page that links to the term shows of it."""
        return (self.kind, self.slug, self.names)


@dataclass(frozen=True)
class ArticleTerms:
    tags: tuple[Term, ...]
    topics: tuple[Term, ...]
    authors: tuple[Term, ...]
    sources: tuple[Term, ...]
    related: tuple[int, ...]    # indexes into the article list

    @property
    def key(self) -> tuple[tuple[str, str, str, str], ...]:
        """The terms as plain values, for the digest of the article's pages. Made when
        asked for (once a build, by most articles), not kept: a cached property takes a
        lock on its first use, 0.1 s of every build at 100,000 articles."""
        return tuple(t.shown for t in (*self.tags, *self.topics, *self.authors, *self.sources))


class PerArticle(Sequence[ArticleTerms]):
    """Each article's terms, in the order of the articles given, made when asked for: a
    walk reads those of the articles it renders, and the shards' keys read only their
    keys (`keys`, `shown`). Making every article's (100,000) was 0.3 s of every build."""

    def __init__(self, terms: Sequence[Mapping[str, Term]],
                 keys: Sequence[Sequence[tuple[str, ...]]], related: Sequence[tuple[int, ...]]):
        self._terms = terms     # by kind, in the order of `TERM_KINDS`: key → term
        self._keys = keys       # by kind: each article's terms' keys
        self.related = related  # each article's related articles, by place

    def __len__(self) -> int:
        return len(self.related)

    def __getitem__(self, index):    # type: ignore[override]
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return ArticleTerms(*(tuple(map(terms.__getitem__, keys[index]))
                              for terms, keys in zip(self._terms, self._keys, strict=True)),
                            self.related[index])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PerArticle) and tuple(self) == tuple(other)

    __hash__ = None     # type: ignore[assignment]

    def keys(self, index: int) -> tuple[tuple[str, ...], ...]:
        """The article's terms by kind, as their keys."""
        return tuple(keys[index] for keys in self._keys)

    def shown(self, places: range) -> list[tuple[str, str, object]]:
        """What pages show of each term these articles have, by kind and key, in order."""
        return [(kind, key, terms[key].shown)
                for kind, terms, keys in zip(TERM_KINDS, self._terms, self._keys, strict=True)
                for key in sorted(set(itertools.chain.from_iterable(keys[places.start:places.stop])))]


@record
class Found:
    """An article's related articles as a build found them, with what the next build
    checks to keep them without searching again (see `_related_all`)."""

    own: bytes                  # a digest of its query and its tags with their strengths
    fill: bytes | None          # of the topic lists and neighbours it was filled from, if it was
    answer: tuple[str, ...]     # by identity
    # of those found by score, in order: packed doubles (`array("d")`), as the memo holds
    # one for every article
    packed_scores: bytes

    @property
    def scores(self) -> array:
        return _unpacked(self.packed_scores)


@dataclass(frozen=True)
class RelatedMemo:
    """The related articles found by the last build, by the article's identity, and a
    digest of every posting list (word or tag) that holds an article."""

    found: Mapping[str, Found] = field(default_factory=dict)
    words: Mapping[str, bytes] = field(default_factory=dict)
    tags: Mapping[str, bytes] = field(default_factory=dict)
    # The weakest score on each full list: an article that scores below it on the word
    # (or tag) is on that list neither before nor after it is added, edited or removed.
    floors: Mapping[str, float] = field(default_factory=dict)
    tag_floors: Mapping[str, float] = field(default_factory=dict)


@record
class Chosen:
    """An article's tags, with how strongly it is about each, and its topics."""

    digest: str     # of the article's file (`TaxonomyInput.digest`) they were chosen for
    tags: tuple[str, ...]
    strengths: bytes    # packed doubles (`array("d")`): a tuple of pairs was 0.5 KB more
    topics: tuple[str, ...]

    @classmethod
    def of(cls, digest: str, weighed: Sequence[tuple[str, float]], topics: tuple[str, ...]
           ) -> Chosen:
        return cls(digest, tuple(tag for tag, _ in weighed),
                   _packed(strength for _, strength in weighed), topics)

    @property
    def weighed(self) -> tuple[tuple[str, float], ...]:
        return tuple(zip(self.tags, _unpacked(self.strengths), strict=True))


@dataclass(frozen=True)
class Memo:
    """What a taxonomy found that the next build's can reuse: each article's tags and
    topics, its related articles, and the pinyin slug of every tag, author and source
    name (pypinyin takes 0.17 s and 55 MB to load, for a process that otherwise never
    needs it)."""

    related: RelatedMemo = field(default_factory=RelatedMemo)
    slugs: Mapping[str, str] = field(default_factory=dict)
    # by identity, valid while the words too common to tag and the tag and topic
    # settings are as `chosen_from` digests them
    chosen: Mapping[str, Chosen] = field(default_factory=dict)
    chosen_from: bytes = b""
    # every candidate word, by the number of the articles of `chosen` that have it
    df: Mapping[str, int] = field(default_factory=dict)


class Later(Generic[T]):
    """A value made when first asked for, then kept; pickled as the value, so a worker
    given it never makes it again."""

    def __init__(self, make: Callable[[], T]):
        self._make: Callable[[], T] | None = make
        self._value: T | None = None

    @classmethod
    def of(cls, value: T) -> Later[T]:
        made = cls(lambda: value)
        made.get()
        return made

    def get(self) -> T:
        if self._make is not None:
            self._value, self._make = self._make(), None    # its inputs let go of
        return self._value  # type: ignore[return-value]

    def __reduce__(self):
        return (Later.of, (self.get(),))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Later) and self.get() == other.get()

    __hash__ = None     # type: ignore[assignment]


@dataclass(frozen=True)
class Taxonomy:
    groups: Mapping[str, tuple[tuple[Term, tuple[int, ...]], ...]]  # kind → terms with articles
    archive: tuple[tuple[int, int, tuple[int, ...]], ...]  # (year, month, articles), newest first
    # Each article's terms (in the order of the articles given) and the memo for the next
    # build, made when first asked for: they hold the related articles, which only an
    # article's own pages read, so the preview writes the listings a save moves before
    # that search runs (half the taxonomy's time at 10,000 articles).
    found: Later[tuple[PerArticle, Memo]]

    @property
    def per_article(self) -> PerArticle:
        return self.found.get()[0]

    @property
    def memo(self) -> Memo:
        return self.found.get()[1]


class TaxonomyInput(NamedTuple):
    """What the reduce needs of one article; nothing here is a body. A tuple: one is made
    for every article at every build (a frozen dataclass took 0.1 s more at 100,000)."""

    # The article's file and its place in the order of articles (date, slug): related
    # articles are remembered by it.
    identity: str
    digest: str     # of the article's file: the same digest, the same analysis and front matter
    analysis: Analysis
    tags: tuple[str, ...]       # front matter, Simplified; "-x" removes x
    topics: tuple[str, ...]     # front matter topic slugs
    authors: tuple[str, ...]    # Simplified
    sources: tuple[str, ...]    # Simplified outlet names
    year: int
    month: int


def choose_tags(analysis: Analysis, overrides: Sequence[str], config: TagConfig,
                too_common: frozenset[str]) -> tuple[str, ...]:
    """3 to 8 tags: the best candidates, less corpus-wide words and bans, with front matter
    additions first and removals honoured."""
    removed = {t[1:] for t in overrides if t.startswith("-")}
    added = [config.aliases.get(t, t) for t in overrides if not t.startswith("-")]
    banned = set(config.ban) | removed
    chosen: list[str] = [t for t in added if t not in banned]
    terms = analysis.terms     # decoded once: a property that unpacks the scores
    top_score = next((s for w, s in terms if w not in too_common), 0.0)
    for word, score in terms:
        word = config.aliases.get(word, word)
        if len(chosen) >= config.max_per_article:
            break
        if word in banned or word in too_common or any(word in tag for tag in chosen):
            continue  # also 经贸 once 经贸合作 is a tag
        if len(chosen) >= config.min_per_article and score < top_score * 0.3:
            break
        chosen.append(word)
    return tuple(chosen)


@dataclass(frozen=True)
class Change:
    """How the articles differ from those a memo was made from."""

    fresh: tuple[TaxonomyInput, ...]    # added, or edited since
    gone: tuple[TaxonomyInput, ...]     # removed, or edited since: as they were

    @classmethod
    def between(cls, inputs: Sequence[TaxonomyInput], memo: Memo,
                previous: Callable[[str], TaxonomyInput | None]) -> Change | None:
        """None when the articles the memo was made from cannot all be had as they were
        (`previous`: by identity, the article as the memo's build read it, if known), or
        when more than an eighth of the archive changed (a bound chosen, not measured:
        most articles are then looked at again anyway)."""
        if not memo.chosen:
            return None
        digests = {item.identity: item.digest for item in inputs}
        fresh = tuple(item for item in inputs if (chosen := memo.chosen.get(item.identity))
                      is None or chosen.digest != item.digest)
        gone = []
        for identity, chosen in memo.chosen.items():
            if digests.get(identity) != chosen.digest:
                old = previous(identity)
                if old is None or old.identity != identity or old.digest != chosen.digest:
                    return None
                gone.append(old)
        if len(fresh) + len(gone) > max(16, len(inputs) // 8):
            return None
        return cls(fresh, tuple(gone))


def _frequencies(inputs: Sequence[TaxonomyInput], memo: Memo, change: Change | None
                 ) -> Counter[str]:
    """In how many articles each candidate word is: the memo's count, patched by a change."""
    if change is None:
        df: Counter[str] = Counter()
        for item in inputs:
            df.update(item.analysis.vocabulary.split())
        return df
    df = Counter(memo.df)
    for item in change.gone:
        df.subtract(item.analysis.vocabulary.split())
    for item in change.fresh:
        df.update(item.analysis.vocabulary.split())
    return +df      # without the words no article has any longer


def build_taxonomy(inputs: Sequence[TaxonomyInput], config: SiteConfig,
                   names: Callable[[str, Script], tuple[tuple[str, str], ...]],
                   memo: Memo | None = None, spell: Spelling | None = None,
                   previous: Callable[[str], TaxonomyInput | None] = lambda identity: None,
                   readers: Readers = lambda words: None) -> Taxonomy:
    """`inputs` in the article order (newest first); `names`: text in a script → its
    name in every edition (`Term.names`); `memo`: the last build's `Taxonomy.memo`, and
    `spell` made from its slugs; `previous`: an article by identity as that build read
    it, if known (what lets this one patch the memo's counts and lists rather than
    count and list every article again); `readers`: which of `inputs` hold a word among
    their tag candidates, if known (what lets the related-articles search of a change
    read the lists of the words it touched without a pass over every article)."""
    memo = memo or Memo()
    spell = spell or Spelling({})
    count = len(inputs)
    change = Change.between(inputs, memo, previous)
    df = _frequencies(inputs, memo, change)
    limit = config.tags.max_share * count
    too_common = frozenset(w for w, n in df.items() if n > limit) if count >= config.tags.min_corpus \
        else frozenset()

    # An article's tags and topics depend on it and on these alone: chosen again only
    # for the articles that changed, unless these did.
    chosen_from = _digest(repr((sorted(too_common), config.tags, config.topics)))
    before = memo.chosen if memo.chosen_from == chosen_from else {}
    chosen: dict[str, Chosen] = {}
    picked, tag_lists, topic_lists = [], [], []
    for item in inputs:
        found = before.get(item.identity)
        if found is None or found.digest != item.digest:
            tags = choose_tags(item.analysis, item.tags, config.tags, too_common)
            found = Chosen.of(item.digest, _weighed(item.analysis, tags, config.tags.aliases),
                              _topics_of(item, config.topics))
        chosen[item.identity] = found
        picked.append(found)
        tag_lists.append(found.tags)
        topic_lists.append(found.topics)

    tag_names = {t for tags in tag_lists for t in tags}
    author_names = {a for item in inputs for a in item.authors}
    source_names = {s for item in inputs for s in item.sources}
    spell.learn(tag_names | author_names | source_names)    # at once (see Spelling)
    tag_terms = _terms("tags", tag_names, _Slugger(config.tags.slugs, spell), names)
    topic_terms = {t.slug: Term("topics", t.slug, t.slug, _topic_names(t, names),
                                t.description) for t in config.topics}
    topic_terms[OTHER_TOPIC] = Term("topics", OTHER_TOPIC, OTHER_TOPIC,
                                    names("其他", Script.HANS))
    author_terms = _terms("authors", author_names, _Slugger({}, spell), names)
    source_terms = _terms("sources", source_names, _Slugger({}, spell), names)

    # the lists of words and tags patched, when only the articles that changed were chosen
    # again (the others' tags are as the memo's lists hold them)
    touched = (Touched.of(change, [pair for item in change.fresh
                                   for pair in chosen[item.identity].weighed]
                          + [pair for item in change.gone for pair in before[item.identity].weighed],
                          memo.related)
               if change is not None and before else None)
    author_lists = [tuple(dict.fromkeys(item.authors)) for item in inputs]
    source_lists = [tuple(dict.fromkeys(item.sources)) for item in inputs]

    def found() -> tuple[PerArticle, Memo]:
        related, kept = _related_all(inputs, picked, topic_lists, too_common, memo.related,
                                     touched, readers, tag_members)
        return (PerArticle((tag_terms, topic_terms, author_terms, source_terms),
                           (tag_lists, topic_lists, author_lists, source_lists), related),
                Memo(kept, spell.used, chosen, chosen_from, df))

    groups: dict[str, tuple[tuple[Term, tuple[int, ...]], ...]] = {}
    tag_members: Mapping[str, list[int]] = {}
    for kind, lists, terms in (("tags", tag_lists, tag_terms), ("topics", topic_lists, topic_terms),
                               ("authors", author_lists, author_terms),
                               ("sources", source_lists, source_terms)):
        # by key, not by Term: a dataclass's hash is Python, called for every article
        members: dict[str, list[int]] = defaultdict(list)
        for i, keys in enumerate(lists):
            for key in keys:
                members[key].append(i)
        order = (list(topic_terms) if kind == "topics"
                 else sorted(members, key=lambda k, terms=terms: (-len(members[k]), terms[k].slug)))
        if kind == "tags":
            tag_members = members
        groups[kind] = tuple((terms[k], tuple(members[k])) for k in order if members.get(k))

    months: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, item in enumerate(inputs):
        months[(item.year, item.month)].append(i)
    archive = tuple((y, m, tuple(months[(y, m)])) for y, m in sorted(months, reverse=True))
    return Taxonomy(groups, archive, Later(found))


def _topics_of(item: TaxonomyInput, topics: Sequence[Topic]) -> tuple[str, ...]:
    known = {t.slug for t in topics} | {OTHER_TOPIC}
    if item.topics:
        return tuple(t for t in item.topics if t in known) or (OTHER_TOPIC,)
    scores = dict(item.analysis.topic_scores)
    if not scores:
        return (OTHER_TOPIC,)
    best = max(scores.values())
    if best < 2:
        return (OTHER_TOPIC,)
    ranked = sorted((t for t in topics if scores.get(t.slug, 0) >= max(2, best * 0.6)),
                    key=lambda t: -scores[t.slug])
    return tuple(t.slug for t in ranked[:2])


class _Slugger:
    """pypinyin slugs, unique per kind; collisions get -2, -3 in the order of the sorted keys."""

    def __init__(self, fixed: Mapping[str, str], spell: Callable[[str], str]):
        self.fixed, self.spell = fixed, spell

    def assign(self, keys: Iterable[str]) -> dict[str, str]:
        slugs: dict[str, str] = {}
        used: set[str] = set(self.fixed.values())
        for key in sorted(keys, key=lambda k: (self.spell(k), k)):
            if key in self.fixed:
                slugs[key] = self.fixed[key]
                continue
            base = self.spell(key) or "term"
            slug, number = base, 2
            while slug in used:
                slug, number = f"{base}-{number}", number + 1
            used.add(slug)
            slugs[key] = slug
        return slugs


def _terms(kind: str, keys: set[str], slugger: _Slugger,
           names: Callable[[str, Script], tuple[tuple[str, str], ...]]) -> dict[str, Term]:
    return {key: Term(kind, key, slug, names(key, Script.HANS))
            for key, slug in slugger.assign(keys).items()}


def _topic_names(topic: Topic, names: Callable[[str, Script], tuple[tuple[str, str], ...]]
                 ) -> tuple[tuple[str, str], ...]:
    """As written for Simplified editions; `name_hant`, when given, for Traditional ones."""
    simplified = names(topic.name, Script.HANS)
    if not topic.name_hant:
        return simplified
    traditional = dict(names(topic.name_hant, Script.HANT))
    return tuple((lang, traditional[lang] if script_of(lang) is Script.HANT else name)
                 for lang, name in simplified)


def _weighed(analysis: Analysis, tags: Sequence[str], aliases: Mapping[str, str]
             ) -> tuple[tuple[str, float], ...]:
    """Each tag with how strongly the article is about it: its word's score, or the
    article's strongest score for a tag only its front matter names."""
    terms = analysis.terms
    scores: dict[str, float] = {}
    for word, score in terms:
        scores.setdefault(aliases.get(word, word), score)
    top = terms[0][1] if terms else 0.0
    # interned: the memo pickles a tag that thousands of articles share once
    return tuple((sys.intern(tag), scores.get(tag, top)) for tag in tags)


@dataclass(frozen=True)
class Touched:
    """What a change may have changed of the related-articles search: the lists of these
    words and tags, and these articles' queries and tags. Every other list holds the same
    articles with the same scores, in the same order, as the memo's build found them."""

    words: frozenset[str]
    tags: frozenset[str]
    articles: frozenset[str]    # by identity

    @classmethod
    def of(cls, change: Change, weighed: Iterable[tuple[str, float]], memo: RelatedMemo
           ) -> Touched:
        """`weighed`: the tags with their strengths of the articles added or edited, and
        those the removed or edited ones had. A word is left out when every version that
        came or went scores below the weakest on its full list (most of an article's words
        are common ones, whose lists it is not strong enough for)."""
        low = -math.inf
        words = {w for item in (*change.fresh, *change.gone) for w, score in item.analysis.terms
                 if not score < memo.floors.get(w, low)}
        tags = {t for t, score in weighed if not score < memo.tag_floors.get(t, low)}
        return cls(frozenset(words), frozenset(tags),
                   frozenset(item.identity for item in change.fresh))


class _Lists:
    """The posting lists of words and tags, each made whole when first asked for from the
    articles that hold it (`make`)."""

    def __init__(self, inputs: Sequence[TaxonomyInput], chosen: Sequence[Chosen],
                 too_common: frozenset[str], cap: int, readers: Readers,
                 tag_members: Mapping[str, Sequence[int]]):
        self.inputs, self.chosen, self.too_common, self.cap = inputs, chosen, too_common, cap
        self.readers: Readers | None = readers
        self.tag_members = tag_members     # each tag's articles, by place
        # Postings are (-score, article): sorted as tuples, strongest first and ties to the
        # earlier article, in C (a key function was half the time of an unchanged search).
        self.words: dict[str, list[tuple[float, int]]] = {}
        self.tags: dict[str, list[tuple[float, int]]] = {}
        self._asked: tuple[set[str], set[str]] | None = (set(), set())    # None: all

    @cached_property
    def candidates(self) -> list[list[str]]:
        """Each article's candidate words, strongest first."""
        return [item.analysis.words.split() for item in self.inputs]

    def holding(self, words: Collection[str]) -> Mapping[str, Collection[int]]:
        """The articles that hold each word among their candidates: as the engine keeps
        them, or else found by one pass over every article's (splitting 100,000 articles'
        candidates was 0.55 s of an edit, and the pass 0.45 s more)."""
        if not words:
            return {}
        found = self.readers(words) if self.readers is not None else None
        if found is not None:
            return found
        self.readers = None     # not asked again in this search
        held: dict[str, list[int]] = defaultdict(list)
        wanted = set(words)
        for j, candidates in enumerate(self.candidates):
            for word in wanted.intersection(candidates):
                held[word].append(j)
        return held

    def query(self, j: int) -> list[str]:
        """The words an article's search reads: its `QUERY_TERMS` strongest candidates."""
        return self.inputs[j].analysis.words.split(" ", QUERY_TERMS)[:QUERY_TERMS]

    def make(self, words: Iterable[str] | None = None, tags: Iterable[str] | None = None
             ) -> None:
        """The lists of these words and tags, if not made yet; of all of them if neither
        is given."""
        if self._asked is None:
            return
        everything = words is None and tags is None
        words = set(words or ()) - self._asked[0] - self.too_common    # listed by no article
        tags = set(tags or ()) - self._asked[1]
        if not everything and not words and not tags:
            return
        postings: dict[str, list[tuple[float, int]]] = defaultdict(list)
        tag_postings: dict[str, list[tuple[float, int]]] = defaultdict(list)
        too_common, cap = self.too_common, self.cap
        # each list cut to its strongest as it grows (all of them at once, with every
        # article's candidates, were half a gigabyte at 100,000 articles)
        if everything:
            for j, item in enumerate(self.inputs):
                _post(postings, [(w, s) for w, s in item.analysis.terms if w not in too_common],
                      j, cap)
                _post(tag_postings, self.chosen[j].weighed, j, cap)
        else:
            held = self.holding(words)
            for j in sorted({j for word in words for j in held.get(word, ())}):
                _post(postings, [(w, s) for w, s in self.inputs[j].analysis.terms
                                 if w in words], j, cap)
            for j in sorted({j for tag in tags for j in self.tag_members.get(tag, ())}):
                _post(tag_postings, [(t, s) for t, s in self.chosen[j].weighed if t in tags],
                      j, cap)
        for made, found in ((self.words, postings), (self.tags, tag_postings)):
            for entries in found.values():
                entries.sort()
                del entries[cap:]
            made.update(found)
        if everything:
            self._asked = None
        else:
            self._asked[0].update(words)
            self._asked[1].update(tags)


def _list_digests(ids: Sequence[str], lists: Mapping[str, list[tuple[float, int]]],
                  only: Iterable[str] | None = None) -> dict[str, bytes]:
    """A digest of each list that holds an article (of `only` those), its articles by
    identity."""
    return {word: _digest(tuple((score, ids[j]) for score, j in lists[word]))
            for word in (lists if only is None else only) if word in lists}


def _floors(lists: Mapping[str, list[tuple[float, int]]], cap: int,
            only: Iterable[str] | None = None) -> dict[str, float]:
    """The weakest score on each list that is full (of `only` those)."""
    return {word: -lists[word][-1][0] for word in (lists if only is None else only)
            if len(lists.get(word, ())) >= cap}


def _related_all(inputs: Sequence[TaxonomyInput], chosen: Sequence[Chosen],
                 topic_lists: Sequence[tuple[str, ...]], too_common: frozenset[str],
                 memo: RelatedMemo, touched: Touched | None = None,
                 readers: Readers = lambda words: None,
                 tag_members: Mapping[str, Sequence[int]] | None = None, most: int = 5,
                 least: int = 3, posting_cap: int = 32
                 ) -> tuple[list[tuple[int, ...]], RelatedMemo]:
    """For each article, the articles that share its tags and words, then its topic; and
    the memo for the next build.

    Scored through an inverted index whose lists keep only each word's and each tag's
    strongest articles, so the cost grows with the number of articles, not its square,
    and a new article joins only the lists it is among the strongest on: not every list
    of every article that shares a tag with it (the newest of a tag's articles were its
    list once, and each addition changed the related articles of hundreds).

    An article whose query and tags are as before keeps its answer without a search when
    the lists it reads are as before, or when the ones that changed leave its answer's
    scores as they were and put no article past the last of them: an addition changes
    the lists of its words, which thousands of articles read, and makes few of them a
    new answer. An answer filled from the topic and the neighbours in time also needs
    those as before.

    `touched`, when the memo's build differs from this one by a few articles: the lists
    it names are made again, the others' digests kept from the memo, and only the
    articles that read a list that changed are looked at (otherwise every list is made
    and every article looked at). Which articles a list reads, and which hold a word,
    come from `readers` and `tag_members` (each tag's articles by place; None: found
    here), not from a pass over every article.

    `chosen`: each article's tags, their strengths unpacked only where a list or a query
    reads them (unpacking every article's was 0.27 s of an edit at 100,000)."""
    ids = [item.identity for item in inputs]
    place = {identity: j for j, identity in enumerate(ids)}
    if tag_members is None:
        tag_members = defaultdict(list)
        for j, found in enumerate(chosen):
            for tag in found.tags:
                tag_members[tag].append(j)
    lists = _Lists(inputs, chosen, too_common, posting_cap, readers, tag_members)
    if touched is None:
        lists.make()
        words, tags_read = _list_digests(ids, lists.words), _list_digests(ids, lists.tags)
        floors, tag_floors = _floors(lists.words, posting_cap), _floors(lists.tags, posting_cap)
    else:
        lists.make(touched.words, touched.tags)
        words, tags_read = dict(memo.words), dict(memo.tags)
        floors, tag_floors = dict(memo.floors), dict(memo.tag_floors)
        for digests, lowest, asked, made in ((words, floors, touched.words, lists.words),
                                             (tags_read, tag_floors, touched.tags, lists.tags)):
            for word in asked:
                digests.pop(word, None)
                lowest.pop(word, None)
            digests.update(_list_digests(ids, made, asked))
            lowest.update(_floors(made, posting_cap, asked))
    stale_words = {w for w in (words.keys() | memo.words.keys() if touched is None else touched.words)
                   if words.get(w) != memo.words.get(w)}
    stale_tags = {t for t in (tags_read.keys() | memo.tags.keys() if touched is None else touched.tags)
                  if tags_read.get(t) != memo.tags.get(t)}
    by_topic: dict[str, list[int]] = defaultdict(list)
    for j, topics in enumerate(topic_lists):
        for topic in topics:
            by_topic[topic].append(j)

    def fill_of(i: int) -> bytes:
        """A digest of what an answer is filled from: its topics' first articles (the
        fill reads at most this far) and its neighbours in time."""
        return _digest((tuple(tuple(ids[j] for j in by_topic[t][:least + most + 1])
                              for t in topic_lists[i]),
                        tuple(ids[j] for j in range(max(0, i - least - 1),
                                                    min(len(ids), i + least + 2)))))

    # Articles whose answer may have changed: all of them, or, told what changed, those
    # whose query or tags are not as before (touched names them), that read a list that
    # changed, or whose fill moved. Every other answer stands.
    kept: dict[str, Found] = {}
    if touched is None:
        looked_at: Sequence[int] = range(len(ids))
    else:
        kept = {identity: before for identity in ids
                if (before := memo.found.get(identity)) is not None}
        looked = {place[identity] for identity in touched.articles if identity in place}
        looked.update(i for i, identity in enumerate(ids) if identity not in kept)
        for word, held in lists.holding(stale_words).items():
            looked.update(j for j in held if word in lists.query(j))
        looked.update(j for tag in stale_tags for j in tag_members.get(tag, ()))
        looked.update(i for identity, before in memo.found.items()
                      if before.fill is not None and (i := place.get(identity)) is not None
                      and before.fill != fill_of(i))
        looked_at = sorted(looked)
    queries = {i: inputs[i].analysis.terms[:QUERY_TERMS] for i in looked_at}
    if touched is not None:
        lists.make({w for query in queries.values() for w, _ in query},
                   {t for i in looked_at for t in chosen[i].tags})
    postings, tag_postings = lists.words, lists.tags
    for i in looked_at:
        query = queries[i]
        tags = chosen[i].tags
        own = _digest((query, chosen[i].weighed))
        changed = [postings.get(word, []) for word, _ in query if word in stale_words]
        changed += [tag_postings.get(tag, []) for tag in tags if tag in stale_tags]
        before = memo.found.get(ids[i])
        if before is None or before.own != own or not _stands(
                i, before, changed, query, tags, postings, tag_postings, place, most) or (
                before.fill is not None and before.fill != fill_of(i)):
            ranked, scores = _related_one(i, query, tags, topic_lists[i], postings,
                                          tag_postings, by_topic, len(inputs), most, least)
            before = Found(own, fill_of(i) if len(scores) < least else None,
                           tuple(ids[j] for j in ranked), _packed(scores))
        kept[ids[i]] = before
    related = [tuple(map(place.__getitem__, kept[identity].answer)) for identity in ids]
    return related, RelatedMemo(kept, words, tags_read, floors, tag_floors)


def _stands(i: int, before: Found, changed: Sequence[list[tuple[float, int]]],
            query: Sequence[tuple[str, float]], tags: Sequence[str],
            postings: Mapping[str, list[tuple[float, int]]],
            tag_postings: Mapping[str, list[tuple[float, int]]], place: Mapping[str, int],
            most: int) -> bool:
    """Whether an answer found before is still the answer, when of the lists it reads
    only `changed` differ: its articles score as before, and no article now on those
    lists ranks before the last of them. An answer with fewer than `most` found by score
    stands only if no list changed (one that lost its articles took candidates away)."""
    if not changed:
        return True
    found = before.scores
    if len(found) < most or any(identity not in place for identity in before.answer):
        return False
    answer = [place[identity] for identity in before.answer]
    wanted = ({j for entries in changed for _, j in entries} | set(answer)) - {i}
    scores = _scores(query, tags, postings, tag_postings, wanted)
    if any(scores.get(j) != score for j, score in zip(answer, found, strict=True)):
        return False
    last = (-found[-1], answer[-1])
    return all((-scores.get(j, 0.0), j) > last for j in wanted.difference(answer))


def _scores(query: Sequence[tuple[str, float]], tags: Sequence[str],
            postings: Mapping[str, list[tuple[float, int]]],
            tag_postings: Mapping[str, list[tuple[float, int]]], only: set[int] | None = None
            ) -> dict[int, float]:
    """How strongly each article on the lists an article reads relates to it (`only`:
    just these): its words' scores multiplied with the article's, summed in the query's
    order (so the same sum, bit for bit, however many are asked for), and one for each
    tag they share."""
    shared: dict[int, float] = defaultdict(float)
    for word, score in query:
        entries = postings.get(word, ())
        for minus, j in (entries if only is None else [e for e in entries if e[1] in only]):
            shared[j] -= score * minus
    scores = {j: math.sqrt(v) for j, v in shared.items()}
    for tag in tags:
        for _, j in tag_postings.get(tag, ()):
            if only is None or j in only:
                scores[j] = scores.get(j, 0.0) + 1.0
    return scores


def _related_one(i: int, query: Sequence[tuple[str, float]], tags: Sequence[str],
                 topics: Sequence[str], postings: Mapping[str, list[tuple[float, int]]],
                 tag_postings: Mapping[str, list[tuple[float, int]]],
                 by_topic: Mapping[str, list[int]], count: int, most: int, least: int
                 ) -> tuple[list[int], list[float]]:
    """The related articles, and the scores of those found by score."""
    scores = _scores(query, tags, postings, tag_postings)
    scores.pop(i, None)
    # the best `most`, ties to the earlier article: compared as tuples, in C
    best = heapq.nsmallest(most, [(-v, j) for j, v in scores.items()])
    ranked = [j for _, j in best]
    # Too few by content: the same topic, then simply the nearest in time.
    nearest = sorted(range(max(0, i - least - 1), min(count, i + least + 2)),
                     key=lambda j: (abs(j - i), j))
    fill = itertools.chain((j for topic in topics for j in by_topic[topic]), nearest)
    for j in fill:
        if len(ranked) >= least:
            break
        if j != i and j not in ranked:
            ranked.append(j)
    return ranked, [-v for v, _ in best]


def _post(postings: dict[str, list[tuple[float, int]]], scored: Sequence[tuple[str, float]],
          j: int, cap: int) -> None:
    """Add an article to the lists of its words, each cut to its strongest `cap` whenever
    it reaches twice that."""
    for word, score in scored:
        entries = postings[word]
        entries.append((-score, j))
        if len(entries) >= 2 * cap:
            entries.sort()
            del entries[cap:]


def _packed(values: Iterable[float]) -> bytes:
    """Floats as packed doubles: what the memo and the state keep of every article's scores."""
    return array("d", values).tobytes()


def _unpacked(packed: bytes) -> array:
    values = array("d")
    values.frombytes(packed)
    return values


def _digest(value: object) -> bytes:
    # marshal's version 2 writes values without back-references: equal values, equal bytes
    return hashlib.blake2b(marshal.dumps(value, 2), digest_size=16).digest()
