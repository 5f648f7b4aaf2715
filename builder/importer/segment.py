"""Classified lines → where each article starts and ends.

An article starts at a heading run (one to four short lines without a sentence end,
with any labels among them) that the page itself marks as a start: a dateline or a
byline follows it, the article before it closed with a byline or credits, it opens
the page, or the layout sets it apart (unindented among indented paragraphs, or
more blank lines before it than the page puts between paragraphs). Any other
heading run is a subhead inside the article above it. Pure functions only.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .classify import SHORT_LINE, Classified, Kind, is_terminal

_CLAUSE = re.compile("[，,、；;]")
CLAUSE_ENDS = ("，", ",", "、", "；", ";")
COLUMN_TAG = re.compile(r"[（(][^（）()]{2,12}[）)]$")
MAX_HEADINGS = 4        # kicker, a headline over two lines, subtitle
_RUN_KINDS = (Kind.HEADING, Kind.LABEL)
_CLOSING = (Kind.BYLINE, Kind.EDITORS, Kind.PHOTO_CREDIT)


@dataclass(frozen=True)
class Layout:
    indented: bool      # paragraphs are indented and headlines are not
    gap: int            # the blank lines the page usually puts between two lines
    width: int          # the width a fixed-width (OCR) page wraps at; 0 when it does not

    def wrapped(self, text: str) -> bool:
        """A line that runs to the wrap width goes on in the next one."""
        return self.width > 0 and len(text) >= self.width - 1


@dataclass(frozen=True)
class Span:
    start: int          # index of the first heading line
    body: int           # index of the first line after the heading run
    end: int


@dataclass(frozen=True)
class Segments:
    articles: tuple[Span, ...]
    unplaced: tuple[int, ...]   # indexes of lines that belong to no article


def read_layout(lines: Sequence[Classified]) -> Layout:
    long = [c.line for c in lines if c.kind is Kind.TEXT and len(c.text) >= 20]
    headings = [c.line for c in lines if c.kind is Kind.HEADING]
    indented = (len(long) >= 2 and sum(line.indent for line in long) >= 0.8 * len(long)
                and any(not line.indent for line in headings))
    gaps = [c.line.gap for c in lines[1:]]
    gap = int(statistics.median_low(gaps)) if gaps else 0
    return Layout(indented, gap, _wrap_width(lines))


def _wrap_width(lines: Sequence[Classified]) -> int:
    """An OCR'd or fixed-width dump breaks most lines at one width, mid-sentence."""
    lengths = [len(c.text) for c in lines if len(c.text) >= 8]
    if len(lengths) < 8:
        return 0
    counts = Counter(lengths)
    width, _ = max(((w, counts[w - 1] + counts[w] + counts[w + 1]) for w in counts),
                   key=lambda item: (item[1], item[0]))
    at_width = [c for c in lines if abs(len(c.text) - width) <= 1]
    open_ended = sum(not is_terminal(c.text) for c in at_width)
    if len(at_width) >= 0.4 * len(lengths) and open_ended >= 0.6 * len(at_width):
        return max(w for w in (width - 1, width, width + 1) if counts[w]) if width else 0
    return 0


def in_run(c: Classified, layout: Layout) -> bool:
    if c.kind not in _RUN_KINDS or layout.wrapped(c.text):
        return False
    # on a page that indents its paragraphs, an indented short line is a subhead
    return not (layout.indented and c.line.indent and c.kind is Kind.HEADING)


def heading_runs(lines: Sequence[Classified], layout: Layout) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not in_run(lines[i], layout) or (i > 0 and _runs_on(lines[i - 1], layout)):
            i += 1
            continue
        j = i
        while j < len(lines) and in_run(lines[j], layout) and (
                j == i or not (layout.indented and lines[j].line.indent != lines[i].line.indent)):
            j += 1
        headings = [k for k in range(i, j) if lines[k].kind is Kind.HEADING]
        if len(headings) > MAX_HEADINGS:  # a list of short lines: only the last few can head
            i = headings[-MAX_HEADINGS]
        end = headings[-1] + 1 if headings else j   # a label after the headline heads the story
        runs.append((i, end))
        i = j
    return runs


def _runs_on(c: Classified, layout: Layout) -> bool:
    """A line that the next line must continue: it ends on a comma or at the wrap."""
    return c.kind in (Kind.TEXT, Kind.HEADING) and (
        c.text.endswith(CLAUSE_ENDS) or layout.wrapped(c.text))


def starts_article(lines: Sequence[Classified], run: tuple[int, int], layout: Layout) -> bool:
    start, body = run
    if body >= len(lines) or not any(lines[k].kind is Kind.HEADING for k in range(start, body)):
        return False
    before = lines[start - 1] if start else None
    if before is None or before.kind in _CLOSING:
        return True     # the page's first lines, or what follows a byline or credits
    following = lines[body]
    if following.kind is Kind.LABEL and body + 1 < len(lines):
        following = lines[body + 1]     # 核心阅读 between the headline and the lead
    if following.dateline is not None:
        return True
    # a paragraph the layout cut short is no headline, even before a closing byline
    finished = before.kind is not Kind.TEXT or is_terminal(before.text)
    if following.kind is Kind.BYLINE and (finished or _stack(lines, run)):
        return True
    if layout.indented and not lines[start].line.indent and lines[body].line.indent:
        return True
    if finished and (_stack(lines, run) or any(COLUMN_TAG.search(lines[k].text)
                                               for k in range(*run))):
        return True     # a headline stack, or a headline with its column tag: …（民生观）
    if finished and _photo_story(lines, body):
        return True
    return finished and lines[start].line.gap > layout.gap


def _photo_story(lines: Sequence[Classified], body: int) -> bool:
    """图片报道 / one or two paragraphs / 侯崇慧摄: a photo and its story under a headline."""
    for c in lines[body:body + 3]:
        if c.kind is Kind.PHOTO_CREDIT:
            return True
        if c.kind not in (Kind.TEXT, Kind.CAPTION):
            return False
    return False


def _stack(lines: Sequence[Classified], run: tuple[int, int]) -> bool:
    """Two or more short heading lines without a comma are a headline stack, unless they
    are one subhead printed over two lines (先用药后付费 / 还能咨询政策). A comma marks
    the start of a paragraph the layout broke, more often than a headline."""
    texts = [lines[k].text for k in range(*run) if lines[k].kind is Kind.HEADING]
    return (len(texts) >= 2 and all(len(t) <= SHORT_LINE and not _CLAUSE.search(t) for t in texts)
            and not (len(texts) == 2 and len(texts[0]) == len(texts[1]) <= 10))


def segment(lines: Sequence[Classified], layout: Layout) -> Segments:
    starts = [run for run in heading_runs(lines, layout) if starts_article(lines, run, layout)]
    ends = [start for start, _ in starts[1:]] + [len(lines)]
    spans = tuple(Span(start, body, end) for (start, body), end
                  in zip(starts, ends[:len(starts)], strict=True))
    first = spans[0].start if spans else len(lines)
    furniture = [i for i in range(first, len(lines)) if lines[i].kind is Kind.FURNITURE]
    return Segments(spans, tuple(range(first)) + tuple(furniture))
