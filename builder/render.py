"""The Jinja environment, turning its failures into messages with a line, and what
each page template uses (so that a template's change renders only its pages again).

Templates get view objects (see views.py), never the internal model, and
StrictUndefined makes a misspelt variable an error instead of an empty string.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from .errors import BuildError, Problem
from .inputs import source_problem


class Renderer:
    """`sources`: the templates' texts by name, where the folder is not at hand (a
    cluster's worker); else they are read from `templates_dir`."""

    def __init__(self, templates_dir: Path, root: Path, globals_: Mapping[str, Any],
                 sources: Mapping[str, str] | None = None):
        self.templates_dir = templates_dir
        self.root = root
        self.globals = dict(globals_)
        self._sources = sources
        loader: jinja2.BaseLoader
        if sources is None:
            _check_templates(templates_dir, root)
            loader = jinja2.FileSystemLoader(templates_dir)
        else:   # named as in the folder, so a failure names the template's file and line
            loader = jinja2.FunctionLoader(lambda name: (
                (sources[name], str(templates_dir / name), lambda: True) if name in sources
                else None))
        self.env = jinja2.Environment(
            loader=loader,
            # a changed template makes a new Renderer (the engine's `look`): no file's time
            # need be looked at for every page (27 → 3 ms for 6,000 pages, measured)
            auto_reload=False,
            undefined=jinja2.StrictUndefined,
            autoescape=True,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(globals_)

    def __reduce__(self):
        # sent to a cluster's worker with the templates' texts, read here and now
        return (Renderer, (self.templates_dir, self.root, self.globals, self.sources()))

    def sources(self) -> dict[str, str]:
        """Every template's text, by the name Jinja knows it by. A file that is not
        UTF-8 text is left out: a page that uses it fails on the worker as it would here."""
        if self._sources is not None:
            return dict(self._sources)
        found = {}
        for name in self.env.list_templates():
            with contextlib.suppress(UnicodeDecodeError, jinja2.TemplateNotFound):
                found[name] = self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
        return found

    @staticmethod
    def check(templates_dir: Path, root: Path) -> None:
        """Refuses what may not be read as a template (see `_check_templates`)."""
        _check_templates(templates_dir, root)

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(template).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError([Problem(
                f"template syntax error: {exc.message}", self._shown(exc.filename, template),
                exc.lineno, hint="fix the template; see https://jinja.palletsprojects.com/templates/",
            )]) from None
        except jinja2.TemplateNotFound as exc:
            raise BuildError([Problem(
                f"template {exc.name!r} not found in {self._shown(None, '')}",
                self._shown(None, str(exc.name)),
                hint="restore it from the project's templates/ folder, or fix the name",
            )]) from None
        except jinja2.UndefinedError as exc:
            filename, line = _template_frame(exc, self.templates_dir)
            raise BuildError([Problem(
                f"undefined template variable: {exc.message}",
                self._shown(filename, template), line,
                hint="check the name against the variables the page gets (see README, Templates)",
            )]) from None
        except BuildError:
            raise
        except Exception as exc:    # a filter or an expression that fails as it runs
            filename, line = _template_frame(exc, self.templates_dir)
            raise BuildError([Problem(
                f"template error: {type(exc).__name__}: {exc}", self._shown(filename, template),
                line, hint="fix the expression on that line of the template",
            )]) from None

    def _shown(self, filename: str | None, template: str) -> Path:
        path = Path(filename) if filename else self.templates_dir / template
        try:
            return path.relative_to(self.root)
        except ValueError:
            return path


def _check_templates(templates_dir: Path, root: Path) -> None:
    """A FIFO among the templates would hang the build when Jinja opened it; a link out
    of the site could pull any file into the pages."""
    problems = []
    for folder, dirs, files in os.walk(templates_dir):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            problem = source_problem(path, root, shown)
            if problem is not None:
                problems.append(problem)
    if problems:
        raise BuildError(problems)


def _template_frame(exc: BaseException, templates_dir: Path) -> tuple[str | None, int | None]:
    """The innermost traceback frame that is a template: Jinja maps those to template lines."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(str(templates_dir)):
            found = (frame.filename, frame.lineno)
    return found


def template_digests(folder: Path, root: Path) -> tuple[TemplateDigests, bytes]:
    """For each page template, a digest of it and every template it extends, includes or
    imports: a change to one template renders again only the pages that use it. A
    template Jinja cannot parse counts as used by every page (the render reports it).
    And a digest of every template."""
    Renderer.check(folder, root)    # nothing but the site's own regular files is read
    sources: dict[str, bytes] = {}
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            sources[path.relative_to(folder).as_posix()] = path.read_bytes()
    everything = hashlib.blake2b(pickle.dumps(sorted(sources.items())), digest_size=16).digest()
    env = jinja2.Environment()
    parsed: dict[str, list[str | None] | None] = {}     # each template parsed once, not
                                                        # once for every page that uses it

    def children(name: str) -> list[str | None] | None:
        if name not in parsed:
            try:
                parsed[name] = list(jinja2.meta.find_referenced_templates(
                    env.parse(sources[name].decode())))
            except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
                parsed[name] = None
        return parsed[name]

    def uses(name: str, seen: set[str]) -> bool:
        """Adds `name` and what it uses to `seen`; False when that cannot be told."""
        if name in seen:
            return True
        seen.add(name)
        if name not in sources:
            return True     # missing: the render says so
        found = children(name)
        return found is not None and all(child is not None and uses(child, seen)
                                         for child in found)

    def digest_of(template: str) -> bytes:
        seen: set[str] = set()
        return (_used_digest(seen, sources) if uses(template, seen) else everything)

    return TemplateDigests({name: digest_of(name) for name in sources}), everything


@dataclass(frozen=True)
class TemplateDigests:
    """A page template → a digest of it and every template it uses (`template_digests`);
    a plain value, so it travels to a cluster's workers."""

    known: dict[str, bytes]

    def __call__(self, template: str) -> bytes:
        found = self.known.get(template)
        return found if found is not None else _used_digest({template})    # missing


def _used_digest(names: set[str], sources: dict[str, bytes] | None = None) -> bytes:
    return hashlib.blake2b(pickle.dumps(sorted((name, (sources or {}).get(name))
                                               for name in names)), digest_size=16).digest()
