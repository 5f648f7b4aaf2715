"""Lines → what each line is: a heading, a byline, a dateline'd lead, a caption, …

Every function here is pure and reads the conventions as data. A line is judged on
its own text; where it stands on the page is the segmenter's business.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from ..pagetext import Line
from .conventions import CHINESE_DIGITS, CLOSE, HAN, SPACE, TERMINAL, Conventions, Patterns

HEADING_LINE = 80       # a headline with its kicker on one line runs to ~70 characters
BYLINE_LINE = 48
SHORT_LINE = 30         # subheads and captions are short; column fragments usually are not
_SEPARATORS = re.compile(f"[{SPACE}、，,;；]+")
_NAME = re.compile(f"^[{HAN}][{HAN}·‧•]{{1,11}}$")
_CLAUSE = re.compile("[，,；;：:。！？]")
_CAPTION_WORDS = re.compile(r"(?:图|圖|摄|攝|效果|照片)。?$")
# 图为…, 上图：…: the words that open a photo caption
_CAPTION_OPENING = re.compile(r"^(?:图为|圖為|[上下左右]图[:：为]|[上下左右]圖[:：為]|图[①-⑩]|圖[①-⑩])")
_REPORTED_SUFFIX = re.compile(f"[{SPACE}]*(?:报道|報道|报导|報導)$")
# A page's running head or foot: its date, weekday and page number, each standing apart.
_FURNITURE = re.compile(
    r"(?:^|(?<=\s))(?:(?:19|20)\d\d年\d{1,2}月\d{1,2}日|星期[一二三四五六日天]|第\s*[\d一二三四五六七八九十]+\s*版"
    r"|[A-Z]\d{1,2}版?)(?=\s|$)")
_END_MARK = re.compile(r"^[（(](?:完|全文完|待续|待續|续完|續完|上|中|下)[）)]$")   # wire copy's （完）
_OUTLET = re.compile(f"^[{HAN}/／]{{2,16}}(?:报|報|社|台|网|網|刊|新闻|新聞)$")
_STOCK_CREDIT = re.compile(r"^(?:资料图片|資料圖片|(?:图片|圖片)(?:来源|來源)[:：].{1,30})$")


class Kind(Enum):
    HEADING = "heading"         # short, no sentence end: a headline, a subhead or a deck
    LABEL = "label"             # a column tag or box label: 【小资料】, 核心阅读
    BYLINE = "byline"
    EDITORS = "editors"         # 责编/王亚梅 美编/高菲
    PHOTO_CREDIT = "photo credit"
    FURNITURE = "furniture"     # the page's own header or footer: 2019年5月4日 星期六 第4版
    CAPTION = "caption"
    TEXT = "text"


@dataclass(frozen=True)
class Byline:
    outlet: str                 # 青岛日报/观海新闻, or "" when the line names none
    names: tuple[str, ...]


@dataclass(frozen=True)
class Dateline:
    source: str                 # the agency or paper it names (本报 for the paper itself)
    month: int | None
    day: int | None
    authors: tuple[str, ...]    # reporters named inside it: （记者丁怡婷）


@dataclass(frozen=True)
class Classified:
    line: Line
    kind: Kind
    byline: Byline | None = None        # BYLINE and PHOTO_CREDIT
    dateline: Dateline | None = None    # a lead paragraph's dateline

    @property
    def text(self) -> str:
        return self.line.text


def is_terminal(text: str) -> bool:
    return bool(TERMINAL.search(text))


def heading_like(text: str) -> bool:
    """Short and without a full stop; a headline may end in a colon."""
    return (len(text) <= HEADING_LINE and not any(mark in text for mark in "。．；;")
            and (not is_terminal(text) or text.endswith(("：", ":"))) and not _END_MARK.match(text))


# --- names and bylines -------------------------------------------------------------------

def split_names(text: str, p: Patterns, strict: bool) -> tuple[str, ...] | None:
    """'沈小晓 任彦 黄培昭' → the names; '黃　昇' and '牟 科' are one name each, spaced out
    by the typesetter. None when any part is not a name. `strict`: every name must start
    with a surname (for names glued to a role word)."""
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    names: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if len(token) == 1 and i + 1 < len(tokens) and len(tokens[i + 1]) in (1, 2):
            token, i = token + tokens[i + 1], i + 1
            while len(token) < 4 and i + 1 < len(tokens) and len(tokens[i + 1]) == 1:
                token, i = token + tokens[i + 1], i + 1     # 张 大 明, spaced by OCR
        names.append(token)
        i += 1
    if not names or len(names) > 8:
        return None
    for name in names:
        if not _NAME.match(name) or ("·" not in name and len(name) > 4):
            return None
        if strict and "·" not in name and not _surname(name, p):
            return None
    return tuple(names)


def _surname(name: str, p: Patterns) -> bool:
    return name[0] in p.surnames or name[:2] in p.compound_surnames


def parse_byline(text: str, c: Conventions) -> Byline | None:
    """'□青岛日报/观海新闻记者 傅军' → Byline('青岛日报/观海新闻', ('傅军',));
    '記者：唐家輝　翁鈺輝' and '本报记者 沈小晓 通讯员 任彦' too. None for anything else."""
    p = c.patterns
    marked = bool(p.byline_mark.match(text))
    body = text[1:].strip() if marked else text.strip()
    if body[:1] in "（(" and body[-1:] in "）)":
        body = body[1:-1].strip()
    if not body or len(body) > BYLINE_LINE or body.endswith(("摄", "攝")):
        return None     # a photo credit
    roles = list(p.roles.finditer(body))
    if not roles:
        if not marked:
            return None
        outlet, _, names_text = body.rpartition(" ")
        names = split_names(names_text, p, strict=False)
        return Byline(outlet.strip(), names) if names and not _CLAUSE.search(outlet) else None
    outlet = body[:roles[0].start()].strip(f"{SPACE}:：")
    if len(outlet) > 24 or _CLAUSE.search(outlet):
        return None
    names: list[str] = []
    for role, following in zip(roles, [*roles[1:], None], strict=True):
        end = following.start() if following else len(body)
        chunk = _REPORTED_SUFFIX.sub("", body[role.end():end])
        separated = chunk[:1] in f"{SPACE}:：/／" or marked
        if not chunk.strip(f"{SPACE}:：/／") and following is not None:
            continue    # 文/本报记者 张三: two role words in a row
        found = split_names(chunk.strip(f"{SPACE}:：/／"), p, strict=not separated)
        if found is None and following is not None and _OUTLET.match(chunk.strip(f"{SPACE}:：/／")):
            outlet = outlet or chunk.strip(f"{SPACE}:：/／")   # 文／香港文匯報記者 劉大明
            continue
        if found is None:
            return None
        names += found
    return Byline(outlet, tuple(names)) if names else None


def parse_photo_credit(text: str, c: Conventions) -> Byline | None:
    """'侯崇慧摄（人民视觉）' → Byline('', ('侯崇慧',)); '中国驻厄立特里亚大使馆供图' →
    Byline('中国驻厄立特里亚大使馆', ())."""
    if _STOCK_CREDIT.match(text):
        return Byline("", ())
    found = c.patterns.photo_credit.match(text)
    if not found:
        return None
    who = found.group("who").strip()
    if "供" in text[found.end("who"):found.end("who") + 3]:
        return Byline(who, ()) if len(who) <= 24 else None
    byline = parse_byline(who, c)
    if byline is not None:
        return byline
    names = split_names(who, c.patterns, strict=True)
    return Byline("", names) if names else None


# --- datelines -----------------------------------------------------------------------

def chinese_number(text: str) -> int | None:
    """'14' → 14, '十' → 10, '二十三' → 23, '廿三' → 23; None for anything else."""
    if text.isdigit():
        return int(text)
    tens, ten, ones = text.replace("廿", "二十").replace("卅", "三十").partition("十")
    if not ten:
        return CHINESE_DIGITS.get(text) if len(text) == 1 else None
    high = CHINESE_DIGITS.get(tens) if tens else 1
    low = CHINESE_DIGITS.get(ones) if ones else 0
    return None if high is None or low is None else high * 10 + low


def parse_dateline(text: str, c: Conventions) -> Dateline | None:
    """The dateline a lead paragraph opens with, in any of the common forms."""
    p = c.patterns
    authors: tuple[str, ...] = ()
    found = p.agency_reporter.match(text)
    if found:
        who = found.group("who")
        # 中央社記者王大明台北3日電: the place is the last two or three characters
        cut = len(who) - (3 if len(who.replace("、", "")) >= 6 else 2)
        authors = split_names(who[:cut], p, strict=True) or ()
    else:
        found = p.dated.match(text) or p.reported.match(text)
        if found is None:
            found = p.undated.match(text)
            if (found is not None and not found.group("open") and not p.own.match(text)
                    and not p.agency.match(found.group("source"))
                    and not p.glued_reporters.match(text, found.end())):
                return None     # 某某报讯 alone, unbracketed, is more likely prose
    if found is None or (found.groupdict().get("open") and not _closed(found)):
        return None
    if "who" in found.groupdict() and not authors:
        authors = split_names(found.group("who"), p, strict=False) or ()
    glued = p.glued_reporters.match(text, found.end())
    if glued:
        byline = parse_byline(glued.group("byline"), c)
        authors += byline.names if byline else ()
    groups = found.groupdict()
    month = chinese_number(groups["month"]) if groups.get("month") else None
    day = chinese_number(groups["day"]) if groups.get("day") else None
    return Dateline(groups.get("source") or "", month, day, authors)


def _closed(found: re.Match[str]) -> bool:
    """A dateline opened with a bracket must close it: 【新华社延安十日电】."""
    groups = found.groupdict()
    return bool(groups.get("close")) or found.group(0)[-1:] in CLOSE


def dateline_date(dateline: Dateline, page: dt.date, year: int) -> dt.date | None:
    """The day a dateline names. Without a month it is the page's month, or the month
    before when the day would fall after the page; a December dateline on a January page
    is last year's."""
    if dateline.day is None:
        return None
    try:
        if dateline.month is None:
            date = dt.date(year, page.month, dateline.day)
            if date > page + dt.timedelta(days=1):
                before = dt.date(year, page.month, 1) - dt.timedelta(days=1)
                date = dt.date(before.year, before.month, dateline.day)
            return date
        date = dt.date(year, dateline.month, dateline.day)
        if dateline.month == 12 and page.month == 1:
            date = dt.date(year - 1, dateline.month, dateline.day)
        return date
    except ValueError:
        return None


# --- lines -----------------------------------------------------------------------------

def _byline_tail(text: str, c: Conventions) -> int | None:
    """Where a byline glued to the end of a paragraph starts: '…相若。　記者：黎國剛'."""
    for found in c.patterns.reporter.finditer(text):
        start = found.start()
        head = text[:start].rstrip(f"{SPACE}（(")
        if start > 0 and is_terminal(head) and parse_byline(text[len(head):].strip(), c):
            return len(head)
    return None


def unglue(lines: Sequence[Line], c: Conventions) -> list[Line]:
    """Split what the typesetter ran together: a byline after a paragraph's last sentence,
    a 【label】 before a headline. Both halves keep the page's line number."""
    out: list[Line] = []
    for line in lines:
        text = line.text
        cut = _byline_tail(text, c)
        if cut is not None:
            out += [Line(line.number, text[:cut].rstrip(), line.indent, line.gap),
                    Line(line.number, text[cut:].strip(), False, 0)]
            continue
        label = c.patterns.bracket_label.match(text)
        if label and label.end() < len(text) and parse_dateline(text, c) is None:
            rest = text[label.end():].strip()
            if rest:
                out += [Line(line.number, label.group(0), line.indent, line.gap),
                        Line(line.number, rest, False, 0)]
                continue
        out.append(line)
    return out


def is_editors(text: str, c: Conventions) -> bool:
    parts = text.split()
    return len(text) <= 60 and bool(parts) and all(c.patterns.editor_credit.match(x) for x in parts)


def is_label(text: str, c: Conventions) -> bool:
    p = c.patterns
    bracketed = p.bracket_label.match(text)
    return (text.strip("【】〔〕[]") in p.label_words
            or (bracketed is not None and bracketed.end() == len(text))
            or (text[:1] in "（(" and text[-1:] in "）)" and 4 <= len(text) <= 14
                and not _CLAUSE.search(text)))    # （一线探民生）, not （完）


def is_furniture(text: str) -> bool:
    """'2020年1月15日 星期三', '地方新聞　2019年5月4日', '第4版': little beside the marks."""
    rest = _FURNITURE.sub("", text)
    return len(text) <= SHORT_LINE and rest != text and len("".join(rest.split())) <= 6


def is_caption(text: str, c: Conventions) -> bool:
    return bool(c.patterns.caption_mark.match(text) or _CAPTION_OPENING.match(text)) or (
        len(text) <= SHORT_LINE and text.endswith("。") and bool(_CAPTION_WORDS.search(text)))


def classify_line(line: Line, c: Conventions) -> Classified:
    text = line.text
    if byline := parse_byline(text, c):
        return Classified(line, Kind.BYLINE, byline=byline)
    if is_caption(text, c):
        return Classified(line, Kind.CAPTION)
    if is_editors(text, c):
        return Classified(line, Kind.EDITORS)
    if len(text) <= BYLINE_LINE and (credit := parse_photo_credit(text, c)):
        return Classified(line, Kind.PHOTO_CREDIT, byline=credit)
    dateline = parse_dateline(text, c)
    if dateline is not None:
        return Classified(line, Kind.TEXT, dateline=dateline)
    if is_label(text, c):
        return Classified(line, Kind.LABEL)
    if is_furniture(text):
        return Classified(line, Kind.FURNITURE)
    return Classified(line, Kind.HEADING if heading_like(text) else Kind.TEXT)


def classify(lines: Sequence[Line], c: Conventions) -> list[Classified]:
    return [classify_line(line, c) for line in unglue(lines, c)]
