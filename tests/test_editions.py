"""Editions as configuration: a Simplified, a Taiwan and a Hong Kong edition through
the whole pipeline (OpenCC's upstream s2hk / t2hk / hk2s cases: test_opencc_suite)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from builder.config import parse_config
from builder.editions import EDITIONS, Script, browser_choices, edition_for, partner
from builder.errors import BuildError
from builder.plan import load_tools, search_fold
from builder.site import build

from .conftest import article, body_text, soup, static_server, three_editions

PATH = Path("site.toml")
EDITION_PATHS = ("zh-hans", "zh-hant", "zh-hk")


def problems(text: str) -> list[str]:
    with pytest.raises(BuildError) as caught:
        parse_config(text, PATH)
    return [p.format() for p in caught.value.problems]


# -- configuration ------------------------------------------------------------------------------

def test_without_editions_the_site_has_todays_two():
    assert parse_config('title = "新闻"\n', PATH).editions == EDITIONS
    assert [(e.lang, e.path) for e in EDITIONS] == [("zh-Hans", "zh-hans"), ("zh-Hant", "zh-hant")]


def test_the_configurations_follow_from_the_lang():
    config = parse_config(three_editions(), PATH)
    assert [(e.lang, e.script, e.convert, e.glyphs) for e in config.editions] == [
        ("zh-Hans", Script.HANS, "tw2s", ()),
        ("zh-Hant-TW", Script.HANT, "s2tw", ()),
        ("zh-Hant-HK", Script.HANT, "s2hk", ("tw2t", "t2hk"))]
    assert config.default_edition.path == "zh-hans"
    assert [e.name for e in config.editions] == ["简体中文", "繁體中文（台灣）", "繁體中文（香港）"]
    macau, singapore = edition_for("zh-Hant-MO", "zh-mo"), edition_for("zh-Hans-SG", "zh-sg")
    assert (macau.convert, macau.glyphs, singapore.convert) == ("s2hk", ("tw2t", "t2hk"), "tw2s")
    assert edition_for("zh-TW", "tw").script is Script.HANT


def test_configurations_can_be_overridden_per_edition():
    config = parse_config(three_editions('default_edition = "zh-hk"', 'convert = "hk2s"')
                          .replace('path = "zh-hant"\n', 'path = "zh-hant"\nconvert = "s2twp"\n'
                                   'name = "臺灣正體"\n'), PATH)
    assert [e.convert for e in config.editions] == ["hk2s", "s2twp", "s2hk"]
    assert config.editions[1].name == "臺灣正體"
    assert config.default_edition.lang == "zh-Hant-HK"


@pytest.mark.parametrize(("change", "message"), [
    (('lang = "zh-Hant-HK"', 'lang = "en-GB"'), "`lang` must be a Chinese BCP 47 tag"),
    (('path = "zh-hk"', 'path = "zh-hans"'), "two editions have the path 'zh-hans'"),
    (('path = "zh-hk"', 'path = "Zh HK"'), "`path` must be a URL folder name"),
    (('path = "zh-hk"', 'path = "search"'), "`path` must be a URL folder name"),
    (('path = "zh-hk"\n', 'path = "zh-hk"\nconvert = "tw2s"\n'),
     "`convert` = 'tw2s' is not an OpenCC configuration into zh-Hant"),
    (('path = "zh-hans"\n', 'path = "zh-hans"\nglyphs = "t2hk"\n'),
     "`glyphs` = ['t2hk'] is not a list of OpenCC configurations within zh-Hans"),
    (('path = "zh-hk"\n', 'path = "zh-hk"\nglyphs = ["t2jp"]\n'),
     "`glyphs` = ['t2jp'] is not a list of OpenCC configurations within zh-Hant"),
    (('title = "测试新闻"', 'default_edition = "zh-MO"'), "`default_edition` must name one of"),
    (('path = "zh-hk"\n', 'path = "zh-hk"\n[conversion]\nto_hant = "s2hk"\n'),
     "set `convert` on the edition"),
    (('path = "zh-hk"\n', 'path = "zh-hk"\nfont = "x"\n'), "unknown key `editions.font`"),
])
def test_a_bad_edition_is_one_message_with_its_line(change: tuple[str, str], message: str):
    found = problems(three_editions().replace(*change, 1))
    assert len(found) == 1 and message in found[0], found
    assert re.match(r"site\.toml:\d+: error: ", found[0])


def test_forms_must_name_an_edition():
    [found] = problems(three_editions() + '[strings]\nsearch = { hans = "搜索", mo = "搜尋" }\n')
    assert "`strings.search` must be a string, or a table of `hans`" in found
    [found] = problems(three_editions('[conversion]\nphrases = [{ hans = "a", hant = "b", mo = "c" }]'))
    assert "gives a form for 'mo', which names no edition" in found


def test_the_reader_gets_the_edition_of_their_region():
    listed = parse_config(three_editions(), PATH).editions
    chosen = browser_choices(listed, listed[0])
    assert {tag: chosen[tag] for tag in ("zh-hk", "zh-mo", "zh-hant-hk", "zh-tw", "zh-hant",
                                         "zh-cn", "zh-sg", "zh-hans", "zh")} == {
        "zh-hk": "zh-hk", "zh-mo": "zh-hk", "zh-hant-hk": "zh-hk", "zh-tw": "zh-hant",
        "zh-hant": "zh-hant", "zh-cn": "zh-hans", "zh-sg": "zh-hans", "zh-hans": "zh-hans",
        "zh": "zh-hans"}
    # with no Hong Kong edition, a Hong Kong reader gets the Traditional one
    assert browser_choices(EDITIONS, EDITIONS[0])["zh-hk"] == "zh-hant"
    assert partner(listed[2], listed).lang == "zh-Hans"
    assert partner(listed[0], listed).lang == "zh-Hant-TW"


def test_search_folds_every_editions_glyphs():
    fold = search_fold(load_tools(parse_config(three_editions(), PATH).derive_settings).converter)
    for traditional, simplified in zip("衞羣説裏啓衛群說裡啟", "卫群说里启卫群说里启", strict=True):
        assert fold.get(traditional, traditional) == simplified, traditional
    # a two-edition site folds what it can show, Hong Kong's forms aside from 衞
    assert search_fold(load_tools(parse_config("", PATH).derive_settings).converter)["說"] == "说"


# -- a three-edition site, built ------------------------------------------------------------------

SIMPLIFIED = "卫生署说里面的群众启动了温泉税务改革。"
TAIWAN = "衛生署說裡面的群眾啟動了溫泉稅務改革。"
HONG_KONG_FORMS = "衞生署説裏面的羣眾啓動了温泉税務改革。"   # HK writes 温 税, as the mainland


@pytest.fixture(scope="module")
def site(make_site_module) -> Path:
    config = three_editions('[strings]\nsearch = { hans = "搜索", hant = "搜尋", hk = "搜尋（港）" }\n'
                   '[conversion]\nphrases = [{ hans = "软件", hant = "軟體", hk = "軟件" }]\n')
    root = make_site_module({
        "simplified.md": article("卫生改革", f"{SIMPLIFIED}\n\n这个软件很好。",
                                 tags='["卫生", "改革", "温泉"]', slug='"simplified"'),
        "taiwan.md": article("衛生改革", f"{TAIWAN}\n\n這個軟體很好。", script='"zh-Hant"',
                             date="2024-07-23", slug='"taiwan"'),
    }, config)
    build(root)
    return root / "_site"


def test_every_page_is_in_every_edition(site: Path):
    editions = {path: {p.relative_to(site / path).as_posix()
                       for p in (site / path).rglob("*.html")} for path in EDITION_PATHS}
    assert editions["zh-hans"] == editions["zh-hant"] == editions["zh-hk"]
    assert "articles/simplified/index.html" in editions["zh-hk"]
    for path, lang in zip(EDITION_PATHS, ("zh-Hans", "zh-Hant-TW", "zh-Hant-HK"), strict=True):
        assert soup(site / path / "index.html").html["lang"] == lang


@pytest.mark.parametrize("slug", ["simplified", "taiwan"])
def test_hong_kong_glyphs_from_either_script(site: Path, slug: str):
    def body(path: str) -> str:
        return body_text(site / path / "articles" / slug / "index.html")

    assert HONG_KONG_FORMS in body("zh-hk")
    assert TAIWAN in body("zh-hant")
    assert SIMPLIFIED in body("zh-hans")
    # the phrase's own form in each edition
    assert "軟件" in body("zh-hk") and "軟體" in body("zh-hant") and "软件" in body("zh-hans")


def test_links_between_editions(site: Path):
    page = soup(site / "zh-hk" / "articles" / "simplified" / "index.html")
    alternates = {a["hreflang"]: a["href"] for a in page.select('link[rel="alternate"][hreflang]')}
    base = "https://example.org/news/"
    assert alternates == {"zh-Hans": f"{base}zh-hans/articles/simplified/",
                          "zh-Hant-TW": f"{base}zh-hant/articles/simplified/",
                          "zh-Hant-HK": f"{base}zh-hk/articles/simplified/",
                          "x-default": f"{base}zh-hans/articles/simplified/"}
    switcher = [(a["lang"], a["href"], a.get_text()) for a in page.select("nav.switch a")]
    assert switcher == [("zh-Hans", "/news/zh-hans/articles/simplified/", "简体"),
                        ("zh-Hant-TW", "/news/zh-hant/articles/simplified/", "繁體（台灣）")]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count('hreflang="zh-Hant-HK"') == sitemap.count("<url>") > 0
    parallel = soup(site / "zh-hk" / "articles" / "simplified" / "parallel" / "index.html")
    assert {cell["lang"] for cell in parallel.select(".cell[lang]")} == {"zh-Hans"}
    assert HONG_KONG_FORMS in parallel.get_text() and SIMPLIFIED in parallel.get_text()


def test_root_chooser_and_not_found_offer_every_edition(site: Path):
    root = (site / "index.html").read_text(encoding="utf-8")
    assert '"zh-mo": "/news/zh-hk/"' in root and '"zh-tw": "/news/zh-hant/"' in root
    links = [a["hreflang"] for a in soup(site / "index.html").select("ul.editions a")]
    assert links == ["zh-Hans", "zh-Hant-TW", "zh-Hant-HK"]
    assert [s["lang"] for s in soup(site / "404.html").select("section.not-found")] == links


def test_terms_strings_feeds_and_search_follow_the_list(site: Path):
    tags = {path: {a["href"].split("/")[-2]: a.get_text() for a in
                   soup(site / path / "tags" / "index.html").select("main a[href*='/tags/']")}
            for path in EDITION_PATHS}
    assert tags["zh-hans"].keys() == tags["zh-hant"].keys() == tags["zh-hk"].keys()
    assert "衞生" in " ".join(tags["zh-hk"].values()) and "衛生" in " ".join(tags["zh-hant"].values())
    assert soup(site / "zh-hk" / "search" / "index.html").h1.get_text() == "搜尋（港）"
    assert soup(site / "zh-hant" / "search" / "index.html").h1.get_text() == "搜尋"
    feed = (site / "zh-hk" / "feed.xml").read_text(encoding="utf-8")
    assert 'xml:lang="zh-Hant-HK"' in feed and "衞生署" in feed
    form = soup(site / "zh-hk" / "search" / "index.html").select_one("#search-form")
    assert (form["data-slot"], form["data-editions"]) == ("2", "3")
    docs = json.loads((site / "search" / "d" / "0.json").read_text(encoding="utf-8"))
    taiwan = next(d for d in docs if d[0] == "articles/taiwan/")
    assert taiwan[2:5] == ["卫生改革", "衛生改革", "衞生改革"]
    meta = json.loads((site / "search" / "meta.json").read_text(encoding="utf-8"))
    fold = dict(zip(meta["fold"][::2], meta["fold"][1::2], strict=True))
    assert fold["衞"] == "卫" and fold["説"] == "说"


def test_an_articles_form_for_no_edition_is_one_message_with_its_line(make_site):
    root = make_site({"a.md": article("标题", "正文。",
                                      phrases='[{ hans = "正文", hant = "正文", mo = "正文" }]')},
                     three_editions())
    with pytest.raises(BuildError) as caught:
        build(root)
    [message] = [p.format() for p in caught.value.problems]
    assert message.startswith("content/a.md:4: error: `phrases` gives a form for 'mo', which names no "
                              "edition"), message
    assert not (root / "_site").exists()


@pytest.fixture(scope="module")
def served_three(site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The three-edition site served under /news/ by a plain static server."""
    www = tmp_path_factory.mktemp("www")
    shutil.copytree(site, www / "news")
    with static_server(www, "/news/") as origin:
        yield f"{origin}/news/"


@pytest.mark.parametrize(("locale", "edition"), [
    ("zh-HK", "zh-hk"), ("zh-MO", "zh-hk"), ("zh-TW", "zh-hant"), ("zh-CN", "zh-hans"),
    ("zh-SG", "zh-hans"), ("en-US", "zh-hans")])
def test_the_chooser_sends_each_region_to_its_edition(browser, served_three, locale, edition):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(served_three)
    page.wait_for_url(f"{served_three}{edition}/")
    context.close()
