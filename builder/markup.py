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
from .text import HAN

# Deeper than any article needs, well short of Python's recursion limit.
MAX_NESTING = 60
_LEAVES = ("inline", "code_block", "fence", "html_block")
_HAN = re.compile(f"[{HAN}]")
_NOT_HAN = re.compile(f"[^{HAN}]+")

# Text → HTML for one edition: escaped, converted, with lang spans where needed.
TextToHtml = Callable[[str], str]


@dataclass(frozen=True)
class Image:
    """A Markdown image (`![alt](src "title")`), as the body gives it."""

    src: str            # as written (markdown-it percent-encodes what a URL cannot hold)
    alt: str
    title: str
    line: int           # of the body, 0-based
    figure: bool        # alone in its paragraph: a figure of its own
    captioned: bool     # a figure followed by a `::: caption` block, its caption


# An image → HTML for one edition.
ImageToHtml = Callable[[Image], str]


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
        self._md.add_render_rule("figure_open", lambda *_: '<figure class="photo">\n')
        self._md.add_render_rule("figure_close", lambda *_: "</figure>\n")

    def __reduce__(self):
        return (Markdown, ())   # its render rules are functions made here

    def parse(self, text: str) -> list[Token]:
        tokens = self._md.parse(text)
        _add_heading_ids(tokens)
        _add_figures(tokens)
        return tokens

    def render_blocks(self, tokens: Sequence[Token], text_to_html: TextToHtml,
                      doc_id: str = "", image_to_html: ImageToHtml | None = None
                      ) -> tuple[Block, ...]:
        """`doc_id` prefixes footnote anchors, so the two editions side by side on the
        parallel page keep their ids apart. Images are `image_to_html`'s to show (else
        markdown-it's plain `<img>`)."""
        converted = [_convert(token, text_to_html, image_to_html) for token in tokens]
        env = {"docId": doc_id} if doc_id else {}
        return tuple(Block(self._md.renderer.render(group, self._md.options, env))
                     for group in _top_level_groups(converted))

    @staticmethod
    def dropped_line(text: str, tokens: Sequence[Token]) -> int | None:
        """The first line (0-based) of `text` whose Han characters no token kept: past
        MAX_NESTING levels of quotes or lists, markdown-it stops reading and the rest of
        the body would silently disappear. None when nothing was dropped."""
        kept = _NOT_HAN.sub("", "".join(token.content for token in tokens
                                        if token.type in _LEAVES))
        written = _NOT_HAN.sub("", text)
        # the same characters in the same order, as nearly every body has: nothing was
        # dropped (a sixth of the multiset comparison's time: 0.27 ms an article)
        if kept == written or not Counter(written) - Counter(kept):
            return None
        for number, line in enumerate(text.splitlines()):
            han = "".join(_HAN.findall(line))
            if han and han not in kept:
                return number
        return 0

    @staticmethod
    def images(tokens: Sequence[Token]) -> list[Image]:
        """The body's images, in order."""
        return [_image(child, token) for token in tokens if token.type == "inline"
                for child in token.children or () if child.type == "image"]

    @staticmethod
    def plain_text(tokens: Sequence[Token]) -> str:
        """The body's prose, one line per block, for detection, summaries and search."""
        return "\n".join(token.content for token in tokens
                         if token.type in ("inline", "code_block", "fence"))


def _convert(token: Token, text_to_html: TextToHtml, image_to_html: ImageToHtml | None) -> Token:
    if token.type != "inline" or not token.children:
        return token
    copy = token.copy()
    copy.children = [_text_node(child, text_to_html) if child.type == "text"
                     else _html(image_to_html(_image(child, token)))
                     if child.type == "image" and image_to_html else child
                     for child in token.children]
    return copy


def _text_node(child: Token, text_to_html: TextToHtml) -> Token:
    # Already-escaped HTML goes out as html_inline; raw HTML *parsing* stays off. Code
    # spans, breaks and markup stay as they are.
    return _html(text_to_html(child.content))


def _html(content: str) -> Token:
    node = Token("html_inline", "", 0)
    node.content = content
    return node


def _image(child: Token, inline: Token) -> Image:
    return Image(src=str(child.attrGet("src") or ""),
                 alt="".join(c.content for c in child.children or ()
                             if c.type in ("text", "code_inline")),
                 title=str(child.attrGet("title") or ""),
                 line=inline.map[0] if inline.map else 0,
                 figure=bool(child.meta.get("figure")), captioned=bool(child.meta.get("captioned")))


def _add_figures(tokens: list[Token]) -> None:
    """A paragraph of one image becomes a figure; a `::: caption` block right after it
    becomes its caption, inside the figure (a figure and its caption are one block on the
    parallel page)."""
    index = 0
    while index + 2 < len(tokens):
        opening, inline, closing = tokens[index:index + 3]
        children = [c for c in inline.children or ()
                    if not (c.type in ("softbreak", "text") and not c.content.strip())]
        if not (opening.type == "paragraph_open" and inline.type == "inline"
                and closing.type == "paragraph_close" and len(children) == 1
                and children[0].type == "image"):
            index += 1
            continue
        opening.type, opening.tag, opening.hidden = "figure_open", "figure", False
        closing.type, closing.tag, closing.hidden = "figure_close", "figure", False
        children[0].meta["figure"] = True
        end = index + 3
        if end < len(tokens) and tokens[end].type == "container_caption_open" \
                and tokens[end].level == opening.level:
            last = next(i for i in range(end, len(tokens))
                        if tokens[i].type == "container_caption_close"
                        and tokens[i].level == opening.level)
            tokens[end].meta["in_figure"] = tokens[last].meta["in_figure"] = True
            children[0].meta["captioned"] = True
            tokens.insert(last, tokens.pop(index + 2))     # the figure closes after it
            end = last + 1
        index = end


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
    """`::: caption` blocks: photo captions from the printed page; inside the figure of
    the photo they follow."""
    if tokens[index].meta.get("in_figure"):
        return "<figcaption>\n" if tokens[index].nesting == 1 else "</figcaption>\n"
    return ('<figure class="caption"><figcaption>\n' if tokens[index].nesting == 1
            else "</figcaption></figure>\n")
