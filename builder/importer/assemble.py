"""One article's lines → its header stack, byline, dateline and body blocks.

Pure: every function takes the classified lines of one article (as the segmenter
cut them) and the tools, and returns typed values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from ..editions import Script
from ..pagetext import Line
from ..script import Converter
from ..segment import Segmenter
from .classify import SHORT_LINE, Classified, Dateline, Kind, dateline_date, is_terminal
from .conventions import Conventions
from .segment import COLUMN_TAG, Layout, Span

CLAUSE_MARKS = "，,、；;"
SUBHEAD_LINE = 60       # a subhead that stands alone on an indented page may run long
_DASH = ("——", "—", "－－", "--", "─")


class BlockKind(Enum):
    PARAGRAPH = "p"
    SUBHEAD = "h2"
    CAPTION = "caption"


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    line: int = 0   # the page line it starts on


@dataclass(frozen=True)
class Header:
    title: str
    kicker: str = ""
    subtitle: str = ""
    labels: tuple[str, ...] = ()    # column tags and box labels printed with the headline


@dataclass(frozen=True)
class ImportedArticle:
    header: Header
    date: dt.date
    authors: tuple[str, ...]
    source: str
    byline: tuple[str, ...]     # the byline lines exactly as printed
    credits: tuple[str, ...]    # editors' and photo credits, as printed
    blocks: tuple[Block, ...]
    lines: tuple[int, int]      # first and last line on the page
    joins: tuple[tuple[str, str], ...] = ()   # (end, start) of paragraphs joined again


@dataclass(frozen=True)
class ImportTools:
    segmenter: Segmenter
    converter: Converter
    conventions: Conventions = field(default_factory=Conventions, repr=False)

    def simplified(self, text: str) -> str:
        script = self.converter.detect(text, Script.HANS)
        return self.converter.to_simplified(text, script) if script is Script.HANT else text

    def spans(self, left: str, right: str) -> bool:
        return self.segmenter.spans(self.simplified(left[-8:]), self.simplified(right[:8]))

    def starts_with_verb(self, text: str) -> bool:
        words = [(w, pos) for w, pos in self.segmenter.tagged(self.simplified(text)) if w.strip()]
        return bool(words) and words[0][1].startswith("v")


@dataclass(frozen=True)
class PageContext:
    date: dt.date       # the page's date: --date, else its datelines
    year: int
    paper: str          # --source, else site.toml's [import] paper


# --- the header stack ---------------------------------------------------------------

def header_stack(texts: Sequence[str], tools: ImportTools,
                 labels: tuple[str, ...] = ()) -> Header:
    """Kicker (引题), headline (主题) and subtitle (副题) from one to four lines."""
    texts = _merge_broken(list(texts), tools)
    dash = next((i for i, t in enumerate(texts) if i > 0 and t.startswith(_DASH)), None)
    if dash is not None:
        main, subtitle = texts[:dash], " ".join(texts[dash:])
        return Header(title=" ".join(main[1:]) or main[0], kicker=main[0] if len(main) > 1 else "",
                      subtitle=subtitle, labels=labels)
    if len(texts) == 1:
        left, space, right = texts[0].rpartition(" ")
        if space and any(mark in left for mark in CLAUSE_MARKS) and right:
            return Header(title=right, kicker=left, labels=labels)  # 着力构建……38家 青岛高新区…
        return Header(title=texts[0], labels=labels)
    if len(texts) == 2:
        first, second = texts
        if _kicker_first(first, second, tools):
            return Header(title=second, kicker=first, labels=labels)
        return Header(title=first, subtitle=second, labels=labels)
    return Header(kicker=texts[0], title=texts[1], subtitle=" ".join(texts[2:]), labels=labels)


def _merge_broken(texts: list[str], tools: ImportTools) -> list[str]:
    """A headline printed over two lines is one: 平安銀行青島分行： / 堅持金融為民…, or a
    line that ends inside a word (青岛港集装箱吞吐量创 / 历史新高 does not; 青 / 岛 does)."""
    merged: list[str] = []
    for text in texts:
        if merged and (merged[-1].endswith(("：", ":")) or tools.spans(merged[-1], text)):
            merged[-1] += text
        else:
            merged.append(text)
    return merged


def _kicker_first(first: str, second: str, tools: ImportTools) -> bool:
    """Is a two-line stack kicker + headline rather than headline + subtitle?"""
    speech = tools.conventions.patterns.speech
    if len(first) <= 12 and " " not in first and speech.search(first):
        return True     # 赵克志强调 / 纵深推进……
    if COLUMN_TAG.search(second) and not COLUMN_TAG.search(first):
        return True     # the column tag goes with the headline: …享便利（一线探民生）
    return _slogan(first, tools) or _slogan(second, tools)


def _slogan(text: str, tools: ImportTools) -> bool:
    """加强经贸往来 推进务实合作: parallel verb phrases of one length, no figures. Such a
    line pairs with a plain statement as kicker and headline, whichever comes first."""
    parts = text.split()
    lengths = [len(p) for p in parts]
    return (len(parts) >= 2 and not any(ch.isdigit() for ch in text)
            and all(3 <= n <= 8 for n in lengths) and max(lengths) - min(lengths) <= 1
            and tools.starts_with_verb(parts[0]))


# --- the body -----------------------------------------------------------------------

@dataclass
class _Paragraph:
    """A paragraph being put back together from the lines the layout broke it into."""

    number: int             # the page line it starts on
    parts: list[str]
    length: int
    clause: bool            # a comma anywhere in it

    @classmethod
    def of(cls, line: Line) -> _Paragraph:
        return cls(line.number, [line.text], len(line.text), _has_clause(line.text))

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        self.clause = self.clause or _has_clause(text)

    @property
    def last(self) -> str:     # the last printed line
        return self.parts[-1]

    @property
    def tail(self) -> str:
        return "".join(self.parts[-2:])[-8:]

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _has_clause(text: str) -> bool:
    return any(mark in text for mark in CLAUSE_MARKS)


def body_blocks(lines: Sequence[Classified], layout: Layout, tools: ImportTools
                ) -> tuple[list[Block], list[tuple[str, str]]]:
    """Paragraphs, subheads and captions, with paragraphs the layout split joined again.
    Linear in the lines, however long the paragraph."""
    blocks: list[Block] = []
    joins: list[tuple[str, str]] = []
    held: list[Block] = []      # captions that fell inside a split paragraph
    pending: _Paragraph | None = None   # a paragraph waiting for its continuation
    subhead_from = -1           # index of the line that made the last block a subhead
    lead_done = False           # a paragraph came: later short lines can be subheads
    following: list[Classified | None] = [None] * len(lines)  # the next line, captions aside
    for i in range(len(lines) - 2, -1, -1):
        after = lines[i + 1]
        following[i] = following[i + 1] if after.kind is Kind.CAPTION else after

    def paragraph(done: _Paragraph) -> None:
        nonlocal lead_done
        blocks.append(Block(BlockKind.PARAGRAPH, done.text, done.number))
        lead_done = True

    for i, c in enumerate(lines):
        after = following[i]
        if c.kind is Kind.CAPTION or (
                pending is not None and c.kind is not Kind.LABEL
                and _interposed(pending.tail, c.text, after.text if after else None, tools)):
            (held if pending is not None else blocks).append(
                Block(BlockKind.CAPTION, c.text, c.line.number))
            continue
        if c.kind is Kind.LABEL:   # a box label inside the story heads what follows
            if pending is not None:
                paragraph(pending)
                pending = None
            blocks.extend(held)
            held.clear()
            blocks.append(Block(BlockKind.SUBHEAD, c.text, c.line.number))
            continue
        if pending is None:
            current = _Paragraph.of(c.line)
        else:
            joins.append((pending.tail[-4:], c.text[:4]))
            current, pending = pending, None
            current.add(c.text)
        if is_terminal(current.last):
            paragraph(current)
        elif after is not None and _is_fragment(current, after, layout, tools):
            pending = current
            continue
        elif (after is None or not lead_done
              or (current.length > SHORT_LINE and not _stands_alone(current.length, after, layout))):
            paragraph(current)     # a lead, a last line, or a long line that runs on
        elif (subhead_from == i - 1 and blocks[-1].kind is BlockKind.SUBHEAD
              and len(blocks[-1].text) <= 16 and current.length <= 16 and c.line.gap <= layout.gap):
            blocks[-1] = Block(BlockKind.SUBHEAD, f"{blocks[-1].text} {current.text}", blocks[-1].line)
            subhead_from = i    # 先用药后付费 / 还能咨询政策: one subhead over two lines
        else:
            blocks.append(Block(BlockKind.SUBHEAD, current.text, current.number))
            subhead_from = i
        blocks.extend(held)
        held.clear()
    if pending is not None:
        paragraph(pending)
    blocks.extend(held)
    return blocks, joins


def _is_fragment(paragraph: _Paragraph, after: Classified, layout: Layout,
                 tools: ImportTools) -> bool:
    """A line without a sentence end is a split paragraph, unless it reads as a subhead
    or the page starts a paragraph after it."""
    if after.kind is Kind.LABEL or after.dateline is not None:
        return False
    if paragraph.last.endswith(tuple(CLAUSE_MARKS)) or layout.wrapped(paragraph.last):
        return True     # no paragraph ends on a comma, whatever the layout says
    if layout.indented and after.line.indent:
        return False
    if tools.spans(paragraph.tail, after.text):
        return True     # a word runs on into the next line
    if _stands_alone(paragraph.length, after, layout):
        return False
    return paragraph.length > SHORT_LINE or paragraph.clause


def _stands_alone(length: int, after: Classified | None, layout: Layout) -> bool:
    """Set apart from what follows as the page sets apart paragraphs: a subhead, even a
    long one with commas."""
    return after is not None and length <= SUBHEAD_LINE and (
        (layout.indented and after.line.indent) or after.line.gap > layout.gap)


def _interposed(pending: str, text: str, following: str | None, tools: ImportTools) -> bool:
    """A short full sentence inside a split paragraph, which the paragraph continues
    across: a caption the layout dropped between two columns."""
    return (following is not None and len(text) <= SHORT_LINE and is_terminal(text)
            and tools.spans(pending, following) and not tools.spans(pending, text))


# --- the article ----------------------------------------------------------------------

def assemble(lines: Sequence[Classified], span: Span, layout: Layout, tools: ImportTools,
             page: PageContext) -> ImportedArticle:
    head = lines[span.start:span.body]
    labels = tuple(c.text for c in head if c.kind is Kind.LABEL)
    header = header_stack([c.text for c in head if c.kind is Kind.HEADING], tools, labels)
    byline: list[str] = []
    credits: list[str] = []
    authors: list[str] = []
    photographers: list[str] = []
    outlets: list[str] = []
    body: list[Classified] = []
    for c in lines[span.body:span.end]:
        if c.kind is Kind.BYLINE and c.byline is not None:
            byline.append(c.text)
            authors += c.byline.names
            outlets.append(c.byline.outlet)
        elif c.kind is Kind.EDITORS:
            credits += c.text.split()
        elif c.kind is Kind.FURNITURE:
            continue    # the segmenter left it for the review file
        elif c.kind is Kind.PHOTO_CREDIT and c.byline is not None:
            credits.append(c.text)
            photographers += c.byline.names
        else:
            body.append(c)
    lead = next((c for c in body if c.kind in (Kind.TEXT, Kind.HEADING)), None)
    dateline = lead.dateline if lead is not None else None
    if dateline is not None:
        authors += dateline.authors
    blocks, joins = body_blocks(body, layout, tools)
    date = (dateline_date(dateline, page.date, page.year) if dateline else None) or page.date
    return ImportedArticle(
        header=header, date=date,
        # a photo story is its photographer's: 图片报道 … 侯崇慧摄（人民视觉）
        authors=tuple(dict.fromkeys(authors or photographers)),
        source=_source(dateline, outlets, page.paper, tools.conventions),
        byline=tuple(byline), credits=tuple(credits), blocks=tuple(blocks),
        lines=(lines[span.start].line.number, lines[span.end - 1].line.number),
        joins=tuple(joins))


def _source(dateline: Dateline | None, outlets: Sequence[str], paper: str,
            c: Conventions) -> str:
    """An agency named in the dateline, else the outlet the byline names, else the paper."""
    own = c.patterns.own
    if dateline is not None and dateline.source and not own.match(dateline.source):
        return dateline.source
    named = next((o for o in outlets if o and not own.fullmatch(o)), "")
    return named or paper
