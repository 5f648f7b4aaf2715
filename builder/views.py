"""Lean, template-facing view objects, built from derived articles.

Everything a template prints is here already converted to the edition's
script and escaped where it is HTML (`Markup`); templates only lay it out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property

from markupsafe import Markup

from .config import PhotoConfig, SiteConfig
from .content import Article
from .derive import Derived, EditionText
from .editions import Edition
from .photos import MIME, Photo, og_version, picture, rooted
from .taxonomy import ArticleTerms, Term

READING_CHARS_PER_MINUTE = 400
_HEADING_ID = re.compile(r'(?<=<h[1-6]) id="[^"]*"')


@dataclass(frozen=True)
class Urls:
    """Site paths like 'zh-hans/articles/x/' → links under the base path, or absolute."""

    base_url: str
    base_path: str

    def link(self, path: str) -> str:
        return self.base_path + path

    def absolute(self, path: str) -> str:
        return self.base_url + path


@dataclass(frozen=True)
class Alternate:
    hreflang: str
    href: str


@dataclass(frozen=True)
class Switch:
    href: str
    lang: str       # another edition's language tag
    label: str      # its short name, written in its own script


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str                   # absolute


@dataclass(frozen=True)
class PageMeta:
    lang: str                   # zh-Hans / zh-Hant, for <html lang>
    title: str                  # plain text, for <title>
    canonical: str              # absolute
    alternates: tuple[Alternate, ...]
    switches: tuple[Switch, ...]   # every other edition, to this page
    home: str
    description: str = ""
    feeds: tuple[FeedLink, ...] = ()
    here: str = ""                  # the page's own link, to mark it in the navigation
    within: tuple[str, ...] = ()    # links of the sections it belongs to (an article's topics)

    def current(self, href: str) -> str:
        """aria-current for a navigation link: "page" for this page, "true" for a section
        it is in, "" otherwise."""
        if href == self.here:
            return "page"
        if href in self.within or (href != self.home and self.here.startswith(href)):
            return "true"
        return ""


@dataclass(frozen=True)
class PhotoSource:
    type: str           # MIME type
    srcset: str


@dataclass(frozen=True)
class PhotoView:
    """A photo for templates to lay out: its versions in every format, and its shape."""

    src: str                            # the version every browser can show
    srcset: str                         # that format's versions
    sources: tuple[PhotoSource, ...]    # the other formats, in the order browsers try them
    width: int                          # of the largest version: the photo's shape
    height: int
    alt: str
    url: str                            # absolute: the largest version every browser shows
    type: str                           # its MIME type
    sizes: str = ""                     # how wide an article shows it (photos.sizes)
    social: str = ""                    # absolute: the social card (og:image), 1200×630
    social_width: int = 0
    social_height: int = 0


DEFAULT_PHOTOS = PhotoConfig()


def photo_view(photo: Photo, config: PhotoConfig, alt: str, urls: Urls,
               social: bool = False) -> PhotoView:
    shown = picture(photo, config, urls.base_path)
    card = og_version(photo) if social else None
    return PhotoView(
        src=shown.src, srcset=shown.srcset,
        sources=tuple(PhotoSource(MIME[kind], srcset) for kind, srcset in shown.sources),
        width=shown.width, height=shown.height, alt=alt,
        url=urls.absolute(shown.largest), type=MIME[config.formats[-1]], sizes=config.sizes,
        **({"social": urls.absolute(card.path), "social_width": card.width,
            "social_height": card.height} if card else {}))


@dataclass(frozen=True)
class ArticleCard:
    href: str
    title: Markup
    kicker: Markup
    date_iso: str
    date_text: str
    summary: str
    title_text: str = ""
    url: str = ""               # absolute, for feeds
    timestamp: str = ""         # RFC 3339, for feeds
    authors_text: tuple[str, ...] = ()
    scheduled: bool = False     # shown ahead of its time (build --future, the preview)
    modified: str = ""          # RFC 3339: `updated`, else the publication time, for feeds
    entry_id: str = ""          # the Atom id: a tag: URI that no move of the site changes
    photo: PhotoView | None = None  # the lead photo, as a thumbnail

    @cached_property
    def related_key(self) -> tuple[str, ...]:
        """What a related-articles link shows of it (see `RelatedLink`)."""
        return (self.href, self.title, self.date_iso, self.date_text)

    @cached_property
    def key(self) -> bytes:
        """A digest of everything the card shows: what the listings it is on are made of."""
        # its fields alone: `vars` would also hold whichever cached properties were
        # asked for first, and the digest would depend on the order pages were walked in
        shown = tuple(getattr(self, f.name) for f in fields(self))
        return hashlib.blake2b(pickle.dumps(shown, protocol=5), digest_size=16).digest()


@dataclass(frozen=True)
class RelatedLink:
    """Just what a related-articles list shows, so an edit to an article's body does not
    make every page that links to it stale."""

    href: str
    title: Markup
    date_iso: str
    date_text: str

    @classmethod
    def of(cls, card: ArticleCard) -> RelatedLink:
        return cls(*card.related_key)


@dataclass(frozen=True)
class FeedEntry:
    card: ArticleCard
    content: Markup             # the article's HTML, or empty for a summary-only feed


@dataclass(frozen=True)
class TermLink:
    href: str
    label: str
    count: int = 0


@dataclass(frozen=True)
class CorrectionView:
    date_iso: str
    date_text: str
    text: Markup


@dataclass(frozen=True)
class ArticleView:
    href: str
    title: Markup
    title_text: str
    subtitle: Markup
    kicker: Markup
    labels: tuple[Markup, ...]
    authors: tuple[Markup, ...]
    source: Markup
    credits: tuple[Markup, ...]
    date_iso: str
    date_text: str
    body: Markup
    blocks: tuple[Markup, ...]
    chars: int
    minutes: int
    parallel_href: str
    tags: tuple[TermLink, ...] = ()
    topics: tuple[TermLink, ...] = ()
    author_links: tuple[TermLink, ...] = ()
    source_links: tuple[TermLink, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    timestamp: str = ""
    json_ld: Mapping[str, object] | None = None   # schema.org NewsArticle
    scheduled: bool = False     # shown ahead of its time (build --future, the preview)
    updated_iso: str = ""       # <time datetime> of `updated`; "" when never updated
    updated_text: str = ""
    corrections: tuple[CorrectionView, ...] = ()
    toc: tuple[TocEntry, ...] = ()     # when the front matter asks for one
    photo: PhotoView | None = None      # the lead photo, for social cards
    cover: PhotoView | None = None      # the lead photo when the body does not show it


@dataclass(frozen=True)
class TocEntry:
    level: int          # 2 or 3
    href: str           # "#anchor"
    label: Markup


_TOC_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)


def table_of_contents(blocks: Sequence[Markup | str]) -> tuple[TocEntry, ...]:
    """The body's second- and third-level headings, linked by their anchors."""
    return tuple(TocEntry(int(level), f"#{anchor}", Markup(label))
                 for block in blocks for level, anchor, label in _TOC_HEADING.findall(block))


@dataclass(frozen=True)
class FrontSection:
    """A topic on the front page, with its latest articles."""

    link: TermLink
    cards: tuple[ArticleCard, ...]


@dataclass(frozen=True)
class FrontPage:
    lead: ArticleCard               # the latest story, shown large
    sections: tuple[FrontSection, ...]

    @property
    def key(self) -> tuple[object, ...]:
        return (self.lead.key, tuple((s.link.href, s.link.label, tuple(c.key for c in s.cards))
                                     for s in self.sections))


@dataclass(frozen=True)
class ParallelRow:
    primary: Markup
    other: Markup


@dataclass(frozen=True)
class Pager:
    """Where a page of a list stands: `number` counts from the oldest page (None: the
    list's own page, the newest articles)."""

    number: int | None
    newer: str | None
    older: str | None


def page_meta(config: SiteConfig, urls: Urls, path: str, edition: Edition,
              title: str, description: str = "", feeds: tuple[FeedLink, ...] = (),
              within: tuple[str, ...] = ()) -> PageMeta:
    """`path` is the page's path inside an edition, '' for its home, 'articles/x/' etc."""
    alternates = tuple(Alternate(s.lang, urls.absolute(f"{s.path}/{path}"))
                       for s in config.editions)
    alternates += (Alternate("x-default",
                             urls.absolute(f"{config.default_edition.path}/{path}")),)
    return PageMeta(
        lang=edition.lang,
        title=title,
        canonical=urls.absolute(f"{edition.path}/{path}"),
        alternates=alternates,
        switches=tuple(Switch(urls.link(f"{e.path}/{path}"), e.lang, e.short)
                       for e in config.editions if e != edition),
        home=urls.link(f"{edition.path}/"),
        description=description,
        feeds=feeds,
        here=urls.link(f"{edition.path}/{path}"),
        within=within,
    )


def article_path(derived: Derived) -> str:
    return f"articles/{derived.article.slug}/"


def date_text(date: dt.datetime, timed: bool = False) -> str:
    """2024年7月22日, with the time where the article gives one: 2024年7月22日 09:30."""
    day = f"{date.year}年{date.month}月{date.day}日"
    return f"{day} {date.hour:02d}:{date.minute:02d}" if timed else day


def time_attribute(moment: dt.datetime, timed: bool) -> str:
    """What <time datetime> says: the instant where the front matter gives a time, else
    the day."""
    return timestamp(moment, "") if timed else moment.date().isoformat()


def timestamp(date: dt.datetime, utc_offset: str) -> str:
    """RFC 3339, the year always in four digits (strftime writes year 1 as "1") and the
    offset in whole minutes (zones give local mean time before 1901: +08:05:43)."""
    if date.tzinfo is None:
        offset = utc_offset
    else:
        minutes = int((date.utcoffset() or dt.timedelta()).total_seconds() // 60)
        offset = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return (f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
            f"T{date.hour:02d}:{date.minute:02d}:{date.second:02d}{offset}")


def card(derived: Derived, edition: Edition, urls: Urls, utc_offset: str = "+08:00",
         scheduled: bool = False, site_id: str = "news",
         photos: PhotoConfig = DEFAULT_PHOTOS) -> ArticleCard:
    text = derived.edition(edition)
    lead = derived.lead
    path = f"{edition.path}/{article_path(derived)}"
    return ArticleCard(
        entry_id=f"tag:{site_id},{derived.article.date.date().isoformat()}:{path}",
        modified=modified(derived.article, utc_offset),
        scheduled=scheduled,
        title_text=text.title.plain,
        url=urls.absolute(path),
        timestamp=timestamp(derived.article.date, utc_offset),
        authors_text=tuple(a.plain for a in text.authors),
        href=urls.link(path),
        title=Markup(text.title.html),
        kicker=Markup(text.kicker.html),
        date_iso=time_attribute(derived.article.date, derived.article.timed),
        date_text=date_text(derived.article.date, derived.article.timed),
        summary=text.summary,
        photo=photo_view(lead, photos, text.lead_alt, urls) if lead else None,
    )


def term_link(term: Term, edition: Edition, urls: Urls, count: int = 0) -> TermLink:
    label = term.name(edition.lang)
    return TermLink(urls.link(f"{edition.path}/{term.kind}/{term.slug}/"), label, count)


def modified(article: Article, utc_offset: str = "+08:00") -> str:
    """When the article last changed: `updated`, else its publication."""
    return timestamp(article.updated or article.date, utc_offset)


def news_article(derived: Derived, edition: Edition, url: str, stamp: str,
                 publisher: str, author_pages: Mapping[str, str] | None = None,
                 home: str = "", logo: str = "", photo: PhotoView | None = None
                 ) -> dict[str, object]:
    """`author_pages`: author name (in this edition) → the absolute URL of their page."""
    text = derived.edition(edition)
    pages = author_pages or {}
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": text.title.plain,
        "datePublished": stamp,
        "dateModified": modified(derived.article),
        "inLanguage": edition.lang,
        "mainEntityOfPage": url,
        "url": url,
        "author": [{"@type": "Person", "name": a.plain,
                    **({"url": pages[a.plain]} if a.plain in pages else {})}
                   for a in text.authors]
        or [{"@type": "Organization", "name": text.source.plain or publisher}],
        "publisher": {"@type": "Organization", "name": publisher, **({"url": home} if home else {}),
                      **({"logo": {"@type": "ImageObject", "url": logo}} if logo else {})},
        **({"description": text.subtitle.plain} if text.subtitle.plain else {}),
        **({"image": [photo.social, photo.url]} if photo else {}),
    }


def article_view(derived: Derived, edition: Edition, urls: Urls,
                 terms: ArticleTerms | None = None,
                 related: tuple[RelatedLink, ...] = (), publisher: str = "",
                 utc_offset: str = "+08:00", scheduled: bool = False,
                 logo: str = "", photos: PhotoConfig = DEFAULT_PHOTOS) -> ArticleView:
    """`logo`: the absolute URL of the publisher's logo, if the site has one."""
    text: EditionText = derived.edition(edition)
    photo = (photo_view(derived.lead, photos, text.lead_alt, urls, social=True)
             if derived.lead else None)
    blocks = tuple(Markup(rooted(block.html, urls.base_path)) for block in text.blocks)
    chars = text.chars
    path = f"{edition.path}/{article_path(derived)}"
    stamp = timestamp(derived.article.date, utc_offset)
    article = derived.article
    return ArticleView(
        updated_iso=(time_attribute(article.updated, article.updated_timed)
                     if article.updated else ""),
        updated_text=date_text(article.updated, article.updated_timed) if article.updated else "",
        corrections=tuple(
            CorrectionView(c.date.date().isoformat(), date_text(c.date, c.timed), Markup(t.html))
            for c, t in zip(article.corrections, text.corrections, strict=True)),
        scheduled=scheduled,
        timestamp=stamp,
        json_ld=news_article(
            derived, edition, urls.absolute(path), stamp, publisher,
            {t.name(edition.lang):
             urls.absolute(f"{edition.path}/authors/{t.slug}/") for t in terms.authors}
            if terms else None, urls.absolute(f"{edition.path}/"), logo, photo),
        href=urls.link(path),
        title=Markup(text.title.html),
        title_text=text.title.plain,
        subtitle=Markup(text.subtitle.html),
        kicker=Markup(text.kicker.html),
        labels=tuple(Markup(label.html) for label in text.labels),
        authors=tuple(Markup(a.html) for a in text.authors),
        source=Markup(text.source.html),
        credits=tuple(Markup(c.html) for c in text.credits),
        date_iso=time_attribute(derived.article.date, derived.article.timed),
        date_text=date_text(derived.article.date, derived.article.timed),
        body=Markup("".join(blocks)),
        blocks=blocks,
        photo=photo,
        cover=photo if photo and not any(u.line for u in derived.photos
                                         if u.photo == derived.lead) else None,
        chars=chars,
        minutes=max(1, round(chars / READING_CHARS_PER_MINUTE)),
        parallel_href=urls.link(path + "parallel/"),
        tags=tuple(term_link(t, edition, urls) for t in terms.tags) if terms else (),
        topics=tuple(term_link(t, edition, urls) for t in terms.topics) if terms else (),
        author_links=tuple(term_link(t, edition, urls) for t in terms.authors) if terms else (),
        source_links=tuple(term_link(t, edition, urls) for t in terms.sources) if terms else (),
        related=related,
        toc=table_of_contents([block.html for block in text.blocks]) if article.toc else (),
    )


def parallel_rows(derived: Derived, edition: Edition, beside: Edition,
                  root: str) -> tuple[ParallelRow, ...]:
    """`edition`'s text beside `beside`'s; `root`: the site's base path."""
    primary = derived.edition(edition).blocks
    other = derived.edition(beside).blocks
    # Anchors stay on the primary column only: ids must be unique in a page.
    return tuple(ParallelRow(Markup(rooted(a.html, root)), Markup(rooted(
        _HEADING_ID.sub("", b.html) if b.html.startswith("<h") else b.html, root)))
                 for a, b in zip(primary, other, strict=True))


def feed_body(derived: Derived, edition: Edition, urls: Urls) -> Markup:
    """The article's HTML for a feed: every link to the site's photos absolute."""
    return Markup(rooted("".join(b.html for b in derived.edition(edition).blocks), urls.base_url))

