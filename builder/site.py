"""`builder build`: check the output folder, stop when nothing changed, else run the
engine (load → derive → plan → render → publish) and report what it did."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cache import FOLDER as CACHE_FOLDER
from .config import load_config
from .content import ARTICLE_SUFFIX, symlinked_folders
from .derive import Derived
from .engine import Engine, Outcome, Progress, Schedule
from .errors import BuildError
from .fingerprint import MARKER, Scan, current, output_folder, scan
from .parallel import Executor
from .photos import BUNDLE_INDEX
from .state import FOLDER as STATE_FOLDER

OUTPUT_MARKER = MARKER


@dataclass(frozen=True)
class Note:
    """Something the editor may want to look at; not an error."""

    path: Path
    message: str


@dataclass(frozen=True)
class BuildResult:
    out: Path
    articles: int
    editions: int
    pages: int
    files: int
    seconds: float
    warnings: tuple[Note, ...]
    notes: tuple[Note, ...]     # what converting the articles this build read found
    timings: tuple[tuple[str, float], ...] = ()
    up_to_date: bool = False    # nothing changed since the last build: nothing was done
    schedule: Schedule = field(default_factory=lambda: Schedule(0, None))
    written: int = 0            # files written or replaced in the output
    removed: int = 0            # files removed from it
    full: bool = False          # made afresh, not from the last build's state
    walked: int = 0             # pages walked; the others' shards were unchanged


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


def build(root: Path, out: Path | None = None, base_url: str | None = None,
          progress: Progress | None = None, skip_if_up_to_date: bool = True, future: bool = False,
          now: dt.datetime | None = None, clean: bool = False,
          inputs: Scan | None = None, executor: Executor | None = None,
          hold: list[object] | None = None) -> BuildResult:
    """Bring the site in `out` up to date, doing only what changed since the last build
    (`clean`: everything). Articles dated after `now` are scheduled: left out until a
    build runs after their time, or shown and marked with `future`. `inputs`: the
    sources scanned, when the caller has just scanned them. `executor`: where articles are
    derived and pages rendered (default: this machine's cores). `hold`: where to leave
    what the build loaded, for a caller whose process ends next (see `cli.run`)."""
    started = time.perf_counter()
    project = Project(root.resolve())
    config = load_config(project.root)
    if base_url:
        config = config.with_base_url(base_url)
    out = output_folder(project.root, out, config.output_dir)
    _check_output(out, project)
    # taken before reading: an edit made during the build makes the next one rebuild
    inputs = inputs or scan(project.root, base_url, future)
    now = now or dt.datetime.now(config.zone)
    if skip_if_up_to_date and not clean and current(out / OUTPUT_MARKER, inputs.inputs, now):
        return BuildResult(out=out, articles=0, editions=len(config.editions), pages=0, files=0,
                           seconds=time.perf_counter() - started, warnings=(), notes=(),
                           up_to_date=True)
    engine = Engine(project.root, out, base_url, future=future, executor=executor)
    if hold is not None:
        hold.append(engine)
    try:
        outcome = engine.run(now, progress, clean=clean, fingerprint=inputs.inputs, scanned=(
            (path, stamp) for path, stamp in inputs.content() if path.endswith(ARTICLE_SUFFIX)))
    finally:
        engine.state.close()
    return BuildResult(
        out=out, articles=len(outcome.articles), editions=len(outcome.config.editions),
        pages=outcome.pages, files=outcome.files,
        seconds=time.perf_counter() - started,
        warnings=tuple(_warnings(project, inputs.paths, outcome, engine.state.problem)),
        # of the articles this build read: an edit's, not every article's again
        notes=tuple(_conversion_notes(outcome.read)),
        timings=tuple(outcome.timings),
        schedule=outcome.schedule,
        written=len(outcome.written), removed=len(outcome.removed), full=outcome.full,
        walked=outcome.walked,
    )


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


def _warnings(project: Project, listed: Sequence[str], outcome: Outcome,
              state_problem: str | None) -> Iterator[Note]:
    """`listed`: the files under content/, as the build's scan found them."""
    yield from _stray_files(project, listed)
    for derived in outcome.articles:
        if not derived.article.photos:
            continue
        shown = {used.photo.name for used in derived.photos}
        for photo in derived.article.photos:
            if photo.name not in shown:
                yield Note(Path(derived.article.path).parent / photo.name,
                           "not published: the article beside it does not show it; "
                           f"show it with ![…]({photo.name}), or set image = \"{photo.name}\"")
    for folder in outcome.linked_folders:
        yield Note(folder, "ignored: a symlinked folder in static/ is not followed; "
                           "copy its files into static/")
    if outcome.cache_problem:
        yield Note(CACHE_FOLDER, f"the derive cache cannot be written ({outcome.cache_problem}); "
                                 "built without it")
    if state_problem:
        yield Note(STATE_FOLDER, f"the build state cannot be written ({state_problem}); "
                                 "the next build starts afresh")


def _stray_files(project: Project, listed: Sequence[str]) -> Iterator[Note]:
    # from the scan's list (`Scan.paths`): content/ listed again took 0.15 s of every
    # build at 100,000 articles
    for relative in listed:
        if relative.endswith(ARTICLE_SUFFIX):
            continue
        if (project.root / relative).with_name(BUNDLE_INDEX).is_file():
            continue    # a page bundle's file: the article shows it, or a note says it does not
        yield Note(Path(relative),
                   f"ignored: only {ARTICLE_SUFFIX} files in content/ are articles; a photo goes "
                   f"in a page bundle, a folder with the article as {BUNDLE_INDEX}")
    for folder in symlinked_folders(project.content):
        yield Note(folder.relative_to(project.root),
                   "ignored: a symlinked folder is not followed (it could loop); "
                   "move or copy the articles into content/")


def _conversion_notes(derived: Sequence[Derived]) -> Iterator[Note]:
    for d in derived:
        if d.repaired:
            fixed = " ".join(f"{a}→{b}" for a, b in d.repaired)
            yield Note(Path(d.article.path), f"repaired {len(d.repaired)} stray characters: {fixed}")
        if d.ambiguous:
            kept = " ".join(sorted({f"{a}({b})" for a, b in d.ambiguous}))
            yield Note(Path(d.article.path), f"kept as written, valid in {d.script.code}: {kept}")
