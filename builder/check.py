"""`builder check`: every internal link and anchor of a built site must resolve, and
every photo: each `src` and `srcset` candidate, and the social card.

It reads the output folder as a static server would serve it under the base
path: `/repo/zh-hans/` is `zh-hans/index.html`, and a link that leaves
`/repo/` would be broken on GitHub Pages project sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

_LINK_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src",
                    "iframe": "src", "form": "action"}


@dataclass(frozen=True)
class Link:
    url: str
    tag: str


@dataclass(frozen=True)
class PageLinks:
    links: tuple[Link, ...]
    ids: frozenset[str]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"] or "")
        attribute = _LINK_ATTRIBUTES.get(tag)
        if attribute and values.get(attribute):
            self.links.append(Link(values[attribute] or "", tag))
        if tag in ("img", "source") and values.get("srcset"):
            self.links.extend(Link(url, tag) for url in srcset_urls(values["srcset"] or ""))
        if tag == "meta" and values.get("property") == "og:image" and values.get("content"):
            self.links.append(Link(values["content"] or "", tag))


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a srcset's candidates ('a.jpg 480w, b.jpg 960w')."""
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def extract(html: str) -> PageLinks:
    """Pure: the links and the ids of one HTML page."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return PageLinks(tuple(collector.links), frozenset(collector.ids))


@dataclass(frozen=True)
class Broken:
    page: str       # the page's URL path
    url: str
    reason: str


def check_site(out: Path, base_url: str) -> list[Broken]:
    """Every broken internal link or anchor in the HTML pages under `out`."""
    base = urlsplit(base_url)
    base_path = base.path if base.path.endswith("/") else base.path + "/"
    pages = {_url_path(path, out, base_path): path for path in sorted(out.rglob("*.html"))}
    parsed: dict[str, PageLinks] = {}

    def links_of(url_path: str) -> PageLinks:
        if url_path not in parsed:
            parsed[url_path] = extract(pages[url_path].read_text(encoding="utf-8"))
        return parsed[url_path]

    broken: list[Broken] = []
    for page_url in pages:
        for link in links_of(page_url).links:
            broken.extend(_check_link(page_url, link, out, base, base_path, pages, links_of))
    return broken


def _url_path(path: Path, out: Path, base_path: str) -> str:
    relative = path.relative_to(out).as_posix()
    if relative.endswith("index.html"):
        relative = relative[: -len("index.html")]
    return base_path + relative


def _check_link(page_url: str, link: Link, out: Path, base, base_path: str,
                pages: dict[str, Path], links_of) -> Iterator[Broken]:
    target = urlsplit(link.url)
    if target.scheme in ("mailto", "tel", "data"):
        return
    if target.scheme == "javascript":
        yield Broken(page_url, link.url, "javascript: link")
        return
    if target.scheme and target.scheme not in ("http", "https"):
        return
    if target.netloc and target.netloc != base.netloc:
        return  # another site
    resolved = urlsplit(urljoin(f"{base.scheme}://{base.netloc}{page_url}", link.url))
    path = unquote(resolved.path)
    if not path.startswith(base_path):
        yield Broken(page_url, link.url, f"leaves the site's base path {base_path}")
        return
    relative = PurePosixPath(path[len(base_path):])
    if ".." in relative.parts:
        yield Broken(page_url, link.url, "climbs out of the site")
        return
    file = out / relative
    if path.endswith("/") or file.is_dir():
        if not path.endswith("/"):
            yield Broken(page_url, link.url, "folder without a trailing slash (redirects)")
            return
        file = file / "index.html"
    if not file.is_file():
        yield Broken(page_url, link.url, "no such file")
        return
    if resolved.fragment and file.suffix == ".html":
        target_url = path if path.endswith("/") or not path.endswith("index.html") else path[:-10]
        ids = links_of(target_url).ids if target_url in pages else frozenset()
        if unquote(resolved.fragment) not in ids:
            yield Broken(page_url, link.url, f"no element with id {resolved.fragment!r}")
