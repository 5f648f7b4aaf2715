"""Newspaper pages → articles, losing nothing.

A printed page is a run of lines: headlines, bylines, body paragraphs the
layout split across columns, subheads, captions and editor credits. `split_page`
recognises them with rules a copy editor would use, and every non-blank
character of the page ends up in exactly one place: an article's header fields,
its byline or credits, its body or a caption, or a reported leftover.

Everything here is pure except `Importer.write`, which writes the Markdown files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import tomli_w

from .content import FENCE
from .editions import Script
from .errors import BuildError
from .output import write_atomic
from .pagetext import Line, decode_page, page_lines
from .script import Converter
from .segment import Segmenter
from .slugs import slugify

# --- what lines look like -------------------------------------------------------------

_NAMES = r"[\u4e00-\u9fff·]{2,4}(?:[ \u3000、，][\u4e00-\u9fff·]{2,4})*"
_REPORTERS = "见习记者|見習記者|记者|記者"
_OTHER_ROLES = "实习生|實習生|通讯员|通訊員|摄影|攝影"
ROLE = re.compile(f"(?:{_REPORTERS}|{_OTHER_ROLES})")
BYLINE_MARK = "□"
EXTRA_BYLINE = re.compile(rf"^{ROLE.pattern}\s*(?P<names>{_NAMES})$")
END_BYLINE = re.compile(
    rf"^(?P<source>[^。，！？：:]{{0,40}}?)\s*(?:{_REPORTERS})\s*(?P<names>{_NAMES})$")
CREDIT = re.compile(r"^(?:责编|責編|美编|美編|审读|審讀|校对|校對|编辑|編輯|组版|組版|摄影|攝影)[/／:：]\S+$")
CAPTION_MARK = re.compile(r"^[■▲▼●]")
CAPTION_WORDS = re.compile(r"(?:图|圖|摄|攝|效果|照片)。?$")
DATELINE = re.compile(
    r"^(?:本报|本報)(?:讯|訊)?\s*(?:(?P<month>\d{1,2})月)?(?P<day>\d{1,2})日(?:讯|訊|电|電)")
YEAR = re.compile(r"((?:19|20)\d\d)年")
MONTH_DAY = re.compile(r"(?<![年\d])(\d{1,2})月(\d{1,2})日")
TERMINAL = re.compile(r"[。！？!?…；;：:][”’」』）)]*$")
CLAUSE_MARKS = "，,、；;"

SHORT_LINE = 30         # subheads and captions are short; column fragments usually are not
HEADER_LINE = 80        # a headline with its kicker on one line runs to ~70 characters
MAX_HEADER_LINES = 3    # kicker, headline, subtitle


class Kind(Enum):
    TEXT = "text"
    BYLINE = "byline"
    EXTRA_BYLINE = "extra byline"
    END_BYLINE = "end byline"
    CREDITS = "credits"
    CAPTION = "caption"


def is_credits(text: str) -> bool:
    parts = text.split()
    return len(text) <= 60 and bool(parts) and all(CREDIT.match(part) for part in parts)


def is_caption(text: str) -> bool:
    return bool(CAPTION_MARK.match(text)) or (
        len(text) <= SHORT_LINE and text.endswith("。") and bool(CAPTION_WORDS.search(text)))


def classify(text: str) -> Kind:
    if text.startswith(BYLINE_MARK):
        return Kind.BYLINE
    if is_credits(text):
        return Kind.CREDITS
    if is_caption(text):
        return Kind.CAPTION
    if len(text) <= 40 and END_BYLINE.match(text):
        return Kind.END_BYLINE
    return Kind.TEXT


def parse_byline(text: str) -> tuple[str, list[str]]:
    """'□青岛日报/观海新闻记者 傅军' → ('青岛日报/观海新闻', ['傅军']); '实习生 魏亚楠' → ('', ['魏亚楠'])."""
    text = text.removeprefix(BYLINE_MARK).strip()
    found = ROLE.search(text)
    outlet, names = (text[:found.start()], text[found.end():]) if found else ("", text)
    if not found and " " in text:
        outlet, _, names = text.rpartition(" ")
    return outlet.strip(), [n for n in re.split(r"[ \u3000、，]+", names.strip()) if n]


def is_terminal(text: str) -> bool:
    return bool(TERMINAL.search(text))


def header_like(text: str) -> bool:
    return len(text) <= HEADER_LINE and (not is_terminal(text) or text.endswith(("：", ":")))


# --- what comes out ---------------------------------------------------------------------

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


@dataclass(frozen=True)
class ImportedArticle:
    header: Header
    date: dt.date
    authors: tuple[str, ...]
    source: str
    byline: tuple[str, ...]     # the byline lines exactly as printed
    credits: tuple[str, ...]
    blocks: tuple[Block, ...]
    lines: tuple[int, int]      # first and last line on the page
    joins: tuple[tuple[str, str], ...] = ()   # (end, start) of paragraphs joined again
    aside: tuple[int, ...] = ()  # page lines taken out of the running text: bylines, credits


@dataclass(frozen=True)
class PageImport:
    articles: tuple[ImportedArticle, ...]
    leftovers: tuple[Line, ...]
    date: dt.date


@dataclass(frozen=True)
class ImportTools:
    segmenter: Segmenter
    converter: Converter

    def simplified(self, text: str) -> str:
        script = self.converter.detect(text, Script.HANS)
        return self.converter.convert(text, script, Script.HANS).text if script is Script.HANT else text

    def spans(self, left: str, right: str) -> bool:
        return self.segmenter.spans(self.simplified(left[-8:]), self.simplified(right[:8]))

    def starts_with_verb(self, text: str) -> bool:
        words = [(w, pos) for w, pos in self.segmenter.tagged(self.simplified(text)) if w.strip()]
        return bool(words) and words[0][1].startswith("v")


# --- splitting a page -----------------------------------------------------------------

def split_page(lines: Sequence[Line], tools: ImportTools, date: dt.date | None = None,
               source: str | None = None, today: dt.date | None = None) -> PageImport:
    """Pure: the lines of one page → its articles and anything left over."""
    kinds = [classify(line.text) for line in lines]
    _mark_extra_bylines(lines, kinds)
    starts = _article_starts(lines, kinds)
    page_text = "\n".join(line.text for line in lines)
    year = date.year if date else _page_year(page_text, today or dt.date.today())

    drafts: list[_Draft] = []
    leftovers: list[Line] = list(lines[:starts[0]]) if starts else list(lines)
    for start, end in zip(starts, [*starts[1:], len(lines)][:len(starts)], strict=True):
        draft = _split_article(lines[start:end], kinds[start:end], tools)
        if draft is None:
            leftovers.extend(lines[start:end])
        else:
            drafts.append(draft)

    page_date = date or _page_date(drafts, page_text, year)
    articles = tuple(draft.finish(page_date, year, source) for draft in drafts)
    return PageImport(articles, tuple(leftovers), page_date)


def _mark_extra_bylines(lines: Sequence[Line], kinds: list[Kind]) -> None:
    for i in range(1, len(lines)):
        if (kinds[i] is Kind.TEXT and kinds[i - 1] in (Kind.BYLINE, Kind.EXTRA_BYLINE)
                and EXTRA_BYLINE.match(lines[i].text)):
            kinds[i] = Kind.EXTRA_BYLINE


def _article_starts(lines: Sequence[Line], kinds: Sequence[Kind]) -> list[int]:
    """An article starts at the page top, at the headline above each □ byline, and after
    an article's closing byline or credits."""
    starts = {0} if lines else set()
    floor = 0
    for i, kind in enumerate(kinds):
        if kind is Kind.BYLINE:
            start = i
            while (start - 1 >= floor and i - (start - 1) <= MAX_HEADER_LINES
                   and kinds[start - 1] is Kind.TEXT and header_like(lines[start - 1].text)):
                start -= 1
            if start < i:  # a □ line without a headline above it is a byline inside a story
                starts.add(start)
            floor = i + 1
        elif kind in (Kind.END_BYLINE, Kind.CREDITS):
            following = i + 1
            while following < len(kinds) and kinds[following] in (Kind.END_BYLINE, Kind.CREDITS):
                following += 1
            if following < len(kinds):
                starts.add(following)
            floor = following
    return sorted(starts)


@dataclass
class _Draft:
    header: Header
    byline: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    source: str = ""
    credits: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    joins: list[tuple[str, str]] = field(default_factory=list)
    lines: tuple[int, int] = (0, 0)
    aside: list[int] = field(default_factory=list)

    def finish(self, page_date: dt.date, year: int, source: str | None) -> ImportedArticle:
        first = next((b.text for b in self.blocks if b.kind is BlockKind.PARAGRAPH), "")
        return ImportedArticle(
            header=self.header, date=_dateline(first, page_date, year),
            authors=tuple(dict.fromkeys(self.authors)),
            source=source or self.source, byline=tuple(self.byline),
            credits=tuple(self.credits), blocks=tuple(self.blocks), lines=self.lines,
            joins=tuple(self.joins), aside=tuple(self.aside))


def _split_article(lines: Sequence[Line], kinds: Sequence[Kind],
                   tools: ImportTools) -> _Draft | None:
    byline_at = next((i for i, k in enumerate(kinds) if k is Kind.BYLINE), None)
    if byline_at is not None and all(k is Kind.TEXT for k in kinds[:byline_at]):
        header_end = byline_at
    else:
        header_end = 0
        while (header_end < min(len(lines), MAX_HEADER_LINES) and kinds[header_end] is Kind.TEXT
               and header_like(lines[header_end].text)):
            header_end += 1
    if header_end == 0:
        return None
    draft = _Draft(_header([line.text for line in lines[:header_end]], tools),
                   lines=(lines[0].number, lines[-1].number))
    body: list[Line] = []
    for line, kind in zip(lines[header_end:], kinds[header_end:], strict=True):
        if kind in (Kind.BYLINE, Kind.EXTRA_BYLINE, Kind.END_BYLINE):
            draft.byline.append(line.text)
            outlet, names = parse_byline(line.text)
            draft.authors += names
            draft.source = draft.source or outlet
            draft.aside.append(line.number)
        elif kind is Kind.CREDITS:
            draft.credits += line.text.split()
            draft.aside.append(line.number)
        else:
            body.append(line)
    draft.blocks, draft.joins = _body_blocks(body, tools)
    return draft


def _header(texts: list[str], tools: ImportTools) -> Header:
    if len(texts) == 1:
        left, space, right = texts[0].rpartition(" ")
        if space and any(mark in left for mark in CLAUSE_MARKS) and right:
            return Header(title=right, kicker=left)  # 着力构建……38家 青岛高新区已汇聚……
        return Header(title=texts[0])
    if len(texts) == 2:
        first, second = texts
        if first.endswith(("：", ":")):
            return Header(title=first + second)   # 平安銀行青島分行：堅持金融為民……
        if tools.starts_with_verb(first) and not tools.starts_with_verb(second):
            return Header(title=second, kicker=first)  # 加强经贸往来 推进务实合作 / 青岛…举行
        return Header(title=first, subtitle=second)
    return Header(kicker=texts[0], title=texts[1], subtitle=" ".join(texts[2:]))


def _body_blocks(body: Sequence[Line], tools: ImportTools
                 ) -> tuple[list[Block], list[tuple[str, str]]]:
    """Paragraphs, subheads and captions, with paragraphs the layout split joined again."""
    blocks: list[Block] = []
    joins: list[tuple[str, str]] = []
    held: list[Block] = []      # captions that fell inside a split paragraph
    pending: Line | None = None  # a paragraph waiting for its continuation
    texts = [line.text for line in body]

    def next_text(i: int) -> str | None:
        following = (t for t in texts[i + 1:] if not is_caption(t))
        return next(following, None)

    for i, line in enumerate(body):
        text = line.text
        if is_caption(text) or (pending is not None
                                and _interposed(pending.text, text, next_text(i), tools)):
            (held if pending is not None else blocks).append(
                Block(BlockKind.CAPTION, text, line.number))
            continue
        if pending is not None:
            joins.append((pending.text[-4:], text[:4]))
            line = Line(pending.number, pending.text + text)
            text = line.text
            pending = None
        if is_terminal(text):
            blocks.append(Block(BlockKind.PARAGRAPH, text, line.number))
        elif (following := next_text(i)) is not None and _is_fragment(text, following, tools):
            pending = line
            continue
        elif following is None or len(text) > SHORT_LINE:
            blocks.append(Block(BlockKind.PARAGRAPH, text, line.number))
        else:
            blocks.append(Block(BlockKind.SUBHEAD, text, line.number))
        blocks.extend(held)
        held.clear()
    if pending is not None:
        blocks.append(Block(BlockKind.PARAGRAPH, pending.text, pending.number))
    blocks.extend(held)
    return blocks, joins


def _is_fragment(text: str, following: str, tools: ImportTools) -> bool:
    """A line without a sentence end is a split paragraph, unless it reads as a subhead."""
    return (len(text) > SHORT_LINE or any(mark in text for mark in CLAUSE_MARKS)
            or tools.spans(text, following))


def _interposed(pending: str, text: str, following: str | None, tools: ImportTools) -> bool:
    """A short full sentence inside a split paragraph, which the paragraph continues
    across: a caption the layout dropped between two columns."""
    return (following is not None and len(text) <= SHORT_LINE and is_terminal(text)
            and tools.spans(pending, following) and not tools.spans(pending, text))


# --- dates ------------------------------------------------------------------------------

def _page_year(text: str, today: dt.date) -> int:
    years = [int(y) for y in YEAR.findall(text) if int(y) <= today.year]
    return max(years) if years else today.year


def _dateline(text: str, page_date: dt.date, year: int) -> dt.date:
    found = DATELINE.match(text)
    if not found:
        return page_date
    month = int(found.group("month") or page_date.month)
    try:
        return dt.date(year, month, int(found.group("day")))
    except ValueError:
        return page_date


def _page_date(drafts: Sequence[_Draft], text: str, year: int) -> dt.date:
    """The most common dateline; else the latest day the page mentions; else 1 January."""
    datelines = Counter()
    for draft in drafts:
        first = next((b.text for b in draft.blocks if b.kind is BlockKind.PARAGRAPH), "")
        found = DATELINE.match(first)
        if found and found.group("month"):
            datelines[(int(found.group("month")), int(found.group("day")))] += 1
    candidates = ([datelines.most_common(1)[0][0]] if datelines
                  else sorted((int(m), int(d)) for m, d in MONTH_DAY.findall(text)))
    for month, day in reversed(candidates):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, 1, 1)


# --- Markdown -----------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
_MD_LINE_START = re.compile(r"^(#|>|-|\+|=|:::|\d+[.)])")


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown would read as syntax, so the text renders as printed."""
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1) if not m.group(1)[0].isdigit()
                              else m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def to_markdown(article: ImportedArticle, origin: str) -> str:
    front: dict[str, object] = {"title": article.header.title}
    if article.header.kicker:
        front["kicker"] = article.header.kicker
    if article.header.subtitle:
        front["subtitle"] = article.header.subtitle
    front["date"] = article.date
    for key, value in (("authors", list(article.authors)), ("source", article.source),
                       ("byline", list(article.byline)), ("credits", list(article.credits))):
        if value:
            front[key] = value
    front["origin"] = origin
    parts = []
    for block in article.blocks:
        text = escape_markdown(block.text)
        if block.kind is BlockKind.SUBHEAD:
            parts.append(f"## {text}")
        elif block.kind is BlockKind.CAPTION:
            parts.append(f"::: caption\n{text}\n:::")
        else:
            parts.append(text)
    return f"{FENCE}\n{tomli_w.dumps(front)}{FENCE}\n\n" + "\n\n".join(parts) + "\n"


def article_slug(article: ImportedArticle, tools: ImportTools, limit: int = 48) -> str:
    """Pinyin of the headline's words, from its Simplified form: stable across imports.
    Whole words only, up to `limit` characters."""
    slug = ""
    for word in tools.segmenter.words(tools.simplified(article.header.title)):
        part = slugify(word)
        if not part:
            continue
        candidate = f"{slug}-{part}" if slug else part
        if len(candidate) > limit and slug:
            break
        slug = candidate
    return slug[:limit].strip("-") or "article"


# --- files ---------------------------------------------------------------------------

class Outcome(Enum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    KEPT = "left alone (edited since the last import; --force replaces it)"
    REPLACED = "replaced"


@dataclass(frozen=True)
class Written:
    path: Path
    outcome: Outcome


@dataclass(frozen=True)
class PlannedFile:
    path: Path      # relative to the site root
    text: str


def plan_files(page: PageImport, origin: str, tools: ImportTools) -> list[PlannedFile]:
    planned: list[PlannedFile] = []
    used: set[str] = set()
    for article in page.articles:
        slug = base = article_slug(article, tools)
        number = 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        folder = Path("content") / f"{article.date.year:04d}" / f"{article.date.month:02d}"
        planned.append(PlannedFile(folder / f"{slug}.md", to_markdown(article, origin)))
    return planned


def write_planned(root: Path, planned: Sequence[PlannedFile], force: bool) -> list[Written]:
    results = []
    for item in planned:
        path = root / item.path
        if path.exists():
            if path.read_text(encoding="utf-8") == item.text:
                results.append(Written(item.path, Outcome.UNCHANGED))
                continue
            if not force:
                results.append(Written(item.path, Outcome.KEPT))
                continue
            outcome = Outcome.REPLACED
        else:
            outcome = Outcome.CREATED
        write_atomic(path, item.text)
        results.append(Written(item.path, outcome))
    return results


def read_page(path: Path) -> list[Line]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError.single(f"cannot read the page: {exc.strerror}", path) from None
    text, _ = decode_page(data, path)
    return page_lines(text)


# --- the command ---------------------------------------------------------------------

@dataclass(frozen=True)
class Leftover:
    page: Path
    line: Line


@dataclass(frozen=True)
class ImportReport:
    written: tuple[Written, ...]
    leftovers: tuple[Leftover, ...]
    articles: int


def load_import_tools(root: Path) -> ImportTools:
    from .config import CONFIG_FILE, ConversionConfig, load_config

    conversion = (load_config(root).conversion if (root / CONFIG_FILE).is_file()
                  else ConversionConfig())
    return ImportTools(Segmenter(), Converter(conversion))


def import_pages(root: Path, pages: Sequence[Path], date: dt.date | None = None,
                 source: str | None = None, force: bool = False,
                 tools: ImportTools | None = None, progress=None) -> ImportReport:
    """Read every page first, so one unreadable page means nothing is written."""
    root = root.resolve()
    problems = []
    read: list[tuple[Path, list[Line]]] = []
    for page in pages:
        try:
            read.append((page, read_page(page)))
        except BuildError as error:
            problems.extend(error.problems)
    if problems:
        raise BuildError(problems)
    tools = tools or load_import_tools(root)
    planned: list[PlannedFile] = []
    leftovers: list[Leftover] = []
    count = 0
    if progress is not None:
        progress.start("importing", len(read))
    for done, (page, lines) in enumerate(read, start=1):
        result = split_page(lines, tools, date=date, source=source)
        if progress is not None:
            progress.update(done)
        origin = _shown(page, root)
        planned += plan_files(result, origin, tools)
        leftovers += [Leftover(page, line) for line in result.leftovers]
        count += len(result.articles)
    if progress is not None:
        progress.finish()
    return ImportReport(tuple(write_planned(root, planned, force)), tuple(leftovers), count)


def _shown(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return (resolved.relative_to(root).as_posix() if resolved.is_relative_to(root)
            else path.name)
