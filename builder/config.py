"""`site.toml` → a frozen `SiteConfig`, with every problem reported at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .editions import (
    EDITIONS,
    FROM_HANS_CONFIGS,
    FROM_HANT_CONFIGS,
    GLYPH_CONFIGS,
    Edition,
    Script,
    edition_for,
    form_keys,
    script_of,
)
from .errors import BuildError, Problem
from .slugs import is_slug, slugify
from .strings import DEFAULTS
from .tomlinput import Fields, Source, unknown_keys

CONFIG_FILE = "site.toml"

@dataclass(frozen=True)
class PhrasePair:
    """A phrase written one way in each script, overriding OpenCC in both directions;
    `forms` gives an edition's own spelling where it differs from its script's
    (`hk = "…"`: `Edition.keys`)."""

    hans: str
    hant: str
    forms: tuple[tuple[str, str], ...] = ()

    def written(self, script: Script) -> str:
        """How an article in `script` writes it."""
        return self.hans if script is Script.HANS else self.hant

    def form(self, edition: Edition) -> str:
        return edition.pick((*self.forms, ("hans", self.hans), ("hant", self.hant))) or ""


@dataclass(frozen=True)
class ConversionConfig:
    editions: tuple[Edition, ...] = EDITIONS
    phrases: tuple[PhrasePair, ...] = ()
    # Each edition quotes as its readers do: 「」『』 in Traditional text, “”‘’ in Simplified
    corner_quotes: bool = False


@dataclass(frozen=True)
class TagConfig:
    min_per_article: int = 3
    max_per_article: int = 8
    # A word on more than this share of the site's articles (青岛 on a Qingdao site) says
    # nothing about any one of them and is not a tag; only applied from min_corpus articles.
    max_share: float = 0.5
    min_corpus: int = 5
    ban: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    aliases: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    slugs: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))


OTHER_TOPIC = "other"   # the articles no configured topic claims


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str                   # Simplified; the Traditional name is converted unless given
    name_hant: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()


PHOTO_FORMATS = ("avif", "webp", "jpeg")


@dataclass(frozen=True)
class PhotoConfig:
    """How the photos of page bundles are published: the widths each is resized to
    (never wider than the original), the formats, in the order browsers should try them
    (the last one is the `<img>` every browser shows), their quality, and the largest
    photo accepted."""

    widths: tuple[int, ...] = (480, 960, 1600)
    formats: tuple[str, ...] = PHOTO_FORMATS
    quality: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType(
        {"avif": 55, "webp": 78, "jpeg": 82}))
    # the `sizes` of a photo in an article: how wide the page shows it
    sizes: str = "(min-width: 46rem) 44rem, 100vw"
    max_megapixels: int = 50     # a decompression bomb or a scan at print resolution
    max_mb: int = 30


@dataclass(frozen=True)
class ImportConfig:
    """A paper's own printed conventions, added to those `builder import` knows."""

    paper: str = ""                     # the default source of imported articles
    byline_words: tuple[str, ...] = ()  # role words before reporters' names: 特派记者
    agencies: tuple[str, ...] = ()      # agencies named in datelines
    labels: tuple[str, ...] = ()        # box labels and column tags: 小贴士
    editor_words: tuple[str, ...] = ()  # editors' credit words: 统筹


@dataclass(frozen=True)
class DeriveSettings:
    """All the per-article stage may read of site.toml: it is handed this, not the whole
    configuration, and the derive cache is keyed on all of it, so a setting added here
    cannot leave stale entries. Not the base URL or titles: building for another URL
    reuses every cached article."""

    conversion: ConversionConfig
    tags: TagConfig
    topics: tuple[Topic, ...]
    default_script: Script      # of an article whose script cannot be told from its text
    timezone: str
    utc_offset: str
    photos: PhotoConfig = PhotoConfig()

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SiteConfig:
    title: str = "新闻"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    default_edition: Edition = EDITIONS[0]
    output_dir: str = "_site"
    page_size: int = 20
    publisher: str = ""
    # The zone of front-matter dates written without an offset; "" means `utc_offset`
    # (the older setting, kept for sites that have it).
    timezone: str = "Asia/Shanghai"
    utc_offset: str = "+08:00"
    cname: str = ""             # custom domain for GitHub Pages; written to CNAME
    logo: str = ""              # the publisher's logo, a file in static/ (for NewsArticle data)
    feed_entries: int = 20
    # Names the site in Atom ids (tag: URIs), so moving it to another host or path changes
    # no id and readers do not show every entry again; "" means from the title.
    feed_id: str = ""
    conversion: ConversionConfig = ConversionConfig()
    tags: TagConfig = TagConfig()
    topics: tuple[Topic, ...] = ()
    photos: PhotoConfig = PhotoConfig()
    importing: ImportConfig = ImportConfig()
    # UI string overrides, written in Simplified; the other editions convert them.
    strings: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Interface strings given per edition too ({ hans = "…", hant = "…", hk = "…" }):
    # (`Edition.keys`, form) pairs, each used as written in the editions it names.
    string_forms: MappingProxyType[str, tuple[tuple[str, str], ...]] = field(
        default_factory=lambda: MappingProxyType({}))

    @property
    def editions(self) -> tuple[Edition, ...]:
        return self.conversion.editions

    @cached_property
    def site_id(self) -> str:
        """The authority of the site's tag: URIs: `feed_id`, else the title in pinyin."""
        return self.feed_id or slugify(self.title) or "news"

    @property
    def zone(self) -> dt.tzinfo:
        if self.timezone:
            return zoneinfo.ZoneInfo(self.timezone)
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, minutes = self.utc_offset[1:].split(":")
        return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))

    @property
    def base_path(self) -> str:
        """The URL path the site is served under, always ending in '/': '/' or '/repo/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def with_base_url(self, base_url: str) -> SiteConfig:
        if (wrong := base_url_problem(base_url)) is not None:
            raise BuildError.single(f"the base URL {wrong}", hint=BASE_URL_HINT)
        return replace(self, base_url=_normalise_base_url(base_url))

    @property
    def derive_settings(self) -> DeriveSettings:
        return DeriveSettings(self.conversion, self.tags, self.topics,
                              self.default_edition.script, self.timezone, self.utc_offset, self.photos)


BASE_URL_HINT = 'for example "https://user.github.io/repo/"'
# What no URL may hold as it is; Chinese host names and paths are fine (browsers encode them).
_URL_UNSAFE = re.compile(r"[\s\"<>\\^`{|}\x00-\x1f\x7f]")


def base_url_problem(url: str) -> str | None:
    """What is wrong with a base URL, or None: every canonical, hreflang and feed link
    starts with it, so it must be a plain absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"is not a URL: {url!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an absolute http(s) URL, not {url!r}"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return f"must not have a query or a fragment: {url!r}"
    if _URL_UNSAFE.search(url) or port == 0:
        return f"has characters a URL cannot hold (spaces, quotes, …): {url!r}"
    return None


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


_TOP_KEYS = ("title", "description", "base_url", "default_edition", "output_dir",
             "page_size", "publisher", "timezone", "utc_offset", "cname", "feed_entries", "logo",
             "feed_id", "conversion", "editions",
             "strings", "photos", "tags", "topics", "import")
_TAG_KEYS = ("min_per_article", "max_per_article", "max_share", "min_corpus", "ban",
             "stopwords", "aliases", "slugs")
_TOPIC_KEYS = ("slug", "name", "name_hant", "description", "keywords")
_CONVERSION_KEYS = ("to_hant", "to_hans", "phrases", "corner_quotes")
_EDITION_KEYS = ("lang", "path", "convert", "glyphs", "name")
_PHOTO_KEYS = ("widths", "formats", "quality", "sizes", "max_megapixels", "max_mb")
_IMPORT_KEYS = ("paper", "byline_words", "agencies", "labels", "editor_words")


def parse_config(text: str, path: Path) -> SiteConfig:
    """Pure: the text of site.toml → SiteConfig, or a BuildError naming every bad key."""
    source = Source(text, path)
    data = source.parse()
    problems: list[Problem] = unknown_keys(data, _TOP_KEYS, source)
    top = Fields(data, source)

    base_url = top.string("base_url", SiteConfig.base_url) or SiteConfig.base_url
    if (wrong := base_url_problem(base_url)) is not None:
        problems.append(source.problem("base_url", f"`base_url` {wrong}", BASE_URL_HINT))

    conversion = _parse_conversion(top.table_of("conversion"), data.get("editions"), source,
                                   problems)
    editions = conversion.editions
    edition_name = top.string("default_edition", "") or ""
    edition = next((e for e in editions if edition_name.lower() in (e.lang.lower(), e.path)),
                   None) if edition_name else editions[0]
    if edition is None:
        problems.append(source.problem("default_edition", (
            f"`default_edition` must name one of the editions "
            f"({', '.join(e.lang for e in editions)}), not {edition_name!r}")))
        edition = editions[0]

    output_dir = top.string("output_dir", "_site") or "_site"
    if Path(output_dir).is_absolute() or ".." in Path(output_dir).parts:
        problems.append(source.problem(
            "output_dir", "`output_dir` must be a folder inside the site root",
            "use --out to build somewhere else"))

    utc_offset = top.string("utc_offset", SiteConfig.utc_offset) or SiteConfig.utc_offset
    if not re.fullmatch(r"[+-](?:0\d|1[0-4]):[0-5]\d", utc_offset):
        problems.append(source.problem("utc_offset",
                                       f"`utc_offset` must look like +08:00, not {utc_offset!r}"))
    timezone = top.string("timezone", SiteConfig.timezone) or ""
    if "timezone" not in data and "utc_offset" in data:
        timezone = ""   # a site from before `timezone`: its fixed offset stands
    elif not _known_zone(timezone):
        problems.append(source.problem(
            "timezone", f"`timezone` {timezone!r} is not a time zone name",
            'use an IANA name such as timezone = "Asia/Shanghai", "Asia/Taipei" or "Asia/Hong_Kong"'))
        timezone = SiteConfig.timezone
    feed_id = top.string("feed_id", "") or ""
    if feed_id and not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", feed_id):
        problems.append(source.problem(
            "feed_id", f"`feed_id` {feed_id!r} must be lower-case letters, digits, dots and hyphens",
            'for example feed_id = "qingdao-news" or your domain, "news.example.com"'))
        feed_id = ""
    cname = top.string("cname", "") or ""
    if cname and not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", cname):
        problems.append(source.problem("cname", f"`cname` must be a domain name such as news.example.com, "
                                                f"not {cname!r}"))
    logo = (top.string("logo", "") or "").lstrip("/")
    if logo and (not re.fullmatch(r"[\w./-]+\.(?:png|jpe?g|gif|webp|svg)", logo, re.ASCII)
                 or ".." in logo.split("/")):
        problems.append(source.problem(
            "logo", f"`logo` must be an image file's path inside static/, not {logo!r}",
            'for example logo = "images/logo.png" for static/images/logo.png'))
        logo = ""
    strings_table = top.table_of("strings")
    problems += unknown_keys(strings_table, DEFAULTS, source, "strings")   # a typo changes nothing
    strings = Fields(strings_table, source, "strings")
    parsed_strings: dict[str, str] = {}
    string_forms: dict[str, tuple[tuple[str, str], ...]] = {}
    keys = form_keys(editions)
    for key, value in strings_table.items():
        if isinstance(value, dict):
            if ("hans" not in value or len(value) < 2
                    or not set(value) <= keys
                    or not all(isinstance(v, str) for v in value.values())):
                problems.append(source.problem(
                    key, f"`strings.{key}` must be a string, or a table of `hans` and the "
                         f"forms of other editions ({', '.join(sorted(keys))})",
                    f'for example {key} = {{ hans = "搜索", hant = "搜尋" }}'))
                continue
            parsed_strings[key] = value["hans"]
            string_forms[key] = tuple(sorted(value.items()))
        else:
            parsed_strings[key] = strings.string(key) or ""

    tags = _parse_tags(top.table_of("tags"), source, problems)
    topics = _parse_topics(data.get("topics", []), source, problems)
    config = SiteConfig(
        title=top.string("title", SiteConfig.title) or SiteConfig.title,
        description=top.string("description", "") or "",
        base_url=_normalise_base_url(base_url),
        default_edition=edition,
        output_dir=output_dir,
        page_size=top.integer("page_size", SiteConfig.page_size),
        publisher=top.string("publisher", "") or "",
        timezone=timezone,
        utc_offset=utc_offset,
        cname=cname,
        logo=logo,
        feed_entries=top.integer("feed_entries", SiteConfig.feed_entries),
        feed_id=feed_id,
        conversion=conversion,
        tags=tags,
        topics=topics,
        photos=_parse_photos(top.table_of("photos"), source, problems),
        importing=_parse_import(top.table_of("import"), source, problems),
        strings=MappingProxyType(parsed_strings),
        string_forms=MappingProxyType(string_forms),
    )
    problems += top.problems + strings.problems
    if problems:
        raise BuildError(problems)
    return config


def _parse_conversion(table: dict[str, Any], editions: Any, source: Source,
                      problems: list[Problem]) -> ConversionConfig:
    problems += unknown_keys(table, _CONVERSION_KEYS, source, "conversion")
    fields = Fields(table, source, "conversion")
    if editions is None:    # today's two, their configurations from `conversion`
        chosen = []
        for key, default, allowed in (("to_hans", EDITIONS[0], FROM_HANT_CONFIGS),
                                      ("to_hant", EDITIONS[1], FROM_HANS_CONFIGS)):
            value = fields.string(key, default.convert) or default.convert
            if value not in allowed:
                problems.append(source.problem(
                    key, f"`conversion.{key}` = {value!r} is not an OpenCC config for this direction",
                    f"use one of {', '.join(allowed)}"))
                value = default.convert
            chosen.append(replace(default, convert=value))
        parsed = tuple(chosen)
    else:
        for key in ("to_hans", "to_hant"):
            if key in table:
                problems.append(source.problem(
                    key, f"`conversion.{key}` is for a site without [[editions]]",
                    "set `convert` on the edition instead"))
        parsed = _parse_editions(editions, source, problems)
    phrases = parse_phrases(table.get("phrases", []), source, "conversion.phrases", problems)
    keys = form_keys(parsed)
    for pair in phrases:
        for key, _ in pair.forms:
            if key not in keys:
                problems.append(source.problem(
                    "phrases", f"`conversion.phrases` gives a form for {key!r}, which names no edition",
                    f"name an edition by one of {', '.join(sorted(keys))}"))
    corner_quotes = fields.boolean("corner_quotes", False)
    problems += fields.problems
    return ConversionConfig(editions=parsed, phrases=phrases, corner_quotes=corner_quotes)


def _parse_editions(value: Any, source: Source, problems: list[Problem]) -> tuple[Edition, ...]:
    hint = 'write each as [[editions]] with lang = "zh-Hant-HK" and path = "zh-hk"'
    if not isinstance(value, list) or not value or not all(isinstance(i, dict) for i in value):
        problems.append(source.problem("editions", "`editions` must be a list of [[editions]] tables",
                                       hint))
        return EDITIONS
    editions = []
    for item in value:
        problems += unknown_keys(item, _EDITION_KEYS, source, "editions")
        fields = Fields(item, source, "editions")
        lang, path = fields.string("lang") or "", fields.string("path") or ""
        problems += fields.problems
        script = script_of(lang)
        if script is None:
            problems.append(source.problem(
                "editions", f"edition {lang!r}: `lang` must be a Chinese BCP 47 tag with a "
                            "script or a region", "for example zh-Hans, zh-Hant-TW, zh-Hant-HK, "
                            "zh-Hans-SG"))
            continue
        if not is_slug(path) or path in _RESERVED_PATHS:
            problems.append(source.problem(
                "editions", f"edition {lang}: `path` must be a URL folder name (lower-case "
                            f"letters, digits, hyphens), not {path!r}",
                "for example path = \"zh-hk\""))
            continue
        allowed = FROM_HANS_CONFIGS if script is Script.HANT else FROM_HANT_CONFIGS
        convert = fields.string("convert", "") or ""
        if convert and convert not in allowed:
            problems.append(source.problem(
                "editions", f"edition {lang}: `convert` = {convert!r} is not an OpenCC "
                            f"configuration into {script.code}", f"use one of {', '.join(allowed)}"))
            convert = ""
        glyphs = item.get("glyphs")
        if isinstance(glyphs, str):
            glyphs = [glyphs] if glyphs else []
        if glyphs is not None and (
                not isinstance(glyphs, list) or (glyphs and script is Script.HANS)
                or not all(isinstance(g, str) and g in GLYPH_CONFIGS for g in glyphs)):
            problems.append(source.problem(
                "editions", f"edition {lang}: `glyphs` = {glyphs!r} is not a list of OpenCC "
                            f"configurations within {script.code}",
                f"use some of {', '.join(GLYPH_CONFIGS)} in a Traditional edition, or [] to "
                "keep Traditional text as written"))
            glyphs = None
        editions.append(edition_for(lang, path, convert,
                                    tuple(glyphs) if glyphs is not None else None,
                                    fields.string("name", "") or ""))
    for what, keys in (("lang", [e.lang.lower() for e in editions]),
                       ("path", [e.path for e in editions])):
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(source.problem("editions", f"two editions have the {what} {key!r}",
                                           "give each edition its own"))
    return tuple(editions) or EDITIONS


# Folders the site makes beside the editions'.
_RESERVED_PATHS = ("search", "static", "css", "js", "fonts", "images")


def _parse_photos(table: Mapping[str, Any], source: Source,
                  problems: list[Problem]) -> PhotoConfig:
    problems += unknown_keys(table, _PHOTO_KEYS, source, "photos")
    fields = Fields(table, source, "photos")
    default = PhotoConfig()
    widths = table.get("widths", list(default.widths))
    if (not isinstance(widths, list) or not widths
            or not all(isinstance(w, int) and not isinstance(w, bool) and 16 <= w <= 8192
                       for w in widths)):
        problems.append(source.problem(
            "widths", "`photos.widths` must be a list of widths in pixels, from 16 to 8192",
            "for example widths = [480, 960, 1600]"))
        widths = list(default.widths)
    formats = fields.strings("formats") if "formats" in table else default.formats
    if not formats or any(f not in PHOTO_FORMATS for f in formats) or len(set(formats)) < len(formats):
        problems.append(source.problem(
            "formats", f"`photos.formats` must name some of {', '.join(PHOTO_FORMATS)}, each once",
            'the last is what every browser gets; for example formats = ["avif", "webp", "jpeg"]'))
        formats = default.formats
    quality = dict(default.quality)
    given = table.get("quality", {})
    if (not isinstance(given, dict) or any(k not in PHOTO_FORMATS for k in given)
            or not all(isinstance(q, int) and not isinstance(q, bool) and 1 <= q <= 100
                       for q in given.values())):
        problems.append(source.problem(
            "quality", "`photos.quality` must give a quality from 1 to 100 per format",
            "for example quality = { avif = 55, webp = 78, jpeg = 82 }"))
    else:
        quality.update(given)
    sizes = fields.string("sizes", default.sizes) or default.sizes
    config = PhotoConfig(
        widths=tuple(sorted(set(widths))), formats=tuple(formats),
        quality=MappingProxyType(quality), sizes=sizes,
        max_megapixels=fields.integer("max_megapixels", default.max_megapixels),
        max_mb=fields.integer("max_mb", default.max_mb))
    problems += fields.problems
    return config


def _parse_import(table: dict[str, Any], source: Source,
                  problems: list[Problem]) -> ImportConfig:
    problems += unknown_keys(table, _IMPORT_KEYS, source, "import")
    fields = Fields(table, source, "import")
    config = ImportConfig(paper=fields.string("paper", "") or "",
                          byline_words=fields.strings("byline_words"),
                          agencies=fields.strings("agencies"), labels=fields.strings("labels"),
                          editor_words=fields.strings("editor_words"))
    problems += fields.problems
    return config


def _parse_tags(table: dict[str, Any], source: Source, problems: list[Problem]) -> TagConfig:
    problems += unknown_keys(table, _TAG_KEYS, source, "tags")
    fields = Fields(table, source, "tags")
    share = table.get("max_share", TagConfig.max_share)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        problems.append(source.problem("max_share", "`tags.max_share` must be a number in (0, 1]",
                                       "for example max_share = 0.5"))
        share = TagConfig.max_share
    mappings = {}
    for key in ("aliases", "slugs"):
        mapping = fields.table_of(key)
        bad = [k for k, v in mapping.items() if not isinstance(v, str)]
        if bad:
            problems.append(source.problem(key, f"`tags.{key}` values must be strings: {bad[0]!r}"))
        mappings[key] = MappingProxyType({k: v for k, v in mapping.items() if isinstance(v, str)})
    for tag, slug in mappings["slugs"].items():
        if not is_slug(slug):
            problems.append(source.problem("slugs", f"slug {slug!r} for tag {tag!r} is not usable in a URL",
                                           "use lower-case ASCII letters, digits and hyphens"))
    targets: dict[str, list[str]] = {}
    for tag, slug in mappings["slugs"].items():
        targets.setdefault(slug, []).append(tag)
    for slug, tags in targets.items():
        if len(tags) > 1:
            problems.append(source.problem(
                "slugs", f"`tags.slugs` gives the tags {', '.join(map(repr, tags))} one slug {slug!r}",
                "give each tag its own slug, or merge them with tags.aliases"))
    config = TagConfig(
        min_per_article=fields.integer("min_per_article", TagConfig.min_per_article),
        max_per_article=fields.integer("max_per_article", TagConfig.max_per_article),
        max_share=float(share),
        min_corpus=fields.integer("min_corpus", TagConfig.min_corpus),
        ban=fields.strings("ban"),
        stopwords=fields.strings("stopwords"),
        aliases=mappings["aliases"],
        slugs=mappings["slugs"],
    )
    problems += fields.problems
    return config


def _parse_topics(value: Any, source: Source, problems: list[Problem]) -> tuple[Topic, ...]:
    hint = 'write each as [[topics]] with slug = "finance", name = "金融", keywords = ["贷款"]'
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(source.problem("topics", "`topics` must be a list of [[topics]] tables", hint))
        return ()
    topics = []
    for item in value:
        problems += unknown_keys(item, _TOPIC_KEYS, source, "topics")
        fields = Fields(item, source, "topics")
        slug = fields.string("slug") or ""
        name = fields.string("name") or ""
        if not is_slug(slug) or not name:
            problems.append(source.problem("topics", f"topic {slug or name!r} needs a URL slug and a name",
                                           hint))
        topics.append(Topic(slug=slug, name=name, name_hant=fields.string("name_hant", "") or "",
                            description=fields.string("description", "") or "",
                            keywords=fields.strings("keywords")))
        problems += fields.problems
    slugs = [t.slug for t in topics]
    for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
        problems.append(source.problem("topics", f"two topics have the slug {slug!r}"))
    return tuple(topics)


def parse_phrases(value: Any, source: Source, name: str,
                  problems: list[Problem]) -> tuple[PhrasePair, ...]:
    """`[{ hans = "…", hant = "…" }, …]` → PhrasePairs; shared by site.toml and front matter."""
    key = name.rsplit(".", 1)[-1]
    hint = f'write it as {key} = [{{ hans = "范晓东", hant = "范曉東" }}]'
    if not isinstance(value, list):
        problems.append(source.problem(key, f"`{name}` must be a list of tables", hint))
        return ()
    pairs = []
    for item in value:
        if (not isinstance(item, dict) or not {"hans", "hant"} <= set(item)
                or not all(isinstance(k, str) and re.fullmatch(r"[a-z][a-z0-9-]*", k)
                           and isinstance(v, str) and v for k, v in item.items())):
            problems.append(source.problem(
                key, f"each entry of `{name}` needs `hans` and `hant` strings (and may give "
                     "other editions' forms, as hk = \"…\")", hint))
            continue
        pairs.append(PhrasePair(hans=item["hans"], hant=item["hant"], forms=tuple(sorted(
            (k, v) for k, v in item.items() if k not in ("hans", "hant")))))
    return tuple(pairs)


def load_config(root: Path) -> SiteConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        raise BuildError.single(
            f"no {CONFIG_FILE} found", root,
            hint=f"run the command in the site's folder, pass --root DIR, or create {CONFIG_FILE}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildError.single(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path,
                                hint="save the file as UTF-8") from None
    return parse_config(text, path)
