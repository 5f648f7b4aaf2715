"""The editions a site is published in: each a BCP 47 language tag, a URL folder and
the OpenCC configurations that bring an article into it. Without `[[editions]]` in
site.toml, a site has today's two, zh-Hans and zh-Hant (Taiwan's glyphs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Script(StrEnum):
    """The two scripts an article can be written in: what conversion starts from."""

    HANS = "zh-Hans"
    HANT = "zh-Hant"

    def __init__(self, code: str) -> None:
        # Plain attributes: an enum's `value` is a descriptor, slow in the page loops.
        self.code = code
        self.key = code[3:].lower()     # hans / hant: how site.toml names a script's form

    @property
    def other(self) -> Script:
        return Script.HANT if self is Script.HANS else Script.HANS

    @classmethod
    def parse(cls, value: str) -> Script | None:
        for script in cls:
            if value.lower() == script.code.lower():
                return script
        return None


@dataclass(frozen=True)
class Edition:
    """One edition of every page."""

    lang: str           # BCP 47: zh-Hans, zh-Hant-TW, zh-Hant-HK
    path: str           # the URL folder: zh-hans
    script: Script
    convert: str        # the OpenCC configuration for text written in the other script
    glyphs: tuple[str, ...] = ()    # those for text already in this script, in turn (none:
                                    # kept as written)
    name: str = ""      # the edition's name, in its own script: 繁體中文（香港）
    short: str = ""     # in the switcher: 繁體（香港）

    @property
    def region(self) -> str:
        """TW, HK, MO, CN, SG, MY, or ""."""
        found = re.search(r"-([A-Za-z]{2})(?:-|$)", self.lang)
        return found.group(1).upper() if found else ""

    @property
    def keys(self) -> tuple[str, ...]:
        """How site.toml's per-edition forms may name it, most precise first:
        `{ hans = "…", hant = "…", hk = "…" }`, or the whole tag, or the folder."""
        region = self.region.lower()
        return tuple(dict.fromkeys(k for k in (self.lang.lower(), self.path, region,
                                               self.script.key) if k))

    def pick(self, forms: dict[str, str] | tuple[tuple[str, str], ...]) -> str | None:
        """The form given for this edition, by its most precise key."""
        given = dict(forms)
        return next((given[k] for k in self.keys if k in given), None)


def form_keys(editions: tuple[Edition, ...]) -> set[str]:
    """Every name a per-edition form in site.toml or front matter may use."""
    return {k for e in editions for k in e.keys} | {"hans", "hant"}


# What OpenCC offers for each direction; the `…p` ones also change vocabulary (支持 → 支援).
FROM_HANS_CONFIGS = ("s2t", "s2tw", "s2hk", "s2twp", "s2hkp")
FROM_HANT_CONFIGS = ("t2s", "tw2s", "hk2s", "tw2sp", "hk2sp")
GLYPH_CONFIGS = ("tw2t", "hk2t", "t2tw", "t2hk")

_NAMES = {"HANS": ("简体中文", "简体"), "HANT": ("繁體中文", "繁體")}
_REGIONS = {"TW": "台灣", "HK": "香港", "MO": "澳門", "SG": "新加坡", "MY": "马来西亚"}
_HANT_REGIONS = ("TW", "HK", "MO")
_HANS_REGIONS = ("CN", "SG", "MY")
LANG_TAG = re.compile(r"zh(?:-(?:Hans|Hant))?(?:-[A-Z]{2})?", re.IGNORECASE)


def script_of(lang: str) -> Script | None:
    """The script a language tag names, by its script subtag or else its region."""
    if not LANG_TAG.fullmatch(lang):
        return None
    parts = [part.lower() for part in lang.split("-")[1:]]
    if "hans" in parts:
        return Script.HANS
    if "hant" in parts:
        return Script.HANT
    if parts and parts[-1].upper() in _HANT_REGIONS:
        return Script.HANT
    if parts and parts[-1].upper() in _HANS_REGIONS:
        return Script.HANS
    return None


def edition_for(lang: str, path: str, convert: str = "",
                glyphs: tuple[str, ...] | None = None, name: str = "") -> Edition:
    """An edition with the configurations and names its tag implies, each overridable:
    Simplified from Taiwan's Traditional (`tw2s`); zh-Hant and zh-Hant-TW from Simplified
    with `s2tw`, Traditional text kept as written; Hong Kong and Macau with `s2hk`, and
    Traditional text brought to Hong Kong's glyphs with `tw2t` then `t2hk` (t2hk alone
    leaves Taiwan's 裡 群 啟 as they are). `lang` must have a script (`script_of`)."""
    script = script_of(lang)
    assert script is not None, lang
    region = Edition(lang, path, script, "").region
    hongkong = region in ("HK", "MO")
    default_glyphs: tuple[str, ...] = ()
    if script is Script.HANS:
        default_convert = "tw2s"
    elif hongkong:
        default_convert, default_glyphs = "s2hk", ("tw2t", "t2hk")
    else:
        default_convert = "s2tw"
    full, short = _NAMES[script.name]
    if region in _REGIONS and region != "CN":
        place = _REGIONS[region]
        full, short = f"{full}（{place}）", f"{short}（{place}）"
    return Edition(lang, path, script, convert or default_convert,
                   default_glyphs if glyphs is None else glyphs, name or full, short)


EDITIONS: tuple[Edition, ...] = (edition_for("zh-Hans", "zh-hans"),
                                 edition_for("zh-Hant", "zh-hant"))


def partner(edition: Edition, editions: tuple[Edition, ...]) -> Edition:
    """The edition beside `edition` on its parallel page: the first in the other script,
    else the next one listed."""
    others = [e for e in editions if e != edition]
    return next((e for e in others if e.script is not edition.script), others[0] if others else edition)


def browser_choices(editions: tuple[Edition, ...], default: Edition) -> dict[str, str]:
    """A browser language tag (lower case) → the folder of the edition its reader gets:
    the edition with that tag, else the one for its region (zh-HK and zh-MO → Hong
    Kong's or Macau's, zh-TW → Taiwan's, zh-CN and zh-SG → Simplified), else one in its
    script. The root page tries each of the reader's languages, and each with its last
    part cut off (zh-Hant-HK, zh-Hant, zh), in turn."""
    def first(*tests: Callable[[Edition], bool]) -> Edition | None:
        return next((e for test in tests for e in editions if test(e)), None)

    def region(*codes: str) -> Callable[[Edition], bool]:
        return lambda e: e.region in codes

    def hans(e: Edition) -> bool:
        return e.script is Script.HANS

    def hant(e: Edition) -> bool:
        return e.script is Script.HANT

    readers = {     # a region → the edition its readers get, by preference
        ("hant", "tw"): first(region("TW"), lambda e: hant(e) and not e.region, hant),
        ("hant", "hk"): first(region("HK"), region("MO"), hant),
        ("hant", "mo"): first(region("MO"), region("HK"), hant),
        ("hans", "cn"): first(lambda e: hans(e) and e.region in ("", "CN"), hans),
        ("hans", "sg"): first(region("SG"), hans),
        ("hans", "my"): first(region("MY"), region("SG"), hans),
    }
    chosen = {"zh": default.path}
    for script, found in (("hans", first(hans)), ("hant", first(hant))):
        if found is not None:
            chosen[f"zh-{script}"] = found.path
    for (script, place), found in readers.items():
        if found is not None:
            chosen[f"zh-{place}"] = chosen[f"zh-{script}-{place}"] = found.path
    chosen.update((e.lang.lower(), e.path) for e in editions)
    return chosen
