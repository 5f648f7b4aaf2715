"""Deployable as it is on GitHub Pages, under a sub-path or at a domain root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest

from builder.check import check_site, extract
from builder.errors import BuildError
from builder.site import build

from .conftest import REPO, soup, static_server

SUBPATH_URL = "https://example.github.io/repo/"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed site built for /repo/, placed where a static server serves /repo/."""
    root = tmp_path_factory.mktemp("www")
    build(REPO, out=root / "repo", base_url=SUBPATH_URL)
    return root


@pytest.fixture(scope="module")
def site(served_root: Path) -> Path:
    return served_root / "repo"


@pytest.fixture(scope="module")
def server(served_root: Path):
    with static_server(served_root, "/repo/") as origin:
        yield origin


def test_crawl_under_the_subpath_finds_no_broken_link(server: str):
    """A reader's crawl from /repo/: every href and src answers 200 and stays under /repo/."""
    seen: set[str] = set()
    queue = deque([server + "/repo/"])
    escaped, broken, pages = [], [], 0
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            broken.append((url, error.code))
            continue
        if kind != "text/html":
            continue
        pages += 1
        for link in extract(body.decode("utf-8")).links:
            target = urljoin(url, link.url)
            parts = urlsplit(target)
            if parts.netloc == "example.github.io":  # canonical and alternates: map to the server
                target = server + parts.path
                parts = urlsplit(target)
            if parts.netloc != urlsplit(server).netloc:
                continue
            if not parts.path.startswith("/repo/"):
                escaped.append((url, link.url))
                continue
            queue.append(target.split("#")[0])
    assert pages > 100
    assert broken == []
    assert escaped == []


def test_builder_check_passes_and_catches_a_broken_link(site: Path, tmp_path: Path):
    assert check_site(site, SUBPATH_URL) == []
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    page = copy / "zh-hans/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</main>", '<a href="/repo/zh-hans/nowhere/">x</a><a href="#missing">y</a>'
                   '<a href="/elsewhere/">z</a></main>'), encoding="utf-8")
    reasons = sorted(b.reason for b in check_site(copy, SUBPATH_URL))
    assert reasons == ["leaves the site's base path /repo/", "no element with id 'missing'",
                       "no such file"]
    result = subprocess.run([sys.executable, "-m", "builder", "check", "--root", str(REPO),
                             "--out", str(copy), "--base-url", SUBPATH_URL],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "3 broken links" in result.stdout


def test_root_files(site: Path):
    assert (site / ".nojekyll").is_file()
    assert (site / "robots.txt").read_text() == (
        f"User-agent: *\nAllow: /\n\nSitemap: {SUBPATH_URL}sitemap.xml\n")
    assert not (site / "CNAME").exists()
    not_found = soup(site / "404.html")
    sections = {s["lang"]: s.h1.get_text() for s in not_found.select("section")}
    assert sections == {"zh-Hans": "页面不存在", "zh-Hant": "頁面不存在"}
    for section, edition, search in ((not_found.select("section")[0], "zh-hans", "搜索"),
                                     (not_found.select("section")[1], "zh-hant", "搜尋")):
        # every link absolute: the page answers for any missing path
        links = [a["href"] for a in section.select("a")]
        assert links[-1] == f"/repo/{edition}/" and len(links) == 6
        assert all(href.startswith(f"/repo/{edition}/articles/") for href in links[:5])
        form = section.select_one("form")
        assert form["action"] == f"/repo/{edition}/search/" and form.input["name"] == "q"
        assert form.button.get_text() == search
    assert "可以搜尋" in not_found.select("section")[1].p.get_text()   # read, not converted only
    root = soup(site / "index.html")
    assert [p["lang"] for p in root.select("p.explain")] == ["zh-Hans", "zh-Hant"]
    assert "简体和繁体" in root.select("p.explain")[0].get_text()
    assert "簡體和繁體" in root.select("p.explain")[1].get_text()
    assert (site / "favicon.svg").is_file()
    assert soup(site / "zh-hans/index.html").find("link", rel="icon")["href"] == "/repo/favicon.svg"


def test_cname_when_configured(make_site):
    root = make_site({}, config='base_url = "https://news.example.com/"\ncname = "news.example.com"\n')
    build(root)
    assert (root / "_site/CNAME").read_text() == "news.example.com\n"


def test_sitemap_lists_every_page_of_both_editions_with_alternates(site: Path):
    tree = ET.parse(site / "sitemap.xml")
    urls = {u.findtext("s:loc", namespaces=NS): u for u in tree.getroot().findall("s:url", NS)}
    pages = {SUBPATH_URL + p.relative_to(site).as_posix().removesuffix("index.html")
             for edition in ("zh-hans", "zh-hant") for p in (site / edition).rglob("index.html")}
    assert set(urls) == pages
    loans = SUBPATH_URL + "zh-hant/articles/shangbannian-qingdao-daikuan-yue-3-14-wanyiyuan/"
    entry = urls[loans]
    assert entry.findtext("s:lastmod", namespaces=NS) == "2024-07-22"
    alternates = {link.get("hreflang"): link.get("href")
                  for link in entry.findall("x:link", NS)}
    assert alternates == {"zh-Hans": loans.replace("zh-hant", "zh-hans"), "zh-Hant": loans,
                          "x-default": loans.replace("zh-hant", "zh-hans")}
    assert urls[SUBPATH_URL + "zh-hans/tags/fangxun/"].findtext("s:lastmod", namespaces=NS) == (
        "2024-07-22")


def test_feeds_parse_and_are_linked(site: Path):
    feeds = sorted(site.rglob("feed.xml"))
    assert (site / "zh-hans/feed.xml") in feeds and (site / "zh-hant/topics/finance/feed.xml") in feeds
    assert (site / "zh-hans/tags/daikuan/feed.xml") in feeds
    author = feedparser.parse((site / "zh-hant/authors/wushuai/feed.xml").read_bytes())
    assert author.feed.title == "記者：吳帥 · 青島新聞" and len(author.entries) == 2
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.entries
        for entry in parsed.entries:
            assert entry.link.startswith(SUBPATH_URL) and entry.id.startswith("tag:qingdaoxinwen,")
    main = feedparser.parse((site / "zh-hant/feed.xml").read_bytes())
    assert main.feed.title == "青島新聞" and len(main.entries) == 8
    assert main.entries[0].title == "上半年青島貸款餘額3.14萬億元"
    assert "<p>本報7月22日訊" in main.entries[0].content[0].value
    tag_page = soup(site / "zh-hans/tags/daikuan/index.html")
    linked = [link["href"] for link in tag_page.find_all("link", type="application/atom+xml")]
    assert linked == [SUBPATH_URL + "zh-hans/feed.xml", SUBPATH_URL + "zh-hans/tags/daikuan/feed.xml"]


def test_article_metadata(site: Path):
    page = soup(site / "zh-hant/articles/qingdao-qidong-fangxun-sanji-yingjixiangying/index.html")
    og = {m["property"]: m["content"] for m in page.find_all("meta", property=True)}
    assert og["og:type"] == "article" and og["og:title"] == "青島啟動防汛 三級應急響應"
    assert og["og:url"] == SUBPATH_URL + "zh-hant/articles/qingdao-qidong-fangxun-sanji-yingjixiangying/"
    assert og["og:locale"] == "zh_Hant"
    assert page.find("meta", attrs={"name": "twitter:card"})["content"] == "summary"
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "青島啟動防汛 三級應急響應"
    assert data["datePublished"] == "2024-07-22T00:00:00+08:00"
    assert data["author"] == [{"@type": "Person", "name": "吳帥",
                               "url": SUBPATH_URL + "zh-hant/authors/wushuai/"}]
    assert data["publisher"] == {"@type": "Organization", "name": "青島新聞",
                                 "url": SUBPATH_URL + "zh-hant/"}
    assert data["inLanguage"] == "zh-Hant"


def test_domain_root_build_links_stay_at_root(make_site):
    root = make_site({"a.md": "+++\ntitle = \"防汛\"\ndate = 2024-07-22\n+++\n\n防汛。\n"},
                     config='base_url = "https://news.example.com/"\n')
    build(root)
    assert check_site(root / "_site", "https://news.example.com/") == []
    page = soup(root / "_site/zh-hans/articles/a/index.html")
    assert page.find("link", rel="stylesheet")["href"] == "/css/site.css"


def test_workflow_is_valid():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
         "vendor.github-workflows", str(REPO / ".github/workflows/pages.yml")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (REPO / ".github/workflows/pages.yml").read_text()
    for needed in ("actions/configure-pages", "actions/upload-pages-artifact",
                   "actions/deploy-pages", "pages: write", "id-token: write", "make site",
                   "actions/cache", ".cache/state", ".cache/photos"):
        assert needed in text


VNU = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"


def test_html_is_valid(site: Path):
    if not VNU.is_file() or not shutil.which("java"):
        message = "the Nu Html Checker needs Java and `npm ci` (make test runs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html",
                             "--format", "json", str(site)], capture_output=True, text=True,
                            timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [m for m in messages if m.get("type") == "error"]
    assert errors == [], errors[:5]
    assert len(list(site.rglob("*.html"))) > 100


def test_publisher_logo_in_the_article_data_and_a_missing_one_refused(make_site):
    config = 'title = "测试新闻"\nbase_url = "https://example.org/"\nlogo = "favicon.svg"\n'
    root = make_site({"a.md": "+++\ntitle = \"防汛\"\ndate = 2024-07-22\n+++\n\n防汛。\n"}, config)
    build(root)
    page = soup(root / "_site/zh-hans/articles/a/index.html")
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["publisher"]["logo"] == {"@type": "ImageObject",
                                         "url": "https://example.org/favicon.svg"}
    (root / "site.toml").write_text(config.replace("favicon.svg", "logo.png"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root)
    assert "static/logo.png, which is not there" in caught.value.problems[0].message
