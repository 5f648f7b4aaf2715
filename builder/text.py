"""Measures of Chinese text: length in characters and a summary cut at a sentence end."""

from __future__ import annotations

import re

SUMMARY_CHARS = 120
_SENTENCE_END = re.compile(r"[。！？!?…]+[”」』\"]?")
# Han ideographs, as the body of a character class: the unified blocks with Extension A,
# the compatibility block, and the supplementary planes' Extensions B to H (rare names)
HAN = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NOT_HAN = re.compile(f"[^{HAN}]+")
_LATIN = re.compile(r"[A-Za-z0-9]+")


def count_chars(text: str) -> int:
    """Chinese is counted in characters, not whitespace-separated words."""
    # what is left without the rest, not a list of every character: a third of the time
    return len(_NOT_HAN.sub("", text)) + len(_LATIN.findall(text))


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first ~limit characters, cut at the last sentence end inside them."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit + 1)]
    return text[:ends[-1]] if ends and ends[-1] >= limit // 3 else text[:limit] + "…"
