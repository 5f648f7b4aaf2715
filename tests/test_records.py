"""The records kept of every article: pickled as `pickle` would, without leaving copies."""

from __future__ import annotations

import pickle
import sys
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from builder.derive import EditionText, PackedTexts, Text
from builder.records import dumps_unshared
from builder.taxonomy import Analysis

texts = st.text(alphabet=st.sampled_from("新闻青岛ab1 \U00020000"), max_size=12)


@given(st.lists(texts, min_size=1, max_size=6), st.data())
def test_unshared_pickles_are_pickles_and_leave_the_strings_as_they_were(words, data):
    """The same bytes as `pickle.dumps` (a string met twice is written once), and no
    string pickled keeps a UTF-8 copy of itself (`sys.getsizeof` counts it). As the
    state's entries are, every string is a record's."""
    def word() -> str:
        return data.draw(st.sampled_from(words))

    value = ([Text(word(), word()) for _ in range(3)],
             Analysis(word(), b"\0" * 8, word(), word()))
    assert dumps_unshared(value) == pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    # `pickle.dumps` above left its copies; new strings for the check of ours
    fresh = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    strings = [s for t in fresh[0] for s in (t.html, t.plain)] + [fresh[1].words,
                                                                  fresh[1].vocabulary]
    before = [sys.getsizeof(s) for s in strings]
    dumps_unshared(fresh)
    assert [sys.getsizeof(s) for s in strings] == before


def test_pickle_itself_leaves_a_copy_in_a_chinese_string():
    """What `dumps_unshared` is for: were this not so, it would be needless."""
    text = "".join(["青岛"] * 20)
    before = sys.getsizeof(text)
    pickle.dumps(Text(text, ""), protocol=pickle.HIGHEST_PROTOCOL)
    assert sys.getsizeof(text) > before


def _edition_text(lang: str, title: Text, summary: str) -> EditionText:
    return EditionText(lang, title, Text("", ""), Text("", ""), (), (title,), Text("", ""), (),
                       (), (), summary, len(summary))


@given(st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=3), st.data())
def test_packed_texts_read_as_the_texts_they_hold_and_pickle_packed(values, data):
    """An entry's texts, kept pickled until read, are the sequence they were made from:
    equal to it and to another packing of it, hashed alike, item by item the same, and
    so again once pickled (as the state keeps them) or pickled as the state seals them;
    and different from other texts."""
    made = tuple(_edition_text(f"zh-{i}", Text(html, plain), summary)
                 for i, (html, plain, summary) in enumerate(values))
    packed = PackedTexts.of(made)
    # equal texts made apart (each title its own object, not shared with the authors):
    # other bytes, the same texts
    apart = tuple(replace(t, authors=(Text(t.title.html, t.title.plain),)) for t in made)
    assert PackedTexts.of(apart)._packed != packed._packed
    for kept in (packed, pickle.loads(pickle.dumps(packed)), pickle.loads(dumps_unshared(packed)),
                 PackedTexts.of(list(made)), PackedTexts.of(apart)):
        assert kept == made and kept == packed and hash(kept) == hash(made)
        assert len(kept) == len(made) and list(kept) == list(made) and kept[-1] == made[-1]
    other = data.draw(st.sampled_from(made))
    changed = (*made, _edition_text("zh-x", other.title, other.summary + "。"))
    assert PackedTexts.of(changed) != packed and packed != changed
