"""Which pages the site has, at which paths, with which template and views.

A cheap reduce over derived articles and the taxonomy: nothing here converts
or parses text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, NamedTuple

from markupsafe import Markup

from .config import OTHER_TOPIC, SiteConfig
from .derive import Derived
from .editions import Edition, browser_choices, partner
from .search import INDEX_DIR
from .taxonomy import TERM_KINDS, ArticleTerms, Taxonomy
from .views import (
    Alternate,
    ArticleCard,
    FeedEntry,
    FeedLink,
    FrontPage,
    FrontSection,
    Pager,
    RelatedLink,
    TermLink,
    Urls,
    article_path,
    article_view,
    card,
    feed_body,
    page_meta,
    parallel_rows,
    term_link,
)

FEED_KINDS = ("tags", "topics", "authors")


@dataclass(frozen=True, slots=True)
class Page:
    path: str                       # output file, relative to the output root
    template: str
    # The template's variables, or a function that makes them: article pages build their
    # views only in the worker that renders them.
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
    local: str | None = None        # path inside its edition, for the sitemap; None: not listed
    lastmod: dt.date | None = None
    article: str | None = None      # the article whose body the page shows
    # What the page is made from besides the site's settings, templates and code, as plain
    # values (strings, numbers, digests): a build renders the page again only when this
    # changes. None: the whole context.
    key: object = None

    def view(self) -> Mapping[str, Any]:
        return self.context() if callable(self.context) else self.context


class Listed(NamedTuple):
    """What the sitemap needs of a page: made from a walk's columns for the sitemap files
    rendered (a named tuple: 524,000 were made in 0.14 s, 0.24 s as a frozen
    dataclass)."""

    path: str
    local: str | None
    lastmod: dt.date | None


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    strings: Mapping[str, str]
    edition: str                    # zh-hans / zh-hant
    nav: tuple[TermLink, ...] = ()  # the section links in the masthead
    topics: tuple[TermLink, ...] = ()   # the topics with articles, first in the navigation


@dataclass(frozen=True)
class EditionLink:
    href: str
    lang: str
    name: str       # the edition's name, in its own script
    title: str      # the site's title in that script
    explain: str = ""   # what the choice is, in that script


@dataclass(frozen=True)
class SearchView:
    index: str      # the folder of the search index
    base: str       # the site's base path, for result links
    slot: int = 0       # the edition's place in the site's list: which title a result shows
    editions: int = 2   # how many titles (and summaries) each result has


@dataclass(frozen=True)
class MonthLink:
    href: str
    label: str
    count: int


@dataclass(frozen=True)
class YearGroup:
    label: str
    months: tuple[MonthLink, ...]


def source_key(derived: Derived) -> tuple[str, str]:
    """Names the whole derived article: it is a pure function of the file's text (and of
    the settings and code, which every page's digest holds)."""
    return (derived.article.path, derived.article.digest)


def _index(path: str) -> str:
    return path + "index.html"


def archive_chunks(count: int, size: int) -> list[tuple[int, int]]:
    """The numbered pages of a list of `count` items (newest first) whose first `size`
    are on the list's own page, as (start, end) slices, numbered from the oldest: page k
    holds the k-th `size` items ever listed. Only the newest numbered page can hold
    items of the list's own page; it leaves them out (it is the one page that changes
    with the list, besides a new page when one fills)."""
    chunks = []
    number = 1
    while (number - 1) * size < count - size:
        end = count - (number - 1) * size      # items older than this page's newest
        chunks.append((max(size, end - size), end))
        number += 1
    return chunks


@dataclass(frozen=True)
class EditionContext:
    """What every page of one edition needs."""

    edition: Edition
    site: SiteView
    config: SiteConfig
    urls: Urls
    localise: Callable[[str], str]  # site.toml text (Simplified) → this edition's script
    shown_from: dt.datetime | None = None   # articles after it are shown ahead of schedule
    # The plan holds articles without their bodies; this gives the whole derived article,
    # in the worker that renders its page.
    whole: Callable[[Derived], Derived] = lambda derived: derived

    def scheduled(self, derived: Derived) -> bool:
        return self.shown_from is not None and derived.article.date > self.shown_from

    @cached_property
    def publisher(self) -> str:
        """Who publishes, in this edition's script: every article page names it, and
        converting it for each was 0.03 ms a page."""
        return self.localise(self.config.publisher) or self.site.title

    @property
    def site_feed(self) -> FeedLink:
        return FeedLink(self.site.title, self.urls.absolute(f"{self.edition.path}/feed.xml"))

    def meta(self, path: str, title: str, description: str = "",
             feed: FeedLink | None = None, within: tuple[str, ...] = ()):
        feeds = (self.site_feed,) + ((feed,) if feed else ())
        return page_meta(self.config, self.urls, path, self.edition, title,
                         description or self.site.description, feeds, within)


def card_identities(articles: Sequence[Derived], shown_from: dt.datetime | None) -> list[bytes]:
    """Each article as its cards show it: its file and text (its derived article is a
    function of them, with the settings and code every page's digest holds) and whether
    it is shown ahead of its time. Listings are keyed by these, so a card is made only
    for a page that is rendered."""
    return [hashlib.blake2b(f"{d.article.path}\n{d.article.digest}\n"
                            f"{shown_from is not None and d.article.date > shown_from}".encode(),
                            digest_size=12).digest() for d in articles]


class Cards:
    """An edition's article cards, newest first, each made when first asked for: most
    builds render a few listings, and making every card took 0.3 s at 10,000 articles."""

    def __init__(self, articles: Sequence[Derived], ctx: EditionContext,
                 identities: Sequence[bytes]):
        self._articles, self._ctx = articles, ctx
        self.identities = identities    # `card_identities`
        self._made: dict[int, ArticleCard] = {}

    def __len__(self) -> int:
        return len(self._articles)

    def __getitem__(self, index: int) -> ArticleCard:
        found = self._made.get(index)
        if found is None:
            ctx, derived = self._ctx, self._articles[index]
            found = self._made[index] = card(
                derived, ctx.edition, ctx.urls, ctx.config.utc_offset, ctx.scheduled(derived),
                ctx.config.site_id, ctx.config.photos)
        return found

    def of(self, indexes: Iterable[int]) -> list[ArticleCard]:
        return [self[i] for i in indexes]

    def lastmod(self, indexes: Iterable[int]) -> dt.date | None:
        """The latest day of these articles (each one's, as its card's `date_iso` begins):
        of a page's few, found when asked (every article's day, made for each edition,
        was 0.25 s of every build at 100,000 articles)."""
        return max((self._articles[i].article.date.date() for i in indexes), default=None)

    @cached_property
    def latest(self) -> dt.date | None:
        """The latest day of every article."""
        return self.lastmod(range(len(self._articles)))


def listing_pages(ctx: EditionContext, path: str, title: str, heading: str,
                  cards: Cards, members: Sequence[int], template: str = "list.html",
                  description: str = "", feed_title: str | None = None,
                  feed_content: Callable[[int], Any] | None = None,
                  feed_key: Callable[[int], object] | None = None,
                  front: FrontPage | None = None, numbers: range | None = None,
                  own: bool = True) -> Iterator[Page]:
    """A list of articles at `path` (inside the edition), and, with `feed_title`, its
    Atom feed at `path/feed.xml`; `feed_content(i)` is the body of its i-th entry, made
    from what `feed_key(i)` names. `members`: the places in `cards` of the articles
    listed, newest first.

    The list's own page shows the newest `page_size`; the rest are in pages numbered
    from the oldest (`path/page/1/` holds the first articles ever listed), so a page,
    once full, never changes: a new article changes the list's page and the newest
    numbered page, not every page of an archive of thousands (see `archive_chunks`).
    `numbers`: only those numbered pages; `own`: the list's own page and its feed too."""
    edition = ctx.edition.path
    feed = FeedLink(feed_title, ctx.urls.absolute(f"{edition}/{path}feed.xml")) if feed_title else None
    chunks = archive_chunks(len(members), ctx.config.page_size)

    def link(number: int | None) -> str:
        return ctx.urls.link(f"{edition}/{path}" + (f"page/{number}/" if number else ""))

    def pager(number: int | None) -> Pager:
        if number is None:      # the list's own page: older is the newest numbered page
            return Pager(None, newer=None, older=link(len(chunks)) if chunks else None)
        return Pager(number, newer=link(number + 1 if number < len(chunks) else None),
                     older=link(number - 1) if number > 1 else None)

    pages = ([(None, members[:ctx.config.page_size])] if own else []) + [
        (number, members[start:end]) for number, (start, end) in enumerate(chunks, start=1)
        if numbers is None or number in numbers]
    ids = cards.identities
    for number, chunk in pages:
        here = f"{path}page/{number}/" if number else path
        page_title = (f"{title} · {ctx.site.strings['page'].format(n=number)}" if number
                      else title)
        shown = None if number else front
        place = pager(number)
        key = ("list", page_title, heading, description, place, feed_title,
               tuple(ids[i] for i in chunk), shown.key if shown else None)
        # made only if the page is rendered: most of a site's listings are unchanged
        context = partial(_listing_context, ctx, here, page_title, heading, description,
                          feed, cards, chunk, place, shown)
        yield Page(_index(f"{edition}/{here}"), template, context, local=here,
                   lastmod=cards.lastmod(chunk), key=key)
    if feed is not None and own:
        latest = members[:ctx.config.feed_entries]
        key = ("feed", feed_title, tuple(ids[i] for i in latest),
               tuple(feed_key(i) for i in range(len(latest))) if feed_key else ())
        # made only if the feed is rendered: its entries may read the articles' bodies
        yield Page(f"{edition}/{path}feed.xml", "feed.xml",
                   partial(_feed_context, ctx, path, feed, cards, latest, feed_content), key=key)


def _feed_context(ctx: EditionContext, path: str, feed: FeedLink, cards: Cards,
                  members: Sequence[int], content: Callable[[int], Any] | None
                  ) -> dict[str, Any]:
    edition = ctx.edition.path
    latest = cards.of(members)
    return {
        "site": ctx.site,
        "feed": feed,
        "feed_id": f"tag:{ctx.config.site_id},2000:{edition}/{path}feed.xml",
        "page_url": ctx.urls.absolute(f"{edition}/{path}"),
        "lang": ctx.edition.lang,
        "updated": max((c.modified for c in latest), default="1970-01-01T00:00:00Z"),
        "entries": [FeedEntry(c, content(i) if content else "") for i, c in enumerate(latest)],
    }


def _listing_context(ctx: EditionContext, here: str, title: str, heading: str,
                     description: str, feed: FeedLink | None, cards: Cards,
                     members: Sequence[int], pager: Pager, front: FrontPage | None = None
                     ) -> dict[str, Any]:
    chunk = cards.of(members)
    return {
        "site": ctx.site,
        "page": ctx.meta(here, title, description or ctx.site.description, feed),
        "heading": heading,
        "description": description,
        # the front page shows its lead story large, not again in the list
        "articles": [c for c in chunk if front is None or c is not front.lead],
        "pager": pager,
        "front": front,
    }


FRONT_SECTION_SIZE = 4   # articles per topic on the front page


def front_page(taxonomy: Taxonomy, ctx: EditionContext, cards: Cards) -> FrontPage | None:
    """The latest story, then each topic with its latest articles (in site.toml's order;
    其他 is left to its own page)."""
    if not cards:
        return None
    sections = tuple(
        FrontSection(term_link(term, ctx.edition, ctx.urls),
                     tuple(cards.of([i for i in members if i != 0][:FRONT_SECTION_SIZE])))
        for term, members in taxonomy.groups["topics"]
        if term.slug != OTHER_TOPIC and any(i != 0 for i in members))
    return FrontPage(cards[0], sections)


def front_pages(articles: Sequence[Derived], taxonomy: Taxonomy, ctx: EditionContext,
                cards: Cards, numbers: range | None = None, own: bool = True
                ) -> Iterator[Page]:
    """An edition's front page and its feed (`own`), and its numbered pages (`numbers`;
    None: all). `articles` is sorted newest first; `cards` are theirs."""
    edition, urls, strings = ctx.edition, ctx.urls, ctx.site.strings
    yield from listing_pages(
        ctx, "", ctx.site.title, strings["latest"], cards, range(len(cards)), "index.html",
        feed_title=ctx.site.title,
        feed_content=lambda i: feed_body(ctx.whole(articles[i]), edition, urls),
        feed_key=lambda i: source_key(articles[i]),
        front=front_page(taxonomy, ctx, cards) if own else None, numbers=numbers, own=own)


def term_index_page(taxonomy: Taxonomy, ctx: EditionContext, cards: Cards, kind: str) -> Page:
    """The page that lists every term of a kind, with its count."""
    edition, urls, strings = ctx.edition, ctx.urls, ctx.site.strings
    groups = taxonomy.groups[kind]
    heading = strings[kind if kind != "authors" else "authors_index"]
    lastmod = cards.latest
    key = (kind, lastmod, tuple((t.slug, t.names, len(m)) for t, m in groups))
    return Page(_index(f"{edition.path}/{kind}/"), "terms.html", {
        "site": ctx.site,
        "page": ctx.meta(f"{kind}/", f"{heading} · {ctx.site.title}"),
        "heading": heading,
        "kind": kind,
        "terms": [term_link(term, edition, urls, len(members)) for term, members in groups],
    }, local=f"{kind}/", lastmod=lastmod, key=key)


def term_pages(taxonomy: Taxonomy, ctx: EditionContext, cards: Cards, kind: str,
               places: Iterable[tuple[int, range | None]], own: bool = True) -> Iterator[Page]:
    """The pages of the terms of a kind (tags, topics…) at `places` in its order, each
    with the numbered pages to make (None: all; see `listing_pages`, as `own`)."""
    edition, strings = ctx.edition, ctx.site.strings
    groups = taxonomy.groups[kind]
    for place, numbers in places:
        term, members = groups[place]
        name = term.name(edition.lang)
        title = strings[f"term_title_{kind}"].format(name=name)
        yield from listing_pages(
            ctx, f"{kind}/{term.slug}/", f"{title} · {ctx.site.title}", title,
            cards, members, description=ctx.localise(term.description),
            feed_title=f"{title} · {ctx.site.title}" if kind in FEED_KINDS else None,
            numbers=numbers, own=own)


def archive_pages(taxonomy: Taxonomy, ctx: EditionContext, cards: Cards,
                  year: int, month: int) -> Iterator[Page]:
    """The list of a month's articles."""
    strings = ctx.site.strings
    for y, m, members in taxonomy.archive:
        if (y, m) == (year, month):
            label = strings["month"].format(year=year, month=month)
            yield from listing_pages(ctx, f"archive/{year:04d}/{month:02d}/",
                                     f"{label} · {ctx.site.title}", label, cards, members)


def search_and_archive_pages(taxonomy: Taxonomy, ctx: EditionContext,
                             cards: Cards) -> Iterator[Page]:
    """Search, the archive's index and each kind's list of terms: the pages any new
    article changes (the months' lists: `archive_pages`)."""
    edition, urls, strings = ctx.edition, ctx.urls, ctx.site.strings
    for kind in TERM_KINDS:
        yield term_index_page(taxonomy, ctx, cards, kind)
    yield Page(_index(f"{edition.path}/search/"), "search.html", {
        "site": ctx.site,
        "page": ctx.meta("search/", f"{strings['search']} · {ctx.site.title}"),
        "heading": strings["search"],
        "search": SearchView(urls.link(f"{INDEX_DIR}/"), urls.base_path,
                             ctx.config.editions.index(edition), len(ctx.config.editions)),
    }, local="search/", key=())

    years: dict[int, list[MonthLink]] = {}
    for year, month, members in taxonomy.archive:
        label = strings["month"].format(year=year, month=month)
        path = f"archive/{year:04d}/{month:02d}/"
        years.setdefault(year, []).append(
            MonthLink(urls.link(f"{edition.path}/{path}"), label, len(members)))
    lastmod = cards.latest
    yield Page(_index(f"{edition.path}/archive/"), "archive.html", {
        "site": ctx.site,
        "page": ctx.meta("archive/", f"{strings['archive']} · {ctx.site.title}"),
        "heading": strings["archive"],
        "years": [YearGroup(strings["year"].format(year=y), tuple(ms)) for y, ms in years.items()],
    }, local="archive/", lastmod=lastmod,
        key=(lastmod, tuple((y, tuple((m.href, m.count) for m in ms)) for y, ms in years.items())))


def article_pages(ctx: EditionContext, derived: Derived, terms: ArticleTerms,
                  cards: Cards, index: int) -> tuple[Page, Page]:
    """An article's page and its parallel page in one edition; `index`: its place in
    the articles (and `cards`)."""
    edition = ctx.edition
    path = article_path(derived)
    lastmod = (derived.article.updated or derived.article.date).date()
    make = partial(article_context, ctx, derived, terms, cards, index)
    key = (source_key(derived), ctx.scheduled(derived), cards[index].summary,
           terms.key, tuple(cards[j].related_key for j in terms.related))
    source = derived.article.path
    return (Page(_index(f"{edition.path}/{path}"), "article.html", partial(make, False),
                 local=path, lastmod=lastmod, article=source, key=key),
            Page(_index(f"{edition.path}/{path}parallel/"), "parallel.html", partial(make, True),
                 local=path + "parallel/", lastmod=lastmod, article=source, key=key))


def article_context(ctx: EditionContext, derived: Derived, terms: ArticleTerms,
                     cards: Cards, index: int, parallel: bool) -> dict[str, Any]:
    edition = ctx.edition
    derived = ctx.whole(derived)
    view = article_view(derived, edition, ctx.urls, terms,
                        tuple(RelatedLink.of(cards[j]) for j in terms.related),
                        ctx.publisher, ctx.config.utc_offset,
                        ctx.scheduled(derived),
                        ctx.urls.absolute(ctx.config.logo) if ctx.config.logo else "",
                        ctx.config.photos)
    path = article_path(derived)
    other = partner(edition, ctx.config.editions)
    if not parallel:
        meta = ctx.meta(path, f"{view.title_text} · {ctx.site.title}",
                        derived.edition(edition).subtitle.plain or cards[index].summary,
                        within=tuple(t.href for t in view.topics))
        return {"site": ctx.site, "page": meta, "article": view}
    return {
        "site": ctx.site,
        "page": ctx.meta(path + "parallel/",
                         f"{view.title_text} · {ctx.site.strings['parallel_title']}",
                         derived.edition(edition).subtitle.plain or cards[index].summary),
        "article": view,
        "rows": parallel_rows(derived, edition, other, ctx.urls.base_path),
        "other_lang": other.lang,
        "other_title": Markup(derived.edition(other).title.html),
    }


def root_page(config: SiteConfig, urls: Urls, titles: Mapping[Edition, str],
              descriptions: Mapping[Edition, str], explain: Mapping[Edition, str]) -> Page:
    """`/`: picks an edition in the browser (`browser_choices`); without JavaScript, a
    page of a link per edition that says what it is, in each edition."""
    editions = [EditionLink(urls.link(f"{e.path}/"), e.lang, e.name, titles[e], explain[e])
                for e in config.editions]
    description = " · ".join(dict.fromkeys(d for d in descriptions.values() if d))
    choices = {tag: urls.link(f"{path}/")
               for tag, path in browser_choices(config.editions, config.default_edition).items()}
    return Page("index.html", "root.html", {
        "editions": editions,
        "choices": choices,
        "description": description,
        "default_edition": urls.link(f"{config.default_edition.path}/"),
        "canonical": urls.absolute(""),
        "alternates": [(e.lang, urls.absolute(f"{e.path}/")) for e in config.editions],
    }, key=(tuple(editions), sorted(choices.items()), description))



@dataclass(frozen=True)
class Redirect:
    """An old URL of an article: a page that sends the reader (and search engines, through
    the canonical link) to the article in the default edition."""

    target: str         # link to the article
    canonical: str      # its absolute URL
    title: str
    lang: str


def alias_pages(articles: Sequence[Derived], config: SiteConfig, urls: Urls) -> Iterator[Page]:
    edition = config.default_edition
    for derived in articles:
        if not derived.article.aliases:
            continue
        path = f"{edition.path}/{article_path(derived)}"
        view = Redirect(urls.link(path), urls.absolute(path),
                        derived.edition(edition).title.plain, edition.lang)
        for alias in derived.article.aliases:
            yield Page(alias, "alias.html", {"redirect": view},
                       article=derived.article.path,
                       key=(view.target, view.canonical, view.title, view.lang))


@dataclass(frozen=True)
class NotFoundText:
    lang: str
    href: str
    not_found: str
    back: str
    explain: str = ""
    search: str = ""                # the edition's search page
    search_label: str = ""
    latest_heading: str = ""
    latest: tuple[ArticleCard, ...] = ()


NOT_FOUND_LATEST = 5    # stories offered on the 404 page, per edition


def not_found_page(urls: Urls, strings: Mapping[Edition, Mapping[str, str]],
                   cards: Mapping[Edition, Cards]) -> Page:
    """`/404.html`, in every edition, with a search form and the latest stories: GitHub
    Pages serves it for any missing path, so every link in it is absolute."""
    editions = [NotFoundText(
        s.lang, urls.link(f"{s.path}/"), strings[s]["not_found"], strings[s]["back_home"],
        strings[s]["not_found_explain"], urls.link(f"{s.path}/search/"), strings[s]["search"],
        strings[s]["latest"], tuple(cards[s].of(range(min(NOT_FOUND_LATEST, len(cards[s])))))
    ) for s in strings]
    key = [(e.lang, e.href, e.not_found, e.back, e.explain, e.search, e.search_label,
            e.latest_heading, tuple(c.key for c in e.latest)) for e in editions]
    return Page("404.html", "404.html", {"editions": editions}, key=key)


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: str
    alternates: tuple[Alternate, ...] = ()


SITEMAP_LIMIT = 50_000   # URLs a sitemap file may hold
SITEMAP_ONE_FILE = 5_000  # up to this many URLs, one sitemap.xml; past it, files by group


class Listing(NamedTuple):
    """One shard's pages of one edition that the sitemaps list, without them: what the
    state keeps of a shard beside its rows, so that the sitemaps of a build that keeps
    most shards need only the pages of the shards it walks."""

    edition: str    # the edition's folder as the pages' paths begin: "zh-hans/"
    count: int
    digest: bytes   # of their paths, local paths and days
    latest: int     # the latest day's ordinal; 0: none


def listings(paths: Sequence[str], locals_: Sequence[str | None],
             lastmods: Sequence[dt.date | None]) -> tuple[Listing, ...]:
    """The listings of a shard's pages, by edition, in the order they come."""
    found: dict[str, tuple[list[str], list[str], list[int]]] = {}
    for path, local, lastmod in zip(paths, locals_, lastmods, strict=True):
        if local is None:
            continue
        edition = _edition_of(path, local)
        columns = found.get(edition)
        if columns is None:
            columns = found[edition] = ([], [], [])
        columns[0].append(path)
        columns[1].append(local)
        columns[2].append(lastmod.toordinal() if lastmod else 0)
    return tuple(Listing(edition, len(paths_), _listing_digest(paths_, locals_of, days),
                         max(days))
                 for edition, (paths_, locals_of, days) in found.items())


def listed_in(edition: str, paths: Sequence[str], locals_: Sequence[str | None],
              lastmods: Sequence[dt.date | None]) -> list[Listed]:
    """A shard's pages of `edition` that the sitemaps list (those of its `Listing`)."""
    return [Listed(path, local, lastmod)
            for path, local, lastmod in zip(paths, locals_, lastmods, strict=True)
            if local is not None and _edition_of(path, local) == edition]


def _edition_of(path: str, local: str) -> str:
    return path.removesuffix(_index(local))


def _listing_digest(*columns: list) -> bytes:
    return hashlib.blake2b(pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL),
                           digest_size=16).digest()


class SitemapPart(NamedTuple):
    """One shard's pages of one edition in a sitemap file: its `Listing`, the file's name
    in the edition (`group`), and the pages themselves, read only to make the file."""

    group: str
    listing: Listing
    listed: Callable[[], Sequence[Listed]]


def sitemap_pages(parts: Sequence[SitemapPart], config: SiteConfig, urls: Urls,
                  limit: int = SITEMAP_LIMIT, one_file: int | None = None) -> list[Page]:
    """sitemap.xml with hreflang alternates. Past `one_file` URLs, an index of files by
    edition and group of shards (`SitePlan.sitemap_group`): the groups keep their shards
    as the site grows, so a change renders again only the files of the shards whose
    listed pages changed (a new tag at 100,000 articles rendered 11 files of 50,000 URLs
    again, 14 s, when every URL was in one list cut in files), and a file is made from
    its shards' pages alone. Each file is in its edition's folder: a sitemap may list
    only URLs under its own folder. A group past `limit` URLs is cut into parts (`-p1`,
    `-p2`) between its shards (a shard lists a few hundred pages of an edition)."""
    if sum(part.listing.count for part in parts) <= (
            SITEMAP_ONE_FILE if one_file is None else one_file):
        return [_sitemap_file("sitemap.xml", parts, config, urls)]
    groups: dict[str, list[SitemapPart]] = {}
    for part in parts:
        groups.setdefault(f"{part.listing.edition}sitemap-{part.group}", []).append(part)
    files = []
    for name, members in groups.items():
        cut: list[list[SitemapPart]] = [[]]
        for part in members:
            if cut[-1] and sum(p.listing.count for p in cut[-1]) + part.listing.count > limit:
                cut.append([])
            cut[-1].append(part)
        files += [(_sitemap_file(f"{name}-p{number}.xml" if len(cut) > 1 else f"{name}.xml",
                                 chunk, config, urls),
                   max(p.listing.latest for p in chunk))
                  for number, chunk in enumerate(cut, start=1)]
    index = [SitemapUrl(urls.absolute(f.path),
                        dt.date.fromordinal(latest).isoformat() if latest else "")
             for f, latest in files]
    return [*(f for f, _ in files), Page("sitemap.xml", "sitemap-index.xml", {"sitemaps": index},
                                         key=tuple((m.loc, m.lastmod) for m in index))]


def _sitemap_file(path: str, parts: Sequence[SitemapPart], config: SiteConfig,
                  urls: Urls) -> Page:
    # named by its parts' digests; the URLs are made only if the file is rendered
    return Page(path, "sitemap.xml", partial(_sitemap_context, parts, config, urls),
                key=tuple(part.listing.digest for part in parts))


def _sitemap_context(parts: Sequence[SitemapPart], config: SiteConfig,
                     urls: Urls) -> dict[str, Any]:
    return {"urls": _sitemap_urls([page for part in parts for page in part.listed()],
                                  config, urls)}


def _sitemap_urls(listed: Sequence[Page | Listed], config: SiteConfig,
                  urls: Urls) -> list[SitemapUrl]:
    entries = []
    for page in listed:
        alternates = tuple(Alternate(s.lang, urls.absolute(f"{s.path}/{page.local}"))
                           for s in config.editions)
        alternates += (Alternate("x-default",
                                 urls.absolute(f"{config.default_edition.path}/{page.local}")),)
        entries.append(SitemapUrl(urls.absolute(page.path.removesuffix("index.html")),
                                  page.lastmod.isoformat() if page.lastmod else "",
                                  tuple(alternates)))
    return entries


def robots_txt(urls: Urls) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute('sitemap.xml')}\n"
