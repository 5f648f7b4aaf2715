"""Article bodies: Markdown parsed once, rendered per edition.

Conversion works on the parsed text nodes, never on the Markdown source or the
HTML, so link targets, code and markup are left alone and only prose changes.
Raw HTML is off: `<script>` in a body comes out as text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .slugs import slugify

# Deeper than any article needs, well short of Python's recursion limit.
MAX_NESTING = 60
_LEAVES = ("inline", "code_block", "fence", "html_block")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Text → HTML for one edition: escaped, converted, with lang spans where needed.
TextToHtml = Callable[[str], str]


@dataclass(frozen=True)
class Block:
    """One top-level block (paragraph, heading, list…) of a body, for parallel reading."""

    html: str


class Markdown:
    def __init__(self) -> None:
        self._md = (MarkdownIt("commonmark", {"html": False, "typographer": False,
                                              "maxNesting": MAX_NESTING})
                    .enable(["table", "strikethrough"])
                    .use(container_plugin, name="caption", render=_render_caption)
                    .use(footnote_plugin))

    def parse(self, text: str) -> list[Token]:
        tokens = self._md.parse(text)
        _add_heading_ids(tokens)
        return tokens

    def render_blocks(self, tokens: Sequence[Token], text_to_html: TextToHtml,
                      doc_id: str = "") -> tuple[Block, ...]:
        """`doc_id` prefixes footnote anchors, so the two editions side by side on the
        parallel page keep their ids apart."""
        converted = [_convert(token, text_to_html) for token in tokens]
        env = {"docId": doc_id} if doc_id else {}
        return tuple(Block(self._md.renderer.render(group, self._md.options, env))
                     for group in _top_level_groups(converted))

    @staticmethod
    def dropped_line(text: str, tokens: Sequence[Token]) -> int | None:
        """The first line (0-based) of `text` whose Han characters no token kept: past
        MAX_NESTING levels of quotes or lists, markdown-it stops reading and the rest of
        the body would silently disappear. None when nothing was dropped."""
        kept = "".join(_HAN.findall("".join(token.content for token in tokens
                                            if token.type in _LEAVES)))
        if not Counter(_HAN.findall(text)) - Counter(kept):
            return None
        for number, line in enumerate(text.splitlines()):
            han = "".join(_HAN.findall(line))
            if han and han not in kept:
                return number
        return 0

    @staticmethod
    def plain_text(tokens: Sequence[Token]) -> str:
        """The body's prose, one line per block, for detection, summaries and search."""
        return "\n".join(token.content for token in tokens
                         if token.type in ("inline", "code_block", "fence"))


def _convert(token: Token, text_to_html: TextToHtml) -> Token:
    if token.type != "inline" or not token.children:
        return token
    copy = token.copy()
    copy.children = [_text_node(child, text_to_html) for child in token.children]
    return copy


def _text_node(child: Token, text_to_html: TextToHtml) -> Token:
    if child.type != "text":  # code spans, breaks and markup stay as they are
        return child
    # Already-escaped HTML goes out as html_inline; raw HTML *parsing* stays off.
    node = Token("html_inline", "", 0)
    node.content = text_to_html(child.content)
    return node


def _top_level_groups(tokens: Sequence[Token]) -> list[list[Token]]:
    groups: list[list[Token]] = []
    depth = 0
    for token in tokens:
        if depth == 0:
            groups.append([])
        groups[-1].append(token)
        depth += token.nesting if token.block else 0
    return groups


def _add_heading_ids(tokens: list[Token]) -> None:
    """Stable ASCII anchors from the source heading, the same in both editions."""
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        base = slugify(tokens[index + 1].content) or "section"
        seen[base] = seen.get(base, 0) + 1
        token.attrSet("id", base if seen[base] == 1 else f"{base}-{seen[base]}")


def _render_caption(renderer, tokens: Sequence[Token], index: int, options, env) -> str:
    """`::: caption` blocks: photo captions from the printed page."""
    return ('<figure class="caption"><figcaption>\n' if tokens[index].nesting == 1
            else "</figcaption></figure>\n")
