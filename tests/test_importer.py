"""The importer on the two seed pages, on re-encoded and reflowed dumps, and on the CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from builder.editions import EDITIONS, Script
from builder.errors import BuildError
from builder.importer import BlockKind, PageImport, import_pages, read_page, split_page
from builder.pagetext import decode_page, page_lines

from .conftest import REPO

DAILY = REPO / "sources" / "000_45c539df697fb73c.txt"
EVENING = REPO / "sources" / "001_22076e859fb92202.txt"
TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="session")
def seeds(import_tools) -> list:
    return [article for page in (DAILY, EVENING)
            for article in split_page(read_page(page), import_tools, today=TODAY).articles]


def test_eight_articles_with_their_headlines(seeds):
    assert [(a.header.kicker, a.header.title, a.header.subtitle) for a in seeds] == [
        ("", "上半年青岛贷款余额3.14万亿元",
         "高技术产业贷款同比增长36.2%，普惠型小微贷款增速高于各项贷款增速6.78个百分点"),
        ("加强经贸往来 推进务实合作", "青岛一下关经贸合作交流会举行", ""),
        ("", "青岛启动防汛 三级应急响应", "进入“七下八上”防汛关键期，不仅降雨频繁，而且多强降雨"),
        ("", "青岛发布智慧公园建设 技术规范地方标准", "助力公园城市高品质提升"),
        ("着力构建全链条科技创业孵化体系，目前拥有各级各类创新平台载体38家",
         "青岛高新区已汇聚17家“国字号”孵化器、众创空间", ""),
        ("", "青岛生物科研交流中心项目年底交付",
         "系省新旧动能转换优选项目和市级重点项目，将打造国际健康管理中心，"
         "联动孤山北片区做强生命健康百亿级产业集群"),
        ("", "雁山科技生態城發展願景發布", "市北區搭建政校企產學研交流合作平台 建設三區融合產業新域"),
        ("", "平安銀行青島分行：堅持金融為民，服務實體經濟", ""),
    ]


def test_bylines_authors_sources_dates_and_credits(seeds):
    assert [(a.authors, a.source, a.date) for a in seeds] == [
        (("傅军",), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("任晓萌", "魏亚楠"), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("吴帅",), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("吴帅",), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("周伟",), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("余瑞新",), "青岛日报/观海新闻", dt.date(2024, 7, 22)),
        (("于波",), "觀海新聞/青島晚報/掌上青島", dt.date(2023, 11, 29)),
        ((), "", dt.date(2023, 11, 29)),
    ]
    assert seeds[1].byline == ("□青岛日报/观海新闻记者 任晓萌", "实习生 魏亚楠")
    assert seeds[6].byline == ("觀海新聞/青島晚報/掌上青島 記者于波",)
    assert seeds[6].credits == ("責編/王亞梅", "美編/高菲", "審讀/孫勇")
    assert all(not a.credits for i, a in enumerate(seeds) if i != 6)


def test_subheads_and_captions_in_place(seeds):
    def shape(article):
        return [(b.kind.value, b.text) for b in article.blocks if b.kind is not BlockKind.PARAGRAPH]

    assert shape(seeds[4]) == [("h2", "“上下楼”串起产业链“上下游”"),
                               ("h2", "向159家科技型小微企业 授信5.93亿元")]
    assert shape(seeds[5]) == [("caption", "■青岛生物科研交流中心项目。")]
    assert shape(seeds[6]) == [("h2", "打造高端新材料產業聚集地"),
                               ("caption", "雁山科技生態城項目效果圖。"),
                               ("h2", "“一心雙核”成產業發展新藍本")]
    assert shape(seeds[7]) == [("h2", "發揮自身優勢服務實體經濟成效显著"),
                               ("h2", "開展“走萬企 提信心 優服務”活動"),
                               ("h2", "開展專精特新中小企業特色服務活動")]
    for article in (seeds[0], seeds[1], seeds[2], seeds[3]):
        assert shape(article) == []


def test_split_paragraphs_are_joined_again(seeds):
    paragraphs = {i: [b.text for b in a.blocks if b.kind is BlockKind.PARAGRAPH]
                  for i, a in enumerate(seeds)}
    joined = "\n".join(p for ps in paragraphs.values() for p in ps)
    for words in ("在青岛高新区科技金融服务中心", "成为全国首单“蓝色+科创”创新债券。",
                  "项目，主要研发面向工业领域", "會議提出，雁山科技生態城將以",
                  "特色產業體系的重要組成部分。作為", "这些群体的金融体验",
                  "是支撑市北区国际大健康", "專項走訪活動", "聯合青島市民營經濟發展局"):
        assert words in joined, words
    # the caption dropped into the split paragraph stays a caption, right after it
    blocks = seeds[6].blocks
    at = next(i for i, b in enumerate(blocks) if "重要組成部分" in b.text)
    assert blocks[at + 1].kind is BlockKind.CAPTION
    assert "效果圖" not in blocks[at].text


def non_blank(text: str) -> str:
    return "".join(text.split())


def accounted(page: PageImport) -> list[str]:
    pieces = [line.text for line in page.unplaced]
    for a in page.articles:
        pieces += [a.header.kicker, a.header.title, a.header.subtitle, *a.header.labels,
                   *a.byline, *a.credits]
        pieces += [b.text for b in a.blocks]
    return pieces


def assert_nothing_lost(text: str, page: PageImport) -> None:
    """Every non-blank character lands in exactly one piece, and the articles' running
    text keeps the page's order (captions may move to the end of the paragraph they cut)."""
    assert sorted(non_blank("".join(accounted(page)))) == sorted(non_blank(text))
    starts = [b.line for a in page.articles for b in a.blocks if b.kind is not BlockKind.CAPTION]
    assert starts == sorted(starts)
    spans = [a.lines for a in page.articles]
    assert all(first <= last for first, last in spans)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_nothing_is_lost_on_the_seed_pages(import_tools):
    for path in (DAILY, EVENING):
        text = path.read_text(encoding="utf-8")
        assert_nothing_lost(text, split_page(page_lines(text), import_tools, today=TODAY))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16", "gbk"])
def test_encodings_of_the_simplified_page(encoding: str, import_tools):
    text = DAILY.read_text(encoding="utf-8").replace("\n", "\r\n")
    decoded, _ = decode_page(text.encode(encoding), Path("p.txt"))
    page = split_page(page_lines(decoded), import_tools, today=TODAY)
    assert len(page.articles) == 6
    assert page.articles[0].header.title == "上半年青岛贷款余额3.14万亿元"


def test_big5_page(import_tools):
    # Big5 has no Simplified characters, so the page is first made wholly Traditional.
    text = import_tools.converter.convert(EVENING.read_text(encoding="utf-8"),
                                          Script.HANS, EDITIONS[1]).text
    decoded, encoding = decode_page(text.encode("big5"), Path("p.txt"))
    assert encoding == "big5" and decoded == text
    page = split_page(page_lines(decoded), import_tools, today=TODAY)
    assert [a.header.title for a in page.articles] == [
        "雁山科技生態城發展願景發布", "平安銀行青島分行：堅持金融為民，服務實體經濟"]


def test_indented_paragraphs_without_blank_lines(import_tools):
    text = DAILY.read_text(encoding="utf-8")
    reflowed = "\n".join("\u3000\u3000" + line.strip() for line in text.splitlines() if line.strip())
    page = split_page(page_lines(reflowed), import_tools, today=TODAY)
    assert [a.header.title for a in page.articles][:2] == [
        "上半年青岛贷款余额3.14万亿元", "青岛一下关经贸合作交流会举行"]


def test_binary_page_is_refused():
    with pytest.raises(BuildError) as caught:
        decode_page(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, Path("scan.png"))
    assert "binary data" in caught.value.problems[0].message


def test_date_option_overrides_the_year(import_tools):
    page = split_page(read_page(DAILY), import_tools, date=dt.date(2025, 1, 5), today=TODAY)
    assert page.date == dt.date(2025, 1, 5)
    assert page.articles[0].date == dt.date(2025, 7, 22)   # dateline day, --date's year
    assert page.articles[4].date == dt.date(2025, 1, 5)    # no dateline: the page's date


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True,
                          text=True, timeout=300)


def test_golden_the_committed_articles_are_what_import_makes(tmp_path: Path, import_tools):
    """content/ is the golden output; refresh it with `builder import sources/*.txt --force`."""
    import_pages(tmp_path, [DAILY, EVENING], tools=import_tools)
    made = sorted(p.relative_to(tmp_path) for p in (tmp_path / "content").rglob("*.md"))
    committed = sorted(p.relative_to(REPO) for p in (REPO / "content").rglob("*.md"))
    assert made == committed and len(made) == 8
    for path in made:
        expected = (REPO / path).read_text(encoding="utf-8").replace(
            "origin = \"sources/", "origin = \"")
        assert (tmp_path / path).read_text(encoding="utf-8") == expected, path


def test_reimport_is_idempotent_and_keeps_edits(tmp_path: Path):
    first = run("import", str(DAILY), "--root", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created: ") == 6
    second = run("import", str(DAILY), "--root", str(tmp_path))
    assert second.stdout.count("unchanged: ") == 6 and "created" not in second.stdout
    edited = next((tmp_path / "content").rglob("*daikuan*.md"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("傅军", "傅 军"), encoding="utf-8")
    third = run("import", str(DAILY), "--root", str(tmp_path))
    assert "left alone" in third.stdout and "傅 军" in edited.read_text(encoding="utf-8")
    forced = run("import", str(DAILY), "--root", str(tmp_path), "--force")
    assert "replaced: " in forced.stdout and "傅 军" not in edited.read_text(encoding="utf-8")
    assert len(list((tmp_path / "content").rglob("*.md"))) == 6


def test_unreadable_page_writes_nothing(tmp_path: Path):
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\0\x01\x02\xff" * 100)
    result = run("import", str(DAILY), str(bad), "--root", str(tmp_path))
    assert result.returncode == 1
    assert "scan.txt: error: binary data" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "content").exists()
