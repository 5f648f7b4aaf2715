"""Raw page dumps → numbered lines of text, whatever their encoding.

Dumps arrive as UTF-8 (with or without BOM), UTF-16, GB18030/GBK or Big5, with
CRLF or LF, and with paragraphs marked by blank lines or by an indent of
ideographic spaces. This module decodes them and yields one `Line` a paragraph
candidate, keeping the file line number for messages.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_CANDIDATES = ("utf-8", "gb18030", "big5", "utf-16")


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
    if b"\0" in data and not _looks_utf16(data):
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


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BuildError.single(f"invalid {encoding} at byte {exc.start}", path,
                                hint="re-export the page as UTF-8") from None


def page_lines(text: str) -> list[Line]:
    """The non-blank lines, with the layout the importer reads boundaries from: whether
    each was indented and how many blank lines came before it."""
    lines: list[Line] = []
    gap = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"),
                                 start=1):
        stripped = raw.strip()  # str.strip() also takes the ideographic-space indent
        if not stripped:
            gap += 1
            continue
        lines.append(Line(number, stripped, indent=raw[:1].isspace(), gap=gap))
        gap = 0
    return lines
