"""OpenCC's upstream test cases, through a real build.

For every s2tw case the input is a Simplified article and the expected output
must appear on its zh-Hant page; for every tw2s case, the reverse. The s2hk,
t2hk and hk2s cases go through a site of three editions the same way. The cases
come from BYVoid/OpenCC (Apache-2.0), copied into tests/data/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.site import build

from .conftest import MINIMAL_CONFIG, article, body_text, three_editions

CASES = json.loads((Path(__file__).parent / "data" / "opencc-testcases.json")
                   .read_text(encoding="utf-8"))["cases"]
CHARS = json.loads((Path(__file__).parent.parent / "builder" / "script_chars.json")
                   .read_text(encoding="utf-8"))
# config → (the article's script, the edition folder it is read in)
DIRECTIONS = {"s2tw": ("zh-Hans", "zh-hant"), "tw2s": ("zh-Hant", "zh-hans")}
HK_DIRECTIONS = {"s2hk": ("zh-Hans", "zh-hk"), "t2hk": ("zh-Hant", "zh-hk"),
                 "hk2s": ("zh-Hant", "zh-hans")}


def _mixed(case: dict, config: str) -> bool:
    """A Traditional input that holds Simplified-only characters: the build repairs an
    article's stray characters by design (test_script), which OpenCC's t2hk leaves."""
    return config == "t2hk" and any(ch in CHARS["simplified_only"] for ch in case["input"])


def selected(directions: dict[str, tuple[str, str]],
             left_out: Callable[[dict, str], bool] = lambda case, config: False
             ) -> list[tuple[dict, str]]:
    return [(case, config) for case in CASES for config in directions
            if config in case["expected"] and not left_out(case, config)]


SELECTED = selected(DIRECTIONS)
HK_SELECTED = selected(HK_DIRECTIONS, _mixed)


def slug(case: dict, config: str) -> str:
    return f"case-{CASES.index(case)}-{config}"


def case_site(make_site: Callable[..., Path], cases: list[tuple[dict, str]],
              directions: dict[str, tuple[str, str]], config: str) -> Path:
    """A site of one article per case, written in the case's input script, built."""
    root = make_site({
        f"{slug(case, name)}.md": article(f"用例 {case['id']}", case["input"],
                                          script=f'"{directions[name][0]}"')
        for case, name in cases
    }, config)
    build(root)
    return root / "_site"


def read_in_edition(site: Path, directions: dict[str, tuple[str, str]], case: dict,
                    config: str) -> str:
    """The case's article as the edition its direction names shows it."""
    return body_text(site / directions[config][1] / "articles" / slug(case, config)
                     / "index.html").strip()


@pytest.fixture(scope="module")
def suite_site(make_site_module) -> Path:
    return case_site(make_site_module, SELECTED, DIRECTIONS, MINIMAL_CONFIG)


@pytest.fixture(scope="module")
def hk_suite_site(make_site_module) -> Path:
    return case_site(make_site_module, HK_SELECTED, HK_DIRECTIONS,
                     three_editions(hans='convert = "hk2s"'))


def test_the_suite_has_every_case():
    assert len([c for c, k in SELECTED if k == "s2tw"]) == 65
    assert len([c for c, k in SELECTED if k == "tw2s"]) == 32


def test_the_hong_kong_suite_has_every_case():
    counts = {config: sum(1 for _, c in HK_SELECTED if c == config) for config in HK_DIRECTIONS}
    assert counts == {"s2hk": 51, "t2hk": 12, "hk2s": 21}   # t2hk: 5 mixed-script inputs left out


@pytest.mark.parametrize(("case", "config"), SELECTED,
                         ids=[f"{config}-{case['id']}" for case, config in SELECTED])
def test_upstream_case_on_the_other_edition(suite_site: Path, case: dict, config: str):
    assert read_in_edition(suite_site, DIRECTIONS, case, config) == case["expected"][config]


@pytest.mark.parametrize(("case", "config"), HK_SELECTED,
                         ids=[f"{config}-{case['id']}" for case, config in HK_SELECTED])
def test_upstream_hong_kong_case(hk_suite_site: Path, case: dict, config: str):
    assert read_in_edition(hk_suite_site, HK_DIRECTIONS, case, config) == case["expected"][config]
