"""Articles: Markdown files with TOML front matter between `+++` lines.

`parse_article(text, path, photos)` is pure; `read_source` and `read_article` are the
thin layers that touch the disk (the engine lists and loads every article).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .config import OTHER_TOPIC, PhotoConfig, PhrasePair, SiteConfig, parse_phrases
from .editions import Script, form_keys
from .errors import BuildError, Problem
from .inputs import read_limited, source_problem
from .photos import BUNDLE_INDEX, REPLACE_HINT, Photo, bundle_photos
from .records import record
from .slugs import is_slug, slugify
from .tomlinput import Fields, Source, unknown_keys

FENCE = "+++"
ARTICLE_SUFFIX = ".md"
# A page of a printed newspaper is ~20 kB; anything past this is a mistake or an attack.
MAX_ARTICLE_BYTES = 2 * 1024 * 1024

_KEYS = ("title", "date", "slug", "script", "subtitle", "kicker", "authors", "source",
         "tags", "topics", "draft", "phrases", "credits", "byline", "origin", "labels",
         "updated", "corrections", "summary", "aliases", "toc", "image", "extra")


@record
class Correction:
    """A correction printed at the end of the article: 更正."""

    date: dt.datetime
    text: str
    timed: bool = False


@record
class Article:
    # relative to the site root, with "/" between folders: a string, not a `Path`, as
    # every entry holds one (building 100,000 paths back from the state took 0.3 s,
    # and spelling them as text again as much)
    path: str
    slug: str
    title: str
    date: dt.datetime   # midnight when the front matter gives only a day; in the site's
                        # zone once the build has placed it there (in_zone)
    body: str           # Markdown
    body_line: int      # file line where the body starts
    script: Script | None = None   # None: detect from the text
    subtitle: str = ""
    kicker: str = ""
    labels: tuple[str, ...] = ()    # column tags and box labels: 【小资料】, （民生观）
    timed: bool = False             # the front matter gives a time of day, not only a day
    updated: dt.datetime | None = None  # when the article was last changed after publication
    updated_timed: bool = False
    corrections: tuple[Correction, ...] = ()
    summary: str = ""               # chosen by the editor, instead of the first sentences
    authors: tuple[str, ...] = ()
    source: str = ""
    tags: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    byline: tuple[str, ...] = ()    # as printed, kept by the importer
    origin: str = ""                # the page it was imported from
    draft: bool = False
    phrases: tuple[PhrasePair, ...] = ()
    # old URLs of the article (from the system the site replaces), as output files:
    # each becomes a page that sends the reader on
    aliases: tuple[str, ...] = ()
    toc: bool = False               # a table of contents of the article's headings
    # a page bundle's files beside its index.md, whether the article shows them or not
    photos: tuple[Photo, ...] = ()
    image: str = ""                 # the lead photo, when not the first one shown
    digest: str = ""                # of the file's text and its bundle's files: what the
                                    # derive cache is keyed on

    @property
    def bundle(self) -> bool:
        """An article that is a folder (`slug/index.md`) with its photos beside it."""
        return self.path.rpartition("/")[2] == BUNDLE_INDEX


def file_name(path: Path) -> str:
    """The name the file gives its article (the slug, unless front matter sets one): a
    page bundle's folder, else the file's stem."""
    return path.parent.name if path.name == BUNDLE_INDEX else path.stem


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """→ (front matter, body, file line of the body's first line)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise BuildError.single(
            f"no front matter: the file must start with a `{FENCE}` line", path, 1,
            hint=f'start the file with {FENCE}, then title = "…" and date = 2024-07-22, then {FENCE}')
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    raise BuildError.single(
        f"front matter is not closed: no second `{FENCE}` line", path, 1,
        hint=f"add a line with {FENCE} after the last front matter key")


def parse_article(text: str, path: Path, photos: tuple[Photo, ...] = ()) -> Article:
    """Pure: a file's text (and, for a bundle, its files) → Article, or a BuildError
    naming every problem in it."""
    front, body, body_line = split_front_matter(text, path)
    source = Source(front, path, first_line=2)
    data = source.parse()
    problems: list[Problem] = unknown_keys(data, _KEYS, source)
    fields = Fields(data, source)

    title = fields.string("title")
    if "title" not in data:
        fields.missing("title", 'add title = "…" to the front matter')
    elif title is not None and not title.strip():
        problems.append(source.problem("title", "`title` is empty"))
    date = fields.date("date")
    if "date" not in data:
        fields.missing("date", "add date = 2024-07-22 (a TOML date, without quotes)")
    updated = fields.date("updated")
    if updated is not None and date is not None and _comparable_before(updated, date):
        problems.append(source.problem("updated", "`updated` is before `date`", UPDATED_HINT))
    corrections = _corrections(data.get("corrections", []), source, problems)

    slug = fields.string("slug") or slugify(file_name(path))
    if not is_slug(slug):
        problems.append(source.problem(
            "slug", f"slug {slug!r} is not usable in a URL",
            "use lower-case ASCII letters, digits and single hyphens, e.g. slug = \"qingdao-loans\""))

    script_name = fields.string("script")
    script = Script.parse(script_name) if script_name else None
    if script_name and script is None:
        problems.append(source.problem(
            "script", f"`script` must be \"zh-Hans\" or \"zh-Hant\", not {script_name!r}",
            "or leave it out to detect the script from the text"))

    phrases = parse_phrases(data.get("phrases", []), source, "phrases", problems)
    aliases = tuple(_alias_file(alias, source, problems) for alias in fields.strings("aliases"))
    image = fields.string("image", "") or ""
    if image:
        problems += _lead_problems(image, path, photos, source)
    article = Article(
        path=path.as_posix(),
        slug=slug,
        title=(title or "").strip(),
        date=_as_datetime(date),
        body=body,
        body_line=body_line,
        script=script,
        subtitle=fields.string("subtitle", "") or "",
        kicker=fields.string("kicker", "") or "",
        labels=fields.strings("labels"),
        timed=isinstance(date, dt.datetime),
        updated=_as_datetime(updated) if updated is not None else None,
        updated_timed=isinstance(updated, dt.datetime),
        corrections=corrections,
        summary=(fields.string("summary", "") or "").strip(),
        authors=fields.strings("authors"),
        source=fields.string("source", "") or "",
        tags=fields.strings("tags"),
        topics=fields.strings("topics"),
        credits=fields.strings("credits"),
        byline=fields.strings("byline"),
        origin=fields.string("origin", "") or "",
        draft=fields.boolean("draft", False),
        phrases=phrases,
        aliases=tuple(dict.fromkeys(a for a in aliases if a)),
        toc=fields.boolean("toc", False),
        photos=photos,
        image=image,
        digest=article_digest(text, photos),
    )
    fields.table_of("extra")
    problems += fields.problems
    if problems:
        raise BuildError(problems)
    return article


def _alias_file(alias: str, source: Source, problems: list[Problem]) -> str:
    """An old URL's path ('/news/2019/0501/123.html', 'old/story/') → the output file
    that answers it ('news/2019/0501/123.html', 'old/story/index.html'); '' with a problem
    when it is not a plain path on this site. Percent-escapes are decoded, as the server
    decodes the URL it is asked for ('%E6%96%B0.html' is the file '新.html')."""
    path = urllib.parse.unquote(alias.split("#", 1)[0]).lstrip("/")
    parts = path.rstrip("/").split("/")
    if (not path.rstrip("/") or "://" in alias or alias.startswith("//") or "?" in path
            or "\\" in path or any(c.isspace() or ord(c) < 32 for c in path)
            or any(part in ("", ".", "..") for part in parts)):
        problems.append(source.problem(
            "aliases", f"alias {alias!r} is not a path on this site",
            'give the old URL\'s path, e.g. aliases = ["/news/2019/0501/123.html"]'))
        return ""
    if path.endswith((".html", ".htm")):
        return path
    return path.rstrip("/") + "/index.html"


def _lead_problems(image: str, path: Path, photos: tuple[Photo, ...],
                   source: Source) -> list[Problem]:
    if path.name != BUNDLE_INDEX:
        return [source.problem(
            "image", "`image` names a photo, and only a page bundle has photos",
            f"make the article a folder: {path.parent.as_posix()}/{path.stem}/{BUNDLE_INDEX}, "
            "with the photo beside it")]
    found = {photo.name: photo for photo in photos}.get(image)
    if found is None:
        return [source.problem(
            "image", f"`image` names {image!r}, which is not beside the article",
            f"put the photo in {path.parent.as_posix()}/, or fix the name")]
    if found.problem:
        return [source.problem("image", f"photo {image!r}: {found.problem}",
                               found.hint or REPLACE_HINT)]
    return []


def _corrections(value: Any, source: Source, problems: list[Problem]) -> tuple[Correction, ...]:
    hint = 'write corrections = [{ date = 2024-07-23, text = "本文第二段中……" }]'
    if not isinstance(value, list):
        problems.append(source.problem("corrections", "`corrections` must be a list of tables", hint))
        return ()
    found = []
    for item in value:
        date = item.get("date") if isinstance(item, dict) else None
        text = item.get("text") if isinstance(item, dict) else None
        if (not isinstance(date, dt.date) or not isinstance(text, str) or not text.strip()
                or set(item) != {"date", "text"}):
            problems.append(source.problem(
                "corrections", "each correction needs a `date` (a TOML date) and a `text`, "
                "and nothing else", hint))
            continue
        found.append(Correction(_as_datetime(date), text.strip(), isinstance(date, dt.datetime)))
    return tuple(found)


def in_zone(article: Article, zone: dt.tzinfo) -> Article:
    """The article with its dates as instants: a day or a local time is read in the site's
    zone, a time with an offset is that instant, shown in the site's zone. Dates with and
    without offsets then sort together."""
    def placed(date: dt.datetime) -> dt.datetime:
        return date.replace(tzinfo=zone) if date.tzinfo is None else date.astimezone(zone)

    return replace(article, date=placed(article.date),
                   updated=placed(article.updated) if article.updated else None,
                   corrections=tuple(replace(c, date=placed(c.date)) for c in article.corrections))


UPDATED_HINT = "updated is when the article changed after it was published"


def _comparable_before(updated: dt.date, date: dt.date) -> bool:
    """`updated` before `date`, when that can be told from the front matter alone: both
    with an offset, or neither. Else `updated_problem` tells, once the site's zone has
    placed them."""
    later, earlier = _as_datetime(updated), _as_datetime(date)
    return (later.tzinfo is None) == (earlier.tzinfo is None) and later < earlier


def updated_problem(article: Article, root: Path) -> Problem | None:
    """`updated` before `date`, compared as instants: for an article placed in the site's
    zone (`in_zone`)."""
    if article.updated is None or article.updated >= article.date:
        return None
    return Problem("`updated` is before `date`", Path(article.path),
                   front_matter_line(root / article.path, "updated"), hint=UPDATED_HINT)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime(1970, 1, 1)  # only reached when a problem was already recorded


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) text, or a BuildError that says what the bytes look like."""
    if b"\0" in data[:8192]:
        raise BuildError.single(
            "binary file in content/: this is not a Markdown article", path,
            hint="move it out of content/ (a photo goes beside its article in a page bundle, "
                 "content/…/<slug>/index.md)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = _guess_encoding(data)
        found = f"; it looks like {guess}" if guess else ""
        raise BuildError.single(
            f"not UTF-8 text{found}", path, line,
            hint="save the file as UTF-8, or bring raw pages in with `builder import`, "
                 "which reads GB18030, Big5 and UTF-16") from None


def _guess_encoding(data: bytes) -> str | None:
    for encoding in ("gb18030", "big5", "utf-16"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding.upper()
    return None


def read_article(path: Path, root: Path, photos: PhotoConfig) -> Article:
    return parse_article(read_source(path, root), path.relative_to(root),
                         read_photos(path, root, photos))


def read_photos(path: Path, root: Path, config: PhotoConfig) -> tuple[Photo, ...]:
    """The files of the article's bundle; none for an article that is not one."""
    return bundle_photos(path.parent, root, config) if path.name == BUNDLE_INDEX else ()


def read_source(path: Path, root: Path) -> str:
    """An article file's text. Only a regular file of the site, and only up to the size
    limit, whatever the file system says its size is (a FIFO would hang the build,
    /dev/zero fill its memory)."""
    shown = path.relative_to(root)
    problem = source_problem(path, root, shown)
    if problem is not None:
        raise BuildError([problem])
    data = read_limited(path, MAX_ARTICLE_BYTES, shown, "the article",
                        hint="split it into several articles")
    return decode(data, shown)


def article_digest(text: str, photos: tuple[Photo, ...] = ()) -> str:
    """What `Article.digest` is for a file with this text and these bundle files."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for photo in photos:
        digest.update(f"\0{photo.name}\0{photo.digest}\0{photo.problem}".encode())
    return digest.hexdigest()


def symlinked_folders(content_dir: Path) -> Iterator[Path]:
    """Folders under content/ that are symlinks: listed, never entered."""
    for folder, dirs, _ in os.walk(content_dir):
        dirs.sort()
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):
                yield Path(folder) / name


def article_paths(content_dir: Path) -> Iterator[str]:
    """The articles under content/ as `relative_files` lists them, as paths relative to
    the site ('content/2024/07/a.md')."""
    return relative_files(content_dir, lambda name: name.endswith(ARTICLE_SUFFIX))


def relative_files(folder: Path, chosen: Callable[[str], bool] = lambda name: True
                   ) -> Iterator[str]:
    """Files under `folder` whose names are `chosen`, sorted, skipping hidden names, as
    paths relative to the folder's parent ('content/2024/07/a.md'); symlinked folders
    are not followed, so a link loop cannot hang the build. Strings, not Paths: the
    engine and the preview look at every one on every build (a Path each was two
    thirds of the time at 10,000 articles)."""
    site = folder.parent
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        prefix = os.path.relpath(current, site).replace(os.sep, "/") + "/"
        for name in sorted(files):
            if not name.startswith(".") and chosen(name):
                yield prefix + name


def article_files(content_dir: Path) -> Iterator[Path]:
    return (content_dir.parent / path for path in article_paths(content_dir))


def unknown_topics(articles: Iterable[Article], config: SiteConfig, root: Path) -> list[Problem]:
    """One problem per article whose front matter names a topic site.toml does not have,
    with the closest slug. Checked on every build, for every article: a topic taken out
    of site.toml is found in the articles that still name it."""
    known = [topic.slug for topic in config.topics] + [OTHER_TOPIC]
    problems = []
    for article in articles:
        for slug in article.topics:
            if slug not in known:
                close = difflib.get_close_matches(slug, known, n=1)
                problems.append(Problem(
                    f"unknown topic {slug!r}", Path(article.path),
                    front_matter_line(root / article.path, "topics"),
                    hint=(f"did you mean {close[0]!r}? " if close else "")
                    + f"the topics are {', '.join(known)} (see [[topics]] in site.toml)"))
    return problems


def unknown_forms(articles: Iterable[Article], config: SiteConfig, root: Path) -> list[Problem]:
    """One problem per article whose `phrases` give a form for an edition the site does
    not have (a typo, or an edition taken out of site.toml)."""
    keys = form_keys(config.editions)
    problems = []
    for article in articles:
        unknown = sorted({k for pair in article.phrases for k, _ in pair.forms} - keys)
        if unknown:
            problems.append(Problem(
                f"`phrases` gives a form for {', '.join(map(repr, unknown))}, which names no "
                "edition", Path(article.path), front_matter_line(root / article.path, "phrases"),
                hint=f"name an edition by one of {', '.join(sorted(keys))}"))
    return problems


def front_matter_line(path: Path, key: str) -> int | None:
    """The file line where the front matter sets `key`, for a message; None if unknown."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == FENCE:
            return None
        if line.split("=", 1)[0].strip() == key:
            return number
    return None


def duplicate_slugs(articles: Iterable[Article]) -> list[Problem]:
    """One problem per slug shared by several articles, naming every file."""
    by_slug: dict[str, list[str]] = {}
    for article in articles:
        by_slug.setdefault(article.slug, []).append(article.path)
    return [
        Problem(f"duplicate slug {slug!r} in {len(paths)} files: "
                + ", ".join(paths), Path(paths[0]),
                hint="give each article its own `slug` in the front matter")
        # the shared slugs alone sorted: sorting every slug was 0.15 s of a build of 100,000
        for slug, paths in sorted((s, p) for s, p in by_slug.items() if len(p) > 1)
    ]
