"""ASCII slugs for URLs, from Chinese or Latin text, with pypinyin."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from .text import HAN

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HAN = re.compile(f"[{HAN}]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 80


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text)) and len(text) <= MAX_LENGTH


def words_slug(words: Iterable[str], limit: int = 48) -> str:
    """A slug from a headline's words (Simplified, segmented): whole words only, up to
    `limit` characters. 青岛 高新区 → qingdao-gaoxinqu."""
    slug = ""
    for word in words:
        part = slugify(word)
        if not part:
            continue
        candidate = f"{slug}-{part}" if slug else part
        if len(candidate) > limit and slug:
            break
        slug = candidate
    return slug[:limit].strip("-") or "article"


def slugify(text: str) -> str:
    """'重庆' → 'chongqing', '青岛 Daily 2024' → 'qingdao-daily-2024'.

    A run of Han characters becomes one word of pinyin without tones; everything
    else is lower-cased, and anything not a letter or digit separates words.
    Pass Simplified text: pypinyin's phrase data reads it best (银行 → yinhang).
    """
    spelled = _HAN.sub(_pinyin, text)
    slug = _NON_ALNUM.sub("-", spelled.lower()).strip("-")
    if len(slug) > MAX_LENGTH:
        slug = slug[:MAX_LENGTH].rsplit("-", 1)[0] or slug[:MAX_LENGTH]
    return slug.strip("-")


class Spelling:
    """`slugify`, answered from slugs spelled before where it can (pypinyin takes 0.17 s
    and 58 MB to load); `used`: every slug asked for, to keep for the next time.

    `elsewhere`: spells a list of texts in another process, so that pypinyin is loaded
    there and not in this one (the process that plans, and that the walkers are forked
    from). `learn` sends it all the new names at once; `expected` are sent with the first
    of them (the site's title, asked for after the terms)."""

    def __init__(self, known: Mapping[str, str],
                 elsewhere: Callable[[list[str]], list[str]] | None = None,
                 expected: Iterable[str] = ()):
        self.known = known
        self.used: dict[str, str] = {}
        self._elsewhere = elsewhere
        self._learned: dict[str, str] = {}
        self._expected = set(expected)

    def learn(self, texts: Iterable[str]) -> None:
        """Spell now, in one go, those of `texts` (and of `expected`) not spelled before."""
        texts = {*texts, *self._expected}
        self._expected = set()
        new = sorted(t for t in texts if t not in self.known and t not in self.used
                     and t not in self._learned and _HAN.search(t))
        if new:
            spelled = (self._elsewhere(new) if self._elsewhere is not None
                       else [slugify(t) for t in new])
            self._learned.update(zip(new, spelled, strict=True))

    def __call__(self, text: str) -> str:
        slug = self.used.get(text)
        if slug is None:
            slug = self.known.get(text)
            if slug is None:
                slug = self._learned.get(text)
            if slug is None:
                self.learn([text])
                slug = self._learned.get(text)
            self.used[text] = slug = slugify(text) if slug is None else slug
        return slug


def _pinyin(match: re.Match[str]) -> str:
    # imported on use (0.17 s, 55 MB): a build whose slugs are all Latin never needs it
    from pypinyin import lazy_pinyin

    return " " + "".join(lazy_pinyin(match.group())) + " "
