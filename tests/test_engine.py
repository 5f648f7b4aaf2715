"""The incremental engine: after any sequence of changes, the output a build updates in
place equals a clean build of the same sources, byte for byte; and it does only the
work a change needs."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PIL import Image

from builder import pages as pages_module
from builder import plan as plan_module
from builder import state as state_module
from builder.config import load_config
from builder.engine import Cancelled, Engine
from builder.errors import BuildError
from builder.fingerprint import MARKER
from builder.pages import Listed, SitemapPart, listings, sitemap_pages
from builder.site import build
from builder.state import FOLDER as STATE_FOLDER
from builder.state import State
from builder.views import Urls

from .conftest import MINIMAL_CONFIG, article, create_site, snapshot

PARAGRAPHS = ("青岛市金融机构贷款余额增长，支持实体经济。", "防汛抢险人员在岗，暴雨预警发布。",
              "雁山科技生态城项目效果图公布。", "银行信贷投放结构持续优化。", "港口集装箱吞吐量创新高。")
TAGS = ("贷款", "防汛", "港口", "科技")
DATES = ("2024-07-20", "2024-07-21", "2023-11-02", "2099-01-01", "2024-07-21T09:30:00")


def touch(path: Path, text: str) -> None:
    """Write, with a modification time no earlier write had: the next build must see it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    touch.clock += 1_000_000_000
    os.utime(path, ns=(touch.clock, touch.clock))


touch.clock = 1_800_000_000_000_000_000


def touch_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    touch.clock += 1_000_000_000
    os.utime(path, ns=(touch.clock, touch.clock))


def an_article(data) -> str:
    an_article.count += 1   # every version differs, in its first words (the summary) too
    body = f"第{an_article.count}稿。" + "\n\n".join(
        data.draw(st.lists(st.sampled_from(PARAGRAPHS), min_size=1, max_size=3)))
    tags = data.draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
    fields = {"tags": "[" + ", ".join(f'"{t}"' for t in tags) + "]"}
    if data.draw(st.booleans()):
        fields["draft"] = "true" if data.draw(st.integers(0, 3)) == 0 else "false"
    if data.draw(st.integers(0, 3)) == 0:   # an old URL: a redirect page, gone with it
        fields["aliases"] = f'["/old/{an_article.count}.html"]'
    return article(data.draw(st.sampled_from(("贷款余额", "防汛", "港口", "科技城"))), body,
                   date=data.draw(st.sampled_from(DATES)), **fields)


an_article.count = 0


# No shrinking: each step builds twice, and a failure's steps are printed as they are.
@settings(max_examples=5, stateful_step_count=6, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
class IncrementalEqualsClean(RuleBasedStateMachine):
    """Random edits, additions, deletions, renames and template, static and settings
    changes; after each, the incrementally built output equals a clean build."""

    @initialize(data=st.data())
    def start(self, data):
        self.folder = Path(tempfile.mkdtemp(prefix="engine-"))
        self.root = create_site(self.folder / "site", {})
        self.names: list[str] = []
        for _ in range(3):
            self.add(data)
        self.build()

    def teardown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def build(self) -> None:
        build(self.root, out=self.folder / "out")

    @rule(data=st.data())
    def add(self, data):
        name = f"a{len(self.names) + data.draw(st.integers(0, 50))}.md"
        if f"moved/{name}" in self.names:   # the same slug twice: a build refuses it
            name = f"moved/{name}"
        if name not in self.names:
            self.names.append(name)
        touch(self.root / "content" / name, an_article(data))

    @precondition(lambda self: self.names)
    @rule(data=st.data())
    def edit(self, data):
        touch(self.root / "content" / data.draw(st.sampled_from(self.names)), an_article(data))

    @precondition(lambda self: len(self.names) > 1)
    @rule(data=st.data())
    def delete(self, data):
        name = data.draw(st.sampled_from(self.names))
        self.names.remove(name)
        (self.root / "content" / name).unlink()

    @precondition(lambda self: self.names)
    @rule(data=st.data())
    def rename(self, data):
        name = data.draw(st.sampled_from(self.names))
        new = f"moved/{name}"
        if name.startswith("moved/") or new in self.names:
            return
        (self.root / "content/moved").mkdir(exist_ok=True)
        os.rename(self.root / "content" / name, self.root / "content" / new)
        self.names[self.names.index(name)] = new

    @rule(word=st.sampled_from(("one", "two", "three")),
          template=st.sampled_from(("terms.html", "article.html", "base.html", "_cards.html")))
    def edit_template(self, word, template):
        """A visible change: in the page's main block, in the frame of every page, or in
        the list of cards that listings include."""
        path = self.root / "templates" / template
        text = path.read_text(encoding="utf-8")
        if template == "base.html":
            text = text.replace("<main ", f"<main data-{word} ", 1)
        elif template == "_cards.html":
            text = f"<!-- {word} -->\n" + text
        else:
            text = text.replace("{% block main %}", f"{{% block main %}}<!-- {word} -->", 1)
        touch(path, text)

    @rule(text=st.sampled_from(("/* one */\n", "/* two */\n")),
          name=st.sampled_from(("js/site.js", "extra.txt")))
    def edit_static(self, text, name):
        touch(self.root / "static" / name, text)

    @rule(color=st.sampled_from(("red", "navy", "olive")),
          size=st.sampled_from(((120, 90), (90, 120), (600, 400))), second=st.booleans())
    def edit_photos(self, color, size, second):
        """A page bundle: its photo replaced, a second photo shown or taken away."""
        folder = self.root / "content/bundle"
        folder.mkdir(exist_ok=True)
        photo = io.BytesIO()
        Image.new("RGB", size, color).save(photo, "JPEG")
        touch_bytes(folder / "p.jpg", photo.getvalue())
        if second:
            touch_bytes(folder / "q.png", photo.getvalue())
        else:
            (folder / "q.png").unlink(missing_ok=True)
        shown = "![照片](p.jpg)" + ("\n\n![另一张](q.png \"图说。\")" if second else "")
        touch(folder / "index.md", article("组图", f"现场照片。\n\n{shown}\n", date="2024-07-19"))

    @rule(title=st.sampled_from(("测试新闻", "青岛晚报", "新闻")),
          size=st.sampled_from((20, 2)))
    def edit_settings(self, title, size):
        touch(self.root / "site.toml", MINIMAL_CONFIG.replace("测试新闻", title)
              + f"page_size = {size}\n")

    @invariant()
    def equals_a_clean_build(self):
        if not hasattr(self, "root"):
            return
        self.build()
        clean = self.folder / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        build(self.root, out=clean, clean=True)
        incremental, fresh = snapshot(self.folder / "out"), snapshot(clean)
        assert incremental.keys() == fresh.keys()
        assert [path for path in fresh if fresh[path] != incremental[path]] == []


def test_incremental_equals_clean(monkeypatch):
    # shards of two articles, buckets of a term or two, a numbered page a shard, the
    # state's entries two to a bucket: the few articles of a step span several shards,
    # so a step both walks and recalls shards
    monkeypatch.setattr(state_module, "BUCKET", 2)
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    monkeypatch.setattr(plan_module, "TERM_PAGES_PER_SHARD", 1)
    monkeypatch.setattr(plan_module, "FRONT_PAGES_PER_SHARD", 1)
    # and sitemaps in files by group past a few dozen URLs: the sites of the steps go
    # both ways, and a file is made again from the rows of shards kept
    monkeypatch.setattr(pages_module, "SITEMAP_ONE_FILE", 40)
    run_state_machine_as_test(IncrementalEqualsClean)


A = article("防汛", "防汛抢险人员在岗。暴雨预警。", date="2024-07-20", tags='["防汛"]')
B = article("贷款", "贷款余额增长。银行信贷。", date="2024-07-21", tags='["贷款"]')


def test_an_edit_writes_only_what_it_changes(make_site, tmp_path):
    root = make_site({"a.md": A, "b.md": B})
    engine = Engine(root, tmp_path / "out")
    assert engine.run().full
    touch(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    edit = engine.run()
    written = set(edit.written)
    assert not edit.full and edit.removed == []
    for edition in ("zh-hans", "zh-hant"):
        # the article, and the listings and feeds that show its summary
        assert {f"{edition}/articles/a/index.html", f"{edition}/articles/a/parallel/index.html",
                f"{edition}/index.html", f"{edition}/feed.xml",
                f"{edition}/tags/fangxun/index.html"} <= written
        # not the other article, nor the lists of names, nor the pages of its tag
        assert not written & {f"{edition}/articles/b/index.html", f"{edition}/tags/index.html",
                              f"{edition}/tags/daikuan/index.html", f"{edition}/search/index.html"}
    assert "連夜值守" in (tmp_path / "out/zh-hant/articles/a/index.html").read_text(encoding="utf-8")
    assert engine.run().written == []     # nothing changed: nothing written


def test_a_damaged_or_foreign_state_means_a_full_build_never_a_failed_one(make_site, tmp_path):
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    build(root, out=out)
    for damage in (b"not a database at all", b"SQLite format 3\0" + b"\xff" * 4000, b""):
        for state in (root / STATE_FOLDER).glob("*.sqlite"):
            state.write_bytes(damage)
        touch(root / "content/b.md", B.replace("银行信贷", "信贷投放" + damage[:2].hex()))
        result = build(root, out=out)
        assert result.full
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        build(root, out=tmp_path / "clean", clean=True)
        assert snapshot(out) == snapshot(tmp_path / "clean")


@pytest.mark.parametrize("damaged", ["every page but the schema's", "the outputs and entries"])
def test_a_damaged_store_is_found_where_it_is_read_and_made_anew(make_site, tmp_path,
                                                                  damaged: str):
    """The store is not checked whole on opening (that read all of it): damage is found
    by what reads it. That build is a full one, and the damaged file goes: a new store
    at once when the damage is found on opening, else from the next build on."""
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    with sqlite3.connect(state) as db:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = ([n for (n,) in db.execute("SELECT pageno FROM dbstat WHERE name IN "
                                           "('outputs', 'buckets')")]
                 if damaged == "the outputs and entries" else
                 range(2, db.execute("PRAGMA page_count").fetchone()[0] + 1))
    data = bytearray(state.read_bytes())
    for n in pages:
        data[(n - 1) * size:n * size] = b"\xa5" * size
    state.write_bytes(bytes(data))
    fulls = []
    for i, words in enumerate(("信贷投放", "信贷回落", "信贷回升")):
        touch(root / "content/b.md", B.replace("银行信贷", words))
        fulls.append(build(root, out=out).full)
        build(root, out=tmp_path / f"clean{i}", clean=True)
        assert snapshot(out) == snapshot(tmp_path / f"clean{i}")
    assert fulls == ([True, False, False] if damaged == "every page but the schema's"
                     else [True, True, False])


def test_a_build_notes_the_conversion_of_the_articles_it_read_not_of_every_article(
        make_site, tmp_path):
    """Written in Traditional with stray Simplified characters, each article's repair is
    noted when it is read: all of them by a first build, the edited one by an edit."""
    stray = {name: article(title, body, date=date, script='"zh-Hant"') for name, title, body, date
             in (("a.md", "防汛", "颱風來襲，搶險人员在崗。", "2024-07-20"),
                 ("b.md", "貸款", "貸款餘額增长，銀行信貸。", "2024-07-21"))}
    root = make_site(stray)
    out = tmp_path / "out"

    def noted() -> list[str]:
        return sorted(f"{n.path.name}: {n.message}" for n in build(root, out=out).notes)

    assert noted() == ["a.md: repaired 1 stray characters: 员→員",
                       "b.md: repaired 1 stray characters: 长→長"]
    touch(root / "content/b.md", stray["b.md"].replace("銀行", "商業銀行"))
    assert noted() == ["b.md: repaired 1 stray characters: 长→長"]


def test_a_state_that_names_another_output_is_not_trusted(make_site, tmp_path):
    """An output replaced behind the engine's back (restored from elsewhere, or a build
    killed while renaming files into place) no longer matches the state: a full build."""
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    build(root, out=out)
    (out / "zh-hans/articles/a/index.html").write_text("stale", encoding="utf-8")
    marker = out / MARKER
    marker.write_text(marker.read_text().replace("generation: ", "generation: 0"))
    assert build(root, out=out, skip_if_up_to_date=False).full
    assert "防汛" in (out / "zh-hans/articles/a/index.html").read_text(encoding="utf-8")


def test_a_state_that_cannot_be_written_is_a_warning(make_site, tmp_path):
    root = make_site({"a.md": A})
    (root / ".cache").mkdir()
    (root / STATE_FOLDER).write_text("a file where the state's folder goes")
    result = build(root, out=tmp_path / "out")
    assert [w.message for w in result.warnings if "state" in w.message]
    touch(root / "content/a.md", A.replace("暴雨预警", "预警解除"))
    assert build(root, out=tmp_path / "out").full     # no state: every build is a full one


def _built(make_site, tmp_path) -> tuple[Path, Path, Path]:
    """A site of A and B built into `out`: the site, the output and the state's file."""
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    return root, out, state


def test_the_state_records_every_published_file(make_site, tmp_path):
    """Pages by the shard that made them, every other file in the outputs' maps; each
    file once."""
    _, out, state = _built(make_site, tmp_path)
    store = State(state)
    files = store.outputs()
    pages = [path for key in store.shard_summaries() for path in store.shard(key).paths]
    store.close()
    recorded = set(files) | set(pages)
    published = set(snapshot(out))
    assert len(pages) == len(set(pages)) and not set(pages) & set(files)
    assert published <= recorded and all(p.startswith("\0") for p in recorded - published)


@pytest.mark.parametrize("count", [1, 2])
def test_deleting_articles_removes_their_files_and_empty_folders(make_site, tmp_path, count):
    root = make_site({"a.md": A, "b.md": B, "c.md": A.replace("防汛", "港口")})
    out = tmp_path / "out"
    build(root, out=out)
    for name in ("b.md", "c.md")[:count]:
        (root / "content" / name).unlink()
    result = build(root, out=out)
    assert result.removed > 0 and not (out / "zh-hans/articles/b").exists()
    assert not (out / "zh-hans/tags/daikuan").exists()


@pytest.mark.parametrize("asked", [1, 2, 3, 4])
@pytest.mark.parametrize("in_place", [True, False])
def test_a_run_given_up_writes_nothing_and_the_next_run_is_whole(make_site, tmp_path, asked,
                                                                 in_place):
    """`asked`: the run is given up at the n-th time it asks (after the state, the
    articles, the plan, the pages); the preview (in place) and a build alike."""
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    engine = Engine(root, out, in_place=in_place)
    engine.run()
    before = snapshot(out)
    touch(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    questions = []
    with pytest.raises(Cancelled):
        engine.run(cancelled=lambda: questions.append(1) or len(questions) >= asked)
    assert snapshot(out) == before
    assert not engine.run().full    # what was recorded before is still trusted
    build(root, out=tmp_path / "clean", clean=True)
    made, clean = snapshot(out), snapshot(tmp_path / "clean")
    del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
    assert made == clean


def test_a_touched_file_is_read_but_not_parsed_again(make_site, tmp_path, monkeypatch):
    """A fresh checkout (CI) gives every file a new stamp: the recorded entry of a file
    whose text is the same stands."""
    import builder.engine as engine_module

    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    Engine(root, out).run()
    parsed = []
    real = engine_module.parse_article
    monkeypatch.setattr(engine_module, "parse_article",
                        lambda text, path, photos: parsed.append(path) or real(text, path, photos))
    for name in ("a.md", "b.md"):
        touch(root / "content" / name, (root / "content" / name).read_text(encoding="utf-8"))
    again = Engine(root, out).run()    # a new process: from the saved state
    assert parsed == [] and again.written == [] and not again.full
    touch(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    Engine(root, out).run()
    assert parsed == [Path("content/a.md")]
    assert "連夜值守" in (out / "zh-hant/articles/a/index.html").read_text(encoding="utf-8")


def sitemap_urls(out: Path, name: str) -> list[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.parse(out / name).getroot().iterfind("s:*/s:loc", ns)]


def test_a_large_sitemap_is_split_by_group_and_a_new_tag_renders_only_its_files_again(
        make_site, tmp_path, monkeypatch):
    """Past one file, a file a group of shards in each edition: a new tag changes the
    file of its terms' group alone (the sitemaps list URLs and days, which the lists of
    terms and the articles keep), and not the index of files."""
    monkeypatch.setattr(pages_module, "SITEMAP_ONE_FILE", 10)
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    engine = Engine(root, out)
    engine.run()
    base = "https://example.org/news/"   # MINIMAL_CONFIG's base_url
    files = [url.removeprefix(base) for url in sitemap_urls(out, "sitemap.xml")]
    listed = [url for name in files for url in sitemap_urls(out, name)]
    pages = [f"{base}{p.relative_to(out).as_posix().removesuffix('index.html')}"
             for edition in ("zh-hans", "zh-hant") for p in (out / edition).rglob("index.html")]
    assert sorted(listed) == sorted(pages)          # every page once, no other URL
    for name in files:
        folder = name.rpartition("/")[0] + "/"      # a sitemap lists only URLs below it
        assert folder in ("zh-hans/", "zh-hant/")
        assert all(url.startswith(base + folder) for url in sitemap_urls(out, name))
    assert {"zh-hans/sitemap-tags-0.xml", "zh-hans/sitemap-articles-0.xml"} <= set(files)

    touch(root / "content/b.md", B.replace('tags = ["贷款"]', 'tags = ["贷款", "港口"]'))
    written = set(engine.run().written)
    assert {"zh-hans/sitemap-tags-0.xml", "zh-hant/sitemap-tags-0.xml"} <= written
    assert not written & {"zh-hans/sitemap-articles-0.xml", "zh-hant/sitemap-articles-0.xml",
                          "zh-hans/sitemap-topics-0.xml", "zh-hans/sitemap-front.xml",
                          "sitemap.xml"}
    assert f"{base}zh-hant/tags/gangkou/" in sitemap_urls(out, "zh-hant/sitemap-tags-0.xml")
    build(root, out=tmp_path / "clean", clean=True)
    made, clean = snapshot(out), snapshot(tmp_path / "clean")
    del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
    assert made == clean


def test_a_sitemap_group_past_the_limit_is_cut_into_parts_between_its_shards(make_site):
    """Files by edition and group; a group past the limit in parts, each shard's pages
    in one part; the index names each file with its latest day."""
    config = load_config(make_site({}))

    def part(group: str, edition: str, slugs: str, day: int = 0) -> SitemapPart:
        pages = [Listed(f"{edition}tags/{slug}/index.html", f"tags/{slug}/",
                        dt.date.fromordinal(day) if day else None) for slug in slugs]
        [listing] = listings(*zip(*pages, strict=True))
        return SitemapPart(group, listing, lambda: pages)

    parts = [part("tags-0", "zh-hans/", "ab", 738000), part("tags-0", "zh-hans/", "c"),
             part("tags-0", "zh-hant/", "a"), part("tags-0", "zh-hans/", "de", 738001),
             part("front", "zh-hans/", "x")]
    files = sitemap_pages(parts, config, Urls(config.base_url, config.base_path), limit=3,
                          one_file=6)
    assert [f.path for f in files] == ["zh-hans/sitemap-tags-0-p1.xml",
                                       "zh-hans/sitemap-tags-0-p2.xml",
                                       "zh-hant/sitemap-tags-0.xml", "zh-hans/sitemap-front.xml",
                                       "sitemap.xml"]
    assert [len(f.view()["urls"]) for f in files[:-1]] == [3, 2, 1, 1]
    assert [(m.loc, m.lastmod) for m in files[-1].view()["sitemaps"]] == [
        (f"https://example.org/news/{f.path}", day) for f, day in zip(
            files[:-1], ("2021-07-29", "2021-07-30", "", ""), strict=True)]
    [one] = sitemap_pages(parts, config, Urls(config.base_url, config.base_path), one_file=7)
    assert one.path == "sitemap.xml" and len(one.view()["urls"]) == 7


def test_a_render_reads_each_articles_body_once_for_all_its_pages(make_site, tmp_path,
                                                                   monkeypatch):
    from builder.cache import DerivedCache

    root = make_site({"a.md": A, "b.md": B})
    Engine(root, tmp_path / "first").run()      # the derive cache holds both
    read = []
    real = DerivedCache.get

    def get(self, article, keep=True):
        if not keep:    # a body, for a page
            read.append(article.path)
        return real(self, article, keep)

    monkeypatch.setattr(DerivedCache, "get", get)
    Engine(root, tmp_path / "second").run()
    # the front page's feed in each edition, then the four pages of each article together
    assert sorted(read) == ["content/a.md"] * 3 + ["content/b.md"] * 3


def test_a_preview_run_given_up_while_it_writes_leaves_no_stale_page(make_site, tmp_path,
                                                                     monkeypatch):
    """The preview writes each page as the walk meets it, and the search index as soon as
    it is made; given up between shards, the files it wrote are newer than what it
    recorded. The save after it puts the first text back: every file must follow, as in
    a clean build."""
    from builder import parallel

    monkeypatch.setattr(parallel, "_can_fork", lambda: False)   # the index made at once
    root = make_site({"a.md": A, "b.md": B})
    out = tmp_path / "out"
    engine = Engine(root, out, in_place=True)
    engine.run()
    touch(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    page = out / "zh-hans/articles/a/index.html"
    asked = []

    def written() -> bool:      # given up at the first step after its page is written
        asked.append(1)
        return "连夜值守" in page.read_text(encoding="utf-8")

    with pytest.raises(Cancelled):
        engine.run(cancelled=written)
    assert len(asked) > 5       # the state, the articles, the plan, the photos, shards
    touch(root / "content/a.md", A)     # the first text again
    engine.run()
    build(root, out=tmp_path / "clean", clean=True)
    made, clean = snapshot(out), snapshot(tmp_path / "clean")
    del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
    assert made == clean


def test_a_preview_writes_what_lists_a_saved_article_before_other_articles_pages(
        make_site, tmp_path, monkeypatch):
    """The saved article's own pages come first (`Engine.first`); the run that follows
    writes the listings and feeds that show it before the pages of the other articles,
    which name it among their related articles."""
    from builder import output

    root = make_site({"a.md": A, "b.md": B})
    engine = Engine(root, tmp_path / "out", in_place=True)
    engine.run()
    order: list[str] = []
    real = output.InPlace.write

    def write(self, relative, text):
        order.append(relative)
        real(self, relative, text)

    monkeypatch.setattr(output.InPlace, "write", write)
    touch(root / "content/a.md", A.replace('title = "防汛"', 'title = "防汛值守"'))
    engine.run()
    others = [i for i, path in enumerate(order) if path.startswith("zh-hans/articles/b/")]
    listings = [i for i, path in enumerate(order) if "/articles/" not in path
                and path.endswith((".html", ".xml")) and "sitemap" not in path]
    assert others and {"zh-hans/index.html", "zh-hans/feed.xml"} <= {order[i] for i in listings}
    assert max(listings) < min(others)


def test_the_state_is_kept_when_runs_happen_on_another_thread_as_in_the_preview(
        make_site, tmp_path):
    """The preview makes its engine on the server's thread and updates on a worker
    thread; SQLite's default thread check refused that, and the preview never kept a
    state (every start a full build, the search index made whole on every save)."""
    from concurrent.futures import ThreadPoolExecutor

    root = make_site({"a.md": A, "b.md": B})
    engine = Engine(root, tmp_path / "out", in_place=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(engine.run).result()
    assert engine.state.problem is None and engine.state.generation() is not None


def _walked_shards(monkeypatch) -> list:
    """The shards each build walks from now on (not those it recalls), as (part, pages)."""
    walked: list = []
    real = plan_module.walk_shard

    def walk_shard(plan, shard, **kwargs):
        done = real(plan, shard, **kwargs)
        fresh = [part for part in done.parts if part.fresh] if done.parts else [done]
        if done.fresh:
            walked.append((shard.part, {path for part in fresh if part.fresh
                                        for path in part.rows.paths}))
        return done

    monkeypatch.setattr(plan_module, "walk_shard", walk_shard)
    return walked


UNRELATED = ("防汛抢险", "贷款余额", "港口吞吐", "科技城区", "地铁线路", "粮食收购")


def _unrelated() -> dict[str, str]:
    """Six articles with nothing in common, a day apart: a0.md (the oldest) to a5.md."""
    return {f"a{i}.md": article(word, f"{word}。" * 3, date=f"2024-07-{10 + i}",
                                tags=f'["{word}"]')
            for i, word in enumerate(UNRELATED)}


def test_an_edit_walks_only_the_shards_whose_inputs_changed(make_site, tmp_path, monkeypatch):
    """Six articles with nothing in common, in shards of two: an edit to one walks its
    own shard, its terms' buckets and the pages that list every article (the front page,
    the archive, the lists of terms), and recalls the rest; a template walks them all."""
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    monkeypatch.setattr(plan_module, "TERM_PAGES_PER_SHARD", 1)
    root = make_site(_unrelated())
    out = tmp_path / "out"
    engine = Engine(root, out)
    first = engine.run()
    walked = _walked_shards(monkeypatch)
    assert engine.run().walked == 2 and walked == [("site", {"index.html", "404.html"})]
    touch(root / "content/a2.md", article(UNRELATED[2], "港口吞吐。新的一句。", date="2024-07-12",
                                          tags=f'["{UNRELATED[2]}"]'))
    walked.clear()
    edit = engine.run()
    pages = {path for _, paths in walked for path in paths}
    assert edit.walked == len(pages) < first.pages
    articles = {p.split("/")[2] for part, paths in walked if part == "articles" for p in paths}
    # a2 and a3 share a shard (counted from the oldest); the newest two list a2 among
    # their related articles (with nothing in common, the latest of their topic)
    assert articles == {"a2", "a3", "a4", "a5"}
    tags = {p for p in pages if p.startswith("zh-hans/tags/") and p.count("/") == 3}
    assert "zh-hans/tags/gangkoutuntu/index.html" in tags
    assert len(tags) < len(UNRELATED)     # a bucket of a tag or two, not all six
    build(root, out=tmp_path / "clean", clean=True)
    made, clean = snapshot(out), snapshot(tmp_path / "clean")
    del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
    assert made == clean
    path = root / "templates/list.html"
    touch(path, path.read_text(encoding="utf-8") + "\n")
    walked.clear()
    assert engine.run().walked == first.walked     # every page but the sitemap's


def test_a_new_article_walks_its_own_shard_not_those_it_moves(make_site, tmp_path,
                                                               monkeypatch):
    """Articles that share their words find each other as related; a new article on
    another subject joins the newest shard and moves every article's place in the list:
    the other shards, whose articles and related articles are the same, are recalled."""
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5] + PARAGRAPHS[(i + 1) % 5],
                                          date=f"2024-07-{10 + i}", tags=f'["标签{i}"]')
                      for i in range(8)})
    engine = Engine(root, tmp_path / "out")
    engine.run()
    walked = _walked_shards(monkeypatch)
    touch(root / "content/a8.md", article("地铁", "地铁线路开通运营。" * 2, date="2024-07-20",
                                          tags='["地铁"]'))
    engine.run()
    assert [sorted({p.split("/")[2] for p in paths}) for part, paths in walked
            if part == "articles"] == [["a8"]]


def test_numbered_front_pages_follow_a_new_article_in_shards_of_one(make_site, tmp_path,
                                                                     monkeypatch):
    """Two articles a page, a numbered page a shard: each new article moves the list's own
    page, fills the newest numbered page or starts one, and gives the page before it a
    link to the newer one; the pages it does not touch are recalled."""
    monkeypatch.setattr(plan_module, "FRONT_PAGES_PER_SHARD", 1)
    config = MINIMAL_CONFIG + "page_size = 2\n"
    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5],
                                          date=f"2024-07-{10 + i}") for i in range(6)}, config)
    out = tmp_path / "out"
    engine = Engine(root, out)
    engine.run()
    walked = _walked_shards(monkeypatch)
    for i in (6, 7, 8):
        touch(root / "content" / f"a{i}.md", article(f"新闻{i}", PARAGRAPHS[i % 5],
                                                   date=f"2024-07-{10 + i}"))
        walked.clear()
        engine.run()
        assert "zh-hans/page/1/index.html" not in {p for _, ps in walked for p in ps}
        clean = tmp_path / f"clean{i}"
        build(root, out=clean, clean=True)
        made, fresh = snapshot(out), snapshot(clean)
        del made[MARKER], fresh[MARKER]     # they name the fingerprint a build takes
        assert made == fresh


def _listed_and_walked(monkeypatch) -> tuple[list[set], list]:
    """From now on, the shards `SitePlan.listing` names at each call, and each shard a
    build meets with whether it was walked (not recalled), in the order met."""
    named: list[set] = []
    real = plan_module.SitePlan.listing
    monkeypatch.setattr(plan_module.SitePlan, "listing",
                        lambda plan, articles: named.append(real(plan, articles)) or named[-1])
    met: list = []
    walk_shard = plan_module.walk_shard

    def recorded(plan, shard, **kwargs):
        done = walk_shard(plan, shard, **kwargs)
        met.append((shard, done.fresh))
        return done

    monkeypatch.setattr(plan_module, "walk_shard", recorded)
    return named, met


def test_an_edit_walks_the_numbered_pages_of_a_large_term_around_it(make_site, tmp_path,
                                                                     monkeypatch):
    """Ten articles of one tag, two a page: the tag has four numbered pages, more than a
    shard holds, so they are walked in shards of two of their own. An edit to the oldest
    article walks the shard of pages 1 and 2, which the preview walks first
    (`SitePlan.listing`), and recalls the tag's own page and pages 3 and 4. A new article
    then gives page 4 a link to a fifth, and two older ones move the own page's link to
    the oldest page: each as a clean build makes it."""
    monkeypatch.setattr(plan_module, "TERM_PAGES_PER_SHARD", 2)
    config = MINIMAL_CONFIG + "page_size = 2\nfeed_entries = 2\n"
    root = make_site({f"a{i:02d}.md": article(f"防汛{i}", PARAGRAPHS[i % 5],
                                              date=f"2024-07-{10 + i}", tags='["防汛"]')
                      for i in range(10)}, config)
    out = tmp_path / "out"
    engine = Engine(root, out)
    engine.run()
    walked = _walked_shards(monkeypatch)
    named, shards = _listed_and_walked(monkeypatch)
    steps = {"edited": [("a00.md", "防汛新标题", "2024-07-10")],
             "newer": [("a10.md", "防汛10", "2024-07-25")],
             "older": [("b1.md", "防汛旧闻", "2024-07-01"), ("b2.md", "防汛往事", "2024-07-02")]}
    for step, files in steps.items():
        for name, title, date in files:
            touch(root / "content" / name, article(title, PARAGRAPHS[len(title) % 5], date=date,
                                                   tags='["防汛"]'))
        engine.run()
        if step == "edited":
            tag = {p.removeprefix("zh-hans/tags/fangxun/") for _, paths in walked
                   for p in paths if p.startswith("zh-hans/tags/fangxun/")}
            assert tag == {"page/1/index.html", "page/2/index.html"}
            split = [(shard, fresh) for shard, fresh in shards
                     if shard.part == "term-pages" and shard.term == "fangxun"]
            assert sorted((s.edition, s.start, s.stop) for s, _ in split) == [
                (0, 1, 3), (0, 3, 5), (1, 1, 3), (1, 3, 5)]
            assert {s for s, fresh in split if fresh} == {s for s, _ in split if s.start == 1}
            assert {s for s, fresh in split if fresh} <= named[-1]
        clean = tmp_path / step
        build(root, out=clean, clean=True)
        made, fresh = snapshot(out), snapshot(clean)
        del made[MARKER], fresh[MARKER]     # they name the fingerprint a build takes
        assert made == fresh, step


def test_the_listings_an_edit_moves_are_those_walked_first(make_site, tmp_path, monkeypatch):
    """`SitePlan.listing` names the shards of listings to walk before the rest (the
    preview serves them sooner): every shard of listings an edit walks again must be
    among them, and the others follow."""
    monkeypatch.setattr(plan_module, "FRONT_PAGES_PER_SHARD", 1)
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    monkeypatch.setattr(plan_module, "TERM_PAGES_PER_SHARD", 1)
    tags = ('["防汛"]', '["防汛", "贷款"]', '["贷款"]', '["港口"]')
    texts = {f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5], date=f"2024-0{6 + i % 2}-{10 + i}",
                                 tags=tags[i % 4], authors=f'["记者{i % 3}"]') for i in range(8)}
    root = make_site(texts, MINIMAL_CONFIG + "page_size = 2\n")
    engine = Engine(root, tmp_path / "out")
    engine.run()
    named, order = _listed_and_walked(monkeypatch)
    for name, text in texts.items():
        # a title its words unchanged: the cards move, not the terms (a term an edit
        # takes away is walked in its turn: the plan knows the articles as they are)
        touch(root / "content" / name, text.replace('"\ndate', '！"\ndate', 1))
        named.clear(), order.clear()
        engine.run()
        listings = [(shard, fresh) for shard, fresh in order
                    if shard.part not in ("articles", "site")]
        first = named[0]
        assert first and {shard for shard, fresh in listings if fresh} <= first
        assert len(first) < len(listings)   # not every listing
        assert [shard in first for shard, _ in listings] == sorted(
            (shard in first for shard, _ in listings), reverse=True)


def test_a_damaged_bucket_of_entries_is_read_again(make_site, tmp_path, monkeypatch):
    """Entries two to a bucket: the articles of a damaged bucket are parsed and derived
    again, the others not, and the state holds all of them again after."""
    from builder import engine as engine_module

    monkeypatch.setattr(state_module, "BUCKET", 2)
    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5], date=f"2024-07-1{i}")
                      for i in range(5)})
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM buckets").fetchone()[0] == 3
        damaged = {p for (p,) in db.execute("SELECT path FROM sources WHERE bucket = "
                                            "(SELECT min(id) FROM buckets)")}
        db.execute("UPDATE buckets SET entries = substr(entries, 1, 40) WHERE id = "
                   "(SELECT min(id) FROM buckets)")
    parsed: list[str] = []
    real = engine_module.parse_article
    monkeypatch.setattr(engine_module, "parse_article", lambda text, path, photos: parsed.append(
        path.as_posix()) or real(text, path, photos))
    touch(root / "content/a4.md", article("新闻4", PARAGRAPHS[0], date="2024-07-14"))
    assert not build(root, out=out).full
    assert sorted(parsed) == sorted({*damaged, "content/a4.md"}) and len(damaged) == 2
    build(root, out=tmp_path / "clean", clean=True)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    parsed.clear()
    touch(root / "content/a3.md", article("新闻3", PARAGRAPHS[1], date="2024-07-13"))
    build(root, out=out)
    assert parsed == ["content/a3.md"]


def test_an_edit_seals_again_only_the_chunks_of_the_memo_it_changed(make_site, tmp_path):
    """The taxonomy's memo keeps its maps by article in chunks: an edit writes those it
    changed, not all; a chunk that is not the one the memo's head names (as another
    build would leave it) makes the next build find tags and related articles afresh,
    as a clean build does, and write every chunk again."""
    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5] + PARAGRAPHS[(i + 2) % 5],
                                          date=f"2024-07-{10 + i}") for i in range(12)})
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")

    def chunks() -> dict[str, bytes]:
        with sqlite3.connect(state) as db:
            return dict(db.execute("SELECT key, value FROM blobs WHERE key LIKE 'taxonomy/%'"))

    first = chunks()
    assert len(first) == 2 * state_module.CHUNKS
    touch(root / "content/a3.md", article("新闻3", PARAGRAPHS[3] + "港口吞吐量再创新高。",
                                          date="2024-07-13"))
    build(root, out=out)
    second = chunks()
    assert 0 < len({k for k in first if first[k] != second[k]}) < len(first) // 2
    with sqlite3.connect(state) as db:   # one chunk's blob in the place of another's
        db.execute("UPDATE blobs SET value = (SELECT value FROM blobs WHERE key = "
                   "'taxonomy/found/1') WHERE key = 'taxonomy/found/0'")
    touch(root / "content/a5.md", article("新闻5", PARAGRAPHS[0], date="2024-07-15"))
    build(root, out=out)
    third = chunks()
    assert all(third[k] != second[k] for k in second if k != "taxonomy/found/0")
    build(root, out=tmp_path / "clean", clean=True)
    assert snapshot(out) == snapshot(tmp_path / "clean")


# No word too common to tag in sites this small (their share moves with every change):
# the taxonomy's memo then stands, and a change's related-articles search looks only at
# what it changed.
SEARCHED_AS_CHANGED = MINIMAL_CONFIG + "[tags]\nmin_corpus = 1000\n"


def _readers(state: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The state's record of the files that hold each word among their tag candidates,
    and the same made from the entries it holds."""
    store = State(state)
    made: dict[str, list[str]] = {}
    for path, _, entry in store.sources():
        for word in entry.analysis.words.split() if entry is not None else ():
            made.setdefault(word, []).append(path)
    with sqlite3.connect(state) as db:
        words = [w for (w,) in db.execute("SELECT word FROM readers")]
    recorded = store.readers(words)
    store.close()
    assert recorded is not None
    return ({w: sorted(paths) for w, paths in recorded.items()},
            {w: sorted(paths) for w, paths in made.items()})


def test_the_state_records_the_files_that_hold_each_word_through_edits(make_site, tmp_path,
                                                                       monkeypatch):
    """Patched by every build with the files it read again or lost, as a record made
    afresh from the entries would be; an edit's related-articles search asks it, and
    makes no pass over every article's candidates."""
    from builder import taxonomy

    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5] + PARAGRAPHS[(i + 1) % 5],
                                          date=f"2024-07-{10 + i}") for i in range(8)},
                     SEARCHED_AS_CHANGED)
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    recorded, made = _readers(state)
    assert recorded == made and len(made) > 10

    def unasked(lists):
        raise AssertionError("a pass over every article's candidates")

    monkeypatch.setattr(taxonomy._Lists, "candidates", property(unasked))
    asked: list[str] = []
    real = State.readers
    monkeypatch.setattr(State, "readers", lambda self, words: asked.extend(words) or real(
        self, words))
    for change in (lambda: touch(root / "content/a3.md", article("新闻3", PARAGRAPHS[2],
                                                                 date="2024-07-13")),
                   # a0's words: the strongest on the lists a0 reads, which its answer moves by
                   lambda: touch(root / "content/new.md", article("新闻", PARAGRAPHS[0] + PARAGRAPHS[1],
                                                                  date="2024-07-30")),
                   lambda: (root / "content/a5.md").unlink()):
        change()
        asked.clear()
        assert not build(root, out=out).full and asked
        recorded, made = _readers(state)
        assert recorded == made
        assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean", clean=True).out)


def test_a_damaged_record_of_a_words_files_is_made_anew(make_site, tmp_path):
    """Found damaged by the search that asks for it: the search finds the word's files
    by a pass over every article, as without a record, and the build records every word
    afresh."""
    root = make_site({f"a{i}.md": article(f"新闻{i}", PARAGRAPHS[i % 5], date=f"2024-07-1{i}")
                      for i in range(6)}, SEARCHED_AS_CHANGED)
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    with sqlite3.connect(state) as db:
        assert db.execute("UPDATE readers SET paths = substr(paths, 1, 40)").rowcount > 10
    touch(root / "content/a2.md", article("新闻2", PARAGRAPHS[2] + PARAGRAPHS[3],
                                          date="2024-07-12"))
    assert not build(root, out=out).full
    recorded, made = _readers(state)
    assert recorded == made
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean", clean=True).out)


def test_damaged_shard_rows_are_read_only_where_needed(make_site, tmp_path):
    """The rows of a shard whose key is as recorded are not read (its pages are as the
    state says); those of a shard whose key is gone are (its pages that go are removed
    by them): damaged, the build is a full one, and the next is incremental again."""
    root, out, state = _built(make_site, tmp_path)

    def damage() -> None:
        with sqlite3.connect(state) as db:
            assert db.execute("SELECT count(*) FROM shards").fetchone()[0] > 1
            db.execute("UPDATE shards SET rows = substr(rows, 1, 40)")

    damage()
    os.utime(root / "content/b.md", ns=(1, 1))     # read again, and the same
    assert not build(root, out=out).full
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean", clean=True).out)
    damage()
    touch(root / "content/b.md", B.replace("银行信贷", "信贷投放"))
    assert build(root, out=out).full
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean2", clean=True).out)
    touch(root / "content/b.md", B)
    assert not build(root, out=out).full
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean3", clean=True).out)


@pytest.mark.parametrize("damage", [
    "UPDATE shards SET summary = substr(summary, 1, 40) WHERE key = (SELECT min(key) FROM shards)",
    "ALTER TABLE shards DROP COLUMN summary"])
def test_a_damaged_or_unreadable_summary_of_a_shard_means_a_full_build(make_site, tmp_path,
                                                                        damage):
    """What is recorded of every shard the output holds is read by every build: one
    damaged, or none readable, the pages of those shards would never be removed (here,
    a deleted article's), so the build is a full one. A store that cannot answer is
    made anew: the build after is full too (nothing recorded), the next incremental."""
    root, out, state = _built(make_site, tmp_path)
    with sqlite3.connect(state) as db:
        db.execute(damage)
    (root / "content/b.md").unlink()
    assert build(root, out=out).full
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean", clean=True).out)
    fulls = []
    for step, text in enumerate((B, B.replace("银行信贷", "信贷投放"))):
        touch(root / "content/b.md", text)
        fulls.append(build(root, out=out).full)
        clean = build(root, out=tmp_path / f"clean{step}", clean=True).out
        assert snapshot(out) == snapshot(clean)
    assert fulls == ([True, False] if "DROP" in damage else [False, False])


def test_a_sitemap_made_again_walks_again_the_kept_shards_whose_rows_are_damaged(
        make_site, tmp_path, monkeypatch):
    """A sitemap file made again reads the pages of the shards it lists, kept ones too:
    their rows damaged, those shards are walked again, and the build stays incremental.
    Six articles with nothing in common in shards of two: a later day for the third
    makes the articles' file again, which lists the oldest two's shard, kept."""
    monkeypatch.setattr(pages_module, "SITEMAP_ONE_FILE", 10)
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    root = make_site(_unrelated())
    out = tmp_path / "out"
    build(root, out=out)
    [state] = (root / STATE_FOLDER).glob("*.sqlite")
    saved = tmp_path / "saved"
    shutil.copytree(root, saved / "root")
    shutil.copytree(out, saved / "out")

    def keys() -> set[bytes]:
        with sqlite3.connect(state) as db:
            return {key for (key,) in db.execute("SELECT key FROM shards")}

    changed = article(UNRELATED[2], f"{UNRELATED[2]}。" * 3, date="2024-07-12",
                      tags=f'["{UNRELATED[2]}"]', updated="2024-07-25T10:00:00")
    before = keys()
    touch(root / "content/a2.md", changed)
    undamaged = Engine(root, out).run()
    assert "zh-hans/sitemap-articles-0.xml" in undamaged.written
    kept = before & keys()
    for folder in (root, out):
        shutil.rmtree(folder)
    shutil.copytree(saved / "root", root)
    shutil.copytree(saved / "out", out)
    with sqlite3.connect(state) as db:
        db.executemany("UPDATE shards SET rows = substr(rows, 1, 40) WHERE key = ?",
                       [(key,) for key in kept])
    touch(root / "content/a2.md", changed)
    result = Engine(root, out).run()
    assert not result.full and result.walked > undamaged.walked
    made, clean = snapshot(out), snapshot(build(root, out=tmp_path / "clean", clean=True).out)
    del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
    assert made == clean


@pytest.mark.parametrize("change", ["alias", "static"])
@pytest.mark.parametrize("preview", [False, True])
def test_a_new_path_in_the_way_of_a_kept_page_is_refused(make_site, tmp_path, change, preview):
    """A build reads no rows of the shards it keeps, but a path new to the output (an
    alias, a static file) is looked for among their pages: in the way of one, the build
    fails and the output is as it was. The preview, which reads them all back, refuses
    it too. The list of tags is kept: an alias changes its article's card, not the names
    of the tags."""
    root, out, _ = _built(make_site, tmp_path)
    engine = Engine(root, out, in_place=True)
    if preview:
        engine.run()
    before = snapshot(out)
    if change == "alias":
        touch(root / "content/a.md", A.replace("+++\n\n", 'aliases = ["zh-hans/tags/"]\n'
                                                              "+++\n\n", 1))
    else:
        touch(root / "static/zh-hans/tags/index.html", "mine")
    with pytest.raises(BuildError) as caught:
        engine.run() if preview else build(root, out=out)
    assert ("alias 'zh-hans/tags/index.html' would replace another page"
            if change == "alias" else "static/zh-hans/tags/index.html would replace a page"
            ) in caught.value.problems[0].message
    if not preview:     # the preview writes pages in place as it walks
        assert snapshot(out) == before


def test_a_damaged_map_of_outputs_means_a_full_build_and_the_next_is_incremental(make_site,
                                                                                 tmp_path):
    """The published files' digests are kept in maps by a hash of the path: one damaged
    would leave its files out of what the output is known to hold (never removed when
    they go), so the build is a full one; it records them all again."""
    root, out, state = _built(make_site, tmp_path)
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM outputs").fetchone()[0] > 1
        db.execute("UPDATE outputs SET digests = substr(digests, 1, 40) WHERE id = "
                   "(SELECT min(id) FROM outputs)")
    touch(root / "content/b.md", B.replace("银行信贷", "信贷投放"))
    assert build(root, out=out).full
    assert snapshot(out) == snapshot(build(root, out=tmp_path / "clean", clean=True).out)
    touch(root / "content/b.md", B)
    again = build(root, out=out)
    assert not again.full and snapshot(out) == snapshot(
        build(root, out=tmp_path / "clean2", clean=True).out)


def test_a_map_of_outputs_damaged_before_it_is_saved_again_fails_the_save(tmp_path):
    """Found damaged when a build would patch it: the save fails (the next build is a
    full one) rather than seal a map without the files it held."""
    store = State(tmp_path / "state.sqlite")
    assert store.save("g1", "s", [], (), [("a.html", b"1"), ("b.html", b"2")], (), True)
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("UPDATE outputs SET digests = substr(digests, 1, 40)")
    assert not store.save("g2", "s", [], (), [("a.html", b"3")], (), False)
    assert store.problem is not None and "damaged" in store.problem


def test_a_warm_engine_collects_cycles_only_once_the_frozen_objects_grew_by_a_quarter():
    import gc

    from builder.engine import _release_frozen

    kept: list[list[object]] = []
    try:
        gc.freeze()
        assert _release_frozen(None) == -1 and gc.get_freeze_count() == 0     # collected
        kept.append([[] for _ in range(10_000)])
        gc.freeze()
        base = _release_frozen(-1)      # the run after a collection: measured, kept
        assert base == gc.get_freeze_count() > 10_000
        kept.append([[] for _ in range(base // 5)])
        gc.freeze()
        assert _release_frozen(base) == base and gc.get_freeze_count() > base
        kept.append([[] for _ in range(base // 5)])
        gc.freeze()     # now more than a quarter over the measure
        assert _release_frozen(base) == -1 and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


EDIT_SCRIPT = """
import sys
from pathlib import Path
from builder.site import build
result = build(Path(sys.argv[1]))
print(result.written, *sorted(m for m in ("rjieba", "pypinyin") if m in sys.modules))
"""


@pytest.mark.parametrize("author", ["", "傅军"])
def test_an_edit_is_derived_by_a_helper_not_by_the_process_that_plans(make_site, author):
    """The segmenter, its IDF table and pypinyin (150 MB) are loaded by the helper that
    derives the edit; the process holding the state and the plan loads none of them:
    the tags' and the site's slugs come from the state (`taxonomy.Memo`), and a name
    never spelled before (a new author) is spelled by a worker of its own."""
    root = make_site({"a.md": A, "b.md": B})
    build(root)
    edited = A.replace("date =", f'authors = ["{author}"]\ndate =') if author else A
    touch(root / "content/a.md", edited + "\nUpdated at 20:00.\n")
    done = subprocess.run([sys.executable, "-c", EDIT_SCRIPT, str(root)], capture_output=True,
                          text=True, check=True)
    written, *loaded = done.stdout.split()
    assert int(written) > 0 and loaded == []
    assert "20:00" in (root / "_site/zh-hant/articles/a/index.html").read_text(encoding="utf-8")
    if author:
        assert author in (root / "_site/zh-hans/authors/fujun/index.html").read_text(
            encoding="utf-8")


def test_a_build_from_nothing_derives_on_workers_that_start_with_the_tools_loaded_once(
        make_site, tmp_path, monkeypatch):
    """The helper loads the segmenter while this process reads the article files; the
    workers that derive a build from nothing are forked from it, ready, and neither they
    nor this process load it again."""
    from builder import derive as derive_module
    from builder import engine as engine_module
    from builder import segment as segment_module
    from builder.parallel import Local

    log = tmp_path / "log"
    real_init, real_derive = segment_module.Segmenter.__init__, derive_module.derive

    def segmenter_init(self):
        with log.open("a") as file:     # appends are whole lines, from any process
            file.write(f"load {os.getpid()}\n")
        real_init(self)

    def derive(article, tools):
        with log.open("a") as file:
            file.write(f"derive {os.getpid()}\n")
        return real_derive(article, tools)

    monkeypatch.setattr(segment_module.Segmenter, "__init__", segmenter_init)
    monkeypatch.setattr(engine_module, "derive", derive)
    root = make_site({f"a{i:03}.md": article(f"新闻{i}", PARAGRAPHS[i % 5],
                                             date=f"2024-{1 + i // 28:02}-{1 + i % 28:02}")
                      for i in range(130)})     # two workers' worth (`fork_map`)
    Engine(root, tmp_path / "out", executor=Local(2)).run()
    lines = [line.split() for line in log.read_text().splitlines()]
    loaders = [int(pid) for what, pid in lines if what == "load"]
    derivers = {int(pid) for what, pid in lines if what == "derive"}
    assert sum(1 for what, _ in lines if what == "derive") == 130
    assert len(loaders) == 1 and loaders[0] != os.getpid()
    assert len(derivers) == 2 and os.getpid() not in derivers and loaders[0] not in derivers


def test_a_walk_on_every_core_from_the_state_equals_a_clean_build(make_site, tmp_path,
                                                                  monkeypatch):
    """Many pages to render (a template changed) walk on every core, where nothing is
    recalled: every shard's recorded pages are read back, so what goes is removed and
    what stays is compared page by page."""
    import builder.engine as engine_module
    from builder.parallel import Local

    monkeypatch.setattr(engine_module, "PARALLEL_ARTICLES", 1)
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 2)
    root = make_site(_unrelated())
    out = tmp_path / "out"
    Engine(root, out, executor=Local(2)).run()
    template = root / "templates/list.html"
    for step in range(2):
        touch(template, template.read_text(encoding="utf-8") + "\n")
        if step:
            (root / "content/a2.md").unlink()
        result = Engine(root, out, executor=Local(2)).run()
        assert not result.full and (result.removed != []) == bool(step)
        build(root, out=tmp_path / f"clean{step}", clean=True)
        made, clean = snapshot(out), snapshot(tmp_path / f"clean{step}")
        del made[MARKER], clean[MARKER]     # they name the fingerprint a build takes
        assert made == clean


def test_a_fresh_checkout_walks_only_what_its_edit_moves(tmp_path, monkeypatch):
    """CI checks every file out anew: each has a new stamp and the same text, keeps its
    recorded entry and moves no page. With one edit among them, a build walks what the
    edit alone walks, recalling the other shards, not every shard on every core."""
    import builder.engine as engine_module

    monkeypatch.setattr(engine_module, "PARALLEL_ARTICLES", 1)  # every core, when many move
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 4)
    articles = {f"a{i:02}.md": article(f"新闻{i}", PARAGRAPHS[i % 5],
                                       date=f"2024-{1 + i // 28:02}-{1 + i % 28:02}")
                for i in range(52)}     # more than 50 touched: "many" moved, as it was counted
    walked = []
    for name in ("edit", "checkout"):
        root = create_site(tmp_path / name, articles, MINIMAL_CONFIG)
        out = tmp_path / f"{name}-out"
        pages = Engine(root, out).run().pages
        if name == "checkout":
            for path in (root / "content").glob("*.md"):
                touch(path, path.read_text(encoding="utf-8"))
        edited = root / "content/a07.md"
        touch(edited, edited.read_text(encoding="utf-8") + "\n新的一句。\n")
        walked.append(Engine(root, out).run().walked)
    assert walked[1] == walked[0] < pages / 2


def test_a_shard_walked_again_walks_only_the_articles_whose_inputs_changed(
        make_site, tmp_path, monkeypatch):
    """Sixteen articles in shards of eight, every fifth on the same subject: an edit to
    one walks its pages and those of the articles that list it as related, and recalls
    their shard-mates' pages article by article (an added article changes the related
    articles of others all over the archive)."""
    monkeypatch.setattr(plan_module, "ARTICLES_PER_SHARD", 8)
    texts = {f"a{i:02}.md": article(f"新闻{i}", PARAGRAPHS[i % 5], date=f"2024-07-{10 + i}")
             for i in range(16)}
    root = make_site(texts)
    out = tmp_path / "out"
    Engine(root, out).run()
    walked = _walked_shards(monkeypatch)
    touch(root / "content/a00.md", texts["a00.md"] + "\n补充一句。\n")
    edit = Engine(root, out).run()     # a new process: the articles' rows from the state
    articles = {p.split("/")[2] for part, paths in walked if part == "articles" for p in paths}
    assert articles == {"a00", "a05", "a10", "a15"}
    assert edit.walked == sum(len(paths) for _, paths in walked)
    build(root, out=tmp_path / "clean", clean=True)
    made, clean = snapshot(out), snapshot(tmp_path / "clean")
    del made[MARKER], clean[MARKER]
    assert made == clean


def test_a_stamp_is_trusted_from_the_file_systems_own_clock(make_site, monkeypatch):
    """Files written a second before a build (an import, a checkout) are not read again by
    the next one: only a file whose time is not before the build's own touch of the
    cache is, as it may change again unseen within the same clock tick."""
    from builder import engine as engine_module

    root = make_site({f"a{n}.md": article(f"标题{n}", f"正文{n}。") for n in range(6)})
    now = os.stat(root / "content" / "a0.md").st_mtime_ns
    for n in range(6):     # a second ago: inside the two seconds once not trusted
        os.utime(root / "content" / f"a{n}.md", ns=(now - 10**9, now - 10**9))
    future = now + 3600 * 10**9    # a clock ahead of the build's: never trusted
    os.utime(root / "content" / "a5.md", ns=(future, future))
    build(root)
    read = []
    real = engine_module.read_source
    monkeypatch.setattr(engine_module, "read_source",
                        lambda path, site: read.append(path.name) or real(path, site))
    build(root, skip_if_up_to_date=False)
    assert read == ["a5.md"]
