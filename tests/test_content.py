"""Front matter: the pure parser and its messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builder.content import decode, parse_article
from builder.editions import Script
from builder.errors import BuildError
from builder.site import build

PATH = Path("content/a.md")


def messages(text: str) -> list[str]:
    with pytest.raises(BuildError) as caught:
        parse_article(text, PATH)
    return [p.format() for p in caught.value.problems]


def test_full_front_matter():
    a = parse_article(
        '+++\ntitle = "标题"\ndate = 2024-07-22\nslug = "loans"\nscript = "zh-Hant"\n'
        'subtitle = "副题"\nkicker = "引题"\nauthors = ["傅军", "魏亚楠"]\nsource = "青岛日报"\n'
        'tags = ["金融"]\ntopics = ["finance"]\ndraft = true\n'
        'phrases = [{ hans = "范", hant = "范" }]\n+++\n\n正文\n', PATH)
    assert (a.title, a.slug, a.script, a.subtitle, a.kicker) == (
        "标题", "loans", Script.HANT, "副题", "引题")
    assert a.date == dt.datetime(2024, 7, 22)
    assert a.authors == ("傅军", "魏亚楠") and a.tags == ("金融",) and a.draft
    assert a.body.strip() == "正文" and a.body_line == 15


def test_slug_defaults_to_the_file_name():
    assert parse_article('+++\ntitle = "t"\ndate = 2024-01-02\n+++\n', PATH).slug == "a"
    chinese = parse_article('+++\ntitle = "t"\ndate = 2024-01-02\n+++\n', Path("重庆.md"))
    assert chinese.slug == "chongqing"


def test_missing_required_fields():
    found = messages('+++\nsubtitle = "x"\n+++\n')
    assert any("missing required key `title`" in m for m in found)
    assert any("missing required key `date`" in m for m in found)


def test_date_of_the_wrong_type_names_its_line():
    [message] = messages('+++\ntitle = "t"\ndate = "yesterday"\n+++\n')
    assert message.startswith("content/a.md:3: error: `date` must be a TOML date")
    assert "date = 2024-07-22" in message


def test_invalid_toml_line_is_the_file_line():
    [message] = messages('+++\ntitle = "t"\ndate = 2024-07-22\nauthors = [傅军]\n+++\n')
    assert message.startswith("content/a.md:4:")


def test_unterminated_front_matter():
    [message] = messages('+++\ntitle = "t"\ndate = 2024-07-22\n正文\n')
    assert "front matter is not closed" in message


def test_no_front_matter():
    [message] = messages("正文\n")
    assert "no front matter" in message


def test_unknown_key_suggests():
    [message] = messages('+++\ntitle = "t"\ndate = 2024-07-22\nauthor = ["x"]\n+++\n')
    assert "unknown key `author`" in message and "did you mean `authors`?" in message


def test_slug_that_would_leave_the_output():
    [message] = messages('+++\ntitle = "t"\ndate = 2024-07-22\nslug = "../../etc"\n+++\n')
    assert "is not usable in a URL" in message


def test_not_utf8_names_the_encoding():
    with pytest.raises(BuildError) as caught:
        decode("+++\ntitle = \"青岛\"\n".encode("gb18030"), PATH)
    assert "not UTF-8 text; it looks like GB18030" in caught.value.problems[0].message


def test_binary_file():
    with pytest.raises(BuildError) as caught:
        decode(b"\x89PNG\r\n\x1a\n\0\0\0", PATH)
    assert "binary file" in caught.value.problems[0].message


def test_duplicate_slugs_name_every_file(make_site):
    text = '+++\ntitle = "t"\ndate = 2024-07-22\nslug = "same"\n+++\n'
    root = make_site({"a.md": text, "b.md": text, "sub/c.md": text})
    with pytest.raises(BuildError) as caught:
        build(root)
    [problem] = caught.value.problems
    assert "duplicate slug 'same' in 3 files" in problem.message
    for name in ("content/a.md", "content/b.md", "content/sub/c.md"):
        assert name in problem.message
