"""Property tests: on generated and perturbed pages the importer never crashes and
never drops or duplicates text, and what it writes parses back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.content import parse_article
from builder.importer import escape_markdown, plan_files, split_page
from builder.pagetext import page_lines

from .conftest import REPO
from .test_importer import TODAY, assert_nothing_lost

PAGES = [*sorted((REPO / "sources").glob("*.txt")), *sorted((REPO / "tests/data/pages").glob("*.txt"))]
SEED_LINES = [line.strip() for page in PAGES
              for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
ALPHABET = sorted(set("".join(SEED_LINES))) + list(
    "□■ 　*#_[]<>&\\`-+1.)\"'{}|~記者责编/【】〔〕（）：本报讯电日月十摄供图")
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

line = st.one_of(st.sampled_from(SEED_LINES),
                 st.text(alphabet=st.sampled_from(ALPHABET), min_size=1, max_size=90))


@st.composite
def pages(draw: st.DrawFn) -> str:
    """Lines of real pages and random text, cut at random points as a layout or OCR would,
    with random indents and blank lines: the layout the segmenter reads is random too."""
    lines: list[str] = []
    for text in draw(st.lists(line, max_size=30)):
        if len(text) > 2 and draw(st.booleans()):  # a page break inside the paragraph
            cut = draw(st.integers(1, len(text) - 1))
            lines += [text[:cut], text[cut:]]
        else:
            lines.append(text)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    shaped = [draw(st.sampled_from(["", "", "\u3000\u3000", " "])) + text
              + newline * draw(st.integers(1, 3)) for text in lines]
    return "".join(shaped)


@SETTINGS
@given(text=pages(), dated=st.booleans())
def test_nothing_lost_on_generated_pages(import_tools, text: str, dated: bool):
    page = split_page(page_lines(text), import_tools,
                      date=dt.date(2024, 7, 22) if dated else None, today=TODAY)
    assert_nothing_lost(text, page)


@SETTINGS
@given(text=pages())
def test_imported_files_parse_back(import_tools, text: str):
    page = split_page(page_lines(text), import_tools, date=dt.date(2024, 7, 22), today=TODAY)
    planned = plan_files(page, "sources/page.txt", import_tools)
    assert len({p.path for p in planned}) == len(planned)  # never two articles in one file
    assert len(planned) == len(page.articles) + bool(page.unplaced)
    for item, imported in zip(planned, page.articles, strict=False):
        parsed = parse_article(item.text, Path(item.path))
        assert parsed.title == imported.header.title.strip()
        assert parsed.kicker == imported.header.kicker
        assert parsed.labels == imported.header.labels
        assert parsed.byline == imported.byline
        assert not parsed.draft
    if page.unplaced:   # the review file: a draft that keeps every unplaced line's text
        review = parse_article(planned[-1].text, Path(planned[-1].path))
        assert review.draft
        for line in page.unplaced:
            assert escape_markdown(line.text) in review.body
