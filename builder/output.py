"""Guarded writes into a staging folder, swapped in for the published one at the end.

A build never touches the published output until everything has rendered: it
writes to a sibling staging folder and then exchanges the two in one rename, so
a failed or interrupted build leaves the previous site exactly as it was, and
files of removed pages do not linger.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import BuildError

_RENAME_EXCHANGE = 2


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file and one rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, bytes):
        temporary.write_bytes(data)
    else:
        temporary.write_text(data, encoding="utf-8", newline="\n")
    os.replace(temporary, path)


def safe_relative(relative: str) -> str:
    """`relative`, if it is a plain path inside the output; else a BuildError."""
    normal = posixpath.normpath(relative)
    if (normal != relative or normal.startswith(("/", "../")) or normal in ("", ".", "..")
            or "\\" in relative or "\0" in relative):
        raise BuildError.single(f"output path {relative!r} would be outside the output folder",
                                hint="use a plain slug: letters, digits and hyphens")
    return relative


class Staging:
    """A fresh folder beside `out` that collects a build's files."""

    def __init__(self, out: Path):
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned()
        self.dir = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.staging-{os.getpid()}-",
                                         dir=self.out.parent))
        self._folders: set[str] = set()

    def _remove_abandoned(self) -> None:
        """Staging folders of builds that were killed outright (the process named in the
        folder is gone): nothing else will ever remove them. Where there is no rename
        exchange, a build killed between its two renames leaves the published site as
        `….old` and no output: that one is put back, not removed."""
        pattern = re.compile(rf"^\.{re.escape(self.out.name)}\.staging-(\d+)-")
        for sibling in sorted(self.out.parent.iterdir()):
            found = pattern.match(sibling.name)
            if not found or _alive(int(found.group(1))) or not sibling.is_dir():
                continue
            if sibling.name.endswith(".old") and not self.out.exists():
                os.rename(sibling, self.out)
            else:
                shutil.rmtree(sibling, ignore_errors=True)

    def target(self, relative: str) -> Path:
        """Where `relative` goes; refuses paths outside the output. Two pages at one path
        are refused by the engine's walk, before anything is published (the pages are
        written by several processes: no one of them sees every path)."""
        path = self.dir / safe_relative(relative)
        folder = posixpath.dirname(relative)
        if folder not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        return path

    def write_text(self, relative: str, text: str) -> None:
        self.target(relative).write_text(text, encoding="utf-8", newline="\n")

    def copy_files(self, files: Iterable[tuple[Path, str]]) -> None:
        """Copy each (source, output path): the files were checked as the site's own."""
        for source, relative in files:
            shutil.copyfile(source, self.target(relative))

    def publish(self) -> None:
        """Swap the staging folder in for `out`, then remove the old output."""
        os.chmod(self.dir, 0o755)  # mkdtemp makes it private; a site is served to others
        if not self.out.exists():
            os.rename(self.dir, self.out)
            return
        if not _exchange(self.dir, self.out):
            old = self.dir.with_name(self.dir.name + ".old")
            os.rename(self.out, old)
            os.rename(self.dir, self.out)
            self.dir = old
        _remove_later(self.dir)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def write_failure(exc: OSError, out: Path) -> BuildError:
    """A failure to write the new output, as one message: the published site is as it was."""
    where = Path(exc.filename) if exc.filename else out
    hints = {
        errno.ENOSPC: "free some space and build again",
        errno.EDQUOT: "free some space (a disk quota is full) and build again",
        errno.EBUSY: f"{out} is a mount point, which cannot be replaced: build into a folder "
                     f"inside it (--out {out / 'site'}) or beside it",
        errno.EXDEV: f"{out} is a mount point, which cannot be replaced: build into a folder "
                     f"inside it (--out {out / 'site'}) or beside it",
        errno.EACCES: f"check that the folder holding {out} is writable",
        errno.EROFS: "the file system is read-only: choose another --out",
    }
    return BuildError.single(
        f"cannot write the site: {exc.strerror or exc}; the published site is unchanged", where,
        hint=hints.get(exc.errno or 0, "fix the cause and build again"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True     # another user's process
    return True


# The remover first renames the folder after itself: a build starting meanwhile sees a
# live process's folder, and leaves it to it instead of deleting it a second time.
_REMOVER = """import os, re, shutil, sys
folder = sys.argv[1]
mine = re.sub(r"staging-[0-9]+-", f"staging-{os.getpid()}-", folder)
try:
    os.rename(folder, mine)
except OSError:
    mine = folder
shutil.rmtree(mine, True)
"""


def _remove_later(folder: Path) -> None:
    """Delete the replaced output in a detached process: the new site is already live, and
    removing tens of thousands of files should not hold up the build."""
    try:
        subprocess.Popen([sys.executable, "-c", _REMOVER, str(folder)], start_new_session=True,
                         stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with renameat2(RENAME_EXCHANGE), where Linux has it."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
