"""Tags, topics, authors, sources, archives and related articles, on the seed site and
on small fixture sites."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import taxonomy
from builder.config import SiteConfig, TagConfig, parse_config
from builder.editions import Script
from builder.script import ScriptChars
from builder.site import build
from builder.slugs import slugify
from builder.taxonomy import (
    Analysis,
    ArticleTerms,
    Change,
    Chosen,
    PerArticle,
    RelatedMemo,
    TaxonomyInput,
    Term,
    Touched,
    _related_all,
    _weighed,
    build_taxonomy,
    choose_tags,
)

from .conftest import article, soup

SEED_ARTICLES = 8


def article_pages(site: Path, edition: str) -> list[Path]:
    return sorted((site / edition / "articles").glob("*/index.html"))


def labels(page, selector: str) -> list[str]:
    return [a.get_text() for a in page.select(selector)]


def test_every_seed_article_has_three_to_eight_sensible_tags(seed_site: Path):
    pages = article_pages(seed_site, "zh-hans")
    assert len(pages) == SEED_ARTICLES
    every: list[set[str]] = []
    for path in pages:
        tags = labels(soup(path), "article .tags a")
        assert 3 <= len(tags) <= 8, (path, tags)
        for tag in tags:
            assert len(tag) >= 2 and not re.search(r"\d", tag), tag
            assert not re.fullmatch(r"[零一二两三四五六七八九十百千万亿]+", tag), tag
        assert "青岛" not in tags  # on every article of this site: says nothing
        every.append(set(tags))
    assert not set.intersection(*every)


def test_tags_read_well(seed_site: Path):
    by_title = {soup(p).select_one("article h1").get_text(): labels(soup(p), "article .tags a")
                for p in article_pages(seed_site, "zh-hans")}
    assert {"贷款", "金融"} <= set(by_title["上半年青岛贷款余额3.14万亿元"])
    assert "防汛" in by_title["青岛启动防汛 三级应急响应"]
    assert "孵化器" in by_title["青岛高新区已汇聚17家“国字号”孵化器、众创空间"]
    # the Traditional article is tagged from its Simplified conversion, not fragments
    assert "雁山科技生态城" in by_title["雁山科技生态城发展愿景发布"]


def test_topics_look_right(seed_site: Path):
    by_title = {soup(p).select_one("article h1").get_text(): labels(soup(p), "article .topics a")
                for p in article_pages(seed_site, "zh-hans")}
    assert by_title["上半年青岛贷款余额3.14万亿元"][0] == "金融"
    assert by_title["青岛启动防汛 三级应急响应"] == ["民生与应急"]
    assert by_title["青岛一下关经贸合作交流会举行"] == ["对外交流"]
    assert by_title["青岛发布智慧公园建设 技术规范地方标准"] == ["城市建设"]
    assert by_title["平安银行青岛分行：坚持金融为民，服务实体经济"][0] == "金融"


def test_tag_topic_author_pages_exist_in_both_editions(seed_site: Path):
    chars = ScriptChars.load()
    for kind in ("tags", "topics", "authors", "sources"):
        hans = sorted(p.relative_to(seed_site / "zh-hans")
                      for p in (seed_site / "zh-hans" / kind).glob("*/index.html"))
        hant = sorted(p.relative_to(seed_site / "zh-hant")
                      for p in (seed_site / "zh-hant" / kind).glob("*/index.html"))
        assert hans and hans == hant, kind
    loans_hant = soup(seed_site / "zh-hant/tags/daikuan/index.html")
    assert loans_hant.h1.get_text() == "標籤：貸款"
    assert soup(seed_site / "zh-hans/tags/daikuan/index.html").h1.get_text() == "标签：贷款"
    for path in (seed_site / "zh-hant").glob("*/*/index.html"):
        heading = soup(path).h1.get_text()
        assert not [c for c in heading if c in chars.simplified_only], (path, heading)


def test_wu_shuai_has_two_articles(seed_site: Path):
    page = soup(seed_site / "zh-hans/authors/wushuai/index.html")
    assert page.h1.get_text() == "记者：吴帅"
    assert len(page.select(".card")) == 2
    index = soup(seed_site / "zh-hans/authors/index.html")
    counts = {a.get_text(): a.find_next("span").get_text() for a in index.select(".terms a")}
    assert counts["吴帅"] == "2篇" and counts["于波"] == "1篇"


def test_article_shows_its_terms_and_related_articles_inside_article(seed_site: Path):
    for path in article_pages(seed_site, "zh-hant"):
        page = soup(path)
        body = page.select_one("article")
        assert body.select(".tags a") and body.select(".topics a")
        related = body.select(".related li a")
        assert 3 <= len(related) <= 5
        assert all(a["href"].startswith("/news/zh-hant/articles/") for a in related)
    loans = soup(seed_site / "zh-hans/articles/shangbannian-qingdao-daikuan-yue-3-14-wanyiyuan/"
                             "index.html")
    assert labels(loans, "article .authors a") == ["傅军"]
    assert labels(loans, "article .source a") == ["青岛日报", "观海新闻"]


def test_archive_and_sources(seed_site: Path):
    archive = soup(seed_site / "zh-hans/archive/index.html")
    assert labels(archive, ".terms a") == ["2024年7月", "2023年11月"]
    assert len(soup(seed_site / "zh-hans/archive/2024/07/index.html").select(".card")) == 6
    sources = labels(soup(seed_site / "zh-hant/sources/index.html"), ".terms a")
    assert {"青島日報", "觀海新聞", "青島晚報", "掌上青島"} <= set(sources)


def test_summary_characters_and_reading_time(seed_site: Path):
    page = soup(seed_site / "zh-hans/index.html")
    summaries = [p.get_text() for p in page.select(".summary")]
    assert all(0 < len(s) <= 121 for s in summaries)
    assert any(s.endswith("。") for s in summaries)
    article = soup(seed_site / "zh-hans/articles/qingdao-qidong-fangxun-sanji-yingjixiangying/"
                               "index.html")
    length = article.select_one(".length").get_text()
    chars, minutes = map(int, re.findall(r"\d+", length))
    body = article.select_one("article .body").get_text()
    # Chinese is counted in characters (plus Latin words and numbers), not whitespace words
    assert chars == len(re.findall(r"[\u4e00-\u9fff]", body)) + len(re.findall(r"[A-Za-z0-9]+", body))
    assert chars > 800 and minutes == round(chars / 400)


def test_pinyin_slugs():
    assert slugify("重庆") == "chongqing"
    assert slugify("银行") == "yinhang"


def test_slug_of_a_traditional_tag_is_made_from_its_simplified_form(make_site):
    root = make_site({
        "a.md": article("銀行", "銀行貸款增長。銀行。", tags='["銀行"]'),
        "b.md": article("银行", "银行贷款增长。银行。", tags='["银行"]'),
    })
    build(root)
    page = soup(root / "_site/zh-hant/tags/yinhang/index.html")
    assert len(page.select(".card")) == 2


def test_front_matter_adds_and_removes_tags_and_site_bans(make_site):
    config = ('base_url = "https://example.org/"\n[tags]\nban = ["降雨"]\n'
              'aliases = { "强降雨" = "暴雨" }\nslugs = { "防汛" = "flood-control" }\n')
    body = "防汛部门发布预警。强降雨和降雨导致积水，防汛抢险人员在岗。雷电大风预警发布。"
    root = make_site({"a.md": article("防汛", body, tags='["城市排水", "-预警"]')}, config)
    build(root)
    tags = labels(soup(root / "_site/zh-hans/articles/a/index.html"), "article .tags a")
    assert tags[0] == "城市排水"
    assert "预警" not in tags and "降雨" not in tags and "暴雨" in tags
    assert (root / "_site/zh-hans/tags/flood-control/index.html").exists()


def test_choose_tags_respects_bounds_and_corpus_filter():
    terms = tuple((w, 1.0 - i / 20) for i, w in enumerate(
        ["青岛", "贷款", "金融", "银行", "保险", "理财", "利率", "债券", "存款", "信贷"]))
    analysis = Analysis.of(terms, sorted(w for w, _ in terms))
    chosen = choose_tags(analysis, (), TagConfig(), frozenset({"青岛"}))
    assert chosen == ("贷款", "金融", "银行", "保险", "理财", "利率", "债券", "存款")


def test_pagination_of_a_tag(make_site):
    config = 'base_url = "https://example.org/"\npage_size = 2\n'
    root = make_site({f"a{i}.md": article(f"防汛{i}", "防汛抢险。防汛预警。", date=f"2024-07-0{i + 1}",
                                          tags='["防汛"]') for i in range(5)}, config)
    build(root)
    tag = root / "_site/zh-hant/tags/fangxun"
    assert [len(soup(p).select(".card")) for p in
            (tag / "index.html", tag / "page/2/index.html", tag / "page/1/index.html")] == [2, 1, 2]
    assert soup(tag / "page/1/index.html").select_one('a[rel="prev"]')["href"] == (
        "/zh-hant/tags/fangxun/page/2/")


def test_unknown_topic_config_key_is_named():
    from builder.errors import BuildError

    with pytest.raises(BuildError) as caught:
        parse_config('[[topics]]\nslug = "x"\nname = "金融"\nkeyword = ["贷款"]\n', Path("site.toml"))
    assert "did you mean `keywords`?" in caught.value.problems[0].format()


def test_building_emits_no_warnings_and_writes_nothing_outside_the_project(make_site, tmp_path,
                                                                         monkeypatch):
    root = make_site({"a.md": article("防汛", "防汛抢险。")})
    elsewhere = tmp_path / "tmp"
    elsewhere.mkdir()
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build(root)
    assert list(elsewhere.iterdir()) == []  # no segmenter cache in /tmp


# --- related articles remembered between builds --------------------------------------------

_WORDS = ("防汛", "贷款", "银行", "孵化器", "港口", "科技")


@st.composite
def _article(draw, identity: str) -> tuple[TaxonomyInput, tuple[str, ...], tuple[str, ...]]:
    """What the related-articles search reads of one article: its strongest words, its
    tags and its topics (chosen from the words and front matter before the search)."""
    words = draw(st.lists(st.sampled_from(_WORDS), max_size=5, unique=True))
    # few distinct scores, so ties (broken by the article order) are common
    terms = tuple(sorted(((w, draw(st.sampled_from((0.5, 1.0, 2.0)))) for w in words),
                         key=lambda item: (-item[1], item[0])))
    tags = tuple(draw(st.lists(st.sampled_from(_WORDS), max_size=3, unique=True)))
    topics = tuple(draw(st.lists(st.sampled_from(("finance", "tech", "other")), max_size=2,
                                 unique=True)))
    # the file's digest: what the article is made from, as in the engine
    item = TaxonomyInput(identity, repr((terms, tags, topics)),
                         Analysis.of(terms, sorted(words)), tags, (), (), (), 2024, 7)
    return item, tags, topics


@st.composite
def _archive_and_change(draw):
    """An archive (newest first) and the same archive after a few adds, deletions, edits
    and moves. An edited article keeps its identity; one that moves gets a new one, as
    the engine names articles by their file and their place in the order."""
    count = draw(st.integers(1, 30))
    before = [draw(_article(f"a{n}")) for n in range(count)]
    after = list(before)
    for fresh in range(count, count + draw(st.integers(1, 4))):
        action = draw(st.sampled_from(("add", "delete", "edit", "rescore", "move")))
        if action == "add" or len(after) < 2:
            after.insert(draw(st.integers(0, len(after))), draw(_article(f"a{fresh}")))
        elif action == "delete":
            after.pop(draw(st.integers(0, len(after) - 1)))
        elif action == "edit":
            place = draw(st.integers(0, len(after) - 1))
            after[place] = draw(_article(after[place][0].identity))
        elif action == "rescore":   # the same words, weighed differently
            place = draw(st.integers(0, len(after) - 1))
            item, tags, topics = after[place]
            terms = tuple((word, draw(st.sampled_from((0.5, 1.0, 2.0))))
                          for word, _ in item.analysis.terms)
            analysis = Analysis.of(terms, item.analysis.vocabulary.split(),
                                   item.analysis.topic_scores)
            after[place] = (item._replace(analysis=analysis, digest=repr((terms, tags, topics))),
                            tags, topics)
        else:
            item, tags, topics = after.pop(draw(st.integers(0, len(after) - 1)))
            after.insert(draw(st.integers(0, len(after))),
                         (item._replace(identity=f"a{fresh}"), tags, topics))
    return before, after


def _search(archive, too_common, cap, memo, touched=None, readers=lambda words: None):
    return _related_all([a for a, _, _ in archive],
                        [Chosen.of(a.digest, _weighed(a.analysis, t, {}), ()) for a, t, _ in archive],
                        [t for _, _, t in archive], too_common, memo, touched, readers,
                        posting_cap=cap)


def _readers(archive, every: bool):
    """Which articles hold each word among their candidates, as the engine keeps them:
    exactly, or with every article for every word (what a record of files whose entries
    were lost may hold more, taken to its end)."""
    def readers(words):
        return {w: [j for j, (a, _, _) in enumerate(archive)
                    if every or w in a.analysis.words.split()] for w in words}
    return readers


def _touched(before, after, memo) -> Touched:
    """What the engine tells the search of a change from one archive to the other."""
    was = {(a.identity, a.digest) for a, _, _ in before}
    now = {(a.identity, a.digest) for a, _, _ in after}
    fresh = [(a, tags) for a, tags, _ in after if (a.identity, a.digest) not in was]
    gone = [(a, tags) for a, tags, _ in before if (a.identity, a.digest) not in now]
    return Touched.of(Change(tuple(a for a, _ in fresh), tuple(a for a, _ in gone)),
                      [pair for a, tags in (*fresh, *gone) for pair in _weighed(a.analysis, tags, {})],
                      memo)


@settings(max_examples=600, deadline=None)
@given(_archive_and_change(), st.sampled_from((1, 2, 3, 32)),
       st.frozensets(st.sampled_from(_WORDS), max_size=2),
       st.frozensets(st.sampled_from(_WORDS), max_size=2),
       st.sampled_from((None, False, True)))
def test_related_articles_remembered_from_the_last_build_equal_a_search_afresh(
        change, cap, common_before, common_after, every):
    """The memo's key must name everything an article's search reads: posting lists cut
    short (small caps), ties, the topic fill and the neighbours in time included. With
    the words too common to list unchanged, the search may also be told what changed
    (`Touched`) and look only at the lists and articles it names, finding which articles
    hold a word by a pass over them all or from the engine's record (`readers`: exact, or
    with more articles than hold it)."""
    before, after = change
    _, memo = _search(before, common_before, cap, RelatedMemo())
    afresh = _search(after, common_after, cap, RelatedMemo())
    assert _search(after, common_after, cap, memo) == afresh
    if common_before == common_after:
        readers = (lambda words: None) if every is None else _readers(after, every)
        assert _search(after, common_after, cap, memo, _touched(before, after, memo),
                       readers) == afresh


@settings(max_examples=300, deadline=None)
@given(_archive_and_change(), st.sampled_from((0.3, 0.5, 1.0)), st.sampled_from((0.3, 0.5, 1.0)),
       st.sampled_from(((), ("港口",))), st.sampled_from(((), ("港口",))))
def test_tags_and_topics_remembered_from_the_last_build_equal_a_taxonomy_afresh(
        change, share_before, share_after, ban_before, ban_after):
    """Chosen again for the edited and added articles only, and for all of them when the
    words too common to tag or the tag settings changed."""
    before, after = change
    site = parse_config('[[topics]]\nslug = "finance"\nname = "金融"\nkeywords = ["贷款"]\n',
                        Path("site.toml"))

    def configured(share: float, ban: tuple[str, ...]) -> SiteConfig:
        return replace(site, tags=replace(site.tags, max_share=share, min_corpus=1, ban=ban))

    def names(text: str, script: Script) -> tuple[tuple[str, str], ...]:
        return (("zh-Hans", text),)

    memo = build_taxonomy([a for a, _, _ in before], configured(share_before, ban_before),
                          names).memo
    config = configured(share_after, ban_after)
    afresh = build_taxonomy([a for a, _, _ in after], config, names)
    # the memo alone, and with the articles it was made from (counts and lists patched)
    for previous in (lambda identity: None, {a.identity: a for a, _, _ in before}.get):
        remembered = build_taxonomy([a for a, _, _ in after], config, names, memo,
                                    previous=previous)
        assert remembered.per_article == afresh.per_article
        assert remembered.groups == afresh.groups
        assert remembered.memo == afresh.memo


def test_related_articles_are_searched_for_once_when_first_asked_for(monkeypatch):
    """Listings read a taxonomy's groups and archive, not the related articles: the
    search waits for the first article page (or the memo), runs once, and a pickled
    taxonomy (for a worker elsewhere) carries what it found."""
    import pickle

    searched = []
    real = taxonomy._related_all
    monkeypatch.setattr(taxonomy, "_related_all",
                        lambda *args: searched.append(1) or real(*args))
    item = TaxonomyInput("a", "1", Analysis.of((("港口", 1.0),), ["港口"]), ("港口",), (), (), (),
                         2024, 7)
    made = build_taxonomy([item, item._replace(identity="b")], parse_config("", Path("site.toml")),
                          lambda text, script: (("zh-Hans", text),))
    assert made.groups["tags"][0][1] == (0, 1) and made.archive == ((2024, 7, (0, 1)),)
    assert searched == []
    copy = pickle.loads(pickle.dumps(made))
    assert searched == [1]
    assert made.per_article[0].related == (1,) and copy.per_article == made.per_article
    assert copy.memo == made.memo and copy == made
    assert searched == [1]


def test_each_articles_terms_are_made_when_asked_and_keyed_by_what_pages_show():
    """`PerArticle` makes an article's `ArticleTerms` from the kinds' keys; what an
    articles shard's key reads of the terms (`keys`, `shown`) names every term of those
    articles once, and changes with what a page shows of one (its slug), for the
    articles that have it alone."""
    def terms(slug: str) -> list[dict[str, Term]]:
        return [{"港口": Term("tags", "港口", slug, (("zh-Hans", "港口"),)),
                 "贷款": Term("tags", "贷款", "dai-kuan", (("zh-Hans", "贷款"),))},
                {"tech": Term("topics", "tech", "tech", (("zh-Hans", "科技"),))}, {}, {}]

    keys = [[("港口", "贷款"), ("贷款",)], [("tech",), ()], [(), ()], [(), ()]]
    made = PerArticle(terms("gang-kou"), keys, [(1,), (0,)])
    assert len(made) == 2 and made[0] == ArticleTerms(
        tuple(terms("gang-kou")[0].values()), (terms("gang-kou")[1]["tech"],), (), (), (1,))
    assert made[1].tags == (terms("gang-kou")[0]["贷款"],) and made[1].topics == ()
    assert made.keys(0) == (("港口", "贷款"), ("tech",), (), ())
    assert [(kind, key) for kind, key, _ in made.shown(range(2))] == [
        ("tags", "港口"), ("tags", "贷款"), ("topics", "tech")]
    moved = PerArticle(terms("gang-kou-2"), keys, [(1,), (0,)])
    assert moved.shown(range(1)) != made.shown(range(1))
    assert moved.shown(range(1, 2)) == made.shown(range(1, 2))
    assert moved != made and PerArticle(terms("gang-kou"), keys, [(1,), (0,)]) == made


def test_every_page_has_a_description(seed_site: Path):
    """Listings, indexes, search, archive, parallel pages, the root and 404 included."""
    pages = list(seed_site.rglob("*.html"))
    assert len(pages) > 150
    for path in pages:
        meta = soup(path).find("meta", attrs={"name": "description"})
        assert meta is not None and meta["content"].strip(), path


def test_a_new_article_joins_only_the_tag_lists_it_is_among_the_strongest_on():
    """Forty articles share a tag their front matter gives them and no words; today's
    article has the tag too, weaker. Each tag's list keeps its strongest articles, not
    its newest: the addition leaves every other article's related articles as they were
    (with the newest in the lists, it was among the related articles of all forty)."""
    def item(identity: str, word: str, score: float) -> tuple[TaxonomyInput, tuple[str, ...],
                                                               tuple[str, ...]]:
        return (TaxonomyInput(identity, identity, Analysis.of(((word, score),), (word,)),
                              ("港口",), (), (), (), 2024, 7), ("港口",), ())

    archive = [item(f"a{n:02}", f"词{n:02}", 1.0) for n in range(40)]
    today = [item("new", "科技", 0.5), *archive]
    before, _ = _search(archive, frozenset(), 32, RelatedMemo())
    after, _ = _search(today, frozenset(), 32, RelatedMemo())
    named = [[archive[j][0].identity for j in found] for found in before]
    assert [[today[j][0].identity for j in found] for found in after[1:]] == named
    assert all(len(found) == 5 for found in named)


def test_an_addition_that_changes_no_answer_searches_only_for_itself(monkeypatch):
    """Twenty articles share a word, each more strongly than today's article, which joins
    the word's list that all twenty read: their answers are checked against it, not
    searched again, and still equal a search afresh."""
    def item(identity: str, score: float) -> tuple[TaxonomyInput, tuple[str, ...],
                                                   tuple[str, ...]]:
        return (TaxonomyInput(identity, identity, Analysis.of((("港口", score),), ("港口",)),
                              (), (), (), (), 2024, 7), (), ())

    archive = [item(f"a{n:02}", 2.0 + n / 10) for n in range(20)]
    today = [item("new", 1.0), *archive]
    _, memo = _search(archive, frozenset(), 32, RelatedMemo())
    searched = []
    search = taxonomy._related_one
    monkeypatch.setattr(taxonomy, "_related_one", lambda i, *rest: searched.append(i) or
                        search(i, *rest))
    remembered = _search(today, frozenset(), 32, memo)
    assert searched == [0]
    monkeypatch.undo()
    assert remembered == _search(today, frozenset(), 32, RelatedMemo())
