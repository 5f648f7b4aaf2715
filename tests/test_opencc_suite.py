"""OpenCC's upstream test cases, through a real build.

For every s2tw case the input is a Simplified article and the expected output
must appear on its zh-Hant page; for every tw2s case, the reverse. The cases
come from BYVoid/OpenCC (Apache-2.0), copied into tests/data/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.site import build

from .conftest import article, body_text

CASES = json.loads((Path(__file__).parent / "data" / "opencc-testcases.json")
                   .read_text(encoding="utf-8"))["cases"]
DIRECTIONS = {"s2tw": ("zh-Hans", "zh-hant"), "tw2s": ("zh-Hant", "zh-hans")}
SELECTED = [(case, config) for case in CASES for config in DIRECTIONS
            if config in case["expected"]]


def slug(case: dict, config: str) -> str:
    return f"case-{CASES.index(case)}-{config}"


@pytest.fixture(scope="module")
def suite_site(make_site_module) -> Path:
    root = make_site_module({
        f"{slug(case, config)}.md": article(
            f"用例 {case['id']}", case["input"], script=f'"{DIRECTIONS[config][0]}"')
        for case, config in SELECTED
    })
    build(root)
    return root / "_site"


def test_the_suite_has_every_case():
    assert len([c for c, k in SELECTED if k == "s2tw"]) == 65
    assert len([c for c, k in SELECTED if k == "tw2s"]) == 32


@pytest.mark.parametrize(("case", "config"), SELECTED,
                         ids=[f"{config}-{case['id']}" for case, config in SELECTED])
def test_upstream_case_on_the_other_edition(suite_site: Path, case: dict, config: str):
    edition = DIRECTIONS[config][1]
    page = suite_site / edition / "articles" / slug(case, config) / "index.html"
    assert body_text(page).strip() == case["expected"][config]
