"""The site as a plan: every output file, what it is made from, and a digest of that.

A reduce over the derived articles without their bodies (the taxonomy, the
pages with their keys, in shards); nothing here converts, parses or renders.
The engine compares each file's digest with the one recorded for the published
file and renders only the files whose digests differ; a shard whose key (a
digest of all its pages are made from) was recorded is not walked at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import pickle
import zlib
from collections.abc import (
    Callable,
    Collection,
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, fields, replace
from functools import cache, cached_property, partial
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple, NoReturn, TypeVar

from .config import OTHER_TOPIC, DeriveSettings, PhotoConfig, SiteConfig
from .derive import Derived, Tools
from .editions import Edition, Script
from .fingerprint import MARKER
from .markup import Markdown
from .pages import (
    FRONT_SECTION_SIZE,
    TERM_KINDS,
    Cards,
    EditionContext,
    Listed,
    Listing,
    Page,
    SitemapPart,
    SiteView,
    alias_pages,
    archive_chunks,
    archive_pages,
    article_pages,
    card_identities,
    front_pages,
    listed_in,
    listings,
    not_found_page,
    robots_txt,
    root_page,
    search_and_archive_pages,
    sitemap_pages,
    source_key,
    term_pages,
)
from .photos import Photo, Version
from .photos import published as published_versions
from .records import record
from .script import Converter
from .search import (
    Index,
    IndexState,
    SearchDoc,
    Terms,
    fold_map,
    make_index,
    patch_index,
    table,
)
from .segment import Segmenter
from .slugs import Spelling, slugify
from .strings import DEFAULTS, HANT_WORDING
from .taxonomy import Analyzer, Memo, Taxonomy, TaxonomyInput, Term, build_taxonomy
from .views import TermLink, Urls, article_path, term_link


def load_tools(settings: DeriveSettings, converter: Converter | None = None) -> Tools:
    converter = converter or Converter(settings.conversion)
    return Tools(converter, Markdown(), Analyzer(Segmenter(), settings.tags), settings,
                 table(search_fold(converter)))


class LoadedTools:
    """The tools, loaded by the process that first asks for them. The process that plans
    and publishes needs only the converter (44 MB); the segmenter, its IDF table and
    pypinyin (150 MB, 0.6 s) are loaded where articles are derived. Sent to a cluster's
    worker or forked, it is loaded there on first use."""

    def __init__(self, settings: DeriveSettings):
        self.settings = settings
        self._tools: Tools | None = None
        self._converter: Converter | None = None

    def __reduce__(self):
        return (LoadedTools, (self.settings,))

    def __call__(self) -> Tools:
        if self._tools is None:
            self._tools = load_tools(self.settings, self._converter)
        return self._tools

    @property
    def converter(self) -> Converter:
        if self._tools is not None:
            return self._tools.converter
        if self._converter is None:
            self._converter = Converter(self.settings.conversion)
        return self._converter

    def ready(self, spelling: bool = True) -> Tools:
        """Loaded, with what they load on first use (the tagger, the IDF table, pypinyin
        unless not `spelling`): for a worker readied before it is needed."""
        tools = self()
        tools.analyzer.ready()
        if spelling:
            slugify("新闻")
        return tools


def search_fold(converter: Converter) -> dict[str, str]:
    return fold_map(*converter.folding())


ARTICLES_PER_SHARD = 200    # an article's pages in every edition: 800 pages a shard
TERM_PAGES_PER_SHARD = 50   # on average: a kind's terms are spread over buckets by slug;
                            # a term with more numbered pages has shards of as many of them
FRONT_PAGES_PER_SHARD = 100  # of an edition's numbered front pages, counted from the oldest
T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """A share of the site's pages that a worker makes, walks and renders on its own,
    from the plan alone (`SitePlan.shard_pages`)."""

    # front (its own page and feed) / pages (numbered front pages) / articles / terms /
    # term-pages (numbered pages of a term with many) / archive (a month's list) / rest
    # (search, the archive's index, term lists) / site
    part: str
    edition: int = -1   # its place in `SitePlan.editions`; -1: every edition
    kind: str = ""      # of the terms
    # the articles or numbered pages it holds; of terms, its bucket; of the archive, the month
    start: int = 0
    stop: int = 0       # of terms, how many buckets the kind has; of the archive, the year
    term: str = ""      # of term-pages, the term's slug


@dataclass(frozen=True)
class SitePlan:
    """Everything the pages are made from: computed once, then walked by every worker."""

    derived: list[Derived]
    taxonomy: Taxonomy
    editions: tuple[tuple[EditionContext, Cards], ...]
    identities: list[bytes]     # each article's `card_identities`
    root: Page
    not_found: Page
    aliases: tuple[Page, ...] = ()  # the articles' old URLs

    @property
    def frame(self) -> bytes:
        """What every page of an edition shows that the plan decides (the topics in the
        navigation): part of every page's digest."""
        return digest(b"", [(ctx.edition.path, [(t.href, t.label) for t in ctx.site.topics])
                            for ctx, _ in self.editions])

    def shards(self) -> list[Shard]:
        """Every page of the site, in shards of a few hundred to a few thousand pages.
        Shards keep their members as the site grows, so a shard whose inputs did not
        change is not walked again (`shard_key`): articles are counted from the oldest
        (a new one joins the newest shard), terms are spread over buckets by their slugs
        (a new tag joins one), and the pages every new article changes are together in
        `rest`. A term with more numbered pages than a bucket holds has them in shards of
        their own, as the front page does (`_split`). An article's pages in every edition
        are in one shard, so the worker that renders them reads its body once; aliases
        come last (an alias in the way of a page is the alias's error)."""
        count, numbered = len(self.derived), len(self._chunks)
        shards = []
        for e in range(len(self.editions)):
            shards.append(Shard("front", e))
            shards += [Shard("pages", e, start=first,
                             stop=min(numbered + 1, first + FRONT_PAGES_PER_SHARD))
                       for first in range(1, numbered + 1, FRONT_PAGES_PER_SHARD)]
        shards += [Shard("articles", start=max(0, count - done - ARTICLES_PER_SHARD),
                         stop=count - done)
                   for done in reversed(range(0, count, ARTICLES_PER_SHARD))]
        for e in range(len(self.editions)):
            for kind in TERM_KINDS:
                buckets = len(self._buckets[kind])
                shards += [Shard("terms", e, kind, b, buckets) for b in range(buckets)]
                for slug, (_, chunks) in self._split[kind].items():
                    shards += [Shard("term-pages", e, kind, first,
                                     min(len(chunks) + 1, first + TERM_PAGES_PER_SHARD), slug)
                               for first in range(1, len(chunks) + 1, TERM_PAGES_PER_SHARD)]
            shards += [Shard("archive", e, start=month, stop=year)
                       for year, month, _ in self.taxonomy.archive]
            shards.append(Shard("rest", e))
        return [*shards, Shard("site")]

    def listing(self, articles: Collection[int]) -> set[Shard]:
        """The shards whose pages list any of these articles (by place): the pages their
        change moves besides their own, which the preview walks first."""
        if not articles:
            return set()
        months = {(d.article.date.year, d.article.date.month)
                  for d in (self.derived[i] for i in articles)}
        wanted = set(articles)
        # from the groups, not `taxonomy.per_article`: that would search for related
        # articles first, which these pages do not show
        slugs = {kind: {term.slug for term, members in self.taxonomy.groups[kind]
                        if not wanted.isdisjoint(members)} for kind in TERM_KINDS}

        def lists(shard: Shard) -> bool:
            if shard.part in ("front", "rest"):     # the latest, each topic's, the counts
                return True
            if shard.part == "pages":
                return any(start <= i < end for i in articles
                           for start, end in self._chunks[shard.start - 1:shard.stop - 1])
            if shard.part == "archive":
                return (shard.stop, shard.start) in months
            if shard.part == "terms":
                groups = self.taxonomy.groups[shard.kind]
                return any(groups[place][0].slug in slugs[shard.kind]
                           for place in self._buckets[shard.kind][shard.start])
            if shard.part == "term-pages" and shard.term in slugs[shard.kind]:
                place, chunks = self._split[shard.kind][shard.term]
                members = self.taxonomy.groups[shard.kind][place][1]
                return any(not wanted.isdisjoint(members[start:end])
                           for start, end in chunks[shard.start - 1:shard.stop - 1])
            return False

        return {shard for shard in self.shards() if lists(shard)}

    def sitemap_group(self, shard: Shard) -> str:
        """The sitemap file of a shard's pages in each edition, past one file: groups of a
        few hundred pages that keep their shards as the site grows (articles and
        numbered pages counted from the oldest, terms by bucket), so that a new article
        changes the files of the newest group and of its lists, not every file (a file
        of 2,000 articles' pages in an edition is 2 MB with its alternates)."""
        if shard.part == "articles":
            return f"articles-{(len(self.derived) - shard.stop) // (ARTICLES_PER_SHARD * 2)}"
        if shard.part == "pages":
            return f"pages-{(shard.start - 1) // (FRONT_PAGES_PER_SHARD * 2)}"
        if shard.part == "terms":
            return f"{shard.kind}-{shard.start // 4}"
        if shard.part == "term-pages":
            return f"{shard.kind}-{shard.term}-{(shard.start - 1) // (TERM_PAGES_PER_SHARD * 4)}"
        if shard.part == "archive":
            return f"archive-{shard.stop}"
        return "front"      # the front page, search, the lists of terms and months

    @property
    def _page_size(self) -> int:
        return self.editions[0][0].config.page_size if self.editions else 1

    @cached_property
    def _chunks(self) -> list[tuple[int, int]]:
        """The front page's numbered pages (`archive_chunks`)."""
        return archive_chunks(len(self.derived), self._page_size)

    @cached_property
    def _split(self) -> dict[str, dict[str, tuple[int, list[tuple[int, int]]]]]:
        """Each kind's terms with more than `TERM_PAGES_PER_SHARD` numbered pages, by slug:
        their places and numbered pages (`archive_chunks`). Those pages have shards of
        their own, keyed by the articles each holds, so an edit to one of a tag's 20,000
        articles walks the 50 pages around it, not the tag's 1,000 (at 100,000 articles,
        22,000 pages an edit, when buckets held whole terms)."""
        size = self._page_size
        return {kind: {term.slug: (place, archive_chunks(len(members), size))
                       for place, (term, members) in enumerate(self.taxonomy.groups[kind])
                       # its numbered pages counted, made only for the terms split
                       if -(-len(members) // size) - 1 > TERM_PAGES_PER_SHARD}
                for kind in TERM_KINDS}

    @cached_property
    def _buckets(self) -> dict[str, list[list[int]]]:
        """Each kind's terms, by place, spread over a power of two of buckets by a hash of
        their slugs, about `TERM_PAGES_PER_SHARD` pages a bucket: the buckets change only
        when the kind's pages double. A split term counts its own page and feed."""
        found, size = {}, self._page_size
        for kind in TERM_KINDS:
            groups, split = self.taxonomy.groups[kind], self._split[kind]
            pages = sum(2 + (0 if term.slug in split else len(members) // size)
                        for term, members in groups)    # with the feed
            buckets = 1
            while buckets * TERM_PAGES_PER_SHARD < pages:
                buckets *= 2
            found[kind] = [[] for _ in range(buckets)]
            for place, (term, _) in enumerate(groups):
                found[kind][zlib.crc32(term.slug.encode()) % buckets].append(place)
        return found

    def shard_bodies(self, shard: Shard) -> dict[tuple[str, str], Derived]:
        """The whole articles the shard's pages read (`EditionContext.whole`), by
        `source_key`: what a worker without this machine's derive cache is sent with the
        shard. Its own articles' pages, or the front page's feed."""
        if shard.part == "articles":
            read = range(shard.start, shard.stop)
        elif shard.part == "front":
            read = range(min(len(self.derived), self.editions[shard.edition][0].config.feed_entries))
        else:
            read = range(0)
        whole = self.editions[0][0].whole if self.editions else (lambda d: d)
        return {source_key(d): whole(d) for d in (self.derived[i] for i in read)}

    def shard_pages(self, shard: Shard,
                    bodies: Mapping[tuple[str, str], Derived] | None = None) -> Iterator[Page]:
        """`bodies`: `shard_bodies(shard)`, where the plan's own way to the bodies is not
        at hand."""
        editions = self._editions(bodies)
        if shard.part == "articles":
            for index in range(shard.start, shard.stop):
                yield from self.article_shard_pages(index, bodies)
            return
        if shard.part == "site":
            yield self.root
            yield self.not_found
            yield from self.aliases
            return
        ctx, cards = editions[shard.edition]
        if shard.part == "front":
            yield from front_pages(self.derived, self.taxonomy, ctx, cards, numbers=range(0))
        elif shard.part == "pages":
            yield from front_pages(self.derived, self.taxonomy, ctx, cards,
                                   numbers=range(shard.start, shard.stop), own=False)
        elif shard.part == "terms":
            split = {place for place, _ in self._split[shard.kind].values()}
            yield from term_pages(self.taxonomy, ctx, cards, shard.kind, [
                (place, range(0) if place in split else None)
                for place in self._buckets[shard.kind][shard.start]])
        elif shard.part == "term-pages":
            yield from term_pages(self.taxonomy, ctx, cards, shard.kind, [
                (self._split[shard.kind][shard.term][0], range(shard.start, shard.stop))],
                own=False)
        elif shard.part == "archive":
            yield from archive_pages(self.taxonomy, ctx, cards, shard.stop, shard.start)
        else:
            yield from search_and_archive_pages(self.taxonomy, ctx, cards)

    def _editions(self, bodies: Mapping[tuple[str, str], Derived] | None
                  ) -> tuple[tuple[EditionContext, Cards], ...]:
        return self.editions if bodies is None else tuple(
            (replace(ctx, whole=partial(carried, bodies)), cards) for ctx, cards in self.editions)

    def article_shard_pages(self, index: int,
                            bodies: Mapping[tuple[str, str], Derived] | None = None
                            ) -> Iterator[Page]:
        """The pages of the article at `index`, in every edition."""
        for ctx, cards in self._editions(bodies):
            yield from article_pages(ctx, self.derived[index], self.taxonomy.per_article[index],
                                     cards, index)

    def article_key(self, index: int, salt: bytes) -> bytes:
        """A digest of everything the article's own pages are made from: what its
        shard's key is made of, for the article alone."""
        return digest(salt, "article", self._article_inputs(index))

    def _article_inputs(self, index: int) -> tuple[object, ...]:
        terms = self.taxonomy.per_article[index]
        return (self.identities[index], terms.key, _picked(self.identities, terms.related))

    def shard_key(self, shard: Shard, salt: bytes) -> bytes | None:
        """A digest of everything the shard's pages are made from, with `salt` covering
        the settings, the code, the templates and the frame; cheap beside walking them,
        so that an unchanged shard is not walked. None: the shard is always walked."""
        ids, taxonomy = self.identities, self.taxonomy
        if shard.part == "articles":    # by its articles, not their places, which a new
            # article moves: its pages do not depend on them. Their terms by key, with what
            # the pages show of each once (every article's terms whole were four times the
            # bytes to digest, and 0.3 s more of every build at 100,000 articles).
            terms, places = self.taxonomy.per_article, range(shard.start, shard.stop)
            return digest(salt, "shard", "articles",
                          [(ids[i], terms.keys(i), _picked(ids, terms.related[i]))
                           for i in places], terms.shown(places))
        inputs: object
        if shard.part == "terms":     # a split term's own page, its feed, its pages' count
            groups, split = taxonomy.groups[shard.kind], self._split[shard.kind]
            config = self.editions[shard.edition][0].config
            head = max(config.page_size, config.feed_entries)
            inputs = [(_term_fields(term), _picked(ids, members[:head]),
                       len(split[term.slug][1])) if term.slug in split
                      else (_term_fields(term), _picked(ids, members))
                      for term, members in (groups[place] for place
                                            in self._buckets[shard.kind][shard.start])]
        elif shard.part == "term-pages":    # as `pages`, and the term's own fields
            place, chunks = self._split[shard.kind][shard.term]
            term, members = taxonomy.groups[shard.kind][place]
            inputs = (_term_fields(term), [_picked(ids, members[start:end]) for start, end
                                           in chunks[shard.start - 1:shard.stop - 1]],
                      min(len(chunks), shard.stop))
        elif shard.part == "front":     # the latest, each topic's latest, how many pages
            config = self.editions[shard.edition][0].config
            inputs = (ids[:max(config.page_size, config.feed_entries)],
                      [(_term_fields(t), _picked(ids, members[:FRONT_SECTION_SIZE + 1]))
                       for t, members in taxonomy.groups["topics"]], len(self._chunks))
        elif shard.part == "pages":     # their articles, and whether the last is the newest
            inputs = ([ids[start:end] for start, end in self._chunks[shard.start - 1:shard.stop - 1]],
                      min(len(self._chunks), shard.stop))
        elif shard.part == "archive":
            inputs = [_picked(ids, members) for year, month, members
                      in taxonomy.archive if (year, month) == (shard.stop, shard.start)]
        elif shard.part == "rest":      # counts, and the latest article's day
            inputs = (ids[:1], [(year, month, len(members)) for year, month, members
                                in taxonomy.archive],
                      [[(_term_fields(t), len(members)) for t, members in taxonomy.groups[kind]]
                       for kind in TERM_KINDS])
        else:
            return None
        return digest(salt, "shard", shard, inputs)


def _picked(values: Sequence[T], places: Sequence[int]) -> tuple[T, ...]:
    """The values at these places, by `itemgetter` (2,000,000 identities of the terms'
    articles, keyed at every build of 100,000 articles: 0.65 s by a generator)."""
    if len(places) > 1:
        return itemgetter(*places)(values)
    return (values[places[0]],) if places else ()


def carried(bodies: Mapping[tuple[str, str], Derived], light: Derived) -> Derived:
    found = bodies.get(source_key(light))
    if found is None:   # `shard_bodies` and the pages disagree: a fault here, not the input's
        raise RuntimeError(f"{light.article.path} was read by a shard not sent its body")
    return found


def _term_fields(term: Term) -> tuple[object, ...]:
    # its fields alone, as `ArticleCard.key` takes them: pickled whole, a term would carry
    # whichever cached properties were asked for first; listed by hand, a field added to
    # `Term` would be missed
    return tuple(getattr(term, f.name) for f in fields(term))


def taxonomy_input(d: Derived) -> TaxonomyInput:
    """What the taxonomy reads of an article. Its identity is the file, then the article's
    place in the order of articles (date, slug)."""
    return TaxonomyInput(f"{d.article.path}\n{d.article.date.isoformat()}\n"
                         f"{d.article.slug}", d.article.digest, d.analysis, d.tags,
                         d.article.topics, d.authors, d.sources, d.article.date.year,
                         d.article.date.month)


def plan_site(derived: list[Derived], config: SiteConfig, converter: Converter,
              shown_from: dt.datetime | None = None,
              whole: Callable[[Derived], Derived] | None = None,
              memo: Memo | None = None,
              previous: Callable[[str], Derived | None] = lambda path: None,
              spell_elsewhere: Callable[[list[str]], list[str]] | None = None,
              readers: Callable[[Collection[str]], Mapping[str, Collection[str]] | None]
              = lambda words: None) -> SitePlan:
    """`derived`: newest first, with or without their bodies (`whole` gives them back).
    `shown_from`: articles dated after it are scheduled ones shown ahead of time, marked
    as such (`build --future`, the preview). `memo`: the last plan's
    `taxonomy.memo`; `previous`: by its file's path, an article as the plan that made
    the memo had it, if known (`build_taxonomy`); `spell_elsewhere`: see `Spelling`;
    `readers`: by path, the article files that hold each word among their tag
    candidates, if known (files not among `derived` may be named too)."""
    urls = Urls(config.base_url, config.base_path)
    memo = memo or Memo()
    spell = Spelling(memo.slugs, spell_elsewhere, expected=() if config.feed_id else (config.title,))

    def names(text: str, script: Script) -> tuple[tuple[str, str], ...]:
        return tuple((e.lang, converter.convert(text, script, e).text) for e in config.editions)

    def before(identity: str) -> TaxonomyInput | None:
        found = previous(identity.split("\n", 1)[0])
        return taxonomy_input(found) if found is not None else None

    inputs = [taxonomy_input(d) for d in derived]

    @cache
    def places() -> dict[str, int]:
        return {item.identity.split("\n", 1)[0]: i for i, item in enumerate(inputs)}

    def held(words: Collection[str]) -> dict[str, list[int]] | None:
        found = readers(words)
        return None if found is None else {
            word: [i for path in paths if (i := places().get(path)) is not None]
            for word, paths in found.items()}

    taxonomy = build_taxonomy(inputs, config, names, memo, spell, before, held)
    if not config.feed_id:  # the authority of tag: URIs, the title in pinyin: spelled once
        config = replace(config, feed_id=spell(config.title) or "news")
    identities = card_identities(derived, shown_from)
    titles: dict[Edition, str] = {}
    descriptions: dict[Edition, str] = {}
    strings_of: dict[Edition, dict[str, str]] = {}
    editions = []
    for edition in config.editions:
        local = partial(converter.localise, edition=edition)
        strings = {key: interface_string(key, edition, config, converter) for key in DEFAULTS}
        nav = tuple(TermLink(urls.link(f"{edition.path}/{kind}/"),
                             strings["authors_index" if kind == "authors" else kind])
                    for kind in (*TERM_KINDS, "archive", "search"))
        topics = tuple(term_link(term, edition, urls) for term, _ in taxonomy.groups["topics"]
                       if term.slug != OTHER_TOPIC)
        site = SiteView(local(config.title), local(config.description), strings, edition.path,
                        nav, topics)
        titles[edition], strings_of[edition] = site.title, strings
        descriptions[edition] = site.description
        ctx = EditionContext(edition, site, config, urls, local, shown_from,
                             *((whole,) if whole else ()))
        editions.append((ctx, Cards(derived, ctx, identities)))
    return SitePlan(derived, taxonomy, tuple(editions), identities,
                    root_page(config, urls, titles, descriptions,
                              {e: strings_of[e]["edition_explain"] for e in config.editions}),
                    not_found_page(urls, strings_of, {ctx.edition: cards for ctx, cards in editions}),
                    tuple(alias_pages(derived, config, urls)))


def interface_string(key: str, edition: Edition, config: SiteConfig,
                     converter: Converter) -> str:
    """An interface string in the edition: as site.toml writes it for this edition, else
    for its script (in the edition's glyphs), else Taiwan's own wording where it differs
    (for a Traditional edition), else converted from Simplified."""
    forms = dict(config.string_forms.get(key, ()))
    script = edition.script
    exact = next((forms[k] for k in edition.keys if k in forms and k != script.key), None)
    if exact is not None:
        return exact
    if script.key in forms:
        return converter.convert(forms[script.key], script, edition).text
    if script is Script.HANT and key not in config.strings and key in HANT_WORDING:
        return converter.convert(HANT_WORDING[key], script, edition).text
    return converter.localise(config.strings.get(key, DEFAULTS[key]), edition)


def digest(salt: bytes, *parts: object) -> bytes:
    """What an output file is made from, in 16 bytes; `salt` covers what every file is
    made from (settings, templates, code)."""
    data = io.BytesIO()
    # No memo: pickle writes an object met twice as a reference to the first, so equal
    # values shared differently (made in another worker, or in another order) would
    # give other bytes.
    pickler = pickle.Pickler(data, protocol=5)
    pickler.fast = True
    pickler.dump(parts)
    return hashlib.blake2b(data.getbuffer(), digest_size=16, key=salt).digest()


def page_digest(salt: bytes, page: Page, templates: Callable[[str], bytes],
                key: bytes | None = None) -> bytes:
    """`key`: `key_digest(page)`, when the caller has it (an article's page and its
    parallel page share their key)."""
    return digest(salt, page.path, page.template, templates(page.template),
                  key if key is not None else key_digest(page))


def key_digest(page: Page) -> bytes:
    # a page without a key of its own is named by its whole view
    return digest(b"", page.key if page.key is not None else sorted(page.view().items()))


@record
class Rows:
    """Pages as a walk found them, by column: what the state keeps of every shard, read
    back for the shards a change replaces and the sitemap files it makes again (524,000
    pages at 100,000 articles took 0.39 s to unpickle as a record a page, 0.21 s as
    columns, when every build read them all)."""

    paths: tuple[str, ...]
    digests: tuple[bytes, ...]
    locals: tuple[str | None, ...]          # see `Page`
    lastmods: tuple[dt.date | None, ...]
    aliases: tuple[str | None, ...]         # an alias page: the article whose old URL it is

    def __len__(self) -> int:
        return len(self.paths)

    @staticmethod
    def joined(parts: Sequence[Rows]) -> Rows:
        """The rows of `parts`, one after the other."""
        return Rows(*(tuple(chain.from_iterable(getattr(p, name) for p in parts))
                      for name in ("paths", "digests", "locals", "lastmods", "aliases")))


class Part(NamedTuple):
    """One article's own pages in a shard of articles walked again."""

    identity: bytes         # the article's (`SitePlan.identities`)
    key: bytes              # `SitePlan.article_key`, salted with the look
    rows: Rows
    fresh: bool             # walked now; else recalled from the last build


class Summary(NamedTuple):
    """What the state keeps of a shard beside its rows, read for every shard a build
    keeps: how many pages it has, and what of them the sitemaps list."""

    pages: int
    listings: tuple[Listing, ...]

    @staticmethod
    def of(rows: Rows) -> Summary:
        return Summary(len(rows), listings(rows.paths, rows.locals, rows.lastmods))


class WalkedShard(NamedTuple):
    key: bytes | None       # `SitePlan.shard_key`, salted with the look
    rows: Rows | None       # None: kept, its pages as the last build made them
    fresh: bool             # walked now; else recalled from the last build
    parts: tuple[Part, ...] = ()    # a shard of articles walked again, article by article
    summary: Summary = Summary(0, ())

    @property
    def walked(self) -> int:
        """Its pages walked now, not recalled."""
        if self.parts:
            return sum(len(part.rows) for part in self.parts if part.fresh)
        return len(self.rows) if self.fresh and self.rows is not None else 0


# What a build recorded of a shard by this key, if the output holds its pages as then.
Recall = Callable[[bytes], "Summary | None"]
# A kept shard's rows as recorded, if they can be read.
RecallRows = Callable[[bytes], "Rows | None"]
# An article's rows as a build recorded them, by identity, if its key is the same and the
# output holds its pages as then.
RecallPart = Callable[[bytes, bytes], "Rows | None"]


@dataclass(frozen=True)
class Planned:
    """The plan walked: the digests of the pages walked and of the sitemap files, which
    are made from them and the summaries of the shards kept."""

    digests: dict[str, bytes]
    sitemaps: list[Page]
    shards: list[WalkedShard]   # in the order of `SitePlan.shards`
    kept: Callable[[], set[str]]    # the paths of the kept shards' pages, read when asked

    @property
    def walked(self) -> int:
        """The pages walked now, not recalled."""
        return sum(s.walked for s in self.shards)

    @property
    def pages(self) -> int:
        return sum(s.summary.pages for s in self.shards) + len(self.sitemaps)


Mapper = Callable[[Callable[[Shard], WalkedShard], list[Shard]], list[WalkedShard]]
Emit = Callable[[Page, bytes], None]


def shard_keys(plan: SitePlan, look: bytes) -> dict[Shard, bytes | None]:
    """Every shard's key (`SitePlan.shard_key`), as `walk` makes them with `look`."""
    framed = digest(look, "frame", plan.frame)
    return {shard: plan.shard_key(shard, framed) for shard in plan.shards()}


def walk(plan: SitePlan, config: SiteConfig, salt: bytes, templates: Callable[[str], bytes],
         mapper: Mapper = lambda func, shards: [func(s) for s in shards],
         emit: Emit | None = None, look: bytes = b"",
         recall: Recall = lambda key: None,
         recall_part: RecallPart = lambda identity, key: None,
         keys: Mapping[Shard, bytes | None] | None = None,
         recall_rows: RecallRows = lambda key: None,
         known: Container[str] = ()) -> Planned:
    """Every page of the plan with its digest, shard by shard, each page handed to `emit`
    where it is made (`mapper` may walk the shards on other cores, as
    `[func(s) for s in shards]` would, in order); a shard whose key `recall` knows is
    kept, not walked (`look`: a digest of the salt and every template), nor, in a shard
    of articles walked again, an article whose pages `recall_part` knows. Then the
    sitemap files, made from the pages walked and what is recorded of the shards kept
    (their rows read by `recall_rows` only for a file made again). `keys`:
    `shard_keys(plan, look)`, when the caller made them first. Two pages at one path are
    an error: a page at a path the last build had nowhere else (`known`: every path of
    it but the kept shards' pages) is looked for among the kept shards' pages."""
    salt = digest(salt, "frame", plan.frame)
    look = digest(look, "frame", plan.frame)
    shards = plan.shards()
    digests: dict[str, bytes] = {}
    done = mapper(partial(walk_shard, plan, salt=salt, templates=templates, emit=emit,
                          look=look, recall=recall, recall_part=recall_part, keys=keys),
                  shards)

    def rows(place: int) -> Rows:
        """A shard's rows: a kept one's as recorded, or, unreadable, walked again."""
        walked = done[place]
        if walked.rows is None:
            found = recall_rows(walked.key) if walked.key is not None else None
            done[place] = (walked._replace(rows=found) if found is not None else walk_shard(
                plan, shards[place], salt, templates, emit, look, keys=keys))
        return done[place].rows    # type: ignore[return-value]

    for walked in done:
        if walked.rows is not None:
            count = len(digests)
            digests.update(zip(walked.rows.paths, walked.rows.digests, strict=True))
            if len(digests) != count + len(walked.rows):   # a path met before
                _clash(done)
    kept_places = [i for i, walked in enumerate(done) if walked.rows is None]

    @cache
    def kept() -> set[str]:
        return {path for i in kept_places for path in rows(i).paths}

    if kept_places and any(path not in known for path in digests) and not kept().isdisjoint(
            digests):
        _clash([done[i] if done[i].rows is not None else done[i]._replace(rows=rows(i))
                for i in range(len(done))])
    parts = [SitemapPart(plan.sitemap_group(shard), listing, partial(_listed, rows, place,
                                                                     listing.edition))
             for place, (shard, walked) in enumerate(zip(shards, done, strict=True))
             for listing in walked.summary.listings]
    sitemaps = sitemap_pages(parts, config, Urls(config.base_url, config.base_path))
    for page in sitemaps:
        digests[page.path] = page_digest(salt, page, templates)
    return Planned(digests, sitemaps, done, kept)


def _listed(rows: Callable[[int], Rows], place: int, edition: str) -> list[Listed]:
    found = rows(place)
    return listed_in(edition, found.paths, found.locals, found.lastmods)


def _clash(done: Sequence[WalkedShard]) -> NoReturn:
    """The error for the first page at a path another page has."""
    from .errors import BuildError

    seen: set[str] = set()
    for walked in done:
        if walked.rows is None:
            continue
        for path, alias_of in zip(walked.rows.paths, walked.rows.aliases, strict=True):
            if path in seen:
                if alias_of is not None:    # aliases come last: this one is in the way
                    raise BuildError.single(f"alias {path!r} would replace another page",
                                            Path(alias_of),
                                            hint="remove the alias, or give the old URL's path")
                raise BuildError.single(f"two pages would be written to {path!r}",
                                        hint="give the articles different slugs")
            seen.add(path)
    raise AssertionError("no page shares its path")


def walk_shard(plan: SitePlan, shard: Shard, salt: bytes, templates: Callable[[str], bytes],
               emit: Emit | None = None, look: bytes = b"",
               recall: Recall = lambda key: None,
               bodies: Mapping[tuple[str, str], Derived] | None = None,
               recall_part: RecallPart = lambda identity, key: None,
               keys: Mapping[Shard, bytes | None] | None = None) -> WalkedShard:
    """`salt`: covers the settings, the code and the plan's frame; `look`: those and
    every template; `bodies`: see `SitePlan.shard_pages`; `keys`: see `walk`."""
    key = keys[shard] if keys is not None else plan.shard_key(shard, look)
    if key is not None and (summary := recall(key)) is not None:
        return WalkedShard(key, None, False, (), summary)
    if shard.part == "articles":
        # Article by article: a change moves the related articles of the few that name
        # it, spread over every shard (when an addition moved hundreds, at 10,000
        # articles: 1,668 of their pages changed, 40,000 walked when whole shards were).
        parts = []
        for index in range(shard.start, shard.stop):
            identity, part_key = plan.identities[index], plan.article_key(index, look)
            recalled = recall_part(identity, part_key)
            parts.append(Part(identity, part_key, recalled, False) if recalled is not None
                         else Part(identity, part_key, _walk_pages(
                             plan.article_shard_pages(index, bodies), salt, templates, emit),
                             True))
        rows = Rows.joined([part.rows for part in parts])
        return WalkedShard(key, rows, True, tuple(parts), Summary.of(rows))
    rows = _walk_pages(plan.shard_pages(shard, bodies), salt, templates, emit)
    return WalkedShard(key, rows, True, (), Summary.of(rows))


def _walk_pages(pages: Iterable[Page], salt: bytes, templates: Callable[[str], bytes],
                emit: Emit | None) -> Rows:
    paths, digests, locals_, lastmods, aliases = [], [], [], [], []
    last: tuple[object, bytes] = (None, b"")     # the last page's key and its digest
    for page in pages:
        if page.key is None or page.key is not last[0]:
            last = (page.key, key_digest(page))
        value = page_digest(salt, page, templates, last[1])
        paths.append(page.path)
        digests.append(value)
        locals_.append(page.local)
        lastmods.append(page.lastmod)
        aliases.append(page.article if page.template == "alias.html" else None)
        if emit is not None:
            emit(page, value)
    return Rows(tuple(paths), tuple(digests), tuple(locals_), tuple(lastmods), tuple(aliases))


def search_docs(derived: Sequence[Derived]) -> list[SearchDoc]:
    """The documents of the search index, without their terms (see `search_key`)."""
    return [SearchDoc(
        path=article_path(d),
        date=d.article.date.date().isoformat(),
        titles=tuple(t.title.plain for t in d.texts),
        summaries=tuple(t.summary for t in d.texts),
    ) for d in derived]


def search_key(salt: bytes, derived: Sequence[Derived]) -> bytes:
    """Names the search index: the articles it holds, in their order. Their documents
    and terms are made from their sources alone (with the settings and code `salt`
    covers), so making the documents to name them would only cost time (2.3 s at
    100,000 articles)."""
    return digest(salt, "search", [source_key(d) for d in derived])


def search_index(derived: Sequence[Derived], converter: Converter,
                 terms: Callable[[Derived], Terms], previous: IndexState | None = None,
                 old_terms: Callable[[object], Terms | None] = lambda _: None,
                 read: Callable[[str], str | None] = lambda _: None) -> Index:
    """The index, its documents' terms read back one article at a time; patched from
    `previous` (its files read with `read`) where only a few articles changed."""
    oldest_first = list(reversed(derived))     # a new article takes a new last number
    docs = search_docs(oldest_first)
    ids = [source_key(d) for d in oldest_first]
    mapping = search_fold(converter)

    def terms_of(number: int) -> Terms:
        return terms(oldest_first[number])

    patched = (patch_index(docs, ids, mapping, terms_of, previous, old_terms, read)
               if previous is not None else None)
    return patched or make_index(docs, ids, mapping, terms_of)


def root_files(config: SiteConfig, marker: str) -> dict[str, str]:
    """The files at the root that are not pages: the output's marker, robots.txt, CNAME."""
    files = {MARKER: marker, ".nojekyll": "",  # GitHub Pages: serve the files as they are
             "robots.txt": robots_txt(Urls(config.base_url, config.base_path))}
    if config.cname:
        files["CNAME"] = config.cname + "\n"
    return files


@dataclass(frozen=True)
class PhotoFile:
    """A photo version the output holds, and where its photo comes from."""

    photo: Photo
    version: Version
    source: Path        # the photo file, relative to the site
    article: Path       # the first article that shows it, for messages
    line: int           # where it names it; 0: its front matter's `image`


def photo_files(published: Sequence[Derived], config: PhotoConfig) -> dict[str, PhotoFile]:
    """Every photo version of the published articles, by output path: one file however
    many articles or pages show the photo."""
    files: dict[str, PhotoFile] = {}
    for derived in published:
        if not derived.photos:  # most articles: no folder to make (0.12 s at 100,000)
            continue
        folder = Path(derived.article.path).parent
        for used in derived.photos:
            for version in published_versions(used.photo, config, used.photo == derived.lead):
                if version.path not in files:
                    files[version.path] = PhotoFile(used.photo, version, folder / used.photo.name,
                                                    Path(derived.article.path), used.line)
    return files
