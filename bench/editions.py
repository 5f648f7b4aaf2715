"""What an edition costs: the same corpus built cold with today's two editions and with
a third (Hong Kong's), alternating round by round in the same run.

    .venv/bin/python bench/editions.py                 # 1,000 articles, 3 rounds
    .venv/bin/python bench/editions.py --count 20 --repeat 1

Prints, for each: the median wall time of a cold build, its `convert` phase (the
per-article stage, every edition of every article), pages, and the largest process's
peak memory. The per-article stage segments and analyses an article once, whatever the
editions; each edition adds its conversion and its pages.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from run import BIN  # noqa: E402

THIRD = """
[[editions]]
lang = "zh-Hans"
path = "zh-hans"

[[editions]]
lang = "zh-Hant-TW"
path = "zh-hant"

[[editions]]
lang = "zh-Hant-HK"
path = "zh-hk"
"""


def cold(site: Path) -> dict[str, float]:
    """One cold build: wall seconds, the phases `build -v` reports, pages, peak RSS (MB)."""
    shutil.rmtree(site / "_site", ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "python"), "-c", _MEASURED, "build", "-v"], cwd=site,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed in {site}:\n{done.stderr}")
    laps = {name: float(value) for name, value in
            re.findall(r"(\w+) ([\d.]+) s", done.stderr.split("time: ")[-1].splitlines()[0])}
    pages = int(re.search(r"built (\d+) pages", done.stdout).group(1))
    rss = float(re.search(r"peak ([\d.]+) MB", done.stderr).group(1))
    return {"seconds": seconds, "convert": laps.get("load", 0.0), "pages": pages, "rss": rss}


# The build, then the largest peak RSS of it and of every process it waited for.
_MEASURED = """
import resource, sys
from builder.cli import main
try:
    code = main(sys.argv[1:])
finally:
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"peak {peak / 1024:.0f} MB", file=sys.stderr)
sys.exit(code)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "builder-editions")
    args = parser.parse_args()
    sites = {}
    for name in ("two", "three"):
        folder = args.work / name
        shutil.rmtree(folder, ignore_errors=True)
        corpus.write(args.count, folder)
        sites[name] = folder / "builder"
    toml = sites["three"] / "site.toml"
    kept = [line for line in toml.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(("to_hant", "to_hans"))]  # the editions' own, now
    toml.write_text("".join(kept) + THIRD, encoding="utf-8")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in sites}
    for _ in range(args.repeat):
        for name, site in sites.items():
            runs[name].append(cold(site))
    print(f"{args.count} articles, cold builds, median of {args.repeat}:")
    print("| editions | wall | convert (per-article stage) | pages | peak RSS |")
    print("|---|---|---|---|---|")
    for name, samples in runs.items():
        def median(key: str, samples=samples) -> float:
            return statistics.median(s[key] for s in samples)
        print(f"| {name} | {median('seconds'):.2f} s | {median('convert'):.2f} s | "
              f"{median('pages'):,.0f} | {max(s['rss'] for s in samples):.0f} MB |")
    two, three = runs["two"], runs["three"]
    ratio = statistics.median(s["seconds"] for s in three) / statistics.median(s["seconds"] for s in two)
    stage = (statistics.median(s["convert"] for s in three)
             / max(statistics.median(s["convert"] for s in two), 1e-9))
    pages = statistics.median(s["pages"] for s in three) / statistics.median(s["pages"] for s in two)
    print(f"three / two: wall {ratio:.2f}×, per-article stage {stage:.2f}×, pages {pages:.2f}×")


if __name__ == "__main__":
    main()
