"""The two script editions every page is written in."""

from __future__ import annotations

from enum import StrEnum


class Script(StrEnum):
    HANS = "zh-Hans"
    HANT = "zh-Hant"

    def __init__(self, code: str) -> None:
        # Plain attributes: an enum's `value` is a descriptor, slow in the page loops.
        self.code = code
        self.path = code.lower()   # the URL folder of this edition: zh-hans or zh-hant

    @property
    def other(self) -> Script:
        return Script.HANT if self is Script.HANS else Script.HANS

    @classmethod
    def parse(cls, value: str) -> Script | None:
        for script in cls:
            if value.lower() == script.path:
                return script
        return None


EDITIONS: tuple[Script, ...] = (Script.HANS, Script.HANT)
