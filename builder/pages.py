"""Which pages the site has, at which paths, with which template and views.

A cheap reduce over derived articles and the taxonomy: nothing here converts
or parses text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import SiteConfig
from .derive import Derived
from .editions import EDITIONS, Script
from .strings import EDITION_NAMES
from .taxonomy import Taxonomy
from .views import (
    ArticleCard,
    Pager,
    TermLink,
    Urls,
    article_path,
    article_view,
    card,
    page_meta,
    parallel_rows,
    term_link,
)

TERM_KINDS = ("tags", "topics", "authors", "sources")


@dataclass(frozen=True)
class Page:
    path: str                       # output file, relative to the output root
    template: str
    context: Mapping[str, Any]


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    strings: Mapping[str, str]
    edition: str                    # zh-hans / zh-hant
    nav: tuple[TermLink, ...] = ()  # the section links in the masthead


@dataclass(frozen=True)
class EditionLink:
    href: str
    lang: str
    name: str       # the edition's name, in its own script
    title: str      # the site's title in that script


@dataclass(frozen=True)
class MonthLink:
    href: str
    label: str
    count: int


@dataclass(frozen=True)
class YearGroup:
    label: str
    months: tuple[MonthLink, ...]


def _index(path: str) -> str:
    return path + "index.html"


def paginate(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Items in pages of `size`; an empty list still has one (empty) page."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [items[:0]]


@dataclass(frozen=True)
class EditionContext:
    """What every page of one edition needs."""

    edition: Script
    site: SiteView
    config: SiteConfig
    urls: Urls
    localise: Callable[[str], str]  # site.toml text (Simplified) → this edition's script

    def meta(self, path: str, title: str, description: str = ""):
        return page_meta(self.config, self.urls, path, self.edition, title, description)


def listing_pages(ctx: EditionContext, path: str, title: str, heading: str,
                  cards: Sequence[ArticleCard], template: str = "list.html",
                  extra: Mapping[str, Any] | None = None) -> Iterator[Page]:
    """A paginated list of articles at `path` (inside the edition), `path/page/N/` after."""
    chunks = paginate(cards, ctx.config.page_size)
    edition = ctx.edition.path

    def link(n: int) -> str:
        return ctx.urls.link(f"{edition}/{path}" + ("" if n == 1 else f"page/{n}/"))

    for number, chunk in enumerate(chunks, start=1):
        here = path if number == 1 else f"{path}page/{number}/"
        page_title = title if number == 1 else (
            f"{title} · {ctx.site.strings['page'].format(n=number)}")
        yield Page(_index(f"{edition}/{here}"), template, {
            "site": ctx.site,
            "page": ctx.meta(here, page_title, ctx.site.description),
            "heading": heading,
            "description": "",
            "articles": list(chunk),
            "pager": Pager(number, len(chunks),
                           newer=link(number - 1) if number > 1 else None,
                           older=link(number + 1) if number < len(chunks) else None),
            **(extra or {}),
        })


def edition_pages(articles: Sequence[Derived], taxonomy: Taxonomy, ctx: EditionContext
                  ) -> Iterator[Page]:
    """Every page of one edition. `articles` is sorted newest first."""
    edition, urls, strings = ctx.edition, ctx.urls, ctx.site.strings
    cards = [card(d, edition, urls) for d in articles]
    yield from listing_pages(ctx, "", ctx.site.title, strings["latest"], cards, "index.html")

    for index, derived in enumerate(articles):
        terms = taxonomy.per_article[index]
        view = article_view(derived, edition, urls, terms,
                            tuple(cards[j] for j in terms.related))
        path = article_path(derived)
        meta = ctx.meta(path, f"{view.title_text} · {ctx.site.title}",
                        derived.edition(edition).subtitle.plain)
        yield Page(_index(f"{edition.path}/{path}"), "article.html",
                   {"site": ctx.site, "page": meta, "article": view})
        yield Page(_index(f"{edition.path}/{path}parallel/"), "parallel.html", {
            "site": ctx.site,
            "page": ctx.meta(path + "parallel/",
                             f"{view.title_text} · {strings['parallel_title']}"),
            "article": view,
            "rows": parallel_rows(derived, edition),
            "other_lang": edition.other.value,
            "other_title": article_view(derived, edition.other, urls).title,
        })

    for kind in TERM_KINDS:
        groups = taxonomy.groups[kind]
        heading = strings[kind if kind != "authors" else "authors_index"]
        yield Page(_index(f"{edition.path}/{kind}/"), "terms.html", {
            "site": ctx.site,
            "page": ctx.meta(f"{kind}/", f"{heading} · {ctx.site.title}"),
            "heading": heading,
            "kind": kind,
            "terms": [term_link(term, edition, urls, len(members)) for term, members in groups],
        })
        for term, members in groups:
            name = term.hans if edition is Script.HANS else term.hant
            title = strings[f"term_title_{kind}"].format(name=name)
            yield from listing_pages(
                ctx, f"{kind}/{term.slug}/", f"{title} · {ctx.site.title}", title,
                [cards[i] for i in members],
                extra={"description": ctx.localise(term.description)})

    years: dict[int, list[MonthLink]] = {}
    for year, month, members in taxonomy.archive:
        label = strings["month"].format(year=year, month=month)
        path = f"archive/{year:04d}/{month:02d}/"
        years.setdefault(year, []).append(
            MonthLink(urls.link(f"{edition.path}/{path}"), label, len(members)))
        yield from listing_pages(ctx, path, f"{label} · {ctx.site.title}", label,
                                 [cards[i] for i in members])
    yield Page(_index(f"{edition.path}/archive/"), "archive.html", {
        "site": ctx.site,
        "page": ctx.meta("archive/", f"{strings['archive']} · {ctx.site.title}"),
        "heading": strings["archive"],
        "years": [YearGroup(strings["year"].format(year=y), tuple(ms)) for y, ms in years.items()],
    })


def root_page(config: SiteConfig, urls: Urls, titles: Mapping[Script, str]) -> Page:
    """`/`: picks an edition in the browser; without JavaScript, a page of two links."""
    editions = [EditionLink(urls.link(f"{s.path}/"), s.value, EDITION_NAMES[s.value], titles[s])
                for s in EDITIONS]
    return Page("index.html", "root.html", {
        "editions": editions,
        "default_edition": urls.link(f"{config.default_edition.path}/"),
        "canonical": urls.absolute(""),
        "alternates": [(s.value, urls.absolute(f"{s.path}/")) for s in EDITIONS],
    })

