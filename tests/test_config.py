"""site.toml: typed, validated, every problem named with its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import parse_config
from builder.editions import Script
from builder.errors import BuildError

PATH = Path("site.toml")


def problems(text: str) -> list[str]:
    with pytest.raises(BuildError) as caught:
        parse_config(text, PATH)
    return [p.format() for p in caught.value.problems]


def test_defaults_and_values():
    config = parse_config('title = "青岛新闻"\nbase_url = "https://u.github.io/repo"\n', PATH)
    assert config.title == "青岛新闻"
    assert config.base_url == "https://u.github.io/repo/"
    assert config.base_path == "/repo/"
    assert config.default_edition == config.editions[0]
    assert [(e.lang, e.path, e.script, e.convert, e.glyphs) for e in config.editions] == [
        ("zh-Hans", "zh-hans", Script.HANS, "tw2s", ()), ("zh-Hant", "zh-hant", Script.HANT, "s2tw", ())]
    assert config.output_dir == "_site"


def test_root_base_path():
    assert parse_config('base_url = "https://news.example"', PATH).base_path == "/"


def test_invalid_toml_names_the_line():
    [message] = problems('title = "a"\nbase_url = https://x\n')
    assert message.startswith("site.toml:2:")
    assert "invalid TOML" in message


def test_misspelt_key_suggests_the_right_one():
    [message] = problems('title = "a"\nbase_ulr = "https://x.org/"\n')
    assert message.startswith("site.toml:2: error: unknown key `base_ulr`")
    assert "did you mean `base_url`?" in message


def test_misspelt_key_in_a_table():
    [message] = problems('[conversion]\nto_hnat = "s2tw"\n')
    assert "unknown key `conversion.to_hnat`" in message and "`to_hant`" in message


def test_every_problem_is_reported_at_once():
    found = problems('titel = "a"\npage_size = 0\ndefault_edition = "zh-CN"\n'
                     '[conversion]\nto_hant = "t2s"\n')
    assert len(found) == 4
    assert any("`page_size` must be a whole number" in m for m in found)
    assert any("must name one of the editions (zh-Hans, zh-Hant), not 'zh-CN'" in m for m in found)
    assert any("not an OpenCC config for this direction" in m for m in found)


def test_phrase_entries_are_checked():
    [message] = problems('[conversion]\nphrases = [{ hans = "范" }]\n')
    assert "needs `hans` and `hant` strings" in message


def test_output_dir_must_stay_inside():
    [message] = problems('output_dir = "../elsewhere"\n')
    assert "`output_dir` must be a folder inside the site root" in message


def test_import_table_names_the_paper_and_its_conventions():
    config = parse_config('[import]\npaper = "明報"\nbyline_words = ["特派記者"]\n'
                          'agencies = ["星島社"]\n', PATH)
    assert config.importing.paper == "明報"
    assert config.importing.byline_words == ("特派記者",)
    assert config.importing.agencies == ("星島社",)
    assert problems('[import]\npapr = "明報"\nlabels = 3\n') == [
        "site.toml:2: error: unknown key `import.papr`\n  hint: did you mean `paper`?",
        "site.toml:3: error: `import.labels` must be a list of strings, not a number (3)\n"
        '  hint: for example labels = ["…", "…"]',
    ]


@pytest.mark.parametrize(("url", "wrong"), [
    ("example.org/news/", "must be an absolute http(s) URL"),
    ("javascript:alert(1)//x.org/", "must be an absolute http(s) URL"),
    ("https://editor:secret@example.org/", "must not carry a user name or password"),
    ("https://example.org/news/?utm=1", "must not have a query or a fragment"),
    ("https://example.org/news/#top", "must not have a query or a fragment"),
    ("https://example.org/my news/", "has characters a URL cannot hold"),
    ('https://example.org/"onmouseover=x/', "has characters a URL cannot hold"),
    ("https://example.org:99999/", "is not a URL"),
])
def test_base_urls_that_would_make_broken_or_hostile_links(url: str, wrong: str):
    from builder.config import SiteConfig

    [message] = problems(f"base_url = {url!r}\n".replace("'", '"') if '"' not in url
                         else f"base_url = '{url}'\n")
    assert message.startswith("site.toml:1: error: `base_url` " + wrong), message
    with pytest.raises(BuildError) as caught:      # --base-url and the library alike
        SiteConfig().with_base_url(url)
    assert caught.value.problems[0].message.startswith("the base URL " + wrong)


def test_two_tags_may_not_share_a_slug():
    [message] = problems('[tags]\nslugs = { "银行" = "banks", "金融" = "banks" }\n')
    assert message.startswith(
        "site.toml:2: error: `tags.slugs` gives the tags '银行', '金融' one slug 'banks'")


def test_chinese_host_names_and_paths_are_base_urls():
    for url in ("https://新闻.example/", "https://example.org/新闻/"):
        assert parse_config(f'base_url = "{url}"\n', PATH).base_url == url


def test_time_zone_by_name_or_the_older_fixed_offset():
    import datetime as dt

    assert parse_config("", PATH).zone.key == "Asia/Shanghai"
    assert parse_config('timezone = "Asia/Taipei"\n', PATH).zone.key == "Asia/Taipei"
    fixed = parse_config('utc_offset = "+09:00"\n', PATH).zone   # a site from before `timezone`
    assert fixed.utcoffset(None) == dt.timedelta(hours=9)
    [message] = problems('timezone = "Asia/Beijing"\n')
    assert message.startswith("site.toml:1: error: `timezone` 'Asia/Beijing' is not a time zone name")


def test_a_misspelt_interface_string_is_an_error():
    [message] = problems('[strings]\nsearh = "搜寻"\nlatest = "要闻"\n')
    assert message == ("site.toml:2: error: unknown key `strings.searh`\n"
                       "  hint: did you mean `search`?")


def test_feed_id_names_the_site_in_atom_ids():
    assert parse_config('title = "青岛新闻"\n', PATH).site_id == "qingdaoxinwen"
    assert parse_config('feed_id = "news.example.com"\n', PATH).site_id == "news.example.com"
    [message] = problems('feed_id = "Qingdao News"\n')
    assert message.startswith("site.toml:1: error: `feed_id` 'Qingdao News' must be lower-case")


def test_interface_strings_per_script():
    config = parse_config('[strings]\nsearch = { hans = "搜索", hant = "搜尋" }\nlatest = "要闻"\n', PATH)
    assert dict(config.strings) == {"search": "搜索", "latest": "要闻"}
    assert dict(config.string_forms) == {"search": (("hans", "搜索"), ("hant", "搜尋"))}
    [message] = problems('[strings]\nsearch = { hans = "搜索" }\n')
    assert message.startswith("site.toml:2: error: `strings.search` must be a string, or")
