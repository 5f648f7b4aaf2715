"""Script detection and conversion between Simplified and Traditional, with OpenCC.

Three rules shape every conversion into an edition:
- Into the other script, OpenCC converts the text with the edition's `convert`
  configuration (s2tw, s2hk, tw2s, …).
- Into the article's own script, only characters that cannot belong to it are
  changed (a Simplified-only 会 in a Traditional article becomes 會); a character
  valid in both, like 台 in 平台, stays exactly as the writer wrote it. An edition
  with `glyphs` (Hong Kong's, `t2hk`) then brings the text to its glyph standard.
- Overrides win over OpenCC: `-{…}-` keeps text as written, and phrase pairs from
  site.toml or front matter give the exact spelling in each script.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import opencc

from .config import ConversionConfig, PhrasePair
from .editions import EDITIONS, Edition, Script

KEEP_MARKER = re.compile(r"-\{(.+?)\}-", re.S)
# The configuration back to Simplified out of an edition's glyphs, where tw2s is not it
_BACK = {"s2hk": "hk2s", "s2hkp": "hk2s", "t2hk": "hk2s"}


@dataclass(frozen=True)
class ScriptChars:
    """Characters that belong to one script only, derived from OpenCC's dictionaries."""

    simplified_only: frozenset[str]
    traditional_only: frozenset[str]

    @classmethod
    def load(cls) -> ScriptChars:
        data = json.loads(resources.files(__package__).joinpath("script_chars.json").read_text("utf-8"))
        return cls(frozenset(data["simplified_only"]), frozenset(data["traditional_only"]))

    def only_in(self, script: Script) -> frozenset[str]:
        return self.simplified_only if script is Script.HANS else self.traditional_only

    def count(self, text: str) -> tuple[int, int]:
        """(Simplified-only, Traditional-only) characters in text."""
        simplified = sum(1 for ch in text if ch in self.simplified_only)
        traditional = sum(1 for ch in text if ch in self.traditional_only)
        return simplified, traditional


def detect_script(text: str, chars: ScriptChars, default: Script) -> Script:
    """The script with more characters of its own; the default on a tie (e.g. no Han text)."""
    simplified, traditional = chars.count(text)
    if simplified == traditional:
        return default
    return Script.HANS if simplified > traditional else Script.HANT


@dataclass(frozen=True)
class Run:
    """Text in one edition; `lang` is set where it is deliberately in another script."""

    text: str
    lang: Script | None = None


@dataclass(frozen=True)
class Converted:
    runs: tuple[Run, ...]
    repaired: tuple[tuple[str, str], ...] = ()   # (written, fixed) stray characters
    ambiguous: tuple[tuple[str, str], ...] = ()  # kept as written; OpenCC would change them

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def html(self) -> str:
        return "".join(
            f'<span lang="{run.lang.code}">{html.escape(run.text, quote=False)}</span>'
            if run.lang else html.escape(run.text, quote=False)
            for run in self.runs)


@dataclass(frozen=True)
class _Piece:
    text: str
    pair: PhrasePair | None = None  # a phrase written as the pair says, in every edition
    keep: bool = False              # -{…}- text, never converted


_CURLY_TO_CORNER = str.maketrans("“”", "「」")
_CORNER_TO_CURLY = str.maketrans("「」『』", "“”‘’")
_SINGLE_PAIR = re.compile(r"‘([^‘’\n]*)’")   # a lone ’ is an apostrophe: left alone


def quotes_for(text: str, target: Script) -> str:
    """Quotation marks as the edition's readers write them: 「」 and 『』 in Traditional
    text, “” and ‘’ in Simplified."""
    if target is Script.HANT:
        return _SINGLE_PAIR.sub(r"『\1』", text.translate(_CURLY_TO_CORNER))
    return text.translate(_CORNER_TO_CURLY)


class Converter:
    """Holds the editions' OpenCC converters; load it once per process and reuse it."""

    def __init__(self, config: ConversionConfig, chars: ScriptChars | None = None):
        self.config = config
        self.chars = chars or ScriptChars.load()
        self.site_phrases = config.phrases
        self.corner_quotes = config.corner_quotes
        self.editions = config.editions
        # Simplified text is what the site's words are written in (tags, topics,
        # interface strings) and what is segmented and indexed, whatever the editions.
        self.simplified = next((e for e in self.editions if e.script is Script.HANS),
                               EDITIONS[0])
        names = {n for e in (*self.editions, self.simplified) for n in (e.convert, *e.glyphs)}
        self._back = sorted({_BACK[n] for n in names if n in _BACK})
        self._opencc = {name: opencc.OpenCC(name) for name in sorted(names | set(self._back))}
        self._patterns: dict[tuple[Script, tuple[PhrasePair, ...]], re.Pattern[str] | None] = {}

    def __reduce__(self):
        # sent to a cluster's worker as its settings: OpenCC's converters are loaded there
        return (Converter, (self.config, self.chars))

    def to_simplified(self, text: str, source: Script = Script.HANS,
                      phrases: Sequence[PhrasePair] = ()) -> str:
        return self.convert(text, source, self.simplified, phrases).text

    def folding(self) -> tuple[set[str], Callable[[str], str]]:
        """What search folds to Simplified: the characters only Traditional text uses,
        and every glyph form a Traditional edition shows (Hong Kong's 衞 羣 説); and how,
        trying each configuration back out of those glyphs in turn."""
        traditional = "".join(sorted(self.chars.traditional_only))
        simplified = "".join(sorted(self.chars.simplified_only))
        chars = set(traditional)
        for e in self.editions:
            if e.script is Script.HANT:
                chars.update(self._opencc[e.convert].convert(simplified))
                shown = traditional
                for name in e.glyphs:
                    shown = self._opencc[name].convert(shown)
                chars.update(shown)
        configs = [self._opencc[self.simplified.convert], *(self._opencc[n] for n in self._back)]

        def fold(ch: str) -> str:
            return next((out for c in configs if (out := c.convert(ch)) != ch), ch)

        return chars, fold

    def localise(self, text: str, edition: Edition) -> str:
        """Text the site writes in Simplified (site.toml, tags), in `edition`."""
        return self.convert(text, Script.HANS, edition).text

    def detect(self, text: str, default: Script) -> Script:
        return detect_script(KEEP_MARKER.sub("", text), self.chars, default)

    def convert(self, text: str, source: Script, target: Edition,
                phrases: Sequence[PhrasePair] = ()) -> Converted:
        """Text written in `source` script, as it should read in the `target` edition."""
        runs: list[Run] = []
        repaired: list[tuple[str, str]] = []
        ambiguous: list[tuple[str, str]] = []
        script = target.script
        for piece in self._pieces(text, source, tuple(self.site_phrases) + tuple(phrases)):
            if piece.keep:
                mark = source if source is not script and self._has_own_chars(piece.text, source) else None
                runs.append(Run(piece.text, mark))
            elif piece.pair is not None:
                runs.append(Run(self._quoted(piece.pair.form(target), script)))
            elif script is source:
                out, fixes, unsure = self._repair(piece.text, target)
                for name in target.glyphs:
                    out = self._opencc[name].convert(out)
                runs.append(Run(self._quoted(out, script)))
                repaired += fixes
                ambiguous += unsure
            else:
                runs.append(Run(self._quoted(self._opencc[target.convert].convert(piece.text),
                                             script)))
        return Converted(tuple(_merge(runs)), tuple(repaired), tuple(ambiguous))

    def _quoted(self, text: str, script: Script) -> str:
        return quotes_for(text, script) if self.corner_quotes else text

    def _has_own_chars(self, text: str, script: Script) -> bool:
        own = self.chars.only_in(script)
        return any(ch in own for ch in text)

    def _repair(self, text: str, target: Edition) -> tuple[str, list[tuple[str, str]],
                                                            list[tuple[str, str]]]:
        """Change only the characters that cannot belong to the edition's script, in the
        reading of OpenCC's configuration into it."""
        converted = self._opencc[target.convert].convert(text)
        if converted == text:
            return text, [], []
        foreign = self.chars.only_in(target.script.other)
        out: list[str] = []
        repaired: list[tuple[str, str]] = []
        ambiguous: list[tuple[str, str]] = []
        for written, proposed in _align(text, converted):
            if written == proposed:
                out.append(written)
            elif any(ch in foreign for ch in written):
                out.append(proposed)
                repaired.append((written, proposed))
            else:
                out.append(written)
                ambiguous.append((written, proposed))
        return "".join(out), repaired, ambiguous

    def _pieces(self, text: str, source: Script,
                phrases: tuple[PhrasePair, ...]) -> Iterable[_Piece]:
        """Split text into kept, phrase-pair and ordinary pieces."""
        pattern = self._phrase_pattern(source, phrases)
        lookup = {p.written(source): p for p in phrases}
        position = 0
        for marker in KEEP_MARKER.finditer(text):
            yield from _phrase_pieces(text[position:marker.start()], pattern, lookup)
            yield _Piece(marker.group(1), keep=True)
            position = marker.end()
        yield from _phrase_pieces(text[position:], pattern, lookup)

    def _phrase_pattern(self, source: Script,
                        phrases: tuple[PhrasePair, ...]) -> re.Pattern[str] | None:
        key = (source, phrases)
        if key not in self._patterns:
            words = sorted({p.written(source) for p in phrases}, key=len, reverse=True)
            self._patterns[key] = (re.compile("|".join(map(re.escape, words)))
                                   if words else None)
        return self._patterns[key]


def _phrase_pieces(text: str, pattern: re.Pattern[str] | None,
                   lookup: dict[str, PhrasePair]) -> Iterable[_Piece]:
    if not text:
        return
    if pattern is None:
        yield _Piece(text)
        return
    position = 0
    for found in pattern.finditer(text):
        if found.start() > position:
            yield _Piece(text[position:found.start()])
        yield _Piece(found.group(), pair=lookup[found.group()])
        position = found.end()
    if position < len(text):
        yield _Piece(text[position:])


def _align(original: str, converted: str) -> Iterable[tuple[str, str]]:
    """Pairs of (original, converted) spans. s2tw and tw2s map character for character,
    so this is a zip; a phrase of another length falls back to a diff."""
    if len(original) == len(converted):
        yield from zip(original, converted, strict=True)
        return
    matcher = difflib.SequenceMatcher(None, original, converted, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            yield from zip(original[i1:i2], converted[j1:j2], strict=True)
        else:
            yield original[i1:i2], converted[j1:j2]


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and merged[-1].lang == run.lang:
            merged[-1] = Run(merged[-1].text + run.text, run.lang)
        else:
            merged.append(run)
    return merged
