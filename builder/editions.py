"""The two script editions every page is written in."""

from __future__ import annotations

from enum import StrEnum


class Script(StrEnum):
    HANS = "zh-Hans"
    HANT = "zh-Hant"

    @property
    def path(self) -> str:
        """The URL folder of this edition: zh-hans or zh-hant."""
        return self.value.lower()

    @property
    def other(self) -> Script:
        return Script.HANT if self is Script.HANS else Script.HANS

    @classmethod
    def parse(cls, value: str) -> Script | None:
        for script in cls:
            if value.lower() == script.value.lower():
                return script
        return None


EDITIONS: tuple[Script, ...] = (Script.HANS, Script.HANT)
