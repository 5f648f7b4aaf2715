"""One page, start to end: lines → classified → segmented → assembled articles.

`split_page` is the importer's recipe and is pure: the same lines and tools always
give the same articles, and every line of the page ends up in an article or in
`unplaced`, never nowhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..pagetext import Line
from .assemble import ImportedArticle, ImportTools, PageContext, assemble
from .classify import Classified, classify
from .segment import Layout, read_layout, segment

YEAR = re.compile(r"((?:19|20)\d\d)年")
MONTH_DAY = re.compile(r"(?<![年\d])(\d{1,2})月(\d{1,2})日")


@dataclass(frozen=True)
class PageImport:
    articles: tuple[ImportedArticle, ...]
    unplaced: tuple[Line, ...]      # lines that belong to no article: furniture, ads, strays
    date: dt.date
    layout: Layout


def split_page(lines: Sequence[Line], tools: ImportTools, date: dt.date | None = None,
               source: str | None = None, today: dt.date | None = None) -> PageImport:
    """Pure: the lines of one page → its articles and the lines no article holds."""
    classified = classify(lines, tools.conventions)
    layout = read_layout(classified)
    segments = segment(classified, layout)
    text = "\n".join(line.text for line in lines)
    today = today or dt.date.today()
    year = date.year if date else page_year(text, today)
    page_date = date or _page_date(classified, text, year, today)
    context = PageContext(page_date, year, source or tools.conventions.paper)
    articles = tuple(assemble(classified, span, layout, tools, context)
                     for span in segments.articles)
    unplaced = tuple(classified[i].line for i in segments.unplaced)
    return PageImport(articles, unplaced, page_date, layout)


def page_year(text: str, today: dt.date) -> int:
    years = [int(y) for y in YEAR.findall(text) if int(y) <= today.year]
    return max(years) if years else today.year


def _page_date(lines: Sequence[Classified], text: str, year: int, today: dt.date) -> dt.date:
    """The most common dated dateline; else the latest day the page mentions; else today
    (a page without a date is most likely today's), or 1 January of the page's year."""
    datelines = Counter((c.dateline.month, c.dateline.day) for c in lines
                        if c.dateline is not None and c.dateline.month and c.dateline.day)
    candidates = ([datelines.most_common(1)[0][0]] if datelines
                  else sorted((int(m), int(d)) for m, d in MONTH_DAY.findall(text)))
    for month, day in reversed(candidates):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return today if today.year == year else dt.date(year, 1, 1)

