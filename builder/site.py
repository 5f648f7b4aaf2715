"""The build, as a recipe: load → derive → validate → render → write → publish."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .cache import FOLDER as CACHE_FOLDER
from .cache import DerivedCache, code_salt
from .config import SiteConfig, load_config
from .content import (
    ARTICLE_SUFFIX,
    Article,
    content_files,
    in_zone,
    load_articles,
    symlinked_folders,
)
from .derive import Derived, Tools, derive
from .editions import EDITIONS, Script
from .errors import BuildError
from .fingerprint import MARKER, current, fingerprint, marker_text, output_folder
from .inputs import StaticFiles, static_files
from .markup import Markdown
from .output import Staging, safe_relative, write_failure
from .pages import (
    TERM_KINDS,
    EditionContext,
    Listed,
    Page,
    SiteView,
    edition_cards,
    edition_pages,
    not_found_page,
    robots_txt,
    root_page,
    sitemap_pages,
)
from .parallel import Counter, fork_map, run_all, workers
from .render import Renderer
from .script import Converter
from .search import IndexFile, SearchDoc, build_index, fold_map
from .segment import Segmenter
from .strings import DEFAULTS, HANT_WORDING
from .taxonomy import Analyzer, Taxonomy, TaxonomyInput, build_taxonomy
from .views import ArticleCard, TermLink, Urls, article_path

OUTPUT_MARKER = MARKER
PARALLEL_FROM = 100     # articles: below this, forking costs more than it saves


class Progress:
    """Told what the build is doing; the command line draws a bar on a terminal."""

    active = False  # when false, totals that cost work to count are not counted

    def start(self, label: str, total: int) -> None:
        """A phase of `total` items begins."""

    def update(self, done: int) -> None:
        """`done` items of the phase are finished."""

    def finish(self) -> None:
        """The phase is over."""


@dataclass(frozen=True)
class Note:
    """Something the editor may want to look at; not an error."""

    path: Path
    message: str


class Clock:
    """Wall time per build phase, for `build -v` and the benchmark's profile."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self._last))
        self._last = now


@dataclass(frozen=True)
class Schedule:
    """Articles dated after the build: how many, and when the first of them is due."""

    count: int
    next_due: dt.datetime | None

    @classmethod
    def of(cls, articles: Sequence[Article], now: dt.datetime) -> Schedule:
        later = [a.date for a in articles if a.date > now]
        return cls(len(later), min(later, default=None))


@dataclass(frozen=True)
class BuildResult:
    out: Path
    articles: int
    pages: int
    files: int
    seconds: float
    warnings: tuple[Note, ...]
    notes: tuple[Note, ...]
    timings: tuple[tuple[str, float], ...] = ()
    up_to_date: bool = False    # nothing changed since the last build: nothing was done
    schedule: Schedule = field(default_factory=lambda: Schedule(0, None))


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


def load_tools(config: SiteConfig) -> Tools:
    return Tools(Converter(config.conversion), Markdown(), Analyzer(Segmenter(), config.tags), config)


def build(root: Path, out: Path | None = None, base_url: str | None = None,
          progress: Progress | None = None, tools: Tools | None = None,
          skip_if_up_to_date: bool = True, future: bool = False,
          now: dt.datetime | None = None) -> BuildResult:
    """Build the site into `out`. Articles dated after `now` are scheduled: left out until
    a build runs after their time, or shown and marked with `future`."""
    started = time.perf_counter()
    clock = Clock()
    project = Project(root.resolve())
    config = load_config(project.root)
    if base_url:
        config = config.with_base_url(base_url)
    out = output_folder(project.root, out, config.output_dir)
    _check_output(out, project)
    inputs = fingerprint(project.root, base_url, future)  # before reading: a later edit rebuilds
    now = now or dt.datetime.now(config.zone)
    if skip_if_up_to_date and current(out / OUTPUT_MARKER, inputs, now):
        return BuildResult(out=out, articles=0, pages=0, files=0,
                           seconds=time.perf_counter() - started, warnings=(), notes=(),
                           up_to_date=True)

    # Load: every article and the static files, all problems reported at once.
    zone = config.zone
    articles = [in_zone(a, zone) for a in load_articles(project.root, project.content)
                if not a.draft]
    schedule = Schedule.of(articles, now)
    if not future:
        articles = [a for a in articles if a.date <= now]
    static = (static_files(project.static, project.root) if project.static.is_dir()
              else StaticFiles((), ()))
    clock.lap("load")
    if tools is None or tools.config != config:
        tools = load_tools(config)
        clock.lap("tools")

    # Derive: the per-article stage, on every core, for the articles the cache lacks.
    cache = DerivedCache(project.root, code_salt(config.derive_fingerprint()))
    cached = [cache.get(article) for article in articles]
    missing = [a for a, d in zip(articles, cached, strict=True) if d is None]
    progress = progress or Progress()
    progress.start("converting", len(missing))
    fresh = iter(fork_map(partial(_derive_and_store, tools=tools, cache=cache), missing,
                          counter=Counter(), report=progress.update))
    progress.finish()
    derived = [d if d is not None else next(fresh) for d in cached]
    cache.prune()
    del articles, missing, cached, fresh  # the Markdown sources: not needed past this point
    derived.sort(key=lambda d: (d.article.date, d.article.slug), reverse=True)
    clock.lap("derive")

    # Plan every page (a reduce over the derived metadata), render, then publish.
    renderer = Renderer(project.templates.resolve(), project.root,
                        {"asset": lambda path: config.base_path + path})
    plan = plan_site(derived, config, tools.converter, now if future else None)
    clock.lap("plan")
    try:
        staging = Staging(out)
    except OSError as exc:
        raise write_failure(exc, out) from None
    try:
        # Pages are made and rendered on every core, each worker walking the plan and
        # keeping every n-th page; the search index is made beside them.
        shares = workers() if len(derived) > PARALLEL_FROM else 1
        rendered = Counter()
        progress.start("rendering", plan.count() if progress.active else 0)
        results = run_all([partial(_render_share, plan, renderer, staging.dir, k, shares, rendered)
                           for k in range(shares)]
                          + [partial(plain_files, derived, config, tools.converter,
                                     marker=marker_text(inputs,
                                                        None if future else schedule.next_due))],
                          counter=rendered, report=progress.update)
        progress.finish()
        # in the plan's order, whatever the number of workers: the sitemap lists them so
        pages = [listed for _, listed in sorted(item for share in results[:-1] for item in share)]
        for page in pages:
            staging.reserve(page.path)  # refuses a path written twice
        urls = Urls(config.base_url, config.base_path)
        sitemaps = sitemap_pages(pages, config, urls)
        for sitemap in sitemaps:
            staging.write_text(sitemap.path, renderer.render(sitemap.template, sitemap.view()))
        for path, text in results[-1].items():
            staging.write_text(path, text)
        clock.lap("render")
        staging.copy_files(static.files)
        files = staging.count
        staging.publish()
        clock.lap("publish")
    except OSError as exc:
        staging.discard()
        raise write_failure(exc, out) from None
    except BaseException:
        staging.discard()
        raise

    return BuildResult(
        out=out, articles=len(derived), pages=len(pages) + len(sitemaps), files=files,
        seconds=time.perf_counter() - started,
        warnings=tuple(_warnings(project, static, cache)),
        notes=tuple(_conversion_notes(derived)),
        timings=tuple(clock.laps),
        schedule=schedule,
    )


@dataclass(frozen=True)
class SitePlan:
    """Everything the pages are made from: computed once, then walked by every worker."""

    derived: list[Derived]
    taxonomy: Taxonomy
    editions: tuple[tuple[EditionContext, list[ArticleCard]], ...]
    root: Page
    not_found: Page

    def count(self) -> int:
        return sum(1 for _ in self.pages())

    def pages(self) -> Iterator[Page]:
        for ctx, cards in self.editions:
            yield from edition_pages(self.derived, self.taxonomy, ctx, cards)
        yield self.root
        yield self.not_found


def plan_site(derived: list[Derived], config: SiteConfig, converter: Converter,
              shown_from: dt.datetime | None = None) -> SitePlan:
    """`shown_from`: articles dated after it are scheduled ones shown ahead of time,
    marked as such (`build --future`, the preview)."""
    urls = Urls(config.base_url, config.base_path)

    def to_hant(text: str) -> str:
        return converter.convert(text, Script.HANS, Script.HANT).text

    taxonomy = build_taxonomy(
        [TaxonomyInput(d.analysis, d.tags, d.article.topics, d.authors, d.sources,
                       d.article.date.year, d.article.date.month) for d in derived],
        config, to_hant)
    titles: dict[Script, str] = {}
    strings_of: dict[Script, dict[str, str]] = {}
    editions = []
    for edition in EDITIONS:
        def local(text: str, edition: Script = edition) -> str:
            return text if edition is Script.HANS else to_hant(text)

        strings = {key: interface_string(key, edition, config, local) for key in DEFAULTS}
        nav = tuple(TermLink(urls.link(f"{edition.path}/{kind}/"),
                             strings["authors_index" if kind == "authors" else kind])
                    for kind in (*TERM_KINDS, "archive", "search"))
        site = SiteView(local(config.title), local(config.description), strings, edition.path, nav)
        titles[edition], strings_of[edition] = site.title, strings
        ctx = EditionContext(edition, site, config, urls, local, shown_from)
        editions.append((ctx, edition_cards(derived, ctx)))
    return SitePlan(derived, taxonomy, tuple(editions), root_page(config, urls, titles),
                    not_found_page(urls, strings_of))


def interface_string(key: str, edition: Script, config: SiteConfig,
                     local: Callable[[str], str]) -> str:
    """An interface string in the edition's script: as site.toml writes it for that script,
    else Taiwan's own wording where it differs, else converted from Simplified."""
    if edition is Script.HANT:
        if key in config.strings_hant:
            return config.strings_hant[key]
        if key not in config.strings and key in HANT_WORDING:
            return HANT_WORDING[key]
    return local(config.strings.get(key, DEFAULTS[key]))


def _derive_and_store(article: Article, tools: Tools, cache: DerivedCache) -> Derived:
    """The per-article stage, its result stored in the cache by the worker that made it."""
    derived = derive(article, tools)
    cache.put(article, derived)
    return derived


def _render_share(plan: SitePlan, renderer: Renderer, out: Path, share: int,
                  shares: int, rendered: Counter) -> list[tuple[int, Listed]]:
    """Render every `shares`-th page, starting at `share`, into `out`; each with its place
    in the plan."""
    listed = []
    folders: set[Path] = set()
    for number, page in enumerate(plan.pages()):
        if number % shares != share:
            continue
        target = out / safe_relative(page.path)
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_text(renderer.render(page.template, page.view()), encoding="utf-8",
                          newline="\n")
        listed.append((number, Listed(page.path, page.local, page.lastmod)))
        rendered.tick()
    return listed


def plain_files(derived: list[Derived], config: SiteConfig, converter: Converter,
                search_cache: dict | None = None, marker: str = "") -> dict[str, str]:
    """Every output file that is not a rendered page: the search index and the root files."""
    files = {f.path: f.text for f in search_index(derived, converter, search_cache)}
    files[OUTPUT_MARKER] = marker or marker_text("")
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
        summaries=(d.hans.summary, d.hant.summary),
        title_text=" ".join((d.hans.kicker.plain, d.hans.title.plain, d.hans.subtitle.plain)),
        body_text=d.search_text,
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


def _warnings(project: Project, static: StaticFiles, cache: DerivedCache) -> Iterator[Note]:
    yield from _stray_files(project)
    for folder in static.linked_folders:
        yield Note(folder, "ignored: a symlinked folder in static/ is not followed; "
                           "copy its files into static/")
    if cache.problem:
        yield Note(CACHE_FOLDER, f"the derive cache cannot be written ({cache.problem}); "
                                 "built without it")


def _stray_files(project: Project) -> Iterator[Note]:
    for path in content_files(project.content):
        if path.suffix != ARTICLE_SUFFIX:
            yield Note(path.relative_to(project.root),
                       f"ignored: only {ARTICLE_SUFFIX} files in content/ are articles")
    for folder in symlinked_folders(project.content):
        yield Note(folder.relative_to(project.root),
                   "ignored: a symlinked folder is not followed (it could loop); "
                   "move or copy the articles into content/")


def _conversion_notes(derived: list[Derived]) -> Iterator[Note]:
    for d in derived:
        if d.repaired:
            fixed = " ".join(f"{a}→{b}" for a, b in d.repaired)
            yield Note(d.article.path, f"repaired {len(d.repaired)} stray characters: {fixed}")
        if d.ambiguous:
            kept = " ".join(sorted({f"{a}({b})" for a, b in d.ambiguous}))
            yield Note(d.article.path, f"kept as written, valid in {d.script.code}: {kept}")
