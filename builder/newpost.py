"""`builder new "标题"`: a new article file with its front matter filled in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from .config import CONFIG_FILE, SiteConfig, load_config
from .content import ARTICLE_SUFFIX, FENCE, article_files, file_name
from .editions import Script
from .errors import BuildError
from .photos import BUNDLE_INDEX
from .script import Converter
from .segment import Segmenter
from .slugs import words_slug


@dataclass(frozen=True)
class NewArticle:
    path: Path      # relative to the site root
    text: str


def plan_new(title: str, when: dt.date | dt.datetime, slug: str, taken: set[str],
             bundle: bool = False) -> NewArticle:
    """Pure: the file for a new article dated `when`, its slug made unique against `taken`
    (the slugs the file names give every article, so no two articles share a URL); with
    `bundle`, a page bundle's index.md, for an article with photos."""
    unique, number = slug, 2
    while unique in taken:
        unique, number = f"{slug}-{number}", number + 1
    front = tomli_w.dumps({"title": title, "date": when})
    folder = Path("content") / f"{when.year:04d}" / f"{when.month:02d}"
    path = folder / unique / BUNDLE_INDEX if bundle else folder / f"{unique}{ARTICLE_SUFFIX}"
    return NewArticle(path, f"{FENCE}\n{front}{FENCE}\n\n")


def new_article(root: Path, title: str, when: dt.date | dt.datetime | None = None,
                bundle: bool = False) -> Path:
    """Write the new article; never replaces a file. Without `when`, now, to the minute,
    in the site's time zone."""
    title = title.strip()
    if not title:
        raise BuildError.single("the title is empty", hint='builder new "标题"')
    config = load_config(root) if (root / CONFIG_FILE).is_file() else SiteConfig()
    when = when or dt.datetime.now(config.zone).replace(second=0, microsecond=0, tzinfo=None)
    converter = Converter(config.conversion)
    script = converter.detect(title, Script.HANS)
    simplified = converter.to_simplified(title, script)
    slug = words_slug(Segmenter().words(simplified))
    content = root / "content"
    taken = {file_name(path) for path in article_files(content)} if content.is_dir() else set()
    planned = plan_new(title, when, slug, taken, bundle)
    target = root / planned.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8", newline="\n") as handle:   # never overwrite
            handle.write(planned.text)
    except FileExistsError:
        raise BuildError.single("the file exists; `builder new` never replaces an article",
                                planned.path, hint="choose another title") from None
    except OSError as exc:
        raise BuildError.single(f"cannot write the article: {exc.strerror}", planned.path,
                                hint="check that content/ is writable") from None
    return planned.path
