"""Script detection, mixed-script repair and conversion overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import ConversionConfig, PhrasePair
from builder.editions import EDITIONS, Script
from builder.script import Converter, ScriptChars, detect_script
from builder.site import build

from .conftest import REPO, article, body_text, soup

HANS, HANT = Script.HANS, Script.HANT
IN_HANS, IN_HANT = EDITIONS   # the editions of a site without [[editions]]
YANSHAN_PAGE = REPO / "sources" / "001_22076e859fb92202.txt"
STRAY = ["汇", "发", "业", "态", "础", "会", "显", "农", "护", "会", "议"]
KEPT_WORDS = ["平台", "扎根", "依托", "煙台", "集群"]


@pytest.fixture(scope="module")
def converter() -> Converter:
    return Converter(ConversionConfig())


@pytest.fixture(scope="module")
def chars() -> ScriptChars:
    return ScriptChars.load()


def test_detects_each_script(chars: ScriptChars):
    assert detect_script("青岛启动防汛三级应急响应", chars, HANT) is HANS
    assert detect_script("雁山科技生態城發展願景發布", chars, HANS) is HANT
    assert detect_script("ABC 2024", chars, HANT) is HANT  # no evidence: the default


def test_the_seed_page_is_traditional_with_eleven_stray_simplified(chars: ScriptChars):
    text = YANSHAN_PAGE.read_text(encoding="utf-8")
    simplified, traditional = chars.count(text)
    assert (simplified, traditional) == (11, 1045)
    assert [ch for ch in text if ch in chars.simplified_only] == STRAY


def test_repair_fixes_every_stray_character_and_keeps_the_rest(converter: Converter):
    text = YANSHAN_PAGE.read_text(encoding="utf-8")
    result = converter.convert(text, HANT, IN_HANT)
    assert [written for written, _ in result.repaired] == STRAY
    assert [fixed for _, fixed in result.repaired] == list("匯發業態礎會顯農護會議")
    out = result.text
    assert len(out) == len(text)
    changed = [(a, b) for a, b in zip(text, out, strict=True) if a != b]
    assert changed == list(result.repaired)
    for word in KEPT_WORDS:
        assert out.count(word) == text.count(word) > 0, word
    assert "兩河交匯之處" in out and "社會效益" in out and "中央金融工作會議精神" in out
    assert {a for a, _ in result.ambiguous} == {"台", "扎", "托", "着"}


def test_full_conversion_would_change_the_kept_words(converter: Converter):
    # The reason for repair-only: plain s2tw rewrites text that is valid Traditional.
    assert converter.convert("平台扎根依托煙台", HANS, IN_HANT).text == "平臺紮根依託煙臺"
    assert converter.convert("平台扎根依托煙台", HANT, IN_HANT).text == "平台扎根依托煙台"


def test_keep_marker_protects_a_surname(converter: Converter):
    assert converter.convert("范晓东说", HANS, IN_HANT).text == "範曉東說"
    result = converter.convert("-{范}-晓东说", HANS, IN_HANT)
    assert result.text == "范曉東說"
    assert result.html == "范曉東說"  # 范 is valid in both scripts: no lang span needed
    assert converter.convert("-{范}-晓东说", HANS, IN_HANS).text == "范晓东说"


def test_kept_text_of_the_other_script_carries_its_lang(converter: Converter):
    result = converter.convert("原文-{发展}-一词", HANS, IN_HANT)
    assert result.text == "原文发展一詞"
    assert result.html == '原文<span lang="zh-Hans">发展</span>一詞'


def test_phrase_pairs_override_opencc_both_ways():
    pairs = (PhrasePair(hans="范晓东", hant="范曉東"),)
    converter = Converter(ConversionConfig(phrases=pairs))
    assert converter.convert("记者范晓东报道", HANS, IN_HANT).text == "記者范曉東報道"
    assert converter.convert("記者范曉東報道", HANT, IN_HANS).text == "记者范晓东报道"


def test_article_phrases_apply_to_that_article_only(converter: Converter):
    pairs = (PhrasePair(hans="支持", hant="支援"),)
    assert converter.convert("支持实体经济", HANS, IN_HANT, pairs).text == "支援實體經濟"
    assert converter.convert("支持实体经济", HANS, IN_HANT).text == "支持實體經濟"


def test_html_is_escaped(converter: Converter):
    assert converter.convert("<b>发</b>", HANS, IN_HANT).html == "&lt;b&gt;發&lt;/b&gt;"


def test_yanshan_article_on_both_editions(make_site, tmp_path: Path):
    text = YANSHAN_PAGE.read_text(encoding="utf-8")
    body = "\n\n".join(line for line in text.splitlines() if line.strip())
    root = make_site({"yanshan.md": article("雁山科技生態城發展願景發布", body)})
    build(root)
    hant = body_text(root / "_site/zh-hant/articles/yanshan/index.html")
    hans = body_text(root / "_site/zh-hans/articles/yanshan/index.html")
    chars = ScriptChars.load()
    assert not [ch for ch in hant if ch in chars.simplified_only]
    assert not [ch for ch in hans if ch in chars.traditional_only]
    for word in KEPT_WORDS:
        assert word in hant
    assert "兩河交匯之處" in hant and "显" not in hant and "顯著" in hant
    page = soup(root / "_site/zh-hant/articles/yanshan/index.html")
    assert page.html["lang"] == "zh-Hant"
