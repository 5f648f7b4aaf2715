"""The importer on pages written the way other papers print them: Hong Kong and Taiwan
papers in Traditional, a mainland page without a □ mark, a hard-wrapped OCR page, and
the conventions one at a time."""

from __future__ import annotations

import datetime as dt
import errno
import subprocess
import sys
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.importer import BlockKind, Conventions, import_pages, read_page, split_page
from builder.importer.classify import (
    Kind,
    chinese_number,
    classify_line,
    parse_byline,
    parse_dateline,
    parse_photo_credit,
)
from builder.pagetext import Line, page_lines

from .conftest import REPO
from .test_importer import assert_nothing_lost

PAGES = Path(__file__).parent / "data" / "pages"
C = Conventions()


def split(name: str, date: str, source: str, tools):
    return split_page(read_page(PAGES / name), tools, date=dt.date.fromisoformat(date),
                      source=source)


def headers(page) -> list[tuple[str, str, str]]:
    return [(a.header.kicker, a.header.title, a.header.subtitle) for a in page.articles]


def test_hong_kong_page_bylines_at_top_and_glued_at_the_end(import_tools):
    page = split("hk-daily.txt", "2015-06-16", "文匯報", import_tools)
    assert headers(page) == [
        ("", "政改表決前夕\u3000各方最後游說", ""),
        ("", "公屋輪候時間再創新高", "一般申請者平均等候四年七個月"),
        ("", "天文台：周末有驟雨", ""),
    ]
    first, second, third = page.articles
    assert first.header.labels == ("【政改6.17\u3000倒數1天】",)
    assert [a.authors for a in page.articles] == [
        ("唐家輝", "翁鈺輝", "文兆麟"), ("黎國剛",), ("黃昇",)]
    assert {a.source for a in page.articles} == {"文匯報"}   # 【本報訊】 is the paper itself
    # the box label heads its box; the byline glued to the last sentence is taken off it
    assert [(b.kind, b.text) for b in first.blocks if b.kind is BlockKind.SUBHEAD] == [
        (BlockKind.SUBHEAD, "【小資料】")]
    assert second.blocks[-1].text.endswith("相若。") and second.byline == ("記者：黎國剛",)
    assert third.byline == ("記者\u3000黃\u3000昇",)
    assert not page.unplaced


def test_taiwan_page_datelines_name_reporters_and_agencies(import_tools):
    page = split("tw-papers.txt", "2019-05-04", "自由時報", import_tools)
    assert [a.header.title for a in page.articles] == [
        "苗栗甜柿搶攻海外市場", "台美貿易對話下週登場", "北市老屋加裝電梯\u3000補助加碼"]
    assert [(a.authors, a.source, a.date) for a in page.articles] == [
        (("王大明",), "自由時報", dt.date(2019, 5, 4)),
        (("張文華",), "中央社", dt.date(2019, 5, 3)),   # 台北3日電: the agency, its day
        (("李小華",), "自由時報", dt.date(2019, 5, 4)),
    ]
    # the page's own header is no article's kicker: it waits in the review file
    assert [line.text for line in page.unplaced] == ["地方新聞\u30002019年5月4日"]
    assert page.articles[0].blocks[0].text.startswith("〔記者王大明／苗栗報導〕")


def test_mainland_page_without_byline_marks(import_tools):
    page = split("mainland-no-mark.txt", "2020-01-11", "人民日报", import_tools)
    assert headers(page) == [
        ("", "中非合作助力厄立特里亚农业发展", "中国专家帮助当地农民提高粮食产量"),
        ("", "春运首日全国铁路发送旅客超千万人次", ""),
        ("", "雪后长城", ""),
    ]
    lead, wire, photo = page.articles
    assert lead.header.labels == ("（国际视点）",)
    assert lead.authors == ("沈小晓", "任彦", "黄培昭") and lead.source == "人民日报"
    assert lead.credits == ("中国驻厄立特里亚大使馆供图",)   # the photo's, not an author
    kinds = [(b.kind.value, b.text[:8]) for b in lead.blocks]
    assert kinds == [("p", "在厄立特里亚首都"), ("p", "近年来，中国与厄"), ("p", "“中国专家教会了"),
                     ("h2", "改良品种效果明显"), ("p", "专家组负责人介绍"), ("p", "下一步，专家组将"),
                     ("caption", "图为中国农业专家")]
    assert "不断深化，中方派出" in lead.blocks[1].text   # a line broken on a comma is joined
    assert (wire.authors, wire.source, wire.date) == (("樊曦",), "新华社", dt.date(2020, 1, 10))
    # a photo story is its photographer's
    assert (photo.authors, photo.credits) == (("陈斌",), ("本报记者  陈  斌摄",))


def test_hard_wrapped_ocr_page(import_tools):
    page = split("yanan-ocr.txt", "1944-03-13", "解放日报", import_tools)
    assert page.layout.width == 24
    assert headers(page) == [
        ("", "陕甘宁边区春耕运动普遍展开", "各县劳动英雄带头组织变工"),
        ("", "晋察冀边区召开参议会", "讨论减租减息与生产问题"),
    ]
    assert [(a.source, a.date) for a in page.articles] == [
        ("新华社", dt.date(1944, 3, 10)), ("新华社", dt.date(1944, 3, 12))]
    paragraphs = [b.text for b in page.articles[0].blocks]
    assert len(paragraphs) == 2 and "变工队和扎工队" in paragraphs[0]


def test_ocr_page_with_an_opening_byline_and_a_lost_full_stop(import_tools):
    """The byline under a headline opens its article, and a headline after a paragraph whose
    full stop the OCR lost still starts one; the wrapped lines are joined."""
    page = split("hk-ocr.txt", "2019-09-13", "", import_tools)
    assert headers(page) == [("", "港鐵新線下月通車", "沿線居民出行更便利"),
                             ("", "中秋燈會今晚揭幕", "")]
    first, second = page.articles
    assert first.authors == ("陳家明",) and second.authors == ("李志強", "黃昇")
    assert [b.text for b in first.blocks][-1] == "區議員歡迎消息，並希望港鐵在通車初期加密班次，方便上班族"
    assert second.credits == ("資料圖片",)
    assert [b.kind for b in second.blocks] == [BlockKind.PARAGRAPH, BlockKind.PARAGRAPH,
                                               BlockKind.CAPTION]


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.txt")))
def test_nothing_lost_on_every_fixture_page(name: str, import_tools):
    text = (PAGES / name).read_text(encoding="utf-8")
    assert_nothing_lost(text, split_page(page_lines(text), import_tools, date=dt.date(2020, 1, 1)))


# --- the conventions one at a time ------------------------------------------------------

@pytest.mark.parametrize(("text", "outlet", "names"), [
    ("□青岛日报/观海新闻记者 傅军", "青岛日报/观海新闻", ("傅军",)),
    ("記者：唐家輝　翁鈺輝　文兆麟", "", ("唐家輝", "翁鈺輝", "文兆麟")),
    ("本报记者 沈小晓 任彦 黄培昭", "", ("沈小晓", "任彦", "黄培昭")),
    ("■本报记者 王 静", "", ("王静",)),
    ("記者　黃　昇", "", ("黃昇",)),
    ("本报记者 李红 通讯员 张小明", "", ("李红", "张小明")),
    ("（记者丁怡婷）", "", ("丁怡婷",)),
    ("文／图 欧阳晓明", "", ("欧阳晓明",)),
    ("文/本报记者 张三", "", ("张三",)),
    ("本报记者 张 大 明", "", ("张大明",)),          # spaced out by OCR
])
def test_bylines(text: str, outlet: str, names: tuple[str, ...]):
    byline = parse_byline(text, C)
    assert byline is not None and (byline.outlet, byline.names) == (outlet, names)


@pytest.mark.parametrize("text", [
    "记者手记", "记者调查", "記者了解到，江苏高度重视外籍人员疫情防控。",
    "记者从国铁集团获悉", "文化传承", "图说新闻", "本报评论员",
])
def test_not_bylines(text: str):
    assert parse_byline(text, C) is None


@pytest.mark.parametrize(("text", "source", "month", "day", "authors"), [
    ("本报北京5月11日电  （记者丁怡婷）今年5月12日", "本报", 5, 11, ("丁怡婷",)),
    ("本报石家庄5月11日电（记者史自强）记者从", "本报", 5, 11, ("史自强",)),
    ("新华社北京1月14日电  （记者梅世雄）军队", "新华社", 1, 14, ("梅世雄",)),
    ("【新华社延安十日电】边区各县", "新华社", None, 10, ()),
    ("【本報訊】立法會明日", "本報", None, None, ()),
    ("本报讯 记者获悉", "本报", None, None, ()),
    ("中央社記者張文華台北3日電）經濟部", "中央社", None, 3, ("張文華",)),
    ("（中央社記者張文華台北3日電）經濟部", "中央社", None, 3, ("張文華",)),
    ("（記者王大明／台北報導）台北市", "", None, None, ("王大明",)),
    ("〔記者王大明、李小華／苗栗報導〕苗栗縣", "", None, None, ("王大明", "李小華")),
    ("据新华社东京二十三日电 日本", "新华社", None, 23, ()),
    ("本报7月22日讯 高技术产业", "本报", 7, 22, ()),
    ("【新华社延安十日电 】边区", "新华社", None, 10, ()),     # OCR put a space in
    ("香港文匯報訊（記者 張三）立法會", "香港文匯報", None, None, ("張三",)),
])
def test_datelines(text, source, month, day, authors):
    dateline = parse_dateline(text, C)
    assert dateline is not None
    assert (dateline.source, dateline.month, dateline.day, dateline.authors) == (
        source, month, day, authors)


@pytest.mark.parametrize("text", ["本报记者近日走访了多家企业。", "新华社发布消息称",
                                  "大公報訊息指出", "【小資料】", "本报评论员文章"])
def test_not_datelines(text: str):
    assert parse_dateline(text, C) is None


@pytest.mark.parametrize(("text", "value"), [
    ("14", 14), ("十", 10), ("十五", 15), ("二十", 20), ("二十三", 23), ("廿三", 23),
    ("卅", 30), ("三十一", 31), ("一", 1), ("十十", None)])
def test_chinese_day_numbers(text: str, value: int | None):
    assert chinese_number(text) == value


@pytest.mark.parametrize(("text", "outlet", "names"), [
    ("侯崇慧摄（人民视觉）", "", ("侯崇慧",)),
    ("牟 科摄（影像中国）", "", ("牟科",)),
    ("新华社记者 李贺 摄", "新华社", ("李贺",)),
    ("中国驻厄立特里亚大使馆供图", "中国驻厄立特里亚大使馆", ()),
    ("资料图片", "", ()),
])
def test_photo_credits(text: str, outlet: str, names: tuple[str, ...]):
    credit = parse_photo_credit(text, C)
    assert credit is not None and (credit.outlet, credit.names) == (outlet, names)
    assert classify_line(Line(1, text), C).kind is Kind.PHOTO_CREDIT


@pytest.mark.parametrize(("text", "kind"), [
    ("【小資料】", Kind.LABEL), ("核心阅读", Kind.LABEL), ("（一线探民生）", Kind.LABEL),
    ("【政改6.17　倒數1天】", Kind.LABEL), ("责编/王亚梅 美编/高菲", Kind.EDITORS),
    ("■青岛生物科研交流中心项目。", Kind.CAPTION), ("图为游客在长城上游览。", Kind.CAPTION),
    ("2020年1月15日 星期三", Kind.FURNITURE), ("第4版", Kind.FURNITURE),
    ("A4　要聞", Kind.FURNITURE), ("2024年7月22日起实施新规", Kind.HEADING), ("（完）", Kind.TEXT),
    ("“中国好房东”好在哪（民生观）", Kind.HEADING), ("记者手记", Kind.LABEL),
    ("据了解，各地因地制宜开展各类应急演练活动。", Kind.TEXT),
])
def test_line_kinds(text: str, kind: Kind):
    assert classify_line(Line(1, text), C).kind is kind


def test_two_line_header_stacks(import_tools):
    def stack(*lines: str) -> tuple[str, str, str]:
        text = "\n".join(lines) + "\n本报北京1月14日电 正文第一句。\n"
        article = split_page(page_lines(text), import_tools, date=dt.date(2020, 1, 15)).articles[0]
        return article.header.kicker, article.header.title, article.header.subtitle

    assert stack("赵克志强调", "纵深推进打击治理电信网络新型违法犯罪") == (
        "赵克志强调", "纵深推进打击治理电信网络新型违法犯罪", "")
    assert stack("把“严”的主基调长期坚持下去", "——全会与会同志热议重要讲话") == (
        "", "把“严”的主基调长期坚持下去", "——全会与会同志热议重要讲话")
    assert stack("新疆组建流动医疗队上门诊疗", "在家就医，困难群众享便利（一线探民生）") == (
        "新疆组建流动医疗队上门诊疗", "在家就医，困难群众享便利（一线探民生）", "")
    assert stack("各地开展防灾减灾日主题活动", "提升应急能力 筑牢人民防线") == (
        "各地开展防灾减灾日主题活动", "提升应急能力 筑牢人民防线", "")
    assert stack("铁路公安严厉打击倒卖车票", "破获案件2782起 缴获假票12.1万余张") == (
        "", "铁路公安严厉打击倒卖车票", "破获案件2782起 缴获假票12.1万余张")


def test_site_conventions_name_the_paper_and_its_byline_words(import_tools):
    from dataclasses import replace

    tools = replace(import_tools, conventions=C.with_additions(
        paper="明報", reporters=("特派記者",), agencies=("星島社",)))
    text = ("颱風逼近　天文台考慮改發八號風球\n特派記者 陳大文\n"
            "天文台表示，颱風正逐漸靠近本港，市民應做好防風準備。\n\n"
            "海外消息\n【星島社東京3日電】日本氣象廳發出暴雨警告。\n")
    page = split_page(page_lines(text), tools, date=dt.date(2023, 9, 4))
    assert [(a.authors, a.source) for a in page.articles] == [(("陳大文",), "明報"), ((), "星島社")]


# --- the command ------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True,
                          text=True, timeout=300)


def test_dry_run_shows_the_split_and_writes_nothing(tmp_path: Path):
    result = run("import", str(PAGES / "tw-papers.txt"), "--root", str(tmp_path),
                 "--date", "2019-05-04", "--source", "自由時報", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "tw-papers.txt: 3 articles" in result.stdout
    assert "苗栗甜柿搶攻海外市場" in result.stdout and "張文華; 中央社; 2019-05-03" in result.stdout
    assert "tw-papers.txt:1: warning: left over" in result.stderr
    assert not (tmp_path / "content").exists()


def test_unplaced_lines_are_kept_in_a_draft_review_file(make_site):
    root = make_site({})
    result = run("import", str(PAGES / "tw-papers.txt"), "--root", str(root),
                 "--date", "2019-05-04")
    assert result.returncode == 0, result.stderr
    review = root / "content" / "2019" / "05" / "review-2019-05-04-tw-papers.md"
    text = review.read_text(encoding="utf-8")
    assert "draft = true" in text and "1: 地方新聞\u30002019年5月4日" in text
    assert "1 line left for review" in result.stdout
    built = run("build", "--root", str(root))   # a draft: kept for the editor, never published
    assert built.returncode == 0, built.stderr
    assert "3 articles × 2 editions" in built.stdout
    pages = "".join(p.read_text(encoding="utf-8") for p in (root / "_site").rglob("*.html"))
    assert "苗栗甜柿搶攻海外市場" in pages and "地方新聞" not in pages


def test_labels_are_shown_in_both_editions(make_site):
    root = make_site({})
    assert run("import", str(PAGES / "hk-daily.txt"), "--root", str(root),
               "--date", "2015-06-16").returncode == 0
    built = run("build", "--root", str(root))
    assert built.returncode == 0, built.stderr
    hant = [p for p in (root / "_site" / "zh-hant").rglob("index.html")
            if '<span class="label">【政改6.17\u3000倒數1天】</span>' in p.read_text(encoding="utf-8")]
    hans = [p for p in (root / "_site" / "zh-hans").rglob("index.html")
            if '<span class="label">【政改6.17\u3000倒数1天】</span>' in p.read_text(encoding="utf-8")]
    # the article page and its parallel page, in each edition
    assert sorted(p.parent.name for p in hant) == sorted(p.parent.name for p in hans) == [
        "parallel", "zhenggai-biaojue-qianxi-gefang-zuihou-youshui"]


def test_site_toml_import_table_sets_the_default_source(tmp_path: Path):
    (tmp_path / "site.toml").write_text('[import]\npaper = "香港日報"\nbyline_words = ["特派記者"]\n',
                                        encoding="utf-8")
    result = run("import", str(PAGES / "hk-daily.txt"), "--root", str(tmp_path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("; 香港日報; ") == 3


def test_a_full_disk_writes_no_article_of_the_page(tmp_path: Path, import_tools, monkeypatch):
    real = Path.write_text
    calls = []

    def full_after_one(self: Path, *args, **kwargs):
        calls.append(self)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_after_one)
    with pytest.raises(BuildError) as caught:
        import_pages(tmp_path, [PAGES / "hk-daily.txt"], date=dt.date(2015, 6, 16),
                     tools=import_tools)
    assert "No space left on device; nothing was written" in caught.value.problems[0].message
    assert caught.value.problems[0].hint == "free some space and import again"
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]   # no article, no .tmp


def relaid(text: str, how: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return {"flush": "\n".join(lines), "spaced": "\n\n".join(lines),
            "indented": "\n".join("\u3000\u3000" + line for line in lines)}[how]


@pytest.mark.parametrize("how", ["flush", "spaced", "indented"])
@pytest.mark.parametrize("path", [*sorted(PAGES.glob("*.txt")), *sorted((REPO / "sources").glob("*.txt"))],
                         ids=lambda p: p.name)
def test_the_split_does_not_hang_on_the_layout(path: Path, how: str, import_tools):
    """Pages whose articles are marked by datelines, bylines, stacks and credits split the
    same way with their blank lines and indents taken away or made uniform."""
    text = path.read_text(encoding="utf-8")
    date = dt.date(2020, 1, 1)
    original = split_page(page_lines(text), import_tools, date=date)
    changed = split_page(page_lines(relaid(text, how)), import_tools, date=date)
    assert headers(changed) == headers(original)
    assert [a.authors for a in changed.articles] == [a.authors for a in original.articles]


def test_pages_that_are_not_files_or_too_large_are_refused(tmp_path: Path, monkeypatch):
    import os

    from builder.importer import files

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(BuildError) as caught:
        read_page(fifo)     # would block for ever if it were opened
    assert caught.value.problems[0].message == "not a regular file"
    monkeypatch.setattr(files, "MAX_PAGE_BYTES", 100)
    with pytest.raises(BuildError) as caught:
        read_page(PAGES / "hk-daily.txt")
    assert "larger than" in caught.value.problems[0].message


def test_a_box_label_before_the_lead_keeps_the_dateline(import_tools):
    text = ("城市更新惠及百万居民\n核心阅读\n"
            "本报上海3月2日电  （记者王磊）上海今年将完成旧区改造二十万平方米。\n"
            "市住建委表示，改造将优先照顾困难家庭。\n")
    article = split_page(page_lines(text), import_tools, date=dt.date(2021, 3, 3)).articles[0]
    assert (article.date, article.authors, article.source) == (dt.date(2021, 3, 2), ("王磊",), "")
    assert [b.kind for b in article.blocks] == [BlockKind.SUBHEAD, BlockKind.PARAGRAPH,
                                                BlockKind.PARAGRAPH]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark(encoding: str):
    from builder.pagetext import decode_page

    text = (PAGES / "hk-daily.txt").read_text(encoding="utf-8")
    assert decode_page(text.encode(encoding), Path("p.txt")) == (text, "utf-16")


def test_unicode_line_separators_split_lines_but_keep_their_numbers(import_tools):
    from builder.content import parse_article
    from builder.importer import plan_files

    text = "港珠澳大桥\u2028通车五周年\n本报北京1月2日电 大桥今天迎来通车五周年。\n"
    lines = page_lines(text)
    assert [(line.number, line.text) for line in lines] == [
        (1, "港珠澳大桥"), (1, "通车五周年"), (2, "本报北京1月2日电 大桥今天迎来通车五周年。")]
    page = split_page(lines, import_tools, date=dt.date(2023, 1, 3))
    planned = plan_files(page, "p.txt", import_tools)
    article = parse_article(planned[0].text, planned[0].path)   # the build reads it back
    assert "\u2028" not in planned[0].text and article.subtitle == "通车五周年"


def test_ocr_full_stops_read_as_full_stops(import_tools):
    """Some OCR writes 。 as ．: the page splits as with 。."""
    text = (PAGES / "yanan-ocr.txt").read_text(encoding="utf-8")
    date = dt.date(1944, 3, 13)
    original = split_page(page_lines(text), import_tools, date=date)
    ocr = split_page(page_lines(text.replace("。", "．")), import_tools, date=date)
    assert headers(ocr) == headers(original)
    assert [len(a.blocks) for a in ocr.articles] == [len(a.blocks) for a in original.articles]
