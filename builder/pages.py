"""Which pages the site has, at which paths, with which template and views.

A cheap reduce over derived articles: nothing here converts or parses text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import SiteConfig
from .derive import Derived
from .editions import EDITIONS, Script
from .strings import EDITION_NAMES
from .views import Pager, Urls, article_path, article_view, card, page_meta, parallel_rows


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


@dataclass(frozen=True)
class EditionLink:
    href: str
    lang: str
    name: str       # the edition's name, in its own script
    title: str      # the site's title in that script


def _index(path: str) -> str:
    return path + "index.html"


def paginate(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Items in pages of `size`; an empty list still has one (empty) page."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [items[:0]]


def edition_pages(articles: Sequence[Derived], edition: Script, site: SiteView,
                  config: SiteConfig, urls: Urls) -> Iterator[Page]:
    """Every page of one edition. `articles` is sorted newest first."""
    base = {"site": site}
    chunks = paginate(articles, config.page_size)
    for number, chunk in enumerate(chunks, start=1):
        path = "" if number == 1 else f"page/{number}/"

        def page_link(n: int) -> str:
            return urls.link(f"{edition.path}/" + ("" if n == 1 else f"page/{n}/"))

        pager = Pager(number, len(chunks),
                      newer=page_link(number - 1) if number > 1 else None,
                      older=page_link(number + 1) if number < len(chunks) else None)
        title = site.title if number == 1 else (
            f"{site.title} · {site.strings['page'].format(n=number)}")
        yield Page(_index(f"{edition.path}/{path}"), "index.html", {
            **base,
            "page": page_meta(config, urls, path, edition, title, site.description),
            "articles": [card(d, edition, urls) for d in chunk],
            "pager": pager,
        })

    for derived in articles:
        path = article_path(derived)
        view = article_view(derived, edition, urls)
        meta = page_meta(config, urls, path, edition, f"{view.title_text} · {site.title}",
                         derived.edition(edition).subtitle.plain)
        yield Page(_index(f"{edition.path}/{path}"), "article.html",
                   {**base, "page": meta, "article": view})
        parallel = page_meta(config, urls, path + "parallel/", edition,
                             f"{view.title_text} · {site.strings['parallel_title']}")
        other = edition.other
        yield Page(_index(f"{edition.path}/{path}parallel/"), "parallel.html", {
            **base, "page": parallel, "article": view,
            "rows": parallel_rows(derived, edition),
            "other_lang": other.value,
            "other_title": article_view(derived, other, urls).title,
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
