"""The benchmark harness still works: a tiny corpus through every tool. Timings are
measured in bench/, never asserted here."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def test_harness_runs_every_tool_on_a_tiny_corpus(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "bench/run.py"), "--sizes", "20", "--repeat", "1",
         "--saves", "2", "--pause", "0.5", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("| articles |")[1]
    row = next(line for line in table.splitlines() if line.startswith("| 20 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == 14 and all(cell != "—" for cell in cells), row
    assert all(cells[i].endswith(" s") for i in (1, 2, 3, 4, 5, 7, 8))
    assert all(cells[i].endswith(" ms") for i in (11, 12, 13))
    assert "one added" in result.stdout and "wrote" in result.stdout
    assert (tmp_path / "20/builder/_site/zh-hant/index.html").is_file()
    assert len(list((tmp_path / "20/builder/content").glob("*.md"))) == 20


def test_editions_harness_builds_two_and_three_editions(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "bench/editions.py"), "--count", "20", "--repeat", "1",
         "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines()
            if line.startswith(("| two ", "| three "))}
    assert rows.keys() == {"two", "three"}
    assert (tmp_path / "three/builder/_site/zh-hk/index.html").is_file()
    assert not (tmp_path / "two/builder/_site/zh-hk").exists()
    assert "three / two: wall" in result.stdout
