"""Chinese word segmentation: jieba's dictionary, run by rjieba.

rjieba binds jieba-rs, the Rust port of jieba with the same dictionary and
the same HMM for unknown words; it tags parts of speech about a hundred times
faster than jieba's Python `posseg` (1.6 ms against 200 ms for a seed page,
see bench/README.md), which was most of a build's time. jieba itself remains
the source of the IDF table (taxonomy.py). Callers pass Simplified text:
the dictionary is Simplified.
"""

from __future__ import annotations

from importlib import resources


class Segmenter:
    def __init__(self) -> None:
        import rjieba  # on use (0.1 s): the process that plans pages never segments

        self._jieba = rjieba.Jieba()
        # News terms the general dictionary splits (专精特新, 众创空间, 新质生产力).
        for line in resources.files(__package__).joinpath("userdict.txt").read_text("utf-8").splitlines():
            word, freq, pos = line.split()
            self._jieba.add_word(word, int(freq), pos)

    def __reduce__(self):
        return (Segmenter, ())     # loaded again where it is sent: the dictionary is fixed

    def words(self, text: str) -> list[str]:
        return self._jieba.cut(text, True)

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) pairs; jieba's tags: n, ns, nr, v, m, …"""
        return self._jieba.tag(text, True)

    def spans(self, left: str, right: str, context: int = 6) -> bool:
        """Does a word run across the point where `left` ends and `right` begins?

        True for 在青 | 岛高新区 (青岛), False for 上下游” | “我们.
        """
        head, tail = left[-context:], right[:context]
        position = 0
        for word in self._jieba.cut(head + tail, True):
            if position < len(head) < position + len(word):
                return True
            position += len(word)
        return False
