"""Search: the index in Python, and the real search page in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import search as search_module
from builder.search import (
    SearchDoc,
    doc_terms,
    fold,
    make_index,
    patch_index,
    shard_of,
    terms,
)
from builder.site import build

from .conftest import article, static_server

MAPPING = {"貸": "贷", "餘": "余", "額": "额", "態": "态"}


def test_fold_and_terms():
    assert fold("貸款餘額ＡＢＣ", MAPPING) == "贷款余额abc"
    assert terms("生态城 abc 2024") == ["生", "态", "城", "生态", "态城", "abc", "2024"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("生态城贷款㐀龥豈﨩ab09 ，。-\u00e9\U00020000\U0002c317\U0001f600"),
               max_size=40))
def test_terms_are_each_han_character_and_pair_and_each_other_word(text):
    import re
    expected = []
    han = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    for run in re.findall(rf"[{han}]+|[a-z0-9]+", text):
        if re.fullmatch(r"[a-z0-9]+", run):
            expected.append(run)
        else:
            expected += [*run, *(run[i:i + 2] for i in range(len(run) - 1))]
    assert terms(text) == expected


def test_shard_hash_is_fnv1a_over_utf16():
    assert shard_of("a", 1 << 32) == 0xE40C292C  # FNV-1a 32-bit of "a"
    assert 0 <= shard_of("贷款", 7) < 7


def test_index_is_deterministic_and_holds_every_term():
    docs = [SearchDoc(f"articles/a{i}/", "2024-07-22", ("贷款", "貸款"), ("", ""), "贷款",
                      "贷款余额增长" * (i + 1)) for i in range(3)]
    first = list(make_index(docs, (), MAPPING).files)
    assert first == list(make_index(docs, (), MAPPING).files)
    files = {f.path: json.loads(f.text) for f in first}
    meta = files["search/meta.json"]
    shard = files[f"search/r/{shard_of('余额', meta['recentShards'])}.json"]  # all recent
    assert shard["余额"] == [0, 1, 1, 2, 2, 3]
    assert files["search/d/0.json"][2][:4] == ["articles/a2/", "2024-07-22", "贷款", "貸款"]


def test_a_patched_index_equals_one_made_whole():
    """Every kind of change: an edit, an addition at the end, a deletion near the end
    (the documents after it renumbered), one in the last place. Renumbering half the
    documents is left to a whole index."""
    def doc(name: str, body: str) -> SearchDoc:
        return SearchDoc(f"articles/{name}/", "2024-07-22", (name, name), ("", ""), name, body)

    bodies = {f"a{i}": "贷款余额增长" * (i % 3 + 1) + "港口" * (i % 2) for i in range(300)}
    before = list(bodies)
    made = make_index([doc(n, bodies[n]) for n in before], before, MAPPING)
    files = {f.path: f.text for f in made.files}
    for after in ([*before[:5], "edited", *before[6:]], [*before, "new"],
                  before[:290] + before[291:], before[:-1], before[:150] + before[151:]):
        texts = {**bodies, "edited": "防汛", "new": "新闻 港口"}
        docs = [doc(n, texts[n]) for n in after]
        whole = make_index(docs, after, MAPPING)
        patched = patch_index(
            docs, after, MAPPING, lambda i, docs=docs: doc_terms(docs[i], MAPPING), made.state,
            lambda name: doc_terms(doc(name, bodies[name]), MAPPING), files.get)
        if after == before[:150] + before[151:]:
            assert patched is None
            continue
        assert patched is not None and patched.state == whole.state
        assert patched.paths == whole.paths
        expected = {f.path: f.text for f in whole.files}
        changed = {f.path: f.text for f in patched.files}
        assert changed | {p: files[p] for p in patched.paths if p not in changed} == expected
        assert len(changed) < len(expected) / 2 or len(expected) < 8


WORDS = ["贷款", "余额", "港口", "防汛", "新闻", "科技", "生态", "城", "abc", "2024"]
bodies_of = st.lists(st.lists(st.sampled_from([*WORDS, " "]), max_size=8).map("".join),
                     min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(bodies_of, st.data())
def test_a_patched_index_equals_one_made_whole_for_any_change(bodies, data):
    """Any few documents edited, added at the end or removed anywhere (those after it
    renumbered): the patched files, over the files left as they were, are the files of
    an index made whole; or the patch declines and the index is made whole."""
    def doc(name: str, body: str) -> SearchDoc:
        return SearchDoc(f"articles/{name}/", "2024-07-22", (name, name), ("", ""), "", body)

    names = [f"a{i}" for i in range(len(bodies))]
    texts = dict(zip(names, bodies, strict=True))
    small = data.draw(st.sampled_from([64, 512, 48 * 1024]))   # many shards, or one
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_module, "TARGET_SHARD_BYTES", small)
        # the line between the archive and the recent documents crossed, or not
        patch.setattr(search_module, "RECENT_DOCS", data.draw(st.sampled_from([1, 3, 8, 256])))
        # the patched shards held, or made again as they are written
        patch.setattr(search_module, "HELD_SHARDS", data.draw(st.sampled_from([0, 256])))
        made = make_index([doc(n, texts[n]) for n in names], names, MAPPING)
        files = {f.path: f.text for f in made.files}
        after, edited = list(names), dict(texts)
        for step in data.draw(st.lists(st.sampled_from(["edit", "add", "delete"]), max_size=4)):
            if step == "add":
                after.append(f"n{len(after)}")
                edited[after[-1]] = data.draw(bodies_of)[0]
            elif after:
                n = data.draw(st.integers(0, len(after) - 1))
                if step == "delete":
                    del after[n]
                else:
                    after[n] += "*"
                    edited[after[n]] = data.draw(bodies_of)[0]
        docs = [doc(n, edited[n]) for n in after]
        whole = make_index(docs, after, MAPPING)
        patched = patch_index(docs, after, MAPPING, lambda i: doc_terms(docs[i], MAPPING),
                              made.state, lambda name: doc_terms(doc(name, texts[name]), MAPPING),
                              files.get)
        expected = {f.path: f.text for f in whole.files}
    if patched is not None:
        assert patched.state == whole.state and patched.paths == whole.paths
        changed = {f.path: f.text for f in patched.files}
        assert changed | {p: files[p] for p in patched.paths if p not in changed} == expected
    for path, text in expected.items():     # every shard is JSON, one term to a line
        if path.startswith(("search/t/", "search/r/")):
            shard = json.loads(text)
            assert text.count("\n") == max(len(shard) - 1, 0)


@settings(max_examples=100, deadline=None)
@given(bodies_of, st.sampled_from([64, 512, 48 * 1024]), st.sampled_from([1, 2, 3, 7]))
def test_an_index_gathered_in_several_passes_equals_one_gathered_in_one(bodies, small, docs):
    """A large archive's postings are gathered a group of shards at a time, to hold a
    part of them at once; the files and the state are the same."""
    def doc(number: int) -> SearchDoc:
        return SearchDoc(f"articles/a{number}/", "2024-07-22", ("", ""), ("", ""), "",
                         bodies[number])

    def made(pass_docs: int):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search_module, "TARGET_SHARD_BYTES", small)
            patch.setattr(search_module, "RECENT_DOCS", 4)
            patch.setattr(search_module, "PASS_DOCS", pass_docs)
            index = make_index([doc(n) for n in range(len(bodies))], range(len(bodies)),
                               MAPPING)
            return {f.path: f.text for f in index.files}, index.state

    assert made(docs) == made(10_000)


def test_index_size_per_article(seed_site: Path):
    index = seed_site / "search"
    total = sum(p.stat().st_size for p in index.rglob("*.json"))
    articles = len(list((seed_site / "zh-hans/articles").glob("*/index.html")))
    assert total / articles < 40_000  # bytes an article, for both scripts at once


QUERIES = [
    ("zh-hans", "貸款餘額", "上半年青岛贷款余额3.14万亿元"),
    ("zh-hant", "防汛", "青島啟動防汛 三級應急響應"),
    ("zh-hans", "雁山科技生态城", "雁山科技生态城发展愿景发布"),
    ("zh-hant", "雁山科技生态城", "雁山科技生態城發展願景發布"),
    ("zh-hant", "生态城", "雁山科技生態城發展願景發布"),   # a partial word
]


@pytest.mark.parametrize(("edition", "query", "title"), QUERIES)
def test_search_page_finds_across_scripts(browser, served_seed, edition: str, query: str,
                                          title: str):
    base, _ = served_seed
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(f"{base}{edition}/search/")
    assert page.locator("input[type=search]").is_visible()
    page.fill("input[type=search]", query)
    first = page.locator("#search-results li a").first
    first.wait_for(timeout=10_000)
    assert first.inner_text() == title
    assert first.get_attribute("href").startswith(f"/news/{edition}/articles/")
    assert errors == []
    page.close()


def test_search_finds_words_with_characters_past_the_basic_plane(browser, make_site):
    """Names and terms with ideographs of the supplementary planes (牙𬌗: U+2C317, in
    the standard list of characters in use) are found, alone and in a word: the page
    splits the query by code point, as the index splits the text."""
    root = make_site({"a.md": article("牙𬌗修复技术进展", "口腔医院介绍牙𬌗修复的新方法。"),
                      "b.md": article("港口吞吐量增长", "港口货物吞吐量继续增长。")})
    www = root / "www"
    build(root, out=www / "news", base_url="https://example.org/news/")
    with static_server(www, "/news/") as origin:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        for query in ("𬌗", "牙𬌗", "𬌗修复"):
            page.goto(f"{origin}/news/zh-hans/search/?q={query}")
            page.locator("#search-results li a").first.wait_for(timeout=10_000)
            assert page.locator("#search-results li a").all_inner_texts() == ["牙𬌗修复技术进展"]
        assert errors == []
        page.close()


def test_search_from_the_address_bar_and_no_result(browser, served_seed):
    base, _ = served_seed
    page = browser.new_page()
    page.goto(f"{base}zh-hans/search/?q=防汛")
    page.locator("#search-results li a").first.wait_for(timeout=10_000)
    assert page.locator("#search-results li").count() == 1
    page.fill("input[type=search]", "不存在的词语组合")
    page.wait_for_function("document.querySelectorAll('#search-results li').length === 0")
    page.locator("#search-status").filter(has_text="没有找到").wait_for(timeout=10_000)
    page.close()


def test_an_edit_rewrites_only_the_shards_of_the_terms_whose_counts_changed(monkeypatch):
    """A sentence added to an article leaves most of its terms as they were: their
    shards are neither read nor written again (at 100,000 articles, each of the
    article's terms cost its shard of some 180 KB, 25 s an edit)."""
    monkeypatch.setattr(search_module, "TARGET_SHARD_BYTES", 64)     # many small shards
    monkeypatch.setattr(search_module, "RECENT_DOCS", 16)    # a7 is in the archive
    texts = ["青岛市金融机构贷款余额增长", "防汛抢险人员在岗", "雁山科技生态城项目", "港口集装箱吞吐量"]
    names = [f"a{i}" for i in range(40)]
    bodies = {n: texts[i % 4] + texts[(i + 1) % 4] for i, n in enumerate(names)}

    def doc(name: str, body: str) -> SearchDoc:
        return SearchDoc(f"articles/{name}/", "2024-07-22", (name, name), ("", ""), name, body)

    made = make_index([doc(n, bodies[n]) for n in names], names, MAPPING)
    files = {f.path: f.text for f in made.files}
    archive = made.state.segments[0]
    assert (archive.start, archive.end) == (0, 32) and archive.shards >= 64
    after = [*names[:7], "a7 again", *names[8:]]
    docs = [doc(n, bodies[n]) for n in names]
    docs[7] = doc("a7", bodies["a7"] + "地铁")    # 地, 铁, 地铁 and the pair across the join
    patched = patch_index(docs, after, MAPPING, lambda i: doc_terms(docs[i], MAPPING),
                          made.state, lambda name: doc_terms(doc(name, bodies[name]), MAPPING),
                          files.get)
    whole = {f.path: f.text for f in make_index(docs, after, MAPPING).files}
    assert patched is not None
    changed = {f.path: f.text for f in patched.files}
    assert changed | {p: files[p] for p in patched.paths if p not in changed} == whole
    new_terms = {"地", "铁", "地铁", bodies["a7"][-1] + "地"}
    shards = {f"search/t/{shard_of(t, archive.shards)}.json" for t in new_terms}
    assert {p for p in changed if p.startswith("search/t/")} <= shards
    assert not [p for p in changed if p.startswith("search/r/")]


def test_an_addition_rewrites_the_recent_shards_not_the_archives(monkeypatch):
    """Today's article is a new last number: it joins the recent documents' shards and
    leaves every shard of the archive as it was, until `RECENT_DOCS` more have come."""
    monkeypatch.setattr(search_module, "TARGET_SHARD_BYTES", 64)
    monkeypatch.setattr(search_module, "RECENT_DOCS", 8)
    texts = ["青岛市金融机构贷款余额增长", "防汛抢险人员在岗", "雁山科技生态城项目", "港口集装箱吞吐量"]

    def doc(number: int) -> SearchDoc:
        return SearchDoc(f"articles/a{number}/", "2024-07-22", ("", ""), ("", ""), "",
                         texts[number % 4] + texts[number * 3 % 4] + str(number))

    made = make_index([doc(n) for n in range(42)], range(42), MAPPING)
    files = {f.path: f.text for f in made.files}
    for count, archive_rewritten in ((43, False), (48, True)):  # 48: eight more came
        docs = [doc(n) for n in range(count)]
        patched = patch_index(docs, range(count), MAPPING, lambda i, docs=docs: doc_terms(
            docs[i], MAPPING), made.state, lambda n: doc_terms(doc(n), MAPPING), files.get)
        assert patched is not None
        changed = {f.path for f in patched.files}
        assert any(p.startswith("search/r/") for p in changed)
        assert any(p.startswith("search/t/") for p in changed) == archive_rewritten
        assert patched.state.segments[0].end == (48 if archive_rewritten else 40)
