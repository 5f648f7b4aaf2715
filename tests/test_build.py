"""End-to-end builds: both editions, their links, the CLI contract, atomic output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.errors import BuildError
from builder.plan import Rows, WalkedShard, _clash
from builder.script import ScriptChars
from builder.site import build

from .conftest import REPO, article, soup

LOANS = article("上半年青岛贷款余额3.14万亿元", "## 绿色金融\n\n高技术产业贷款同比增长36.2%。",
                subtitle='"普惠型小微贷款增速高于各项贷款增速"', authors='["傅军"]',
                slug='"qingdao-loans"')
YANSHAN = article("雁山科技生態城發展願景發布", "會議強調，雁山科技生態城將依托青島科技大學。",
                  date="2023-12-01")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def site(make_site) -> Path:
    return make_site({"loans.md": LOANS, "yanshan.md": YANSHAN})


def test_the_command_says_what_it_built_though_it_ends_at_once(site: Path):
    """After a build the command ends its process without freeing what it loaded
    (`cli.run`): what it printed to a pipe (buffered) gets out first, with its status."""
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}

    def command() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "builder", "build", "--root", str(site)],
                              capture_output=True, text=True, timeout=120, env=buffered)

    result = command()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("built ") and "(2 articles × 2 editions)" in result.stdout
    (site / "content/broken.md").write_text("no front matter", encoding="utf-8")
    result = command()
    assert result.returncode == 1 and "content/broken.md" in result.stderr


def test_every_page_exists_in_both_editions(site: Path):
    result = run("build", "--root", str(site))
    assert result.returncode == 0, result.stderr
    out = site / "_site"
    hans = {p.relative_to(out / "zh-hans") for p in (out / "zh-hans").rglob("*.html")}
    hant = {p.relative_to(out / "zh-hant") for p in (out / "zh-hant").rglob("*.html")}
    assert hans == hant
    assert Path("articles/qingdao-loans/index.html") in hans
    assert Path("articles/yanshan/parallel/index.html") in hans
    assert len(list(out.rglob("*.html"))) == 2 * len(hans) + 2  # and / and 404.html
    written = len(list(out.rglob("*.html"))) + len(list(out.rglob("*.xml")))  # feeds, sitemap
    assert f"built {written} pages (2 articles × 2 editions)" in result.stdout
    assert "0 warnings" in result.stdout


def test_article_editions_lang_canonical_hreflang_and_switcher(site: Path):
    run("build", "--root", str(site))
    base = "https://example.org/news/"
    for edition, lang, other, title in (
            ("zh-hans", "zh-Hans", "zh-hant", "上半年青岛贷款余额3.14万亿元"),
            ("zh-hant", "zh-Hant", "zh-hans", "上半年青島貸款餘額3.14萬億元")):
        page = soup(site / f"_site/{edition}/articles/qingdao-loans/index.html")
        assert page.html["lang"] == lang
        assert page.select_one("article h1").get_text() == title
        assert page.find("link", rel="canonical")["href"] == (
            f"{base}{edition}/articles/qingdao-loans/")
        alternates = {link["hreflang"]: link["href"]
                      for link in page.find_all("link", rel="alternate") if link.get("hreflang")}
        assert alternates == {
            "zh-Hans": f"{base}zh-hans/articles/qingdao-loans/",
            "zh-Hant": f"{base}zh-hant/articles/qingdao-loans/",
            "x-default": f"{base}zh-hans/articles/qingdao-loans/",
        }
        switch = page.select_one("nav.switch a")
        assert switch["href"] == f"/news/{other}/articles/qingdao-loans/"
        assert switch["lang"] == switch["hreflang"] == {"zh-hans": "zh-Hans",
                                                          "zh-hant": "zh-Hant"}[other]
        assert page.select_one("article time").get_text() == "2024年7月22日"
        assert page.select_one("article h2")["id"] == "lvsejinrong"


def test_each_edition_is_in_its_own_script(site: Path):
    run("build", "--root", str(site))
    chars = ScriptChars.load()
    for edition, foreign in (("zh-hans", chars.traditional_only),
                             ("zh-hant", chars.simplified_only)):
        for page_path in (site / "_site" / edition).rglob("*.html"):
            page = soup(page_path)
            for marked in page.select("[lang]"):
                if marked.name != "html":
                    marked.decompose()  # text deliberately in the other script
            stray = {ch for ch in page.get_text() if ch in foreign}
            assert not stray, (page_path, stray)


def test_parallel_mode_pairs_blocks_in_both_scripts(site: Path):
    run("build", "--root", str(site))
    page = soup(site / "_site/zh-hant/articles/qingdao-loans/parallel/index.html")
    rows = page.select(".rows .row")
    assert len(rows) == 3  # the title row, the heading, the paragraph
    primary, other = rows[2].select(".cell")
    assert "lang" not in primary.attrs and other["lang"] == "zh-Hans"
    assert primary.get_text().strip() == "高技術產業貸款同比增長36.2%。"
    assert other.get_text().strip() == "高技术产业贷款同比增长36.2%。"


def test_root_chooses_an_edition_and_works_without_javascript(site: Path):
    run("build", "--root", str(site))
    page = soup(site / "_site/index.html")
    links = {a["lang"]: a["href"] for a in page.select("ul.editions a")}
    assert links == {"zh-Hans": "/news/zh-hans/", "zh-Hant": "/news/zh-hant/"}
    script = page.find("script").string
    assert 'localStorage.getItem("edition")' in script and "navigator.languages" in script


def test_base_url_override(site: Path):
    run("build", "--root", str(site), "--base-url", "https://news.example.com")
    page = soup(site / "_site/zh-hans/index.html")
    assert page.find("link", rel="canonical")["href"] == "https://news.example.com/zh-hans/"
    assert page.select_one("a.brand")["href"] == "/zh-hans/"


@pytest.mark.parametrize("url", ["news.example.com", "javascript:alert(1)//x", "https://a b.example/"])
def test_a_bad_base_url_override_is_a_usage_error(site: Path, url: str):
    assert run("build", "--root", str(site)).returncode == 0
    published = (site / "_site/zh-hans/index.html").read_bytes()
    result = run("build", "--root", str(site), "--base-url", url, "--force")
    assert result.returncode == 2 and "argument --base-url: the base URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert (site / "_site/zh-hans/index.html").read_bytes() == published


def test_drafts_are_left_out(make_site):
    root = make_site({"a.md": LOANS, "b.md": article("草稿", "x", draft="true")})
    assert run("build", "--root", str(root)).returncode == 0
    assert not (root / "_site/zh-hans/articles/b").exists()


def test_pagination(make_site):
    """The list's own page shows the newest; the other pages are numbered from the oldest
    (page 1 holds the first articles), the newest of them without the list page's own."""
    root = make_site({f"a{i}.md": article(f"文章{i}", "正文", date=f"2024-07-{i + 1:02d}")
                      for i in range(5)},
                     config='base_url = "https://example.org/"\npage_size = 2\n')
    assert run("build", "--root", str(root)).returncode == 0
    first = soup(root / "_site/zh-hans/index.html")
    # the front page shows the latest story large (a card too), not again in its list
    assert first.select_one(".lead h2 a").get_text() == "文章4"
    assert [a.get_text() for a in first.select(".card h2 a")] == ["文章4", "文章3"]
    assert first.select_one('a[rel="next"]')["href"] == "/zh-hans/page/2/"
    second = soup(root / "_site/zh-hans/page/2/index.html")
    assert second.select_one(".lead") is None
    assert [a.get_text() for a in second.select(".card h2 a")] == ["文章2"]
    assert second.select_one('a[rel="prev"]')["href"] == "/zh-hans/"
    oldest = soup(root / "_site/zh-hans/page/1/index.html")
    assert [a.get_text() for a in oldest.select(".card h2 a")] == ["文章1", "文章0"]
    assert oldest.select_one('a[rel="prev"]')["href"] == "/zh-hans/page/2/"
    assert oldest.select_one('a[rel="next"]') is None
    assert not (root / "_site/zh-hans/page/3").exists()


@settings(max_examples=300, deadline=None)
@given(count=st.integers(0, 200), size=st.integers(1, 25))
def test_numbered_pages_cover_the_list_once_and_a_new_article_leaves_full_ones_alone(count, size):
    from builder.pages import archive_chunks

    chunks = archive_chunks(count, size)
    shown = list(range(min(size, count))) + [i for start, end in reversed(chunks)
                                             for i in range(start, end)]
    assert shown == list(range(count))      # newest first, each once
    assert all(end - start == size for start, end in chunks[:-1])   # all but the newest full
    # one more article, newest: every page but the newest numbered one keeps its articles
    # (counted from the oldest, an article's position does not move)
    after = archive_chunks(count + 1, size)
    for (start, end), (start2, end2) in zip(chunks[:-1], after, strict=False):
        assert (count - end, count - start) == (count + 1 - end2, count + 1 - start2)


def test_empty_content_builds_an_empty_site(make_site):
    root = make_site({})
    result = run("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert (root / "_site/zh-hant/index.html").exists()


def test_bad_input_exits_1_with_one_message_and_keeps_the_published_site(site: Path):
    assert run("build", "--root", str(site)).returncode == 0
    published = {p: p.read_bytes() for p in (site / "_site").rglob("*") if p.is_file()}
    (site / "content/broken.md").write_text('+++\ntitle = "t"\ndate = "yesterday"\n+++\n',
                                            encoding="utf-8")
    result = run("build", "--root", str(site))
    assert result.returncode == 1
    assert result.stderr.startswith("content/broken.md:3: error: `date` must be a TOML date")
    assert "Traceback" not in result.stderr
    after = {p: p.read_bytes() for p in (site / "_site").rglob("*") if p.is_file()}
    assert after == published
    assert [p.name for p in site.iterdir() if "staging" in p.name] == []


def test_debug_shows_the_traceback(site: Path):
    (site / "content/broken.md").write_text("no front matter\n", encoding="utf-8")
    result = run("--debug", "build", "--root", str(site))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_template_error_names_template_and_line(site: Path):
    (site / "templates/article.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{{ article.nonsense }}\n{% endblock %}\n',
        encoding="utf-8")
    result = run("build", "--root", str(site))
    assert result.returncode == 1
    assert result.stderr.startswith("templates/article.html:3: error: undefined template variable")


def test_usage_errors_exit_2():
    assert run("build", "--no-such-flag").returncode == 2
    assert run().returncode == 2


def test_stale_files_are_removed(site: Path):
    run("build", "--root", str(site))
    (site / "content/yanshan.md").unlink()
    run("build", "--root", str(site))
    assert not (site / "_site/zh-hans/articles/yanshan").exists()


def test_refuses_to_replace_a_folder_it_did_not_make(site: Path, tmp_path: Path):
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run("build", "--root", str(site), "--out", str(precious))
    assert result.returncode == 1 and "was not made by builder" in result.stderr
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_the_repository_site_builds(seed_site: Path):
    assert (seed_site / "zh-hans/index.html").exists()
    assert (seed_site / "zh-hant/index.html").exists()
    assert REPO.joinpath("sources").is_dir()


def test_progress_bar_on_a_terminal_and_quiet_otherwise(make_site):
    import fcntl
    import os
    import pty
    import struct
    import termios

    body = "防汛抢险人员在岗，暴雨预警发布。" * 40
    root = make_site({f"a{i:03d}.md": article(f"文章{i}", body, date=f"2024-07-{i % 28 + 1:02d}")
                      for i in range(400)})
    quiet = run("build", "--root", str(root), "--force")
    assert quiet.returncode == 0 and quiet.stderr == ""  # not a terminal: no bar
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    process = subprocess.Popen([sys.executable, "-m", "builder", "build", "--root", str(root),
                                "--clean"], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    assert process.wait(timeout=300) == 0
    assert b"converting" in drawn or b"rendering" in drawn
    assert b"%|" in drawn  # a tqdm bar


def test_a_build_with_nothing_to_do_stops_early(site: Path):
    assert run("build", "--root", str(site)).returncode == 0
    again = run("build", "--root", str(site))
    assert again.returncode == 0 and again.stdout.startswith("up to date: ")
    page = site / "_site/zh-hans/articles/yanshan/index.html"
    before = page.stat().st_mtime_ns
    (site / "content/yanshan.md").write_text(YANSHAN.replace("依托", "依託"), encoding="utf-8")
    rebuilt = run("build", "--root", str(site))
    assert rebuilt.stdout.startswith("built ") and page.stat().st_mtime_ns != before
    forced = run("build", "--root", str(site), "--force")
    assert forced.stdout.startswith("built ")
    other = run("build", "--root", str(site), "--base-url", "https://news.example.com/")
    assert other.stdout.startswith("built ")  # another base URL is another site


def test_a_build_stamps_each_article_file_once(make_site, monkeypatch):
    """The scan that decides whether to build gives the engine its articles' stamps: the
    files `relative_files` lists (hidden names and folders left out), in its order, and
    none of them is stamped again; a page bundle's index is, with its photos."""
    from builder import engine
    from builder.content import relative_files
    from builder.fingerprint import Stamp, scan

    text = article("港口", "港口吞吐量增长。")
    root = make_site({"b.md": text, "a/c.md": text, ".d.md": text, ".e/f.md": text,
                      "a/.g/h.md": text, "b.md~": text, "bundle/index.md": text,
                      "bundle/p.txt": "附件"})
    found = scan(root, None)
    assert list(found.paths) == list(relative_files(root / "content"))
    assert list(found.content()) == [(path, Stamp.of(root / path)) for path in found.paths]
    stamped: list[str] = []
    real = engine.article_stamp
    monkeypatch.setattr(engine, "article_stamp",
                        lambda path: stamped.append(os.path.relpath(path, root)) or real(path))
    build(root)
    assert stamped == ["content/bundle/index.md"]
    assert sorted(p.name for p in (root / "_site/zh-hans/articles").iterdir()) == [
        "b", "bundle", "c"]


def test_dates_with_times_and_offsets_sort_as_instants(make_site):
    """A day, a local time and times with offsets side by side (this used to crash every
    build); each is read in the site's zone, and the time shows where one is given."""
    root = make_site({
        "day.md": article("整日", "正文。", date="2024-07-22"),
        "local.md": article("本地时间", "正文。", date="2024-07-22T09:30:00"),
        "utc.md": article("世界时", "正文。", date="2024-07-22T01:45:00Z"),
        "taipei.md": article("台北时间", "正文。", date="2024-07-22T10:00:00+08:00"),
    })
    result = run("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    out = root / "_site/zh-hans"
    titles = [a.get_text() for a in soup(out / "index.html").select(".card h2 a")]
    assert titles == ["台北时间", "世界时", "本地时间", "整日"]    # 10:00, 09:45, 09:30, 00:00
    times = {t.get_text(): t["datetime"] for t in soup(out / "index.html").select("time")}
    assert times["2024年7月22日 09:45"] == "2024-07-22T09:45:00+08:00"
    assert times["2024年7月22日"] == "2024-07-22"
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<updated>2024-07-22T09:45:00+08:00</updated>" in feed


def test_the_site_time_zone_reads_local_times(make_site):
    root = make_site({"local.md": article("本地时间", "正文。", date="2024-07-22T09:30:00"),
                      "utc.md": article("世界时", "正文。", date="2024-07-22T01:45:00Z")},
                     config='timezone = "Europe/London"\nbase_url = "https://example.org/"\n')
    assert run("build", "--root", str(root)).returncode == 0
    page = (root / "_site/zh-hans/articles/utc/index.html").read_text(encoding="utf-8")
    assert '"datePublished": "2024-07-22T02:45:00+01:00"' in page     # summer time
    assert "2024年7月22日 02:45" in page


def test_articles_dated_in_the_future_wait_for_their_time(make_site, tmp_path):
    """Scheduled: no page, listing, feed, sitemap or search entry until a build runs after
    its time; then it is published though no file changed. --future shows it, marked."""
    import datetime as dt
    import zoneinfo

    from builder.site import build

    root = make_site({"now.md": article("今日要闻", "今天的新闻。", date="2024-07-22T09:00:00"),
                      "later.md": article("定时发布的报道", "明早的新闻。", date="2024-07-23T06:00:00")})
    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    out = tmp_path / "out"
    evening = dt.datetime(2024, 7, 22, 20, 0, tzinfo=zone)
    result = build(root, out=out, now=evening)
    assert (result.articles, result.schedule.count) == (1, 1)
    assert result.schedule.next_due == dt.datetime(2024, 7, 23, 6, 0, tzinfo=zone)
    everything = "".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in out.rglob("*") if p.is_file())
    assert "今日要闻" in everything and "定时发布的报道" not in everything
    assert not (out / "zh-hans/articles/later").exists()
    assert build(root, out=out, now=evening).up_to_date            # nothing new yet
    morning = dt.datetime(2024, 7, 23, 6, 30, tzinfo=zone)
    due = build(root, out=out, now=morning)                         # no file changed
    assert not due.up_to_date and due.articles == 2 and due.schedule.count == 0
    assert "定时发布的报道" in (out / "zh-hans/index.html").read_text(encoding="utf-8")
    ahead = build(root, out=tmp_path / "review", now=evening, future=True)
    assert ahead.articles == 2
    page = (tmp_path / "review/zh-hans/articles/later/index.html").read_text(encoding="utf-8")
    assert '<p class="scheduled">定时发布，尚未公开</p>' in page
    assert 'class="scheduled"' not in (tmp_path / "review/zh-hans/articles/now/index.html"
                                       ).read_text(encoding="utf-8")


def test_the_build_says_when_the_next_scheduled_article_is_due(make_site):
    root = make_site({"a.md": article("今日要闻", "今天的新闻。"),
                      "b.md": article("将来", "以后的新闻。", date="2099-01-01T08:00:00+08:00")})
    result = run("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert ("1 scheduled article not yet published; the next is due 2099-01-01 08:00+08:00"
            in result.stdout)


def test_updates_and_corrections(make_site):
    corrected = article("更正过的报道", "正文。", date="2024-07-20", updated="2024-07-21T10:15:00",
                        corrections='[{ date = 2024-07-21, text = "本文第二段中的数字应为三十万。" }]')
    root = make_site({"fixed.md": corrected, "plain.md": article("普通报道", "正文。")})
    result = run("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    out = root / "_site"
    hant = soup(out / "zh-hant/articles/fixed/index.html")
    assert hant.select_one(".updated").get_text(" ", strip=True) == "更新於 2024年7月21日 10:15"
    assert hant.select_one(".updated time")["datetime"] == "2024-07-21T10:15:00+08:00"
    note = hant.select_one("aside.corrections")
    assert note.h2.get_text() == "更正" and "數字應為三十萬" in note.get_text()
    page = (out / "zh-hans/articles/fixed/index.html").read_text(encoding="utf-8")
    assert '"dateModified": "2024-07-21T10:15:00+08:00"' in page
    assert '"datePublished": "2024-07-20T00:00:00+08:00"' in page
    feed = (out / "zh-hans/feed.xml").read_text(encoding="utf-8")
    entry = feed[feed.index("更正过的报道"):]
    assert "<updated>2024-07-21T10:15:00+08:00</updated>" in entry[:entry.index("</entry>")]
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    at = sitemap.index("zh-hans/articles/fixed/</loc>")
    assert "<lastmod>2024-07-21</lastmod>" in sitemap[at:at + 200]
    plain = soup(out / "zh-hans/articles/plain/index.html")
    assert plain.select_one(".updated") is None and plain.select_one("aside.corrections") is None


def test_builder_new_starts_an_article_and_never_replaces_one(make_site):
    root = make_site({})
    first = run("new", "臺北捷運新線通車", "--date", "2024-08-01T07:00", "--root", str(root))
    assert first.returncode == 0, first.stderr
    path = root / first.stdout.strip()
    assert first.stdout.strip() == "content/2024/08/taibei-jieyun-xinxian-tongche.md"
    assert path.read_text(encoding="utf-8") == (
        '+++\ntitle = "臺北捷運新線通車"\ndate = 2024-08-01 07:00:00\n+++\n\n')
    path.write_text(path.read_text(encoding="utf-8") + "正文。\n", encoding="utf-8")
    again = run("new", "臺北捷運新線通車", "--date", "2024-08-01", "--root", str(root))
    assert again.stdout.strip() == "content/2024/08/taibei-jieyun-xinxian-tongche-2.md"
    assert "正文。" in path.read_text(encoding="utf-8")        # the first one is untouched
    now = run("new", "今日快讯", "--root", str(root))         # dated now, in the site's zone
    assert now.returncode == 0 and now.stdout.startswith("content/")
    built = run("build", "--root", str(root))
    assert built.returncode == 0, built.stderr
    assert (root / "_site/zh-hans/articles/taibei-jieyun-xinxian-tongche/index.html").exists()
    assert run("new", "   ", "--root", str(root)).returncode == 1
    assert run("new", "x", "--date", "tomorrow", "--root", str(root)).returncode == 2
    # a page bundle, for photos; its folder is its slug, taken into account as such
    bundle = run("new", "臺北捷運新線通車", "--bundle", "--date", "2024-08-02", "--root", str(root))
    assert bundle.stdout.strip() == "content/2024/08/taibei-jieyun-xinxian-tongche-3/index.md"
    again = run("new", "臺北捷運新線通車", "--bundle", "--date", "2024-08-02", "--root", str(root))
    assert again.stdout.strip() == "content/2024/08/taibei-jieyun-xinxian-tongche-4/index.md"


def test_footnotes_and_chosen_summaries(make_site):
    import re

    noted = article("带脚注的报道", "导语一句话。\n\n<!--more-->\n\n正文提到一项数据[^1]。\n\n"
                    "[^1]: 数据来自市统计局。")
    summarised = article("自选摘要", "很长的正文。" * 40, summary='"编辑写的摘要。"')
    root = make_site({"notes.md": noted, "sum.md": summarised})
    assert run("build", "--root", str(root)).returncode == 0
    out = root / "_site"
    hant = soup(out / "zh-hant/articles/notes/index.html")
    ref = hant.select_one("sup.footnote-ref a")
    assert ref["href"] == "#fn-zh-hant-1" and hant.select_one("li#fn-zh-hant-1")
    assert "數據來自市統計局" in hant.select_one("section.footnotes").get_text()
    assert "more" not in hant.select_one(".body").get_text()     # the marker is not shown
    parallel = (out / "zh-hans/articles/notes/parallel/index.html").read_text(encoding="utf-8")
    ids = re.findall(r'id="([^"]+)"', parallel)
    assert len(ids) == len(set(ids))       # both editions' footnotes on one page
    index = soup(out / "zh-hans/index.html")
    summaries = {c.h2.get_text(): c.select_one(".summary").get_text() for c in index.select(".card")}
    assert summaries == {"带脚注的报道": "导语一句话。", "自选摘要": "编辑写的摘要。"}
    meta = soup(out / "zh-hant/articles/sum/index.html").find("meta", attrs={"name": "description"})
    assert meta["content"] == "編輯寫的摘要。"


def test_atom_ids_survive_a_move_of_the_site(make_site, tmp_path):
    from builder.site import build

    root = make_site({"a.md": article("防汛", "防汛抢险人员在岗。", date="2024-07-22")})
    build(root, out=tmp_path / "here", base_url="https://user.github.io/news/")
    build(root, out=tmp_path / "there", base_url="https://news.example.com/")

    def ids(out: Path) -> list[str]:
        return re.findall(r"<id>([^<]+)</id>", (out / "zh-hans/feed.xml").read_text(encoding="utf-8"))

    assert ids(tmp_path / "here") == ids(tmp_path / "there") == [
        "tag:ceshixinwen,2000:zh-hans/feed.xml", "tag:ceshixinwen,2024-07-22:zh-hans/articles/a/"]


def test_the_traditional_edition_reads_taiwan_interface_words(make_site):
    """搜尋 and 報導 in zh-Hant, not the converted mainland 搜索 and 報道; a string
    site.toml gives is converted, and one given for each script is used as written."""
    config = ('title = "测试新闻"\nbase_url = "https://example.org/news/"\n[strings]\n'
              'related = "延伸阅读"\nlatest = { hans = "要闻", hant = "焦點新聞" }\n')
    root = make_site({"a.md": article("防汛", "防汛抢险人员在岗。", tags='["防汛"]'),
                      "b.md": article("防汛续报", "防汛抢险继续。", tags='["防汛"]')}, config=config)
    assert run("build", "--root", str(root)).returncode == 0
    out = root / "_site"

    def heading(page: str) -> str:
        return soup(out / page).select_one("h1").get_text()

    assert (heading("zh-hant/search/index.html"), heading("zh-hans/search/index.html")) == (
        "搜尋", "搜索")
    assert 'data-found="找到{n}篇報導"' in (out / "zh-hant/search/index.html").read_text(encoding="utf-8")
    assert (heading("zh-hant/index.html"), heading("zh-hans/index.html")) == ("焦點新聞", "要闻")
    related = soup(out / "zh-hant/articles/a/index.html").select_one("#related-heading")
    assert related.get_text() == "延伸閱讀"     # given in site.toml: converted, not Taiwan's default


# --- old URLs ----------------------------------------------------------------------------

def test_aliases_send_old_urls_to_the_article_under_a_sub_path(make_site):
    config = 'title = "测试新闻"\nbase_url = "https://example.org/repo/"\n'
    root = make_site({"a.md": article("防汛", "防汛抢险。", slug='"flood"',
                                      aliases='["/news/2019/0501/123.html", "old/story/", '
                                              '"/%E6%96%B0/1.html"]')},
                     config)
    build(root)
    for old in ("news/2019/0501/123.html", "old/story/index.html", "新/1.html"):
        page = soup(root / "_site" / old)
        assert page.select_one('meta[http-equiv="refresh"]')["content"] == (
            "0; url=/repo/zh-hans/articles/flood/")
        assert page.select_one('link[rel="canonical"]')["href"] == (
            "https://example.org/repo/zh-hans/articles/flood/")
        assert page.select_one('meta[name="robots"]')["content"] == "noindex"
    sitemap = (root / "_site/sitemap.xml").read_text(encoding="utf-8")
    assert "news/2019" not in sitemap and "old/story" not in sitemap


@pytest.mark.parametrize("alias", ["../up.html", "http://elsewhere.example/x.html",
                                   "//elsewhere.example/x.html", "a/../../b.html", "/", "a b.html",
                                   "%2E%2E/up.html", "a%2F..%2F..%2Fb.html"])
def test_an_alias_that_is_not_a_path_on_this_site_is_refused_with_its_line(make_site, alias):
    root = make_site({"a.md": article("防汛", "防汛抢险。", aliases=f'["{alias}"]')})
    with pytest.raises(BuildError) as caught:
        build(root)
    problem = caught.value.problems[0]
    assert "is not a path on this site" in problem.message
    assert problem.path == Path("content/a.md") and problem.line == 4
    assert not (root / "_site").exists()


@pytest.mark.parametrize("alias", ["zh-hans/index.html", "/old.html"])
def test_an_alias_in_the_way_of_a_page_or_another_alias_names_its_article(make_site, alias):
    root = make_site({"a.md": article("防汛", "防汛抢险。", aliases=f'["{alias}"]'),
                      "b.md": article("港口", "港口吞吐量。", aliases='["old.html"]')})
    with pytest.raises(BuildError) as caught:
        build(root)
    assert "would replace another page" in caught.value.problems[0].message
    assert caught.value.problems[0].path.name in ("a.md", "b.md")


def _rows(*pages: tuple[str, str | None]) -> WalkedShard:
    return WalkedShard(None, Rows(tuple(p for p, _ in pages), tuple(b"d" for _ in pages),
                                  tuple(None for _ in pages), tuple(None for _ in pages),
                                  tuple(a for _, a in pages)), True)


@pytest.mark.parametrize(("shards", "message"), [
    ([_rows(("a.html", None), ("b.html", None)), _rows(("b.html", None))],
     "two pages would be written to 'b.html'"),
    ([_rows(("a.html", None), ("a.html", None))], "two pages would be written to 'a.html'"),
    ([_rows(("a.html", None)), _rows(("c.html", None), ("a.html", "content/x.md"))],
     "alias 'a.html' would replace another page")])
def test_the_first_page_at_a_path_already_walked_is_the_error(shards, message):
    """What a walk reports when its shards' rows name a path twice (`_clash`), in
    another shard or in the same one: the later page, and an alias by its article."""
    with pytest.raises(BuildError) as caught:
        _clash(shards)
    problem = caught.value.problems[0]
    assert problem.message == message
    assert problem.path == (Path("content/x.md") if "alias" in message else None)


def test_a_static_file_in_the_way_of_a_page_is_refused(make_site):
    root = make_site({"a.md": article("防汛", "防汛抢险。")})
    (root / "static/zh-hans").mkdir()
    (root / "static/zh-hans/index.html").write_text("mine", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root)
    assert "static/zh-hans/index.html would replace a page" in caught.value.problems[0].message


def test_a_misspelt_topic_is_an_error_with_the_closest_slug(make_site):
    config = ('title = "测试新闻"\nbase_url = "https://example.org/"\n'
              '[[topics]]\nslug = "finance"\nname = "金融"\nkeywords = ["贷款"]\n')
    root = make_site({"a.md": article("贷款", "贷款余额。", topics='["finanse"]')}, config)
    with pytest.raises(BuildError) as caught:
        build(root)
    problem = caught.value.problems[0]
    assert problem.message == "unknown topic 'finanse'"
    assert (problem.path, problem.line) == (Path("content/a.md"), 4)
    assert "did you mean 'finance'?" in problem.hint


def test_a_topic_taken_out_of_site_toml_is_found_in_the_articles_that_name_it(make_site):
    config = ('title = "测试新闻"\nbase_url = "https://example.org/"\n'
              '[[topics]]\nslug = "finance"\nname = "金融"\nkeywords = ["贷款"]\n')
    root = make_site({"a.md": article("贷款", "贷款余额。", topics='["finance"]')}, config)
    build(root)
    (root / "site.toml").write_text(config.replace("finance", "money"), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(root)     # the article itself did not change
    assert caught.value.problems[0].message == "unknown topic 'finance'"


def test_toc_lists_the_headings_linked_to_their_anchors_in_both_editions(make_site):
    body = "导语。\n\n## 贷款余额\n\n正文。\n\n### 小微企业\n\n正文。\n\n## 存款\n\n正文。"
    root = make_site({"a.md": article("金融", body, toc="true"),
                      "b.md": article("金融二", body)})
    build(root)
    for edition, heading in (("zh-hans", "目录"), ("zh-hant", "目錄")):
        page = soup(root / f"_site/{edition}/articles/a/index.html")
        toc = page.select_one("nav.toc")
        assert toc.h2.get_text() == heading
        links = [(li["class"][0], a["href"]) for li in toc.select("li") for a in li.select("a")]
        assert links == [("toc-2", "#daikuanyue"), ("toc-3", "#xiaoweiqiye"),
                         ("toc-2", "#cunkuan")]
        for _, href in links:
            assert page.find(id=href[1:]) is not None
    assert soup(root / "_site/zh-hans/articles/b/index.html").select_one("nav.toc") is None


def test_front_page_leads_with_the_latest_story_then_each_topic(make_site):
    config = ('title = "测试新闻"\nbase_url = "https://example.org/"\n'
              '[[topics]]\nslug = "finance"\nname = "金融"\nkeywords = ["贷款"]\n'
              '[[topics]]\nslug = "port"\nname = "港口"\nkeywords = ["港口"]\n'
              '[[topics]]\nslug = "empty"\nname = "空"\nkeywords = ["无此词"]\n')
    articles = {f"f{i}.md": article(f"贷款{i}", "贷款余额增长。贷款投放。", date=f"2024-07-0{i + 1}")
                for i in range(6)}
    articles["p.md"] = article("港口新闻", "港口吞吐量。港口集装箱。", date="2024-07-09")
    articles["o.md"] = article("杂谈", "天气晴。", date="2024-07-08")
    root = make_site(articles, config)
    build(root)
    for edition, finance, lead in (("zh-hans", "金融", "港口新闻"), ("zh-hant", "金融", "港口新聞")):
        home = soup(root / f"_site/{edition}/index.html")
        assert home.select_one(".lead h2 a").get_text() == lead
        sections = {s.h2.get_text(): [a.get_text() for a in s.select("li a")]
                    for s in home.select(".front-section")}
        # the lead is not repeated; 其他 and topics without articles are not sections
        assert list(sections) == [finance] and len(sections[finance]) == 4
        assert sections[finance][0] in ("贷款5", "貸款5")
        nav = [a.get_text() for a in home.select("nav.sections a")]
        assert nav[1:3] == [finance, "港口"] and "空" not in nav
        topic = soup(root / f"_site/{edition}/topics/port/index.html")
        assert topic.select_one('nav.sections a[aria-current="page"]').get_text() == "港口"
        page = soup(root / f"_site/{edition}/articles/p/index.html")
        assert page.select_one('nav.sections a[aria-current="true"]').get_text() == "港口"


def test_corner_quotes_each_edition_quotes_as_its_readers_do(make_site):
    config = ('title = "测试新闻"\nbase_url = "https://example.org/"\n'
              '[conversion]\ncorner_quotes = true\n')
    root = make_site({"s.md": article("他说“好”", "他说：“我们‘一定’要做好。”英文 don’t 不变。"),
                      "t.md": article("他說「好」", "他說：「我們『一定』要做好。」", date="2024-07-21")},
                     config)
    build(root)
    page = soup(root / "_site/zh-hant/articles/s/index.html")
    assert page.select_one("article h1").get_text() == "他說「好」"
    assert "他說：「我們『一定』要做好。」英文 don’t 不變。" in page.select_one(".body").get_text()
    simplified = soup(root / "_site/zh-hans/articles/t/index.html")
    assert "他说：“我们‘一定’要做好。”" in simplified.select_one(".body").get_text()


def test_quotes_are_kept_as_written_without_the_option(make_site):
    root = make_site({"s.md": article("他说“好”", "他说：“好。”")})
    build(root)
    page = soup(root / "_site/zh-hant/articles/s/index.html")
    assert page.select_one("article h1").get_text() == "他說“好”"


def test_updated_is_compared_with_date_as_instants(make_site):
    # 03:00Z is 11:00 in Shanghai: after the 09:00 publication, though its wall time is earlier
    root = make_site({"a.md": article("x", "y", date="2024-07-22T09:00:00",
                                      updated="2024-07-22T03:00:00Z")})
    build(root)
    page = soup(root / "_site/zh-hans/articles/a/index.html")
    assert "更新于" in page.get_text()
