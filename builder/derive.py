"""The per-article stage: one Article → its text in every edition.

`derive` is a pure function of the article and the loaded tools, so a build can
run it in any order, in any process, and cache its result.
"""

from __future__ import annotations

import pickle
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .config import DeriveSettings
from .content import Article
from .editions import Edition, Script
from .errors import BuildError, Problem
from .markup import MAX_NESTING, Block, Image, Markdown
from .photos import REPLACE_HINT, Photo, picture_html
from .records import record
from .script import Converted, Converter
from .search import text_terms
from .taxonomy import Analysis, Analyzer
from .text import count_chars, summary


@record
class Text:
    """One piece of text in one edition: HTML for pages, plain for titles, feeds, search."""

    html: str
    plain: str

    @classmethod
    def of(cls, converted: Converted) -> Text:
        if not converted.html and not converted.text:
            return _EMPTY
        return cls(converted.html, converted.text)


# One object for every empty text of an article (most have no subtitle, kicker or source,
# in each edition): pickled once an entry, 10,000 articles' entries unpickle in 0.27 s,
# not 0.31.
_EMPTY = Text("", "")


@record
class EditionText:
    lang: str           # the edition's
    title: Text
    subtitle: Text
    kicker: Text
    labels: tuple[Text, ...]
    authors: tuple[Text, ...]
    source: Text
    credits: tuple[Text, ...]
    corrections: tuple[Text, ...]   # the texts of the article's corrections, in order
    blocks: tuple[Block, ...]
    summary: str        # the first ~120 characters, cut at a sentence end
    chars: int          # the body's length in characters (Han, plus Latin words and numbers)
    lead_alt: str = ""  # the lead photo's alt text: where the body first shows it, else
                        # the title


@record
class UsedPhoto:
    """A photo of the article's bundle that its body shows (or `image` names)."""

    photo: Photo
    line: int           # of the file, where the body first shows it; 0: the front
                        # matter's `image`


class PackedTexts(Sequence[EditionText]):
    """An article's texts in every edition, kept pickled until they are read. What the
    state keeps of every article (`Derived.light`) carries them for the cards of the
    listings a build renders, a few hundred in an edit: read back as some 26 objects
    an article, they were a third of the time to read 100,000 articles' entries."""

    __slots__ = ("_packed", "_texts")

    def __init__(self, packed: bytes):
        self._packed = packed
        self._texts: tuple[EditionText, ...] | None = None

    @classmethod
    def of(cls, texts: Sequence[EditionText]) -> PackedTexts:
        return cls(pickle.dumps(tuple(texts), protocol=pickle.HIGHEST_PROTOCOL))

    def _unpacked(self) -> tuple[EditionText, ...]:
        if self._texts is None:
            self._texts = pickle.loads(self._packed)
        return self._texts

    def __getitem__(self, index):
        return self._unpacked()[index]

    def __len__(self) -> int:
        return len(self._unpacked())

    def __iter__(self) -> Iterator[EditionText]:
        return iter(self._unpacked())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedTexts):
            return self._packed == other._packed or self._unpacked() == other._unpacked()
        return isinstance(other, tuple) and self._unpacked() == other

    def __hash__(self) -> int:
        return hash(self._unpacked())

    def __reduce__(self):
        return (PackedTexts, (self._packed,))


@record
class Derived:
    article: Article
    script: Script                      # the script the article is written in
    texts: Sequence[EditionText]        # one per edition, in the site's order (light: packed)
    repaired: tuple[tuple[str, str], ...]
    ambiguous: tuple[tuple[str, str], ...]
    analysis: Analysis
    tags: tuple[str, ...]       # front matter tags, in Simplified
    authors: tuple[str, ...]    # in Simplified: the identity of an author across editions
    sources: tuple[str, ...]    # outlets, in Simplified: 青岛日报/观海新闻 is two
    search_terms: tuple[tuple[str, int], ...]   # what the search index holds of it
    photos: tuple[UsedPhoto, ...] = ()  # each once, in the order the body shows them
    lead: Photo | None = None           # `image`, else the first photo shown

    def edition(self, edition: Edition) -> EditionText:
        lang = edition.lang
        for text in self.texts:
            if text.lang == lang:
                return text
        raise KeyError(lang)

    def light(self) -> Derived:
        """Without the bodies and search terms: what planning the site needs, kept for
        every article; the rest is read back from the derive cache to render a page."""
        return replace(self, texts=PackedTexts.of(replace(t, blocks=()) for t in self.texts),
                       search_terms=())


@dataclass(frozen=True)
class Tools:
    """What the per-article stage needs, loaded once per process."""

    converter: Converter
    markdown: Markdown
    analyzer: Analyzer
    settings: DeriveSettings
    fold: Mapping[int, str]     # the search index's Traditional → Simplified table


# A line of its own: the summary is what comes before it. Raw HTML is off, so the line
# is taken out of the body (left blank, to keep line numbers) rather than rendered.
MORE = re.compile(r"^[ \t]*<!--\s*more\s*-->[ \t]*$", re.MULTILINE)


def derive(article: Article, tools: Tools) -> Derived:
    found = MORE.search(article.body)
    marked, lead = found is not None, article.body[:found.start()] if found else ""
    body = article.body[:found.start()] + article.body[found.end():] if found else article.body
    tokens = tools.markdown.parse(body)
    dropped = tools.markdown.dropped_line(body, tokens)
    if dropped is not None:
        raise BuildError.single(
            f"quotes or lists nested more than {MAX_NESTING} levels deep: Markdown would drop "
            "the text from here on", Path(article.path), article.body_line + dropped,
            hint="nest less deeply (a quote inside a quote inside …)")
    photos, lead_photo = _photos(article, tools.markdown.images(tokens))
    written = article.script or tools.converter.detect(
        " ".join((article.title, article.subtitle, article.kicker,
                  tools.markdown.plain_text(tokens))), tools.settings.default_script)
    # the stray characters each edition in the article's own script repaired, by lang
    repaired: dict[str, list[tuple[str, str]]] = {}
    ambiguous: dict[str, list[tuple[str, str]]] = {}

    def convert(text: str, target: Edition) -> Converted:
        result = tools.converter.convert(text, written, target, article.phrases)
        repaired.setdefault(target.lang, []).extend(result.repaired)
        ambiguous.setdefault(target.lang, []).extend(result.ambiguous)
        return result

    chosen = article.summary or (
        " ".join(tools.markdown.plain_text(tools.markdown.parse(lead)).split()) if marked else "")

    def edition(target: Edition) -> tuple[EditionText, str]:
        body_plain: list[str] = []

        def body_html(text: str) -> str:
            result = convert(text, target)
            body_plain.append(result.text)
            return result.html

        first_lead = True

        def image_html(image: Image) -> str:
            nonlocal first_lead
            photo = next(u.photo for u in photos if u.photo.name == _name(image.src))
            is_lead = first_lead and photo == lead_photo
            first_lead = first_lead and not is_lead
            shown = picture_html(photo, tools.settings.photos, convert(image.alt, target).text,
                                 lead=is_lead)
            if image.figure and not image.captioned and image.title:
                shown += f"<figcaption>{convert(image.title, target).html}</figcaption>\n"
            return shown

        blocks = tools.markdown.render_blocks(tokens, body_html, target.path, image_html)
        body = "".join(body_plain)
        lead_alt = next((image.alt for image in tools.markdown.images(tokens)
                         if lead_photo is not None and _name(image.src) == lead_photo.name), "")
        return EditionText(
            lang=target.lang,
            title=Text.of(convert(article.title, target)),
            subtitle=Text.of(convert(article.subtitle, target)),
            kicker=Text.of(convert(article.kicker, target)),
            labels=tuple(Text.of(convert(label, target)) for label in article.labels),
            authors=tuple(Text.of(convert(name, target)) for name in article.authors),
            source=Text.of(convert(article.source, target)),
            credits=tuple(Text.of(convert(line, target)) for line in article.credits),
            corrections=tuple(Text.of(convert(c.text, target)) for c in article.corrections),
            blocks=blocks,
            summary=convert(chosen, target).text if chosen else summary(body),
            chars=count_chars(body),
            lead_alt=(convert(lead_alt, target).text if lead_alt
                      else convert(article.title, target).text if lead_photo else ""),
        ), body

    editions = tools.settings.conversion.editions
    made = [edition(e) for e in editions]
    # what is segmented and indexed: the Simplified edition's text, made for it alone
    # when the site has none
    simple = tools.converter.simplified
    hans, hans_body = next(((t, b) for (t, b), e in zip(made, editions, strict=True)
                            if e == simple), None) or edition(simple)

    own = next((e for e in editions if e.script is written), simple)

    def simplified(text: str) -> str:
        return tools.converter.to_simplified(text, written, article.phrases)

    analysis = tools.analyzer.analyse(
        hans.title.plain, f"{hans.kicker.plain}\n{hans.subtitle.plain}\n{hans_body}",
        tools.settings.topics)
    return Derived(
        replace(article, body=""),  # the Markdown is spent; a site keeps thousands of these
        written, tuple(t for t, _ in made), tuple(repaired.get(own.lang, ())),
        tuple(ambiguous.get(own.lang, ())), analysis,
        tags=tuple(("-" if t.startswith("-") else "") + simplified(t.removeprefix("-"))
                   for t in article.tags),
        authors=tuple(a.plain for a in hans.authors),
        sources=tuple(s.strip() for s in hans.source.plain.split("/") if s.strip()),
        search_terms=text_terms(
            " ".join((hans.kicker.plain, hans.title.plain, hans.subtitle.plain)), hans_body,
            tools.fold),
        photos=photos,
        lead=lead_photo,
    )


def _name(src: str) -> str:
    return urllib.parse.unquote(src)


def _photos(article: Article, images: list[Image]) -> tuple[tuple[UsedPhoto, ...], Photo | None]:
    """The bundle's photos the body shows, and the lead photo; a BuildError naming each
    image that is not a photo of the bundle, or cannot be published."""
    files = {photo.name: photo for photo in article.photos}
    source = Path(article.path)
    used: dict[str, UsedPhoto] = {}
    problems = []
    for image in images:
        name, line = _name(image.src), article.body_line + image.line
        photo = files.get(name)
        if "://" in name or name.startswith(("//", "data:")):
            problems.append(Problem(
                f"image {image.src!r} is on another site", source, line,
                hint="download it into the article's page bundle, beside its index.md: the site "
                     "publishes and sizes its own photos"))
        elif not article.bundle:
            problems.append(Problem(
                f"image {name!r}: only a page bundle has photos", source, line,
                hint=f"make the article a folder, {source.parent.as_posix()}/"
                     f"{source.stem}/index.md, with {name} beside it"))
        elif photo is None:
            problems.append(Problem(
                f"image {name!r} is not beside the article", source, line,
                hint=f"put the photo in {source.parent.as_posix()}/, or fix the name"))
        elif photo.problem:
            problems.append(Problem(f"photo {name!r}: {photo.problem}", source, line,
                                    hint=photo.hint or REPLACE_HINT))
        elif name not in used:
            used[name] = UsedPhoto(photo, line)
    if problems:
        raise BuildError(problems)
    if article.image and article.image not in used:     # shown on cards and social cards only
        used[article.image] = UsedPhoto(files[article.image], 0)
    lead = files[article.image] if article.image else next(
        (u.photo for u in used.values()), None)
    return tuple(used.values()), lead
