"""Hostile text comes out inert everywhere, and builds are reproducible."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.content import parse_article
from builder.errors import BuildError
from builder.preview import Session
from builder.site import OUTPUT_MARKER, build
from builder.slugs import SLUG_PATTERN, slugify

from .conftest import REPO, snapshot

EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>'
QUOTED = EVIL.replace('"', '\\"')
HOSTILE = f'''+++
title = "{QUOTED}标题"
subtitle = "<b onmouseover=alert(3)>副题</b>"
date = 2024-07-22
authors = ["<script>alert(4)</script>"]
source = "javascript:alert(5)"
tags = ["<svg onload=alert(6)>", "防汛"]
+++

正文 <script>alert(7)</script> 和 <iframe src="javascript:alert(8)"></iframe>。

[点我](javascript:alert(9)) [也点我](JAVASCRIPT:alert(10)) ![图](javascript:alert(11))

<a href="javascript:alert(12)" onclick="alert(13)">链接</a>

## <script>alert(14)</script>小标题
'''

CONFIG = ('title = "<script>alert(15)</script>新闻"\n'
          'description = "<img src=x onerror=alert(16)>"\nbase_url = "https://example.org/"\n'
          '[strings]\nlatest = "<script>alert(17)</script>"\n')

class ActiveContent(HTMLParser):
    """Collects anything a browser would run: event attributes, javascript: URLs, foreign
    scripts and embedding tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "svg", "object", "embed", "img"):
            self.found.append(f"<{tag}>")
        self._script = (values.get("type") or "js") if tag == "script" and "src" not in values else ""

    def handle_data(self, data: str) -> None:
        if self._script == "application/ld+json":
            if "<" in data:  # escaped by tojson, or it could close the script element
                self.found.append(f"JSON-LD with markup: {data[:40]}")
        elif self._script and "alert(" in data:
            self.found.append(f"script: {data[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._script = ""


def active(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def test_hostile_content_is_escaped_or_dropped_everywhere(make_site):
    root = make_site({"evil.md": HOSTILE}, config=CONFIG)
    build(root)
    out = root / "_site"
    checked = 0
    for path in out.rglob("*"):
        if path.suffix == ".html":
            assert active(path.read_text(encoding="utf-8")) == [], path
        elif path.suffix == ".xml":
            for element in ET.parse(path).iter():
                if element.get("type") == "html" and element.text:  # HTML carried in a feed
                    assert active(element.text) == [], path
        elif path.suffix == ".json":
            text = path.read_text(encoding="utf-8")
            json.loads(text)  # still valid once < > & are escaped
            assert "<" not in text and ">" not in text, path
        else:
            continue
        checked += 1
    assert checked > 20
    article = (out / "zh-hans/articles/evil/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article   # shown as text, not run
    assert "&lt;script&gt;alert(7)&lt;/script&gt;" in article
    links = re.findall(r'<a href="([^"]*)">点我', article)
    assert links == []  # markdown-it drops the javascript: link and keeps the text
    feed = (out / "zh-hans/feed.xml").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)" in feed


def test_two_clean_builds_are_byte_identical(make_site, tmp_path):
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    build(root, out=tmp_path / "one")
    build(root, out=tmp_path / "two")
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert one == two and len(one) > 100


def test_builds_are_byte_identical_whatever_the_number_of_workers(make_site, tmp_path,
                                                                monkeypatch):
    from builder import engine, parallel, plan

    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    monkeypatch.setattr(engine, "PARALLEL_ARTICLES", 1)     # walk and render on every core
    monkeypatch.setattr(plan, "ARTICLES_PER_SHARD", 3)      # of a few articles
    monkeypatch.setattr(plan, "TERM_PAGES_PER_SHARD", 2)
    monkeypatch.setattr(plan, "FRONT_PAGES_PER_SHARD", 2)
    outputs = {}
    for count in (1, 2, 3):
        monkeypatch.setattr(parallel, "workers", lambda count=count: count)
        build(root, out=tmp_path / f"w{count}", skip_if_up_to_date=False)
        outputs[count] = snapshot(tmp_path / f"w{count}")
    assert outputs[1] == outputs[2] == outputs[3]


def test_the_code_digest_covers_subpackages():
    """The derive cache and the up-to-date check change with any module of the package,
    the importer's included."""
    from builder import fingerprint

    package = Path(fingerprint.__file__).parent
    modules = {p for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    assert {p.parent.name for p in modules} == {"builder", "importer"}
    assert modules <= set(fingerprint._package_files())


@settings(max_examples=60, deadline=None)
@given(terms=st.binary(max_size=64), whole=st.binary(max_size=64), data=st.data())
def test_a_cache_entry_gives_back_each_part_only_while_it_is_intact(tmp_path_factory, terms,
                                                                     whole, data):
    from builder.cache import TERMS, WHOLE, _checked, _sealed
    entry = tmp_path_factory.mktemp("entry") / "e.pickle"
    sealed = _sealed(terms, whole)
    entry.write_bytes(sealed)
    assert (_checked(entry, TERMS), _checked(entry, WHOLE)) == (terms, whole)
    # one bit flipped anywhere: the part it falls in is refused, the other still read
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1))
    flipped = bytearray(sealed)
    flipped[bit // 8] ^= 1 << bit % 8
    entry.write_bytes(bytes(flipped))
    second = len(sealed) - len(whole) - 40      # where the second part's length begins
    got = (_checked(entry, TERMS), _checked(entry, WHOLE))
    if bit // 8 < second:
        assert got[0] is None
    else:
        assert got == (terms, None)
    # cut short anywhere: what was cut off is refused
    cut = data.draw(st.integers(0, len(sealed) - 1))
    entry.write_bytes(sealed[:cut])
    assert _checked(entry, WHOLE) is None
    assert _checked(entry, TERMS) == (terms if cut >= second else None)


@pytest.mark.parametrize("damage", ["flip a bit of the terms", "flip a bit of the rest",
                                    "truncate", "foreign bytes"])
def test_damaged_cache_entries_are_derived_again(make_site, tmp_path, damage: str):
    """Each part of an entry is checked on its own: the search index and the pages of a
    build whose entries are damaged, in either part, are those of a clean build."""
    from builder.cache import _PART, MAGIC, TERMS, WHOLE, _checked
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    build(root, out=tmp_path / "clean")
    for entry in (root / ".cache/derived").rglob("*.pickle"):
        data = bytearray(entry.read_bytes())
        terms_size = _PART.unpack_from(data, len(MAGIC))[0]
        terms_from = len(MAGIC) + _PART.size
        if damage == "flip a bit of the terms":
            data[terms_from + terms_size // 2] ^= 0x10
        elif damage == "flip a bit of the rest":
            data[(terms_from + terms_size + _PART.size + len(data)) // 2] ^= 0x10
        elif damage == "truncate":
            del data[len(data) // 3:]
        else:
            data[:] = b"not a cache entry at all"
        entry.write_bytes(bytes(data))
    build(root, out=tmp_path / "damaged", skip_if_up_to_date=False)
    assert snapshot(tmp_path / "damaged") == snapshot(tmp_path / "clean")
    # and stored again whole: the next build reads both parts back
    entries = list((root / ".cache/derived").rglob("*.pickle"))
    assert entries and all(_checked(entry, TERMS) is not None and _checked(entry, WHOLE)
                           is not None for entry in entries)


@pytest.mark.parametrize("shape", ["file where the cache folder goes", "file where .cache goes"])
def test_a_cache_that_cannot_be_written_means_a_build_without_it(make_site, tmp_path, shape: str):
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    if shape == "file where .cache goes":
        (root / ".cache").write_text("not a folder", encoding="utf-8")
    else:
        (root / ".cache").mkdir()
        (root / ".cache/derived").write_text("not a folder", encoding="utf-8")
    result = build(root, out=tmp_path / "out")
    [warning] = [n.message for n in result.warnings if "derive cache" in n.message]
    assert warning.startswith("the derive cache cannot be written (")
    assert warning.endswith("); built without it")
    shutil.rmtree(root / ".cache") if (root / ".cache").is_dir() else (root / ".cache").unlink()
    build(root, out=tmp_path / "reference")
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "reference")


def test_a_damaged_output_marker_means_a_full_build(make_site, tmp_path):
    root = make_site({"a.md": (REPO / "content/2024/07").glob("*.md").__next__().read_text()})
    out = tmp_path / "out"
    build(root, out=out)
    (out / OUTPUT_MARKER).write_bytes(b"\xff\xfe fingerprint: \x80\n")
    assert not build(root, out=out).up_to_date


def test_a_cached_build_equals_a_clean_one(make_site, tmp_path):
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    build(root, out=tmp_path / "first")
    assert list((root / ".cache/derived").rglob("*.pickle"))
    first = root / "content" / sorted(p.name for p in (root / "content").glob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    cached = build(root, out=tmp_path / "cached")       # seven articles from the cache
    assert cached.articles == 8
    shutil.rmtree(root / ".cache")
    build(root, out=tmp_path / "clean")
    assert snapshot(tmp_path / "cached") == snapshot(tmp_path / "clean")


def test_the_incremental_preview_makes_the_same_files_as_a_build(make_site, tmp_path):
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    build(root, out=tmp_path / "clean")
    session = Session(root, tmp_path / "warm")
    session.update()
    first = root / "content" / sorted(p.name for p in (root / "content").glob("*.md"))[0]
    original = first.read_text(encoding="utf-8")
    first.write_text(original + "\n补充一段。\n", encoding="utf-8")
    session.update()
    first.write_text(original, encoding="utf-8")
    session.update()  # edited and restored: the warm output must equal a clean build
    clean, warm = snapshot(tmp_path / "clean"), snapshot(tmp_path / "warm")
    clean.pop(OUTPUT_MARKER)
    warm.pop(OUTPUT_MARKER)
    assert clean.keys() == warm.keys()
    assert [k for k in clean if clean[k] != warm[k]] == []


# --- property tests ----------------------------------------------------------------------

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_front_matter_parser_never_crashes(source: str):
    try:
        parse_article(source, Path("content/x.md"))
    except BuildError as error:
        assert error.problems and all(p.message for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(title=text.filter(lambda t: t.strip()), body=text, authors=st.lists(text, max_size=3))
def test_front_matter_round_trip_loses_nothing(title: str, body: str, authors: list[str]):
    import tomli_w

    front = tomli_w.dumps({"title": title, "date": __import__("datetime").date(2024, 7, 22),
                           "authors": authors})
    parsed = parse_article(f"+++\n{front}+++\n{body}", Path("content/x.md"))
    assert parsed.title == title.strip() and parsed.authors == tuple(authors)
    assert parsed.body == body or parsed.body == body.replace("\r\n", "\n")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120))
def test_slugs_are_ascii_url_safe_and_stable(source: str):
    slug = slugify(source)
    assert slug == "" or SLUG_PATTERN.match(slug)
    assert slug.isascii() and len(slug) <= 80
    assert slugify(source) == slug


def test_the_derive_cache_drops_the_entries_of_an_edited_article_and_keeps_the_rest(
        make_site, tmp_path, monkeypatch):
    """An incremental build removes the entries of the articles it recorded that changed
    or went, by name, without listing the cache; a clean one sweeps whatever it did not
    use (here a stray file)."""
    from builder.cache import DerivedCache

    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    cache = root / ".cache/derived"
    build(root, out=tmp_path / "out")
    before = {p.name for p in cache.rglob("*.pickle")}
    edited, deleted = sorted((root / "content").rglob("*.md"))[:2]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    deleted.unlink()
    (cache / "ab").mkdir(exist_ok=True)
    (cache / "ab" / "stray.pickle").write_bytes(b"left by an older version")
    with monkeypatch.context() as patched:
        patched.setattr(DerivedCache, "prune", lambda self: pytest.fail("the cache was listed"))
        build(root, out=tmp_path / "out")
    after = {p.name for p in cache.rglob("*.pickle")}
    # the edited article's entry replaced, the deleted one's gone, every other one kept
    assert len(before - after) == 2 and len(after - before) == 2
    assert "stray.pickle" in after - before
    build(root, out=tmp_path / "out", clean=True)
    assert {p.name for p in cache.rglob("*.pickle")} == after - {"stray.pickle"}


def test_another_base_url_reuses_the_derive_cache(make_site, tmp_path):
    root = make_site({p.name: p.read_text(encoding="utf-8")
                      for p in (REPO / "content").rglob("*.md")})
    build(root, out=tmp_path / "a")
    entries = sorted(p.name for p in (root / ".cache/derived").rglob("*.pickle"))
    build(root, out=tmp_path / "b", base_url="https://news.example.com/")
    assert sorted(p.name for p in (root / ".cache/derived").rglob("*.pickle")) == entries
    assert len(entries) == 8
    page = (tmp_path / "b/zh-hans/index.html").read_text(encoding="utf-8")
    assert 'href="https://news.example.com/zh-hans/"' in page


def test_lists_nested_as_deep_as_an_outline_keep_every_item():
    """Twelve levels (the old limit dropped everything past the sixth, silently)."""
    from builder.markup import Markdown

    markdown = Markdown()
    text = "".join("  " * i + f"- 第{i}层\n" for i in range(12)) + "\n后面的段落。\n"
    tokens = markdown.parse(text)
    plain = markdown.plain_text(tokens)
    assert markdown.dropped_line(text, tokens) is None
    assert all(f"第{i}层" in plain for i in range(12)) and "后面的段落。" in plain


def test_year_one_gives_valid_rfc3339_timestamps(make_site, tmp_path):
    from .conftest import article

    root = make_site({"old.md": article("古籍", "一段古文。", date="0001-01-01")})
    build(root, out=tmp_path / "out")
    feed = (tmp_path / "out/zh-hans/feed.xml").read_text(encoding="utf-8")
    page = (tmp_path / "out/zh-hans/articles/old/index.html").read_text(encoding="utf-8")
    # the zone's offset in year 1 is local mean time, +08:05:43: RFC 3339 wants minutes
    assert "<updated>0001-01-01T00:00:00+08:05</updated>" in feed
    assert '"datePublished": "0001-01-01T00:00:00+08:05"' in page
