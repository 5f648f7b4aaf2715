"""Pages on disk → article files in content/: read every page, split them, plan the
files, then write them all or none.

This is the only part of the importer that touches the disk.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..errors import BuildError
from ..inputs import read_limited
from ..pagetext import Line, decode_page, page_lines
from ..script import Converter
from ..segment import Segmenter
from ..slugs import slugify
from .assemble import ImportTools
from .conventions import Conventions
from .markdown import article_slug, review_markdown, to_markdown
from .page import PageImport, split_page

MAX_PAGE_BYTES = 16 * 1024 * 1024


class Outcome(Enum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    KEPT = "left alone (edited since the last import; --force replaces it)"
    REPLACED = "replaced"


@dataclass(frozen=True)
class Written:
    path: Path
    outcome: Outcome


@dataclass(frozen=True)
class PlannedFile:
    path: Path      # relative to the site root
    text: str


@dataclass(frozen=True)
class PageResult:
    page: Path
    split: PageImport
    files: tuple[PlannedFile, ...]      # the articles', then the review file if any
    review: Path | None


@dataclass(frozen=True)
class ImportReport:
    pages: tuple[PageResult, ...]
    written: tuple[Written, ...]

    @property
    def articles(self) -> int:
        return sum(len(p.split.articles) for p in self.pages)

    @property
    def unplaced(self) -> int:
        return sum(len(p.split.unplaced) for p in self.pages)


def _folder(date: dt.date) -> Path:
    return Path("content") / f"{date.year:04d}" / f"{date.month:02d}"


def plan_files(page: PageImport, origin: str, tools: ImportTools,
               used: set[str] | None = None) -> list[PlannedFile]:
    """The articles' files, each under content/YEAR/MONTH/ with a slug from its headline,
    and a draft review file for the lines no article took."""
    used = set() if used is None else used
    planned: list[PlannedFile] = []
    for article in page.articles:
        slug = base = article_slug(article, tools)
        number = 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        planned.append(PlannedFile(_folder(article.date) / f"{slug}.md", to_markdown(article, origin)))
    if page.unplaced:
        name = f"review-{page.date.isoformat()}-{slugify(Path(origin).stem) or 'page'}"
        planned.append(PlannedFile(_folder(page.date) / f"{name}.md",
                                   review_markdown(page.unplaced, page.date, origin)))
    return planned


def write_planned(root: Path, planned: Sequence[PlannedFile], force: bool) -> list[Written]:
    """Every new or changed file is first written beside its target, and only when all are
    written are they renamed into place: a full disk leaves content/ as it was."""
    results: list[Written] = []
    staged: list[tuple[Path, Path]] = []
    path = root
    try:
        for item in planned:
            path = root / item.path
            if path.exists():
                if path.read_text(encoding="utf-8", errors="replace") == item.text:
                    results.append(Written(item.path, Outcome.UNCHANGED))
                    continue
                if not force:
                    results.append(Written(item.path, Outcome.KEPT))
                    continue
                outcome = Outcome.REPLACED
            else:
                outcome = Outcome.CREATED
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            staged.append((temporary, path))
            temporary.write_text(item.text, encoding="utf-8", newline="\n")
            results.append(Written(item.path, outcome))
    except OSError as exc:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        hint = ("free some space and import again" if exc.errno in (errno.ENOSPC, errno.EDQUOT)
                else "check that content/ is writable")
        raise BuildError.single(f"cannot write the articles: {exc.strerror}; nothing was written",
                                path, hint=hint) from None
    for temporary, path in staged:
        os.replace(temporary, path)
    return results


def read_page(path: Path) -> list[Line]:
    """The page's lines. Only regular files, read up to a limit that does not trust the
    size the file system reports (a FIFO or /dev/zero would hang or fill memory)."""
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError as exc:
        raise BuildError.single(f"cannot read the page: {exc.strerror}", path) from None
    if not regular:
        raise BuildError.single("not a regular file", path, hint="pass the text dump of a page")
    data = read_limited(path, MAX_PAGE_BYTES, path, "the page",
                        hint="a printed page is some 20 kB of text: split the dump into pages")
    text, _ = decode_page(data, path)
    return page_lines(text)


def load_import_tools(root: Path) -> ImportTools:
    from ..config import CONFIG_FILE, ConversionConfig, load_config

    conventions = Conventions()
    if not (root / CONFIG_FILE).is_file():
        return ImportTools(Segmenter(), Converter(ConversionConfig()), conventions)
    config = load_config(root)
    paper = config.importing
    return ImportTools(Segmenter(), Converter(config.conversion), conventions.with_additions(
        paper=paper.paper, reporters=paper.byline_words, agencies=paper.agencies,
        editors=paper.editor_words, labels=paper.labels))


def import_pages(root: Path, pages: Sequence[Path], date: dt.date | None = None,
                 source: str | None = None, force: bool = False,
                 tools: ImportTools | None = None, progress=None,
                 dry_run: bool = False) -> ImportReport:
    """Read every page first, so one unreadable page means nothing is written."""
    root = root.resolve()
    problems = []
    read: list[tuple[Path, list[Line]]] = []
    for page in pages:
        try:
            read.append((page, read_page(page)))
        except BuildError as error:
            problems.extend(error.problems)
    if problems:
        raise BuildError(problems)
    tools = tools or load_import_tools(root)
    results: list[PageResult] = []
    used: set[str] = set()
    if progress is not None:
        progress.start("importing", len(read))
    for done, (page, lines) in enumerate(read, start=1):
        split = split_page(lines, tools, date=date, source=source)
        origin = _shown(page, root)
        files = plan_files(split, origin, tools, used)
        review = files[-1].path if split.unplaced else None
        results.append(PageResult(page, split, tuple(files), review))
        if progress is not None:
            progress.update(done)
    if progress is not None:
        progress.finish()
    planned = [item for result in results for item in result.files]
    written = () if dry_run else tuple(write_planned(root, planned, force))
    return ImportReport(tuple(results), written)


def _shown(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return (resolved.relative_to(root).as_posix() if resolved.is_relative_to(root)
            else path.name)
