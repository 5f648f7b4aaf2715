"""The build, as a recipe: load → derive → validate → render → write → publish."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .config import SiteConfig, load_config
from .content import ARTICLE_SUFFIX, content_files, load_articles
from .derive import Derived, Tools, derive
from .editions import EDITIONS, Script
from .errors import BuildError
from .markup import Markdown
from .output import Staging
from .pages import (
    TERM_KINDS,
    EditionContext,
    Page,
    SiteView,
    edition_pages,
    not_found_page,
    robots_txt,
    root_page,
    sitemap_pages,
)
from .render import Renderer
from .script import Converter
from .search import IndexFile, SearchDoc, build_index, fold_map
from .segment import Segmenter
from .strings import DEFAULTS
from .taxonomy import Analyzer, TaxonomyInput, build_taxonomy
from .views import TermLink, Urls, article_path, summary

OUTPUT_MARKER = ".builder-output"
T = TypeVar("T")
Progress = Callable[[Iterable[T], int, str], Iterable[T]]


def no_progress(items: Iterable[T], total: int, label: str) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class Note:
    """Something the editor may want to look at; not an error."""

    path: Path
    message: str


@dataclass(frozen=True)
class BuildResult:
    out: Path
    articles: int
    pages: int
    files: int
    seconds: float
    warnings: tuple[Note, ...]
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Project:
    """The folders of a site, from its root."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "static"


def load_tools(config: SiteConfig, cache: Path | None = None) -> Tools:
    segmenter = Segmenter(cache / "jieba" if cache else None)
    return Tools(Converter(config.conversion), Markdown(), Analyzer(segmenter, config.tags), config)


def build(root: Path, out: Path | None = None, base_url: str | None = None,
          progress: Progress = no_progress, tools: Tools | None = None) -> BuildResult:
    started = time.perf_counter()
    project = Project(root.resolve())
    config = load_config(project.root)
    if base_url:
        config = config.with_base_url(base_url)
    out = (out or project.root / config.output_dir).resolve()
    _check_output(out, project)

    # Load: every article, all problems reported at once.
    articles = [a for a in load_articles(project.root, project.content) if not a.draft]
    if tools is None or tools.config != config:
        tools = load_tools(config, project.root / ".cache")

    # Derive: the per-article stage.
    derived = [derive(article, tools)
               for article in progress(articles, len(articles), "converting")]
    derived.sort(key=lambda d: (d.article.date, d.article.slug), reverse=True)

    # Render everything before anything is written.
    renderer = Renderer(project.templates.resolve(), project.root,
                        {"asset": lambda path: config.base_path + path})
    pages = site_pages(derived, config, tools.converter)
    staging = Staging(out)
    try:
        for page in progress(pages, len(pages), "rendering"):
            staging.write_text(page.path, renderer.render(page.template, page.context))
        for path, text in plain_files(derived, config, tools.converter).items():
            staging.write_text(path, text)
        if project.static.is_dir():
            staging.copy_tree(project.static)
        files = staging.count
        staging.publish()
    except BaseException:
        staging.discard()
        raise

    return BuildResult(
        out=out, articles=len(derived), pages=len(pages), files=files,
        seconds=time.perf_counter() - started,
        warnings=tuple(_stray_files(project)),
        notes=tuple(_conversion_notes(derived)),
    )


def site_pages(derived: list[Derived], config: SiteConfig, converter: Converter) -> list[Page]:
    urls = Urls(config.base_url, config.base_path)

    def to_hant(text: str) -> str:
        return converter.convert(text, Script.HANS, Script.HANT).text

    taxonomy = build_taxonomy(
        [TaxonomyInput(d.analysis, d.tags, d.article.topics, d.authors, d.sources,
                       d.article.date.year, d.article.date.month) for d in derived],
        config, to_hant)
    titles: dict[Script, str] = {}
    strings_of: dict[Script, dict[str, str]] = {}
    pages: list[Page] = []
    for edition in EDITIONS:
        def local(text: str, edition: Script = edition) -> str:
            return text if edition is Script.HANS else to_hant(text)

        strings = {key: local(value) for key, value in {**DEFAULTS, **config.strings}.items()}
        nav = tuple(TermLink(urls.link(f"{edition.path}/{kind}/"),
                             strings["authors_index" if kind == "authors" else kind])
                    for kind in (*TERM_KINDS, "archive", "search"))
        site = SiteView(local(config.title), local(config.description), strings, edition.path, nav)
        titles[edition], strings_of[edition] = site.title, strings
        pages += edition_pages(derived, taxonomy, EditionContext(edition, site, config, urls, local))
    pages += [root_page(config, urls, titles), not_found_page(urls, strings_of)]
    return pages + sitemap_pages(pages, config, urls)


def plain_files(derived: list[Derived], config: SiteConfig, converter: Converter,
                search_cache: dict | None = None) -> dict[str, str]:
    """Every output file that is not a rendered page: the search index and the root files."""
    files = {f.path: f.text for f in search_index(derived, converter, search_cache)}
    files[OUTPUT_MARKER] = "This folder is replaced by every `builder build`.\n"
    files[".nojekyll"] = ""  # GitHub Pages: serve the files as they are
    files["robots.txt"] = robots_txt(Urls(config.base_url, config.base_path))
    if config.cname:
        files["CNAME"] = config.cname + "\n"
    return files


def search_index(derived: list[Derived], converter: Converter,
                 cache: dict | None = None) -> list[IndexFile]:
    mapping = fold_map(converter.chars.traditional_only,
                       lambda ch: converter.convert(ch, Script.HANT, Script.HANS).text)
    docs = [SearchDoc(
        path=article_path(d),
        date=d.article.date.date().isoformat(),
        titles=(d.hans.title.plain, d.hant.title.plain),
        summaries=(summary(d.hans.plain_body, 80), summary(d.hant.plain_body, 80)),
        title_text=" ".join((d.hans.kicker.plain, d.hans.title.plain, d.hans.subtitle.plain)),
        body_text=d.hans.plain_body,
    ) for d in derived]
    return build_index(docs, mapping, cache)


def _check_output(out: Path, project: Project) -> None:
    """Refuse an output folder whose replacement would destroy something else."""
    if out == project.root or project.root.is_relative_to(out):
        raise BuildError.single(f"the output folder {out} contains the site itself",
                                hint="choose an output folder inside or beside the site, e.g. _site")
    for source in (project.content, project.templates, project.static):
        if out.is_relative_to(source) or source.is_relative_to(out):
            raise BuildError.single(f"the output folder {out} overlaps {source}",
                                    hint="choose an output folder such as _site")
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                                and not (out / OUTPUT_MARKER).exists())):
        raise BuildError.single(
            f"{out} exists and was not made by builder; a build would replace it", out,
            hint="remove it, or pass --out with a new folder")


def _stray_files(project: Project) -> Iterator[Note]:
    for path in content_files(project.content):
        if path.suffix != ARTICLE_SUFFIX:
            yield Note(path.relative_to(project.root),
                       f"ignored: only {ARTICLE_SUFFIX} files in content/ are articles")


def _conversion_notes(derived: list[Derived]) -> Iterator[Note]:
    for d in derived:
        if d.repaired:
            fixed = " ".join(f"{a}→{b}" for a, b in d.repaired)
            yield Note(d.article.path, f"repaired {len(d.repaired)} stray characters: {fixed}")
        if d.ambiguous:
            kept = " ".join(sorted({f"{a}({b})" for a, b in d.ambiguous}))
            yield Note(d.article.path, f"kept as written, valid in {d.script.value}: {kept}")
