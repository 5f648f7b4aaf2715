"""OpenCC on its own upstream test suite, and its speed on the seed pages.

    .venv/bin/python bench/conversion.py

Prints how many expected outputs each OpenCC config reproduces and the
conversion rate in characters per second (median of 7 runs).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent


def suite() -> tuple[int, int, dict[str, tuple[int, int]]]:
    cases = json.loads((ROOT / "tests/data/opencc-testcases.json").read_text("utf-8"))["cases"]
    per_config: dict[str, tuple[int, int]] = {}
    converters: dict[str, opencc.OpenCC] = {}
    for case in cases:
        for config, expected in case["expected"].items():
            converter = converters.setdefault(config, opencc.OpenCC(config))
            good, total = per_config.get(config, (0, 0))
            per_config[config] = (good + (converter.convert(case["input"]) == expected), total + 1)
    good = sum(g for g, _ in per_config.values())
    total = sum(t for _, t in per_config.values())
    return good, total, per_config


def speed(config: str, text: str, runs: int = 7) -> float:
    converter = opencc.OpenCC(config)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        converter.convert(text)
        times.append(time.perf_counter() - start)
    return len(text) / statistics.median(times)


def main() -> None:
    good, total, per_config = suite()
    print(f"opencc {opencc.__version__}: {good}/{total} expected outputs of the upstream suite")
    for config in ("s2tw", "tw2s"):
        print(f"  {config}: {per_config[config][0]}/{per_config[config][1]}")
    pages = "".join(p.read_text("utf-8") for p in sorted((ROOT / "sources").glob("*.txt")))
    text = pages * 200
    for config in ("s2tw", "tw2s"):
        print(f"{config}: {speed(config, text) / 1e6:.1f} M chars/s on the seed pages x200")


if __name__ == "__main__":
    main()
