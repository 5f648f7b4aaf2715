"""Imported articles → Markdown files with TOML front matter, and the review file
that keeps every line no article holds. Pure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import tomli_w

from ..content import FENCE
from ..pagetext import Line
from ..slugs import words_slug
from .assemble import BlockKind, ImportedArticle, ImportTools

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
_MD_LINE_START = re.compile(r"^(#|>|-|\+|=|:::|\d+[.)])")


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown would read as syntax, so the text renders as printed."""
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1) if not m.group(1)[0].isdigit()
                              else m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def _document(front: dict[str, object], parts: Sequence[str]) -> str:
    return f"{FENCE}\n{tomli_w.dumps(front)}{FENCE}\n\n" + "\n\n".join(parts) + "\n"


def to_markdown(article: ImportedArticle, origin: str) -> str:
    front: dict[str, object] = {"title": article.header.title}
    if article.header.kicker:
        front["kicker"] = article.header.kicker
    if article.header.subtitle:
        front["subtitle"] = article.header.subtitle
    if article.header.labels:
        front["labels"] = list(article.header.labels)
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
    return _document(front, parts)


def review_markdown(unplaced: Sequence[Line], date: dt.date, origin: str) -> str:
    """A draft, never published, that holds the lines no article took, each with its line
    number on the page: an editor moves them into an article or deletes the file."""
    front: dict[str, object] = {
        "title": f"待处理：{origin} 中未归入文章的 {len(unplaced)} 行",
        "date": date, "draft": True, "origin": origin}
    return _document(front, [f"{line.number}: {escape_markdown(line.text)}" for line in unplaced])


def article_slug(article: ImportedArticle, tools: ImportTools) -> str:
    """Pinyin of the headline's words, from its Simplified form: stable across imports."""
    return words_slug(tools.segmenter.words(tools.simplified(article.header.title)))
