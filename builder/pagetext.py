"""Raw page dumps → numbered lines of text, whatever their encoding.

Dumps arrive as UTF-8 (with or without BOM), UTF-16, GB18030/GBK or Big5, with
CRLF or LF, and with paragraphs marked by blank lines or by an indent of
ideographic spaces. This module decodes them and yields one `Line` a paragraph
candidate, keeping the file line number for messages.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_CANDIDATES = ("utf-8", "gb18030", "big5", "utf-16")
# Every other character Unicode counts as a line end (U+2028 inside a headline would
# otherwise split its front matter line later).
_PLAIN = re.compile("[\t\n\r\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u3000-\u30ff\u3400-\u4dbf"
                    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_LINE_ENDS = re.compile("[\v\f\x1c-\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class Line:
    number: int     # 1-based line in the file
    text: str       # stripped, never empty
    indent: bool = False    # the line began with white space (a paragraph indent)
    gap: int = 0            # blank lines just before it


def decode_page(data: bytes, path: Path) -> tuple[str, str]:
    """→ (text, encoding name). Refuses binary data and text it cannot read."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding, path), encoding
    if b"\0" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return text, "utf-16"
        if not _looks_utf16(data):
            raise BuildError.single("binary data, not a text page", path,
                                    hint="pass the text dump of the page (.txt)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(_CANDIDATES[1:])).best()
    if best is None or best.encoding not in ("gb18030", "big5", "utf_16", "utf_16_le",
                                             "utf_16_be"):
        raise BuildError.single(
            "cannot read this page as UTF-8, UTF-16, GB18030 or Big5 text", path,
            hint="convert it to UTF-8, e.g. iconv -f ENCODING -t UTF-8")
    return str(best), best.encoding


def _looks_utf16(data: bytes) -> bool:
    zeros = data[:4096].count(b"\0")
    return zeros > len(data[:4096]) // 4 and len(data) % 2 == 0


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a byte-order mark: the byte order whose decoding reads as
    Chinese text (CJK, ASCII and their punctuation, nothing else) — the other order,
    and binary data, read as a scatter of scripts and control characters."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        plain = sum(1 for ch in text if _PLAIN.match(ch))
        if text and plain >= 0.95 * len(text):
            return text
    return None


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BuildError.single(f"invalid {encoding} at byte {exc.start}", path,
                                hint="re-export the page as UTF-8") from None


def page_lines(text: str) -> list[Line]:
    """The non-blank lines, with the layout the importer reads boundaries from: whether
    each was indented and how many blank lines came before it. Lines are numbered as an
    editor counts them (CR, LF or CRLF); the rarer line ends Unicode knows (U+2028, …)
    split a line but keep its number."""
    lines: list[Line] = []
    gap = 0
    for number, row in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"),
                                 start=1):
        for raw in _LINE_ENDS.split(row):
            stripped = raw.strip()  # str.strip() also takes the ideographic-space indent
            if not stripped:
                gap += 1
                continue
            lines.append(Line(number, stripped, indent=raw[:1].isspace(), gap=gap))
            gap = 0
    return lines
