"""One engine for `builder build` and `builder serve`: it brings an output folder up to
date with the sources and does only the work a change needs.

    load     stamp every article file; read and derive only new or changed ones (the
             rest come from the state, without their bodies)
    plan     the taxonomy; the pages in shards (plan.py)
    publish  each shard of pages whose inputs changed walked (the others' pages are
             known from the state), each page with a digest of its inputs, and those
             whose digest differs from the published file's rendered as they are met
             (on every core when many will be); the search index made beside, only
             when an article changed. A first build goes into a staging folder
             swapped in whole; any other renames its changed files into place and
             deletes removed ones; the preview writes in place

The state (`state.py`) records what the output holds and what each shard's walk
found. A build is the engine started from the saved state; the preview keeps one
engine warm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import operator
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from .cache import DerivedCache, code_salt
from .config import CONFIG_FILE, SiteConfig, load_config
from .content import (
    Article,
    article_digest,
    article_paths,
    duplicate_slugs,
    front_matter_line,
    in_zone,
    parse_article,
    read_article,
    read_photos,
    read_source,
    unknown_forms,
    unknown_topics,
    updated_problem,
)
from .derive import Derived, derive
from .errors import BuildError, Problem
from .fingerprint import GENERATION, MARKER, Stamp, marker_fields, marker_text, package_digest
from .inputs import StaticFiles, static_files
from .output import Sent, Writer, Writes, write_atomic, write_failure, writer_for
from .pages import Page, article_pages, source_key
from .parallel import (
    Background,
    Counter,
    Executor,
    Helper,
    Local,
    fork_map,
)
from .photos import BUNDLE_INDEX, REPLACE_HINT, PhotoCache, bundle_files, encode
from .plan import (
    LoadedTools,
    PhotoFile,
    Planned,
    Rows,
    Shard,
    SitePlan,
    Summary,
    WalkedShard,
    carried,
    digest,
    photo_files,
    plan_site,
    root_files,
    search_index,
    search_key,
    shard_keys,
    walk,
)
from .render import Renderer, template_digests
from .search import INDEX_DIR, Index, IndexState
from .slugs import slugify
from .state import Chunked, ReadersChange, State, chunk_blobs, seal, state_path
from .taxonomy import Memo

PARALLEL_ARTICLES = 500  # articles × editions: below this, the pages are walked in one process
# New articles up to this many are derived by the helper (on workers it forks, when
# many): it holds their results and sends them back at once. More, by workers forked here.
HELPED_MOST = 2_000
SEARCH = "\0search"     # the state's record of what the search index was made from
INDEX_STATE = "search-index"    # and what patching it needs
PHOTO_CACHE = Path(".cache") / "photos"   # encoded versions, by photo and settings
MEMO = "taxonomy"       # what the last plan's taxonomy found (taxonomy.Memo)
LOOK = "look"           # what every page of the last build was made from (Settings.look)
RACY_NS = 2_000_000_000  # stamps this recent are not trusted (coarse file system clocks)
CLOCK = Path(".cache") / "clock"    # touched by each build: the file system's own time
T = TypeVar("T")


class Cancelled(Exception):
    """A run given up before it wrote anything (the preview: a newer save came in)."""


class Progress:
    """Told what the build is doing; the command line draws a bar on a terminal."""

    active = False  # when false, totals that cost work to count are not counted

    def start(self, label: str, total: int) -> None:
        """A phase of `total` items begins."""

    def update(self, done: int) -> None:
        """`done` items of the phase are finished."""

    def finish(self) -> None:
        """The phase is over."""


class Clock:
    """Wall time per phase, for `build -v` and the benchmark's profile."""

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
    def of(cls, dates: Sequence[dt.datetime], now: dt.datetime) -> Schedule:
        later = [date for date in dates if date > now]
        return cls(len(later), min(later, default=None))


@dataclass
class Outcome:
    """What one run of the engine did."""

    config: SiteConfig
    articles: list[Derived]             # published ones, newest first, without bodies
    read: list[Derived] = field(default_factory=list)   # those read again: new or changed
    pages: int = 0
    walked: int = 0                     # pages walked (the rest: unchanged shards, recalled)
    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    full: bool = False                  # everything was made afresh
    schedule: Schedule = field(default_factory=lambda: Schedule(0, None))
    cache_problem: str | None = None
    linked_folders: tuple[Path, ...] = ()
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


class Known(NamedTuple):
    """An article file as last loaded: None for a draft. A tuple: one is made for every
    file at every build."""

    stamp: Stamp
    entry: Derived | None


@dataclass(frozen=True)
class Settings:
    """What every output file is made from besides its own inputs."""

    config: SiteConfig
    derive_salt: str        # derive's settings and the code: the cached articles' validity
    salt: bytes             # the whole configuration and the code
    templates: Callable[[str], bytes]   # a page template → the digest of all it uses
    renderer: Renderer                  # the Jinja environment over those templates
    look: bytes     # the salt and every template: when it changes, most pages change


class Engine:
    """An output folder kept up to date with a site's sources. `in_place`: write the
    changed files straight into the output (the preview); else through a staging folder,
    so a failed build leaves the published site as it was."""

    def __init__(self, root: Path, out: Path, base_url: str | None = None,
                 future: bool = False, in_place: bool = False, executor: Executor | None = None):
        self.root = root.resolve()
        self.executor = executor or Local()     # where articles are derived and shards walked
        self.out = out.resolve()
        self.base_url = base_url
        self.future = future
        self.in_place = in_place
        self.tools: LoadedTools | None = None   # warm between runs (the preview)
        self.state = State(state_path(self.root, self.out))
        # warm between runs (the preview); a build starts from the saved state
        self._known: dict[str, Known] | None = None
        self._outputs: dict[str, bytes] | None = None   # see `_recorded`
        self._shards: dict[bytes, Kept] | None = None
        self._settings: Settings | None = None
        self._generation: str | None = None     # of the output, when its state is trusted
        self._last: tuple[SitePlan, Renderer] | None = None  # the preview's last plan
        self._memo: Memo | None = None
        self._memo_saved: Chunked | None = None     # the memo as the state holds it
        self._frozen: int | None = None     # see _release_frozen

    # -- the recipe ---------------------------------------------------------------------------

    def run(self, now: dt.datetime | None = None, progress: Progress | None = None,
            clean: bool = False, fingerprint: str = "",
            cancelled: Callable[[], bool] = lambda: False,
            scanned: Iterable[tuple[str, Stamp | None]] | None = None) -> Outcome:
        """Bring the output up to date; `clean` ignores what is recorded. On bad input,
        a BuildError, and the output and the state stay as they were. `cancelled` is
        asked between the steps, and between shards of pages when they are walked in this
        process; when it says so, the run raises Cancelled. Given up before it writes, a
        run leaves the output, the state and this engine as they were; the preview's,
        which writes pages in place as it walks, forgets what it recorded of them.
        `scanned`: the article files and their stamps, as the caller listed them just
        before (a build, which stamps every input file to know whether to run, and the
        preview), so they are not listed twice; a file changed since is read again next
        time."""
        clock, progress = Clock(), progress or Progress()

        def checkpoint() -> None:
            if cancelled():
                raise Cancelled

        config = self._load_config()
        cache = DerivedCache(self.root, code_salt(config.derive_settings.fingerprint()))
        helper = self._helper(config, cache)
        try:
            settings = self._load_settings(config, cache.salt)
            now = now or dt.datetime.now(config.zone)
            self._frozen = _release_frozen(self._frozen)
            with _kept():
                known, outputs, shards = self._recorded(settings, clean)
            clock.lap("state")
            checkpoint()
            return self._run(settings, known, outputs, shards, now, progress, fingerprint,
                             clock, checkpoint, cache, helper, scanned)
        finally:
            if helper is not None:
                helper.close()

    def _run(self, settings: Settings, known: dict[str, Known], outputs: dict[str, bytes],
             shards: dict[bytes, Kept], now: dt.datetime, progress: Progress,
             fingerprint: str, clock: Clock, checkpoint: Callable[[], None], cache: DerivedCache,
             helper: Helper | None, scanned: Iterable[tuple[str, Stamp | None]] | None
             ) -> Outcome:
        loaded = self._load_articles(settings, known, cache, progress, helper, scanned)
        # the files new or changed since the state's record (one pass over every file), and
        # those of them whose entries changed: a file touched, not changed (a fresh
        # checkout, a file just written) keeps its entry, and moves no page
        moved = {p: k for p, k in loaded.items() if known.get(p) is not k}
        gone = known.keys() - loaded.keys()
        fresh = {p: k.entry for p, k in moved.items()
                 if (was := known.get(p)) is None or was.entry is not k.entry}
        if helper is not None:
            helper.close()  # its memory back before the plan
        gc.freeze()     # the articles, as the plan holds them
        published, schedule = self._published(loaded, now)
        static = self._static(settings.config)
        clock.lap("load")
        checkpoint()

        tools = self._tools(settings.config)
        if self.in_place:   # the preview: its next save is derived here, without the wait
            tools.ready()
        whole = _Bodies(cache, self.root, tools, settings.config)
        search = search_key(settings.salt, published)
        spool: Path | None = None
        index: Background | None = None
        photo_cache = PhotoCache(self.root / PHOTO_CACHE, settings.config.photos)
        try:
            # The search index, when an article changed, is made beside the plan and pages.
            if outputs.get(SEARCH) != search:
                spool = self._spool()
                index = Background(partial(_spooled, partial(
                    search_index, published, tools.converter,
                    partial(_search_terms, cache=cache, whole=whole),
                    self._index_state(settings, outputs),
                    lambda key: cache.search_terms(*key), partial(self._published_text, outputs)),
                    spool))
            # the state's record of the files that hold each word is of the files it
            # recorded, the last build's: trusted while the state is that build's
            readers = _Readers(self.state if known and self.state.generation() == self._generation
                               else None, fresh)
            with _kept():   # the memo and the plan live on until the run ends
                memo = self._taxonomy_memo(settings, outputs)
                plan = plan_site(published, settings.config, tools.converter,
                                 now if self.future else None, whole, memo,
                                 lambda path: k.entry if (k := known.get(path)) is not None
                                 else None,
                                 # the preview's tools are loaded here, pypinyin with them
                                 None if self.in_place else _spell_elsewhere, readers)
            if self.in_place:   # the preview's next save starts from this plan
                self._last = (plan, settings.renderer)
            clock.lap("plan")
            checkpoint()
            photos = photo_files(published, settings.config.photos)
            files = _file_digests(static, photos, photo_cache.key)
            self._encode(photos, files, outputs, photo_cache, progress)
            checkpoint()    # next, it writes (in place, the preview's pages as it walks)
            outcome = Outcome(settings.config, published,
                              read=[d for d in fresh.values() if d is not None], schedule=schedule,
                              cache_problem=cache.problem, linked_folders=static.linked_folders,
                              timings=clock.laps)
            due = None if self.future else schedule.next_due
            look, last_look = digest(settings.look, plan.frame), self._saved(LOOK, settings, bytes)
            jobs, changed = self._jobs(
                outcome.read, len(fresh) + len(gone),
                len(loaded), not outputs or look != last_look, plan)
            targets, made, planned = self._publish(
                settings, plan, files, static, photos, photo_cache, index, search, outputs,
                shards, lambda generation: root_files(settings.config, marker_text(
                    fingerprint, due, generation)), jobs, progress, outcome, checkpoint,
                changed)
            clock.lap("publish")
            # articles read again (touched, or just written) are recorded even when no
            # output changed, so the next build need not read them once more
            if (made is not None or outcome.changed or moved or gone
                    or any(s.fresh and s.key is not None for s in planned.shards)):
                blobs, memo_saved = self._blobs(settings, plan.taxonomy.memo, memo, made,
                                                look if look != last_look else None)
                recorded = self._record(settings, loaded, known, moved, gone, targets.digests,
                                        outputs, targets.generation, outcome.full, blobs,
                                        planned.shards, shards, set(plan.identities),
                                        readers.lost)
                self._memo = plan.taxonomy.memo
                self._memo_saved = memo_saved if recorded else None
                clock.lap("record")
        finally:
            if index is not None:
                index.cancel()
            if spool is not None:
                shutil.rmtree(spool, ignore_errors=True)
            photo_cache.close()
        self._tidy(cache, known, loaded)
        photo_cache.prune(u.photo for k in loaded.values() if k.entry is not None
                          for u in k.entry.photos)
        return outcome

    def _tidy(self, cache: DerivedCache, known: dict[str, Known],
              loaded: dict[str, Known]) -> None:
        """The derive cache without the entries no build will read again. After a build
        that started from the state, those are the entries of the articles it recorded
        that changed or went, removed by name: listing 100,000 entries to find them took
        0.1 s of an edit, and 1.3 s when the file system had let the folder's listing go.
        Otherwise (a first or clean build, new settings or code, and the preview, whose
        saves leave entries of versions no run read) every entry the run did not use."""
        if known and not self.in_place:
            cache.drop((path, was.entry.article.digest) for path, was in known.items()
                       if was.entry is not None and (
                           (new := loaded.get(path)) is None or new.entry is None
                           or new.entry.article.digest != was.entry.article.digest))
            return
        for k in loaded.values():
            if k.entry is not None:
                cache.keep(k.entry.article)
        cache.prune()

    def _published(self, loaded: dict[str, Known], now: dt.datetime
                   ) -> tuple[list[Derived], Schedule]:
        """The articles to publish, newest first, and when the next one not yet due is;
        with `future`, every article."""
        published = sorted((k.entry for k in loaded.values() if k.entry is not None),
                           key=operator.attrgetter("article.date", "article.slug"), reverse=True)
        schedule = Schedule.of([d.article.date for d in published], now)
        if not self.future:
            published = [d for d in published if d.article.date <= now]
        return published, schedule

    def _static(self, config: SiteConfig) -> StaticFiles:
        """The files of static/, which must hold the logo site.toml names."""
        static = (static_files(self.root / "static", self.root)
                  if (self.root / "static").is_dir() else StaticFiles((), ()))
        if config.logo and config.logo not in {relative for _, relative in static.files}:
            raise BuildError.single(f"`logo` names static/{config.logo}, which is not there",
                                    Path(CONFIG_FILE),
                                    hint="add the image to static/, or fix the path")
        return static

    def _jobs(self, read: Sequence[Derived], moved: int, files: int, anew: bool,
              plan: SitePlan) -> tuple[int, list[int]]:
        """How many processes walk the pages, and the places of the articles `read`
        (whose listings the preview walks first); `moved`: the files read or gone, of
        `files`; `anew`: every page is rendered (a first build, new templates)."""
        # Walking is cheap beside rendering, but forking a large process and sending
        # every digest back is not: the pages are walked on every core only when many
        # of them will be rendered (measured at 10,000 articles: 1.1 s on two cores
        # against 1.25 s in one; at 100,000, 21.6 s against 17.0 s).
        many = anew or moved > max(50, files // 50)
        jobs = (self.executor.workers
                if many and len(plan.derived) * len(plan.editions) >= PARALLEL_ARTICLES else 1)
        changed = {id(entry) for entry in read}
        return jobs, [i for i, d in enumerate(plan.derived) if id(d) in changed]

    def _blobs(self, settings: Settings, memo: Memo, before: Memo | None,
               made: SpooledIndex | None, look: bytes | None
               ) -> tuple[dict[str, object], Chunked | None]:
        """The values the state keeps whole that changed: the search index's state, the
        taxonomy's memo (in chunks: the chunks as the store will hold them come back too),
        and `look` when it is new."""
        blobs: dict[str, object] = {}
        if made is not None:
            blobs[INDEX_STATE] = (settings.derive_salt, made.state)
        memo_saved = self._memo_saved
        if memo != before:
            head, maps = _memo_parts(memo)
            memo_blobs, memo_saved = chunk_blobs(
                MEMO, (settings.derive_salt, head), maps, self._memo_saved)
            blobs.update(memo_blobs)
        if look is not None:
            blobs[LOOK] = (settings.derive_salt, look)
        return blobs, memo_saved

    def first(self, paths: Sequence[str]) -> list[str]:
        """The preview's first answer to saved articles: their own pages, made with the
        tags, related articles and listings of the last update, written at once, so the
        edit is served while `run` brings every listing, feed and the index up to date.
        Articles that are new, moved in the lists (a new date or slug) or broken are left
        to `run`. The paths written."""
        if self._last is None or self._settings is None:
            return []
        plan, renderer = self._last
        settings, written = self._settings, []
        cache = DerivedCache(self.root, settings.derive_salt)
        place = {d.article.path: i for i, d in enumerate(plan.derived)}
        for path in paths:
            index = place.get(path)
            if index is None:
                continue
            try:
                article = in_zone(read_article(self.root / path, self.root,
                                                    settings.config.photos), settings.config.zone)
            except (BuildError, OSError):
                continue     # `run` reports it
            old = plan.derived[index]
            if article.draft or (article.slug, article.date) != (old.article.slug, old.article.date):
                continue
            new = derive(article, self._tools(settings.config)())
            cache.put(article, new)     # `run` finds it there
            if new.photos != old.photos:
                continue    # photos to encode first: `run` publishes them with the page
            if not written:
                self.state.forget()     # the output is ahead of the state until `run`
            terms = plan.taxonomy.per_article[index]
            for ctx, cards in plan.editions:
                for page in article_pages(replace(ctx, whole=lambda d, new=new: new), new,
                                          terms, cards, index):
                    write_atomic(self.out / page.path, renderer.render(page.template, page.view()))
                    written.append(page.path)
        return written

    def _publish(self, settings: Settings, plan: SitePlan, files: dict[str, bytes],
                 static: StaticFiles, photos: dict[str, PhotoFile], photo_cache: PhotoCache,
                 index: Background | None, search: bytes, outputs: dict[str, bytes],
                 shards: dict[bytes, Kept], root: Callable[[str], dict[str, str]],
                 jobs: int, progress: Progress, outcome: Outcome,
                 checkpoint: Callable[[], None] = lambda: None,
                 changed: Sequence[int] = ()) -> tuple[_Targets, SpooledIndex | None, Planned]:
        """Walk the plan and write what changed: a first build into a new folder swapped
        in whole, else the changed files renamed into place. Every worker walks its
        shards of the plan and renders the pages whose digests changed as it meets them,
        so no process holds every page. `files`: the static files' and photos' digests;
        `root(generation)`: the root files; `jobs`: the processes that walk. Walked in
        this process, a run may still be given up between shards (`checkpoint`): the
        preview, which writes in place, then forgets what it recorded of the files it
        wrote. `changed`: the places of the articles that changed, whose listings are
        walked first. What the output now holds, and the search index if it was made
        again."""
        before = self._before(settings, plan, outputs, shards, jobs)
        full = outcome.full = before is None
        if full and self.in_place:
            shutil.rmtree(self.out, ignore_errors=True)     # nothing in it is known
        before = before or _Before({}, None, {})
        out = _Publication(self.out, writer_for(self.out, in_place=self.in_place, full=full),
                           before.current, full)
        try:
            # the files pages use first: the preview serves each page as soon as it is written
            out.copy_files(files, static, photos, photo_cache)
            planned = self._walk(settings, plan, out, index, jobs, progress, checkpoint,
                                 changed, {} if full else shards, before.keys)
            out.render_sitemaps(planned, settings.renderer, walked_elsewhere=jobs > 1)
            outcome.pages, outcome.walked = planned.pages, planned.walked
            targets = _targets(planned, files, static, search, outputs, root)
            outcome.files = len(targets.digests) + sum(
                s.summary.pages for s in planned.shards if s.key is not None)
            if jobs == 1:
                checkpoint()
            made = self._index_made(index, jobs, checkpoint)
            out.take_index(made, index, targets, outputs)
            for path, text in targets.extra.items():
                out.write(path, text, targets.digests[path])
            # what the output held that no page or file of this run is: the pages of the
            # shards kept are this run's too (read back with the others where the walk
            # keyed as it went, as the preview's does: the set the walk's own check of
            # new paths made; a build that keyed first read back none of them)
            held = planned.kept() if before.keys is None else frozenset()
            removed = sorted(p for p in before.current if p not in targets.digests
                             and p not in planned.digests and p not in held and p != SEARCH)
            if targets.generation != self._generation and (out.written or removed):
                self.state.forget()     # until the output matches it again
            out.writer.commit(out.written, removed)
        except BaseException as exc:
            out.writer.discard()
            if self.in_place:
                self._forget_written(out, jobs, before.gone)
            if isinstance(exc, OSError):
                raise write_failure(exc, self.out) from None
            raise
        outcome.written, outcome.removed = out.written, removed
        return targets, made, planned

    def _before(self, settings: Settings, plan: SitePlan, outputs: dict[str, bytes],
                shards: dict[bytes, Kept], jobs: int) -> _Before | None:
        """What the output holds before the walk, as far as the walk needs to know: None
        when nothing is known (a full build). A build walking in this process keys every
        shard first: the shards whose keys are as recorded are not walked again, nor
        looked at, and only the pages of those whose keys are gone are read back (an edit
        at 100,000 articles reads a few dozen shards' rows, not 524,000 pages'). The
        preview keys each shard as it meets it, the pages that list a saved article
        first (the related articles of every article, which keying the articles' shards
        needs, come after them: 0.33 s of every save at 10,000 articles when they came
        first): it reads back every shard's pages, from memory after its first run. On
        every core, where nothing is recalled, so does a build. Rows needed and
        unreadable: nothing is known (their files could not be removed when they go)."""
        if not outputs:
            return None
        keys = shard_keys(plan, settings.look) if jobs == 1 and not self.in_place else None
        current, gone = dict(outputs), {}
        for key in list(shards.keys() - set(keys.values()) if keys is not None else shards):
            rows = self._rows(shards, key)
            if rows is None:
                return None
            current.update(zip(rows.paths, rows.digests, strict=True))
            gone[key] = rows
        return _Before(current, keys, gone)

    def _rows(self, shards: dict[bytes, Kept], key: bytes) -> Rows | None:
        """The recorded rows of a shard the output holds, if they can be read; kept in
        `shards` once read (the preview's, from run to run)."""
        kept = shards.get(key)
        if kept is not None and kept.rows is not None:
            return kept.rows
        found = self.state.shard(key)
        rows = found if isinstance(found, Rows) else None
        if kept is not None and rows is not None:
            shards[key] = kept._replace(rows=rows)
        return rows

    def _walk(self, settings: Settings, plan: SitePlan, out: _Publication,
              index: Background | None, jobs: int, progress: Progress,
              checkpoint: Callable[[], None], changed: Sequence[int],
              shards: dict[bytes, Kept], keys: dict[Shard, bytes | None] | None
              ) -> Planned:
        """Every shard of the plan walked (those whose keys are as recorded, recalled
        instead, in this process), its changed pages rendered as met. `shards`: the
        shards the output holds as recorded, by key; `keys`: every shard's, if made."""
        renderer, current = settings.renderer, out.current
        emit = partial(_render_changed, current=current, renderer=renderer,
                       writer=out.writer, written=out.written)  # in this process only
        counter = Counter()

        def mapper(func: Callable[..., WalkedShard], shards: list[Shard]
                   ) -> list[WalkedShard]:
            if jobs > 1:    # made here once, not in every worker
                plan.taxonomy.found.get()
            if jobs > 1 and self.executor.shares_disk:  # the workers write as they go
                return self.executor.map(func, shards, 1, counter, progress.update)
            if jobs > 1:
                with Writes() as writes:
                    return self.executor.map(
                        partial(_walk_elsewhere, func, current, renderer),
                        ((s, plan.shard_bodies(s)) for s in shards), 1, counter,
                        progress.update, each=partial(_write_rendered, out.writer, writes))
            # A save's own pages are served already (`first`): the pages that list it
            # next, then the other listings, then the articles' own pages.
            listing = plan.listing(changed)
            done: list[WalkedShard | None] = [None] * len(shards)
            for place in sorted(range(len(shards)), key=lambda i: (
                    shards[i].part == "articles", shards[i] not in listing)):
                checkpoint()
                done[place] = func(shards[place])
                counter.tick()
                progress.update(counter.value)
                # in place (the preview), the search index is served as soon as it is
                # made, not after every page is walked
                if (self.in_place and not out.full and index is not None and not out.placed
                        and index.ready(0)):
                    out.place_index(index.result())
            return done  # type: ignore[return-value]

        def recall(key: bytes) -> Summary | None:
            """What is recorded of a shard, if the output holds its pages as then."""
            kept = shards.get(key)
            return kept.summary if kept is not None else None

        def recall_part(identity: bytes, key: bytes) -> Rows | None:
            """An article's rows as recorded under `key`, if the output holds them."""
            return out.held(self.state.part(identity, key))

        progress.start("rendering", len(plan.shards()))
        with _kept():   # the walk's digests live on; its workers make no cycles
            planned = walk(plan, settings.config, settings.salt, settings.templates,
                           mapper, emit, settings.look,
                           # the store is not shared with forked workers
                           *((recall, recall_part) if jobs == 1 else ()), keys=keys,
                           recall_rows=partial(self._rows, shards),
                           # keyed first, the shards kept are not read back: every other
                           # page and file of the output is known
                           known=out.current if keys is not None else ())
        progress.finish()
        if jobs == 1:   # a preview's save that comes in now need not wait for the rest
            checkpoint()
        return planned

    @staticmethod
    def _index_made(index: Background | None, jobs: int,
                    checkpoint: Callable[[], None]) -> SpooledIndex | None:
        """The search index, once its worker is done, if it was made again."""
        if index is None:
            return None
        if jobs == 1:
            while not index.ready(0.1):     # the preview: a newer save need not wait
                checkpoint()
        return index.result()

    def _forget_written(self, out: _Publication, jobs: int, gone: dict[bytes, Rows]) -> None:
        """A run given up or failed in place (the preview): what is recorded of the files
        it wrote is stale. `gone`: the rows of the shards the run read back (those it
        may have written pages of)."""
        self.state.forget()
        if jobs == 1 and self._outputs is not None and self._shards is not None:
            # and known: only those. A shard some of whose pages it wrote is no longer
            # held as recorded: its pages are known one by one, those written as unknown
            # (made again, or removed, by the next run)
            written = set(out.written)
            for key, rows in gone.items():
                if key in self._shards and not written.isdisjoint(rows.paths):
                    del self._shards[key]
                    self._outputs.update(zip(rows.paths, rows.digests, strict=True))
            self._outputs.update(dict.fromkeys(out.written, b""))
            if out.placed:  # an index newer than what it is recorded as made from
                self._outputs.pop(SEARCH, None)
            self._generation = None
        else:
            self._known = self._outputs = self._shards = self._generation = None

    def _encode(self, photos: dict[str, PhotoFile], files: dict[str, bytes],
                outputs: dict[str, bytes], cache: PhotoCache, progress: Progress) -> None:
        """Every photo the output lacks, encoded into the cache unless it is there, on
        every core; a BuildError naming each photo that cannot be."""
        wanted = {f.photo.digest: f for path, f in photos.items()
                  if outputs.get(path) != files[path]}
        missing = [f for f in wanted.values() if not cache.valid(f.photo)]
        if not missing:
            return
        progress.start("encoding photos", len(missing))
        failures = fork_map(partial(_encode_photo, root=self.root, cache=cache), missing,
                            min_per_worker=1, counter=Counter(), report=progress.update)
        progress.finish()
        problems = [Problem(f"photo {f.photo.name!r}: {failure}", f.article,
                            f.line or front_matter_line(self.root / f.article, "image"),
                            hint=REPLACE_HINT)
                    for f, failure in zip(missing, failures, strict=True) if failure]
        if problems:
            raise BuildError(problems)

    def _spool(self) -> Path:
        """A folder beside the output for the search index's files, made by the worker
        that makes the index: the files reach their place by a rename, and their text never
        passes through this process (some 130 MB at 10,000 articles). Named as a staging
        folder, so one a killed build leaves is removed by the next (`Staging`)."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{self.out.name}.staging-{os.getpid()}-search-",
                                     dir=self.out.parent))

    def _taxonomy_memo(self, settings: Settings, outputs: dict[str, bytes]) -> Memo | None:
        """What the last plan's taxonomy found, if the state is trusted (a clean build
        finds it all again)."""
        if not outputs:
            return None
        if self._memo is not None:
            return self._memo
        saved = self.state.chunked(MEMO)
        if saved is None:
            return None
        head, self._memo_saved = saved     # what the next save is told apart from
        memo = _salted(head, settings, Memo)
        return _memo_whole(memo, self._memo_saved.maps) if memo is not None else None

    def _index_state(self, settings: Settings, outputs: dict[str, bytes]) -> IndexState | None:
        """What the published search index was made from, if it can be patched."""
        if SEARCH not in outputs:
            return None
        return self._saved(INDEX_STATE, settings, IndexState)

    def _saved(self, key: str, settings: Settings, kind: type[T]) -> T | None:
        return _salted(self.state.blob(key), settings, kind)

    def _published_text(self, outputs: dict[str, bytes], relative: str) -> str | None:
        """A published file as the state recorded it, or None (changed behind our back)."""
        try:
            text = (self.out / relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text if digest(b"", relative, text) == outputs.get(relative) else None

    # -- steps --------------------------------------------------------------------------------

    def _load_config(self) -> SiteConfig:
        config = load_config(self.root)
        return config.with_base_url(self.base_url) if self.base_url else config

    def _load_settings(self, config: SiteConfig, derive_salt: str) -> Settings:
        """`derive_salt`: the derive cache's, which the state's validity shares."""
        salt = hashlib.blake2b(repr((config, self.future, self.in_place)).encode()
                               + package_digest().encode(), digest_size=32).digest()
        templates, every_template = template_digests(self.root / "templates", self.root)
        look = digest(salt, "look", every_template)
        # the preview's next save keeps the templates Jinja compiled (0.1 s a save), unless
        # a template or the settings changed
        renderer = (self._settings.renderer if self._settings is not None
                    and self._settings.look == look else Renderer(
                        self.root / "templates", self.root,
                        {"asset": partial(operator.add, config.base_path)}))
        return Settings(config, derive_salt, salt, templates, renderer, look)

    def _tools(self, config: SiteConfig) -> LoadedTools:
        if self.tools is None or self.tools.settings != config.derive_settings:
            self.tools = LoadedTools(config.derive_settings)
        return self.tools

    def _helper(self, config: SiteConfig, cache: DerivedCache) -> Helper | None:
        """A build's new articles are derived by a worker forked before the state and the
        article files are read, which loads the tools meanwhile (at 10,000 articles both
        take 0.6 s; at 1,000, reading the files 0.3 s): an edit is derived there, and a
        build from nothing on workers it forks, each starting with the tools loaded once
        (rather than each loading them after this process has read every file). Not for
        the preview, whose tools stay loaded between saves, nor for a cluster's build."""
        if self.in_place or not self.executor.shares_disk:
            return None
        tools = self._tools(config)
        _ = tools.converter     # this process plans with it: loaded first, the worker starts from it
        return Helper(partial(_ready_deriver, tools, cache), now=self.executor.workers > 1)

    def _recorded(self, settings: Settings, clean: bool
                  ) -> tuple[dict[str, Known], dict[str, bytes], dict[bytes, Kept]]:
        """The article files as last loaded, and what the output holds: the digests of
        its files but the pages of shards with keys, and those shards by key; from memory
        (warm) or the saved state. Nothing when the state is missing, damaged, made with
        other settings or for another output."""
        if clean:
            self._known = self._outputs = self._shards = self._generation = self._memo = None
        if (self._known is not None and self._outputs is not None and self._shards is not None
                and self._settings is not None):
            if self._settings.derive_salt != settings.derive_salt:
                self._known, self._memo = {}, None
            self._settings = settings
            return self._known, self._outputs, self._shards
        self._settings = settings
        generation = marker_fields(self.out / MARKER).get(GENERATION)
        if clean or generation is None or generation != self.state.generation():
            return {}, {}, {}
        self._generation = generation
        outputs = self.state.outputs()
        summaries = self.state.shard_summaries()
        shards = {key: Kept(summary, None) for key, summary in (summaries or {}).items()
                  if isinstance(summary, Summary)}
        if summaries is None or len(shards) != len(summaries):
            return {}, {}, {}   # a shard left out would never have its pages removed
        if self.state.settings() != settings.derive_salt:
            return {}, outputs, shards
        known = {path: Known(stamp, value) for path, stamp, value in self.state.sources()
                 if value is None or isinstance(value, Derived)}
        return known, outputs, shards

    def _load_articles(self, settings: Settings, known: dict[str, Known], cache: DerivedCache,
                       progress: Progress, helper: Helper | None,
                       scanned: Iterable[tuple[str, Stamp | None]] | None = None
                       ) -> dict[str, Known]:
        """Every article file, read and derived again only when its stamp changed;
        `scanned`: see `run`."""
        loaded, fresh = self._read_changed(settings, known, scanned)
        # light at once: thousands of whole articles (just-written files read again) would
        # otherwise sit in memory together
        cached = [d.light() if (d := cache.get(article)) is not None else None
                  for _, article in fresh]
        made = iter(self._derive_missing(
            settings, [article for (_, article), d in zip(fresh, cached, strict=True)
                       if d is None], cache, progress, helper))
        for (stamp, article), d in zip(fresh, cached, strict=True):
            light = d if d is not None else next(made)
            loaded[article.path] = Known(stamp, light)
        return loaded

    def _read_changed(self, settings: Settings, known: dict[str, Known],
                      scanned: Iterable[tuple[str, Stamp | None]] | None
                      ) -> tuple[dict[str, Known], list[tuple[Stamp, Article]]]:
        """The files whose stamps are as recorded, with their entries (drafts: None), and
        the others read and parsed; every problem of every file at once."""
        loaded: dict[str, Known] = {}
        fresh: list[tuple[Stamp, Article]] = []
        problems: list[Problem] = []
        zone = settings.config.zone
        # A file changed within the file system's clock tick of this build could change
        # again in the same tick, size and all: its stamp is not trusted next time.
        racy_from = racy_since(self.root)
        listed = scanned if scanned is not None else (
            (relative, None) for relative in article_paths(self.root / "content"))
        for relative, stamp in listed:
            # the stamp before reading: an edit while reading is read next time (a bundle's
            # is of all its files)
            if stamp is None or os.path.basename(relative) == BUNDLE_INDEX:
                stamp = article_stamp(os.path.join(self.root, relative))
            if stamp is None:
                continue            # gone since the listing
            previous = known.get(relative)
            if previous is not None and previous.stamp == stamp:
                loaded[relative] = previous
                continue
            if stamp.mtime_ns >= racy_from:
                stamp = Stamp(-1, stamp.size, stamp.inode)  # matches no file: read again
            path = self.root / relative
            try:
                text = read_source(path, self.root)
                photos = read_photos(path, self.root, settings.config.photos)
                if (previous is not None and previous.entry is not None
                        and previous.entry.article.digest == article_digest(text, photos)):
                    # touched, not changed (a fresh checkout in CI, a file just written):
                    # the recorded entry stands, under the file's new stamp
                    loaded[relative] = Known(stamp, previous.entry)
                    continue
                article = in_zone(parse_article(text, Path(relative), photos), zone)
            except BuildError as error:
                problems += error.problems
                continue
            if (problem := updated_problem(article, self.root)) is not None:
                problems.append(problem)
                continue
            if article.draft:
                loaded[relative] = Known(stamp, None)
            else:
                fresh.append((stamp, article))
        everyone = ([k.entry.article for k in loaded.values() if k.entry is not None]
                    + [article for _, article in fresh])
        problems += duplicate_slugs(everyone)
        problems += unknown_topics(everyone, settings.config, self.root)
        problems += unknown_forms(everyone, settings.config, self.root)
        if problems:
            raise BuildError(sorted(problems, key=lambda p: str(p.path)))
        return loaded, fresh

    def _derive_missing(self, settings: Settings, missing: list[Article], cache: DerivedCache,
                        progress: Progress, helper: Helper | None) -> list[Derived]:
        """The articles the cache lacks, derived on every core (by the helper and the
        workers it forks, unless too many) and stored in it; the light ones, in order."""
        progress.start("converting", len(missing))
        if helper is not None and len(missing) <= HELPED_MOST:
            made = helper.map(missing, self.executor.workers, progress.update)
        else:
            tools = self._tools(settings.config)
            here = self.executor.shares_disk    # else the whole results come here to be cached
            with Writes() as writes:
                made = self.executor.map(
                    partial(_derive_light, tools=tools, cache=cache) if here
                    else partial(_derive, tools=tools),
                    missing, counter=Counter(), report=progress.update,
                    each=None if here else partial(_cached, cache, writes))
        progress.finish()
        return made

    def _record(self, settings: Settings, loaded: dict[str, Known], known: dict[str, Known],
                moved: dict[str, Known], gone: set[str], digests: dict[str, bytes],
                outputs: dict[str, bytes], generation: str, full: bool,
                blobs: dict[str, object], shards: Sequence[WalkedShard],
                before: dict[bytes, Kept], identities: set[bytes], readers_lost: bool
                ) -> bool:
        """Remember what the output now holds: in memory, and in the state for the next
        build (False: not in the state). A state that cannot be written only costs the
        next build its head start. `moved` and `gone`: how `loaded`, the article files
        now, differ from `known`, those recorded; `before`: the shards the output held;
        `readers_lost`: the state's record of the files that hold each word could not be
        read (it is made anew)."""
        self._known, self._outputs, self._generation = loaded, digests, generation
        self._shards = {s.key: Kept(s.summary, s.rows if s.rows is not None else
                                    before[s.key].rows if s.key in before else None)
                        for s in shards if s.key is not None}
        replace_all = full or not known
        # streamed into the store: all of them sealed at once would be 300 MB at 100,000
        sources = ((p, k.stamp, k.entry) for p, k in (loaded if replace_all else moved).items())
        changed = ((p, d) for p, d in digests.items() if replace_all or outputs.get(p) != d)
        walked = ((s.key, seal(s.rows), seal(s.summary)) for s in shards
                  if s.fresh and s.key is not None)
        parts = ((p.identity, p.key, seal(p.rows)) for s in shards for p in s.parts if p.fresh)
        whole = replace_all or readers_lost
        return self.state.save(generation, settings.derive_salt, sources, gone, changed,
                               outputs.keys() - digests.keys(),
                               replace_all, blobs, walked,
                               {s.key for s in shards if s.key is not None}, parts, identities,
                               _readers_change(loaded if whole else moved, known,
                                               () if whole else gone, whole))


def racy_since(root: Path) -> int:
    """The time from which an article file's stamp is not trusted: the file system's
    own "now", the time it gives a file the build touches before stamping any (as git
    compares with its index file's time). A file whose time is not before it may have
    changed in the same clock tick as the build read it. Where that file cannot be
    touched, or is on another file system than the articles (another clock tick), the
    last two seconds, which also read again every file written just before a build."""
    clock = root / CLOCK
    try:
        clock.parent.mkdir(parents=True, exist_ok=True)
        clock.touch()
        touched = clock.stat()
        if touched.st_dev == (root / "content").stat().st_dev:
            return touched.st_mtime_ns
    except OSError:
        pass
    return time.time_ns() - RACY_NS


def article_stamp(path: str) -> Stamp | None:
    """The article file's stamp; for a page bundle's index.md, of the bundle's files
    together, so a photo added, replaced or removed reads the article again."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if os.path.basename(path) != BUNDLE_INDEX:
        return Stamp(stat.st_mtime_ns, stat.st_size, stat.st_ino)
    folder = os.path.dirname(path)
    latest, files = stat.st_mtime_ns, [(stat.st_size, stat.st_ino)]
    for name in bundle_files(Path(folder)):
        try:
            other = os.stat(os.path.join(folder, name))
        except OSError:
            continue
        latest = max(latest, other.st_mtime_ns)
        files.append((name, other.st_size, other.st_ino, other.st_mtime_ns))
    together = int.from_bytes(hashlib.blake2b(repr(files).encode(), digest_size=7).digest())
    return Stamp(latest, together, stat.st_ino)


def _spell_elsewhere(texts: list[str]) -> list[str]:
    """Slugs spelled in a worker of their own: pypinyin (58 MB) is loaded there, not in
    the process that plans, nor in the walkers forked from it."""
    return Background(partial(_spelled, texts)).result()


def _spelled(texts: list[str]) -> list[str]:
    return [slugify(text) for text in texts]


def _derive(article, tools: LoadedTools) -> Derived:
    return derive(article, tools())


def _derive_light(article, tools: LoadedTools, cache: DerivedCache) -> Derived:
    """The per-article stage: the whole result stored in the cache by the worker that
    made it, the light one sent back."""
    derived = _derive(article, tools)
    cache.put(article, derived)
    return derived.light()


def _salted(saved: object, settings: Settings, kind: type[T]) -> T | None:
    """A value `_record` saved as (derive salt, value): only if it is a `kind` and was
    made with these settings and this code."""
    if (isinstance(saved, tuple) and len(saved) == 2 and saved[0] == settings.derive_salt
            and isinstance(saved[1], kind)):
        return saved[1]
    return None


def _memo_parts(memo: Memo) -> tuple[Memo, dict[str, Mapping[str, object]]]:
    """The memo without its maps by article, and those maps, which the state keeps in
    chunks (an edit changes a few of their keys)."""
    return (replace(memo, chosen={}, related=replace(memo.related, found={})),
            {"chosen": memo.chosen, "found": memo.related.found})


def _memo_whole(head: Memo, maps: Mapping[str, Mapping[str, object]]) -> Memo:
    return replace(head, chosen=maps.get("chosen", {}),
                   related=replace(head.related, found=maps.get("found", {})))


def _ready_deriver(tools: LoadedTools, cache: DerivedCache) -> Callable[..., Derived]:
    """The helper's preparation: its tools loaded before the first article comes. Not
    pypinyin, which only a heading's anchor needs of an article (0.13 s of the 0.44 s
    the helper took to be ready, which an edit at 10,000 articles waited for; and 40 MB
    more in every worker forked from it, a build from nothing's largest processes)."""
    tools.ready(spelling=False)
    return partial(_derive_light, tools=tools, cache=cache)


def _cached(cache: DerivedCache, writes: Writes, derived: Derived) -> Derived:
    """A whole article made by a worker elsewhere, stored here; the light one kept."""
    writes.submit(cache.put, derived.article, derived)
    return derived.light()


def _walk_elsewhere(walk_one: Callable[..., WalkedShard], current: dict[str, bytes],
                    renderer: Renderer, item: tuple[Shard, dict[tuple[str, str], Derived]]
                    ) -> tuple[WalkedShard, list[tuple[str, str]]]:
    """A shard walked by a worker that cannot write the output: with its bodies, and
    the pages whose digests changed rendered and sent back."""
    shard, bodies = item
    sent = Sent()
    walked = walk_one(shard, bodies=bodies, emit=partial(
        _render_changed, current=current, renderer=renderer, writer=sent, written=[]))
    return walked, sent.pages


def _write_rendered(writer: Writer, writes: Writes,
                    walked: tuple[WalkedShard, list[tuple[str, str]]]) -> WalkedShard:
    for path, text in walked[1]:
        writes.submit(writer.write, path, text)
    return walked[0]


@dataclass(frozen=True)
class SpooledFile:
    path: str           # in the output
    spooled: Path       # where the worker wrote it
    digest: bytes       # of its text, as `digest(b"", path, text)`


@dataclass(frozen=True)
class SpooledIndex:
    """The search index as its worker left it: files written to the spool folder."""

    files: tuple[SpooledFile, ...]  # the files made: all of them, or those a patch changed
    paths: tuple[str, ...]          # every file of the index
    state: IndexState


def _spooled(make: Callable[[], Index], folder: Path) -> SpooledIndex:
    """Make the index and write its files into `folder`, each as soon as it is made."""
    index = make()
    files = []
    for file in index.files:
        spooled = folder / str(len(files))
        spooled.write_text(file.text, encoding="utf-8", newline="\n")
        files.append(SpooledFile(file.path, spooled, digest(b"", file.path, file.text)))
    return SpooledIndex(tuple(files), index.paths, index.state)


def _encode_photo(file: PhotoFile, root: Path, cache: PhotoCache) -> str:
    """Encode one photo into the cache: "" when done, else what went wrong."""
    try:
        data = (root / file.source).read_bytes()
    except OSError as exc:
        return f"cannot read it: {exc.strerror}"
    if hashlib.sha256(data).hexdigest() != file.photo.digest:
        return "it changed during the build; build again"
    try:
        files = encode(data, file.photo, cache.config)
    except ValueError as exc:
        return str(exc)
    cache.store(file.photo, files)
    return ""


def _search_terms(light: Derived, cache: DerivedCache, whole: _Bodies
                  ) -> tuple[tuple[str, int], ...]:
    found = cache.search_terms(*source_key(light))
    return found if found is not None else whole.again(light).search_terms


class _Bodies:
    """The whole derived article for a light one: from the cache, else derived again.
    The last one is kept: a worker renders an article's pages one after another (its
    shard holds them all), and each page reading it again cost 0.5 ms, four times an
    article at two editions."""

    def __init__(self, cache: DerivedCache, root: Path, tools: LoadedTools, config: SiteConfig):
        self.cache, self.root, self.tools, self.config = cache, root, tools, config
        self._last: tuple[tuple[str, str], Derived] | None = None

    def __reduce__(self):
        # a cluster's worker has neither this machine's cache nor its files: the shards
        # sent to it carry the bodies their pages read (`SitePlan.shard_bodies`)
        return (partial, (carried, {}))

    def __call__(self, light: Derived) -> Derived:
        """Its bodies, for its pages; the search terms are not read back."""
        key = source_key(light)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        found = self.cache.get(light.article, keep=False)
        if found is None:
            found = self.again(light)
        self._last = (key, found)
        return found

    def again(self, light: Derived) -> Derived:
        """Derived again from its file: the cache lacks it, or part of it. Stored again
        too, so that a damaged entry is not derived again by every build after."""
        article = in_zone(read_article(self.root / light.article.path, self.root,
                                       self.config.photos), self.config.zone)
        derived = derive(article, self.tools())
        self.cache.put(article, derived)
        return derived


class _Publication:
    """One run's writing of the output: what the output holds (`current`, by path: the
    digest each file was made from), where files go, and what was written so far."""

    def __init__(self, out: Path, writer: Writer, current: dict[str, bytes], full: bool):
        self.out, self.writer, self.current, self.full = out, writer, current, full
        self.written: list[str] = []
        self.placed = False     # the search index's files are in the output

    def write(self, path: str, text: str, value: bytes) -> None:
        """A file whose text is known, written if the output lacks it as it is now."""
        if self.current.get(path) != value:
            self.writer.write(path, text)
            self.written.append(path)

    def copy_files(self, files: dict[str, bytes], static: StaticFiles,
                   photos: dict[str, PhotoFile], photo_cache: PhotoCache) -> None:
        """The static files and photo versions the output lacks as they are now."""
        sources = {relative: source for source, relative in static.files}
        for relative, value in files.items():
            if self.current.get(relative) != value:
                if relative in sources:
                    self.writer.copy(sources[relative], relative)
                else:
                    file = photos[relative]
                    self.writer.copy(photo_cache.file(file.photo, file.version), relative)
                self.written.append(relative)

    def held(self, rows: object) -> Rows | None:
        """Recorded rows of a walk, if they are rows and the output holds every page as
        then."""
        if not isinstance(rows, Rows) or any(map(operator.ne, map(self.current.get, rows.paths),
                                                 rows.digests)):
            return None
        return rows

    def render_sitemaps(self, planned: Planned, renderer: Renderer,
                        walked_elsewhere: bool) -> None:
        """The sitemap files whose digests changed, rendered here (made from the pages
        walked and the kept shards' summaries); and, when workers walked, the pages they
        rendered counted as written (those whose digests changed)."""
        sitemaps = {page.path: page for page in planned.sitemaps}
        if walked_elsewhere:
            self.written += [p for p, d in planned.digests.items()
                             if self.current.get(p) != d and p not in sitemaps]
        self.written += _render_all([page for path, page in sitemaps.items()
                                     if self.current.get(path) != planned.digests[path]],
                                    renderer, self.writer)

    def place_index(self, made: SpooledIndex) -> None:
        """The index files whose text changed, moved into the output."""
        self.placed = True
        for file in made.files:
            if self.current.get(file.path) != file.digest:
                self.writer.move(file.spooled, file.path)
                self.written.append(file.path)

    def take_index(self, made: SpooledIndex | None, index: Background | None,
                   targets: _Targets, outputs: dict[str, bytes]) -> None:
        """The search index into the output and into `targets`: the files made again,
        and the others as they were (a patch leaves most as they are; a full build
        copies them into its new folder)."""
        spooled = made.files if made is not None else ()
        for path in made.paths if made is not None else ():
            if path in outputs:
                targets.digests[path] = outputs[path]
        for file in spooled:
            targets.digests[file.path] = file.digest
        if self.full and made is not None:   # files a patch left alone, into the new folder
            for path in set(made.paths) - {f.path for f in spooled}:
                self.writer.copy(self.out / path, path)
                self.written.append(path)
        if self.full and index is None:  # the new folder gets the unchanged index as it is
            for path in [p for p in targets.digests if p.startswith(f"{INDEX_DIR}/")]:
                self.writer.copy(self.out / path, path)
                self.written.append(path)
        if made is not None and not self.placed:
            self.place_index(made)


class _Readers:
    """Which article files hold each word among their tag candidates (`plan_site`): the
    state's record, patched with the files this run read again; None when the state has
    none to trust. `lost`: the record was asked for and could not be read."""

    def __init__(self, state: State | None, fresh: Mapping[str, Derived | None]):
        self.state, self.lost = state, False
        self.fresh = [(path, entry) for path, entry in fresh.items() if entry is not None]

    def __call__(self, words: Collection[str]) -> dict[str, list[str]] | None:
        found = self.state.readers(words) if self.state is not None else None
        if found is None:
            self.lost = self.state is not None
            return None
        for path, entry in self.fresh:
            for word in _words(entry):
                if word in words:
                    found.setdefault(word, []).append(path)
        return found


def _words(entry: Derived | None) -> list[str]:
    return entry.analysis.words.split() if entry is not None else []


def _readers_change(moved: Mapping[str, Known], known: Mapping[str, Known],
                    gone: Iterable[str], whole: bool) -> ReadersChange:
    """How the files that hold each word changed from `known` by the files `moved` (new or
    changed) and `gone`; `whole`: `moved` is every file, the record made anew. A file
    whose entry was not known (a damaged bucket) is not taken from the words it held: a
    word's files may be more, never fewer."""
    added: dict[str, list[str]] = defaultdict(list)
    removed: dict[str, list[str]] = defaultdict(list)
    for path, k in moved.items():
        was = None if whole else known.get(path)
        if was is not None and was.entry is k.entry:
            continue
        old = set(_words(was.entry)) if was is not None else set()
        new = _words(k.entry)
        for word in new:
            if word not in old:
                added[word].append(path)
        for word in old.difference(new):
            removed[word].append(path)
    for path in gone:
        for word in _words(known[path].entry):
            removed[word].append(path)
    return ReadersChange(added, removed, whole)


class Kept(NamedTuple):
    """A shard the output holds as a build recorded it: its rows, when in memory."""

    summary: Summary
    rows: Rows | None


@dataclass(frozen=True)
class _Before:
    """What the output holds before a run's walk (`Engine._before`)."""

    current: dict[str, bytes]   # by path: the output's files and the pages read back
    keys: dict[Shard, bytes | None] | None  # every shard's key, when made before the walk
    gone: dict[bytes, Rows]     # the rows read back, by key (of every shard, unless keyed)


@dataclass(frozen=True)
class _Targets:
    """Every file the output should hold but the pages of shards with keys, with its
    digest; the root files' texts; and the generation, which names them all."""

    digests: dict[str, bytes]
    extra: dict[str, str]
    generation: str


def _file_digests(static: StaticFiles, photos: dict[str, PhotoFile],
                  encoding: str) -> dict[str, bytes]:
    """The static files' and the photo versions' digests; `encoding`: what encoded photos
    depend on besides the photo."""
    digests = {path: digest(b"", "photo", path, file.photo.digest, encoding)
               for path, file in photos.items()}
    digests.update((relative, digest(b"", "static", relative, Stamp.of(source)))
                   for source, relative in static.files)
    return digests


def _targets(planned: Planned, files: dict[str, bytes], static: StaticFiles, search: bytes,
             outputs: dict[str, bytes], root: Callable[[str], dict[str, str]]) -> _Targets:
    """`outputs`: the output's files but the pages of shards with keys (a static file
    among them is not a kept shard's page); `root(generation)`: the root files, the
    output's marker naming the generation."""
    reserved = root("")
    for _, relative in static.files:
        if relative in planned.digests or relative in reserved or (
                relative not in outputs and relative in planned.kept()):
            raise BuildError.single(f"static/{relative} would replace a page the site makes",
                                    Path("static") / relative,
                                    hint="rename or move the file in static/")
    digests: dict[str, bytes] = {}
    for walked in planned.shards:
        if walked.key is None:
            digests.update(zip(walked.rows.paths, walked.rows.digests, strict=True))
    digests.update((page.path, planned.digests[page.path]) for page in planned.sitemaps)
    digests.update(files)
    # the search index: the files it had, until it is made again
    digests[SEARCH] = search
    if outputs.get(SEARCH) == search:
        digests.update((p, d) for p, d in outputs.items() if p.startswith(f"{INDEX_DIR}/"))
    # The generation names what the output holds: the keys of the shards, which name
    # their pages, and every other file's digest (the search index by what it is made
    # from; the marker's aside), so the same sources make the same output, marker
    # included. In the order they come in, which the same sources give (the shards in
    # the plan's order, then the static files and photos in theirs).
    named = [(p, d) for p, d in digests.items() if not p.startswith(f"{INDEX_DIR}/")]
    named += [(p, digest(b"", p, text)) for p, text in reserved.items() if p != MARKER]
    generation = digest(b"", [s.key for s in planned.shards if s.key is not None],
                        named).hex()
    extra = root(generation)
    digests.update((p, digest(b"", p, text)) for p, text in extra.items())
    return _Targets(digests, extra, generation)


def _render_changed(page: Page, value: bytes, current: dict[str, bytes], renderer: Renderer,
                    writer: Writer, written: list[str]) -> None:
    """A page the walk meets, rendered if the output lacks it as it is now; its path
    added to `written` (of the process that renders it)."""
    if current.get(page.path) != value:
        writer.write(page.path, renderer.render(page.template, page.view()))
        written.append(page.path)


def _render_all(pages: Sequence[Page], renderer: Renderer, writer: Writer) -> list[str]:
    """`pages` rendered here, the paths written. Here, not on every core: the sitemaps
    come after the walk, when this process holds the walk's rows, and each worker forked
    then started as large (1.56 GB at 100,000 articles, when the sitemaps were 12 files
    of 50,000 URLs that took a second each)."""
    for page in pages:
        writer.write(page.path, renderer.render(page.template, page.view()))
    return [page.path for page in pages]


def _release_frozen(base: int | None) -> int | None:
    """A run keeps what it loads and plans out of the cycle collector's scans
    (`gc.freeze`), or every full collection it triggers walks the recorded articles again
    (a million small objects at 10,000 articles: 1.3 s of an incremental build,
    measured). They stay out past the run, so a build's last moments do not scan them
    either. A later run in the same process (the preview's) lets them go and collects,
    so that what earlier runs left behind in cycles is not kept for good; as Python's own
    collector does for its oldest objects, only once the frozen objects have grown by a
    quarter since the run after the last collection (`base`; a collection costs 0.4 s
    of each preview update at 10,000 articles). The next `base`."""
    count = gc.get_freeze_count()
    if not count:
        return None
    if base == -1:              # the first run after a collection: the measure
        return count
    if base is not None and count <= base + base // 4:
        return base
    gc.unfreeze()
    gc.collect()
    return -1


@contextlib.contextmanager
def _kept():
    """Making objects that all live on (the recorded state, the plan, the walk's digests):
    no collection could free any of them, and each would scan them all (0.8 s of the 2 s
    it takes to walk 53,000 pages, measured). They are frozen (see _release_frozen)
    before the collector is on again: else the first allocation after it scans them all,
    young as they are (0.18 s of an edit at 10,000 articles, sampled)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
