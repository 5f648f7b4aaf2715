"""The command line: each command parses its arguments and calls the library."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import BuildError, format_problems


class TerminalProgress:
    """A progress bar on stderr when it is a terminal and the work takes a while."""

    def __init__(self) -> None:
        self.bar = None
        self.active = sys.stderr.isatty()

    def start(self, label: str, total: int) -> None:
        if self.active:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="", leave=False,
                            mininterval=0.2)

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # Answered before the heavy imports: a build with nothing to do takes a few stats.
    from .fingerprint import up_to_date

    folder, inputs, current = up_to_date(args.root.resolve(), args.out, args.base_url,
                                         args.future)
    if current and not (args.force or args.clean):
        print(f"up to date: {folder} ({time.perf_counter() - started:.2f} s; --force rebuilds)")
        return 0
    from .site import build

    executor = None
    if args.cluster:    # refused here, before any work, if it cannot be used
        from .cluster import Cluster

        executor = Cluster(args.cluster)
    try:
        # Checked above (or --force): build() need not check again.
        result = build(args.root, out=args.out, base_url=args.base_url,
                       progress=TerminalProgress(), skip_if_up_to_date=False,
                       future=args.future, clean=args.clean, inputs=inputs, executor=executor,
                       hold=args.hold)
    finally:
        if executor is not None:
            executor.close()
    for note in result.warnings:
        print(f"{note.path}: warning: {note.message}", file=sys.stderr)
    if args.verbose:
        for note in result.notes:
            print(f"{note.path}: {note.message}", file=sys.stderr)
        print("time: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings)
              + f"; {result.walked} of {result.pages} pages walked", file=sys.stderr)
    how = ("afresh" if result.full else
           f"{result.written} file{'s' if result.written != 1 else ''} written, "
           f"{result.removed} removed")
    print(f"built {result.pages} pages ({result.articles} articles × {result.editions} editions) "
          f"into {result.out} in {result.seconds:.2f} s ({how}), "
          f"{len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''}")
    schedule = result.schedule
    if schedule.count and args.future:
        print(f"{schedule.count} scheduled article{'s' if schedule.count != 1 else ''} shown "
              "ahead of time (--future): do not deploy this build")
    elif schedule.count and schedule.next_due is not None:
        print(f"{schedule.count} scheduled article{'s' if schedule.count != 1 else ''} not yet "
              f"published; the next is due {schedule.next_due.isoformat(' ', 'minutes')}: "
              "build again after that time to publish it")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    serve(args.root, host=args.host, port=args.port)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .newpost import new_article

    path = new_article(args.root, args.title, args.date, args.bundle)
    print(path)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site
    from .config import load_config
    from .errors import BuildError

    config = load_config(args.root)
    base_url = args.base_url or config.base_url
    out = args.out or args.root / config.output_dir
    if not (out / "index.html").is_file():
        raise BuildError.single(f"no built site in {out}", hint="run `builder build` first")
    broken = check_site(out, base_url)
    for item in broken:
        print(f"{item.page}: broken link {item.url}: {item.reason}", file=sys.stderr)
    pages = sum(1 for _ in out.rglob("*.html"))
    print(f"checked {pages} pages under {base_url}: "
          + (f"{len(broken)} broken links" if broken else "no broken links"))
    return 1 if broken else 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import import_pages

    report = import_pages(args.root, args.pages, date=args.date, source=args.source,
                          force=args.force, progress=TerminalProgress(), dry_run=args.dry_run)
    for page in report.pages:
        split = page.split
        print(f"{page.page}: {len(split.articles)} articles, dated {split.date.isoformat()}")
        for article, planned in zip(split.articles, page.files, strict=False):
            first, last = article.lines
            heading = " / ".join(x for x in (article.header.kicker, article.header.title,
                                              article.header.subtitle) if x)
            who = "、".join(article.authors) or "no byline"
            print(f"  lines {first}-{last}: {heading}  [{who}; {article.source or 'no source'}; "
                  f"{article.date.isoformat()}] → {planned.path}")
        for line in split.unplaced:
            # one warning a line, its start: the whole line is kept in the review file
            shown = line.text if len(line.text) <= 60 else line.text[:60] + "…"
            print(f"{page.page}:{line.number}: warning: left over, not part of any article: "
                  f"{shown}", file=sys.stderr)
        if page.review is not None:
            print(f"  {_lines(len(split.unplaced))} not placed in any article → {page.review} "
                  "(a draft: move them into an article, then delete it)")
    if args.dry_run:
        print(f"dry run: {report.articles} articles from {len(args.pages)} page(s); nothing written")
        return 0
    for item in report.written:
        print(f"{item.outcome.value}: {item.path}")
    counts = {outcome: sum(w.outcome is outcome for w in report.written)
              for outcome in {w.outcome for w in report.written}}
    summary = ", ".join(f"{n} {o.name.lower()}" for o, n in sorted(counts.items(),
                                                                    key=lambda kv: kv[0].name))
    print(f"imported {report.articles} articles from {len(args.pages)} page(s)"
          + (f": {summary}" if summary else "")
          + (f"; {_lines(report.unplaced)} left for review" if report.unplaced else ""))
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be from 1 to 65535, not {port}")
    return port


def _base_url(text: str) -> str:
    from .config import base_url_problem

    wrong = base_url_problem(text)
    if wrong is not None:
        raise argparse.ArgumentTypeError(f"the base URL {wrong}")
    return text


def _date_or_time(text: str) -> dt.date | dt.datetime:
    try:
        return (dt.datetime.fromisoformat(text) if "T" in text or " " in text.strip()
                else dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date or time: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="builder",
        description="Build a news site in Simplified and Traditional Chinese.")
    top.add_argument("--version", action="version", version=f"builder {__version__}")
    top.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    # --debug is accepted after the command too: `builder build --debug`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks for errors")
    common.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                        help="the site folder, with site.toml (default: .)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into the output folder",
                                parents=[common])
    build.add_argument("--out", type=Path, metavar="DIR",
                       help="output folder (default: site.toml's output_dir, _site)")
    build.add_argument("--base-url", metavar="URL", type=_base_url,
                       help="the URL the site is served at, overriding site.toml")
    build.add_argument("--force", action="store_true",
                       help="build even when nothing changed since the last build")
    build.add_argument("--clean", action="store_true",
                       help="make every file afresh, ignoring the last build's state")
    build.add_argument("--future", action="store_true",
                       help="include articles dated in the future, marked as scheduled "
                            "(to review them; not for deploying)")
    build.add_argument("--cluster", metavar="tcp://HOST:PORT",
                       help="derive the articles and render the pages on this Dask scheduler's "
                            "workers (pip install -e '.[cluster]'; see README, Cluster builds)")
    build.add_argument("-v", "--verbose", action="store_true",
                       help="also list the characters repaired or kept in each article")
    build.set_defaults(run=cmd_build)

    preview = commands.add_parser("serve", help="preview the site, rebuilding and reloading on save",
                                  parents=[common])
    preview.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1, this machine only)")
    preview.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    preview.set_defaults(run=cmd_serve)

    check = commands.add_parser("check", help="check every internal link and anchor of a build",
                                parents=[common])
    check.add_argument("--out", type=Path, metavar="DIR", help="the built site (default: _site)")
    check.add_argument("--base-url", metavar="URL", type=_base_url,
                       help="the URL the build was made for")
    check.set_defaults(run=cmd_check)

    new = commands.add_parser("new", parents=[common],
                              help="start a new article in content/YYYY/MM/ and print its path")
    new.add_argument("title", metavar="TITLE", help="the headline, in either script")
    new.add_argument("--date", type=_date_or_time, metavar="DATE",
                     help="YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: now); "
                          "a later one schedules the article")
    new.add_argument("--bundle", action="store_true",
                     help="a folder, content/YYYY/MM/<slug>/index.md, to put photos beside")
    new.set_defaults(run=cmd_new)

    page_import = commands.add_parser(
        "import", parents=[common], help="split newspaper page dumps into articles in content/")
    page_import.add_argument("pages", nargs="+", type=Path, metavar="PAGE.txt")
    page_import.add_argument("--date", type=_date, metavar="YYYY-MM-DD",
                             help="the page's date, instead of reading it from the page")
    page_import.add_argument("--source", metavar="NAME",
                             help="the newspaper's name, instead of the bylines'")
    page_import.add_argument("--force", action="store_true",
                             help="replace articles an editor has changed since the last import")
    page_import.add_argument("--dry-run", action="store_true",
                             help="show how the pages split into articles; write nothing")
    page_import.set_defaults(run=cmd_import)
    return top


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill PID`, a CI timeout): stop as on Ctrl-C, cleaning up on the way out."""


def _terminate(signum, frame) -> None:
    # Once: if the exception lands where Python ignores exceptions (a fork hook), a second
    # SIGTERM ends the process the default way; the next build sweeps what it left.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


def main(argv: Sequence[str] | None = None, hold: list[object] | None = None) -> int:
    """`hold`: where a command leaves what it loaded, for the caller to drop (`run`)."""
    args = parser().parse_args(argv)
    args.hold = hold
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.run(args)
    except BuildError as error:
        if args.debug:
            raise
        print(format_problems(error.problems), file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("interrupted; the published site is unchanged", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130


def run() -> NoReturn:
    """The `builder` command. A build leaves what it loaded (every article's entry, every
    page's digest) to the end of the process, which takes the memory back at once:
    freed object by object, it was 0.15–0.26 s of an edit at 10,000 articles."""
    held: list[object] = []
    code = main(hold=held)
    if not held:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader gone (`| head`): nothing to tell it
            stream.flush()
    os._exit(code)
