"""Is the published output already what a build would make? Answered from file stamps.

A build writes a fingerprint of its inputs into the output's marker file: every
file under content/, templates/ and static/ (path, size, modification time),
site.toml, the base URL and the builder version. When nothing changed, `builder
build` says so and stops, the way make does; `--force` rebuilds anyway. Only
light modules are imported here, so the answer costs a few stats: one of every file,
which the build then takes as its articles' stamps (`Scan`).
"""

from __future__ import annotations

import array
import datetime as dt
import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import __version__

FOLDERS = ("content", "templates", "static")
PREFIX = "fingerprint: "
DUE = "next scheduled: "
GENERATION = "generation: "


class Stamp(NamedTuple):
    """What the file system says of a file: when it changes, the file is read again. A
    tuple: every build makes one for each article file twice, from the scan and from the
    state, and compares them (as a slotted dataclass: 0.25 s more at 100,000 files)."""

    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Stamp | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return cls(stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass(frozen=True)
class Scan:
    """The inputs stamped once: their fingerprint, and the stamps of the files under
    content/ that a build reads (not hidden, as `content.relative_files` lists them, in
    its order), which the build need not take again (a second stat of 100,000 articles
    took 0.8 s of every build). Packed, three numbers a file: held as objects through
    the build, they were 25 MB at 100,000 articles."""

    inputs: str
    paths: tuple[str, ...]
    # of each file: mtime_ns (before 1970 too), size and inode (up to 2**64 - 1)
    stamps: tuple[array.array, array.array, array.array]

    def content(self) -> Iterator[tuple[str, Stamp]]:
        mtimes, sizes, inodes = self.stamps
        return ((path, Stamp(mtime, size, inode)) for path, mtime, size, inode
                in zip(self.paths, mtimes, sizes, inodes, strict=True))


def scan(root: Path, base_url: str | None, future: bool = False) -> Scan:
    """One stat of every input file (and of the builder's own)."""
    digest = hashlib.sha256(f"{__version__}\n{base_url}\n{future}\n".encode())
    here = Path(__file__).parent
    for path in _package_files():
        _stamp(digest, path, path.relative_to(here).as_posix())
    _stamp(digest, root / "site.toml", "site.toml")
    paths: list[str] = []
    mtimes, sizes, inodes = array.array("q"), array.array("Q"), array.array("Q")
    for folder in FOLDERS:   # strings, not Paths: 10,000 articles are stamped on every build
        for directory, dirs, files in os.walk(root / folder):
            dirs.sort()
            prefix = os.path.relpath(directory, root).replace(os.sep, "/") + "/"
            listed = folder == "content" and not any(
                part.startswith(".") for part in prefix.split("/"))
            for file in sorted(files):
                stat = _stamp(digest, os.path.join(directory, file), prefix + file)
                if listed and stat is not None and not file.startswith("."):
                    paths.append(prefix + file)
                    mtimes.append(stat.st_mtime_ns)
                    sizes.append(stat.st_size)
                    inodes.append(stat.st_ino)
    return Scan(digest.hexdigest(), tuple(paths), (mtimes, sizes, inodes))


def _package_files() -> list[Path]:
    """The builder's code and data, subpackages included."""
    here = Path(__file__).parent
    return sorted(p for p in here.rglob("*") if p.suffix in (".py", ".json", ".txt")
                  and "__pycache__" not in p.parts)


@functools.cache   # the code does not change while a process runs
def package_digest() -> str:
    """Of the builder's code and data: a new version invalidates whatever was made by
    the old one."""
    here = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for path in _package_files():
        digest.update(path.relative_to(here).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(digest, path: Path | str, name: str) -> os.stat_result | None:
    try:
        stat = os.stat(path)
    except OSError:
        digest.update(f"{name}:missing\n".encode())
        return None
    digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return stat


def marker_text(print_: str, due: dt.datetime | None = None, generation: str = "") -> str:
    """The output's marker: the inputs it was built from, when the next scheduled article
    is due (a build after that time is not up to date, whatever the files say), and the
    build's generation, which the build state names too: a state that names another one
    does not describe this folder."""
    text = f"This folder is made by `builder build`.\n{PREFIX}{print_}\n"
    text += f"{GENERATION}{generation}\n" if generation else ""
    return text + (f"{DUE}{due.isoformat()}\n" if due else "")


def current(marker: Path, inputs: str, now: dt.datetime) -> bool:
    """Is the output behind `marker` what a build of `inputs` would make now?"""
    fields = marker_fields(marker)
    try:
        due = dt.datetime.fromisoformat(fields[DUE]) if DUE in fields else None
    except ValueError:
        due = None
    return fields.get(PREFIX) == inputs and (due is None or now < due)


def marker_fields(marker: Path) -> dict[str, str]:
    """The marker's lines by their prefix; nothing when it is missing or damaged (then the
    output is rebuilt)."""
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    return {prefix: line[len(prefix):] for line in lines for prefix in (PREFIX, DUE, GENERATION)
            if line.startswith(prefix)}


MARKER = ".builder-output"


def output_folder(root: Path, out: Path | None, output_dir: str) -> Path:
    return (out or root / output_dir).resolve()


def up_to_date(root: Path, out: Path | None, base_url: str | None,
               future: bool = False) -> tuple[Path, Scan, bool]:
    """(output folder, the inputs scanned, whether the published output already matches
    the inputs and no scheduled article has come due since)."""
    from .config import load_config

    config = load_config(root)
    folder = output_folder(root, out, config.output_dir)
    found = scan(root, base_url, future)
    return folder, found, current(folder / MARKER, found.inputs, dt.datetime.now(dt.UTC))
