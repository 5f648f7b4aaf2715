"""Chinese word segmentation with jieba, loaded once, cached in the project.

jieba's dictionary is Simplified, so callers pass Simplified text. The
dictionary cache goes to `<root>/.cache/`, not /tmp, and jieba's own import-time
warnings and log lines are kept out of the user's terminal and the test run.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Word:
    text: str
    pos: str    # jieba's part-of-speech tag: n, ns, nr, v, m, …


class Segmenter:
    def __init__(self, cache_dir: Path | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # jieba 0.42 imports pkg_resources, has old escapes
            import jieba
            import jieba.posseg
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._tokenizer.tmp_dir = str(cache_dir)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._tokenizer.initialize()
        # News terms jieba's general dictionary splits (专精特新, 众创空间, 新质生产力).
        for line in resources.files(__package__).joinpath("userdict.txt").read_text("utf-8").splitlines():
            word, freq, pos = line.split()
            self._tokenizer.add_word(word, int(freq), pos)
        self._pos = jieba.posseg.POSTokenizer(self._tokenizer)

    def words(self, text: str) -> list[str]:
        return list(self._tokenizer.cut(text))

    def tagged(self, text: str) -> list[Word]:
        return [Word(pair.word, pair.flag) for pair in self._pos.cut(text)]

    def spans(self, left: str, right: str, context: int = 6) -> bool:
        """Does a word run across the point where `left` ends and `right` begins?

        True for 在青 | 岛高新区 (青岛), False for 上下游” | “我们.
        """
        head, tail = left[-context:], right[:context]
        position = 0
        for word in self._tokenizer.cut(head + tail):
            if position < len(head) < position + len(word):
                return True
            position += len(word)
        return False
