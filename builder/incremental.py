"""A warm, incremental build for the preview server.

OpenCC and jieba load once. Each `update()` looks at what changed since the
last one (file stamps) and does only what that change needs:
- an edited, new or deleted article is read and derived again, alone;
- every page is planned again (a cheap reduce), but only pages whose view
  changed are rendered and written: the article's two editions and the index,
  tag, topic, author, archive and feed pages it appears on;
- a template change re-renders the pages whose template uses it;
- a static file is copied alone; `site.toml` starts everything afresh.
Pages that no longer exist (a tag whose last article is gone) are removed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2.meta

from .config import CONFIG_FILE, SiteConfig, load_config
from .content import content_files, duplicate_slugs, in_zone, read_article
from .derive import Derived, Tools, derive
from .errors import BuildError, Problem
from .inputs import static_files
from .output import write_atomic
from .pages import article_context, sitemap_pages
from .render import Renderer
from .site import Project, SitePlan, load_tools, plain_files, plan_site
from .views import Urls, article_path


@dataclass(frozen=True)
class Stamp:
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> Stamp | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(stat.st_mtime_ns, stat.st_size)


def _stamps(folder: Path) -> dict[Path, Stamp]:
    stamps = {}
    if folder.is_dir():
        for path in content_files(folder):
            stamp = Stamp.of(path)
            if stamp is not None:
                stamps[path] = stamp
    return stamps


@dataclass(frozen=True)
class Sources:
    """The stamps of every source file: what an update is made from."""

    config: Stamp | None
    templates: dict[Path, Stamp]
    static: dict[Path, Stamp]
    content: dict[Path, Stamp]


@dataclass
class Update:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    full: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


class Session:
    def __init__(self, root: Path, out: Path, base_url: str | None = None):
        self.project = Project(root.resolve())
        self.out = out.resolve()
        self.base_url = base_url
        self.config: SiteConfig | None = None
        self._tools: Tools | None = None
        self._config_stamp: Stamp | None = None
        self._articles: dict[Path, tuple[Stamp, Derived]] = {}
        self._templates: dict[Path, Stamp] = {}
        self._static: dict[Path, Stamp] = {}
        self._pages: dict[str, tuple[str, Mapping[str, Any]]] = {}
        self._plain: dict[str, str] = {}
        self._search_cache: dict = {}
        self._renderer: Renderer | None = None
        self._plan: SitePlan | None = None
        self._quick_done = False
        self._attempted: Sources | None = None     # the sources the last update tried
        self._updated: Sources | None = None       # the sources of the last good update

    # -- what changed ---------------------------------------------------------------------

    def sources(self) -> Sources:
        return Sources(Stamp.of(self.project.root / CONFIG_FILE), _stamps(self.project.templates),
                       _stamps(self.project.static), _stamps(self.project.content))

    def pending(self) -> bool:
        """Cheap: has any source file changed since the last update was tried? Drafts and
        editors' backup files count as changes once, not for ever; an update that failed
        on bad input is tried again only when something changes."""
        return self.sources() != self._attempted

    def update(self) -> Update:
        """Bring the output up to date. On bad input, raises BuildError and keeps the last
        good output and state, so the next good save recovers."""
        sources = self.sources()
        try:
            result = self._update()
        except BuildError:
            self._attempted = sources
            raise
        self._attempted = self._updated = sources
        return result

    def _update(self) -> Update:
        started = time.perf_counter()
        result = Update()
        config_stamp = Stamp.of(self.project.root / CONFIG_FILE)
        if self.config is None or config_stamp != self._config_stamp:
            config = load_config(self.project.root)
            if self.base_url:
                config = config.with_base_url(self.base_url)
            self._reset()
            if self._tools is None or self._tools.config != config:
                self._tools = load_tools(config)
            self.config, self._config_stamp, result.full = config, config_stamp, True
        assert self.config is not None and self._tools is not None

        articles = self._derive_changed()
        static = (static_files(self.project.static, self.project.root).files   # no secrets
                  if self.project.static.is_dir() else ())
        templates = _stamps(self.project.templates)
        dirty_templates = {p.relative_to(self.project.templates).as_posix()
                           for p in set(templates) ^ set(self._templates)
                           | {p for p in templates if self._templates.get(p) != templates[p]}}
        if dirty_templates or self._renderer is None:
            self._renderer = Renderer(self.project.templates.resolve(), self.project.root,
                                      {"asset": lambda path, c=self.config: c.base_path + path})
        derived = sorted((d for _, d in articles.values()),
                         key=lambda d: (d.article.date, d.article.slug), reverse=True)
        # the preview shows scheduled articles ahead of time, marked as such
        plan = plan_site(derived, self.config, self._tools.converter,
                         dt.datetime.now(self.config.zone))
        pages = list(plan.pages())
        pages += sitemap_pages(pages, self.config, Urls(self.config.base_url, self.config.base_path))
        uses = self._template_uses({p.template for p in pages}) if dirty_templates else {}

        seen: set[str] = set()
        for page in pages:
            seen.add(page.path)
            previous = self._pages.get(page.path)
            stale = bool(uses.get(page.template, set()) & dirty_templates)
            identity = page.identity()
            if previous != (page.template, identity) or stale:
                self._write(page.path, self._renderer.render(page.template, page.view()))
                self._pages[page.path] = (page.template, identity)
                result.written.append(page.path)
        for path in sorted(set(self._pages) - seen):
            self._remove(path)
            del self._pages[path]
            result.removed.append(path)

        plain = plain_files(derived, self.config, self._tools.converter, self._search_cache)
        for path, text in plain.items():
            if self._plain.get(path) != text:
                self._write(path, text)
                result.written.append(path)
        for path in sorted(set(self._plain) - set(plain)):
            self._remove(path)
            result.removed.append(path)
        self._plain = plain
        self._copy_static(static, result)

        self._articles, self._templates = articles, templates
        self._plan, self._quick_done = plan, False
        result.seconds = time.perf_counter() - started
        return result

    def quick_update(self) -> Update | None:
        """The first of two steps for the common save: only existing articles changed.

        Re-derives them and writes just their own pages, with the tags and related
        articles of the last full update, so the edit is served at once; the full
        `update()` that follows brings every listing, feed and the search index up to
        date. Returns None when the change needs the full update straight away."""
        started = time.perf_counter()
        now = self.sources()
        last = self._updated
        if (self._plan is None or self._quick_done or self._renderer is None or last is None
                or (now.config, now.templates, now.static) != (last.config, last.templates,
                                                                last.static)
                or set(now.content) != set(last.content)):
            return None  # settings, templates or static files, or a file added or deleted
        changed = [p for p, stamp in now.content.items() if last.content[p] != stamp]
        if not changed or any(p not in self._articles for p in changed):
            return None  # nothing, or a draft or another file: the full update handles it
        order = {id(d): i for i, d in enumerate(self._plan.derived)}
        result = Update()
        for path in changed:
            old = self._articles[path][1]
            article = in_zone(read_article(path, self.project.root), self.config.zone)
            if (article.draft or article.slug != old.article.slug
                    or article.date != old.article.date or id(old) not in order):
                return None  # it moves in the lists: the full update places it
            assert self._tools is not None
            new = derive(article, self._tools)
            index = order[id(old)]
            terms = self._plan.taxonomy.per_article[index]
            for ctx, cards in self._plan.editions:
                base = f"{ctx.edition.path}/{article_path(new)}"
                for parallel, page in ((False, "index.html"), (True, "parallel/index.html")):
                    context = article_context(ctx, new, terms, cards, index, parallel)
                    template = "parallel.html" if parallel else "article.html"
                    self._write(base + page, self._renderer.render(template, context))
                    result.written.append(base + page)
        self._quick_done = True  # pending() stays true: the full update comes next
        result.seconds = time.perf_counter() - started
        return result

    # -- steps ----------------------------------------------------------------------------

    def _reset(self) -> None:
        """Start afresh: a new site.toml can change every page."""
        shutil.rmtree(self.out, ignore_errors=True)
        self._articles, self._templates, self._static = {}, {}, {}
        self._pages, self._plain, self._search_cache = {}, {}, {}
        self._renderer = None

    def _derive_changed(self) -> dict[Path, tuple[Stamp, Derived]]:
        assert self._tools is not None
        articles: dict[Path, tuple[Stamp, Derived]] = {}
        problems: list[Problem] = []
        for path, stamp in _stamps(self.project.content).items():
            if not path.name.endswith(".md"):
                continue
            known = self._articles.get(path)
            if known and known[0] == stamp:
                articles[path] = known
                continue
            try:
                article = in_zone(read_article(path, self.project.root), self.config.zone)
            except BuildError as error:
                problems += error.problems
                continue
            except OSError:
                continue  # deleted between the listing and the read: gone
            if not article.draft:
                articles[path] = (stamp, derive(article, self._tools))
        problems += duplicate_slugs(d.article for _, d in sorted(articles.values(),
                                                                 key=lambda e: e[1].article.path))
        if problems:
            raise BuildError(problems)
        return articles

    def _template_uses(self, names: set[str]) -> dict[str, set[str]]:
        """Each page template → every template it extends or includes, itself included."""
        assert self._renderer is not None
        env = self._renderer.env

        def closure(name: str, seen: set[str]) -> set[str]:
            if name in seen:
                return seen
            seen.add(name)
            try:
                source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                return seen
            for child in jinja2.meta.find_referenced_templates(env.parse(source)):
                if child:
                    closure(child, seen)
            return seen

        return {name: closure(name, set()) for name in names}

    def _copy_static(self, allowed: Sequence[tuple[Path, str]], result: Update) -> None:
        static = _stamps(self.project.static)
        for path, relative in allowed:
            if self._static.get(path) != static.get(path):
                target = self.out / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                result.written.append(relative)
        for path in set(self._static) - set(static):
            relative = path.relative_to(self.project.static).as_posix()
            self._remove(relative)
            result.removed.append(relative)
        self._static = static

    def _write(self, relative: str, text: str) -> None:
        write_atomic(self.out / relative, text)  # the server never sends half a page

    def _remove(self, relative: str) -> None:
        target = self.out / relative
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != self.out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
