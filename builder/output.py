"""How a build's files reach the output, guarded and atomic.

A full build writes a new tree into a sibling staging folder and exchanges the
two in one rename; an incremental build stages only the changed files, then
renames them into place and removes the files of pages that are gone; the
preview writes each file in place, atomically. A failed or interrupted build
leaves the published site exactly as it was.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import ctypes.util
import errno
import hashlib
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .errors import BuildError
from .parallel import signals_held

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


# -- writers: how a build's files reach the output -----------------------------------------

class Writer:
    """Where a build's files go (`writer_for` picks one); paths are the output's."""

    def write(self, relative: str, text: str) -> None:
        raise NotImplementedError

    def move(self, source: Path, relative: str) -> None:
        """A file made beside the output (on its file system), renamed in."""
        raise NotImplementedError

    def copy(self, source: Path, relative: str) -> None:
        raise NotImplementedError

    def commit(self, written: Sequence[str], removed: Sequence[str]) -> None:
        """Make the written files the output's, and remove `removed`."""

    def discard(self) -> None:
        """Forget what was written (a failed build)."""


class InPlace(Writer):
    """The preview: each file replaced atomically where it is served."""

    def __init__(self, out: Path):
        self.out = out

    def write(self, relative: str, text: str) -> None:
        write_atomic(self.out / safe_relative(relative), text)

    def copy(self, source: Path, relative: str) -> None:
        write_atomic(self.out / safe_relative(relative), source.read_bytes())

    def move(self, source: Path, relative: str) -> None:
        target = self.out / safe_relative(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, 0o644)
        os.replace(source, target)

    def commit(self, written: Sequence[str], removed: Sequence[str]) -> None:
        for relative in removed:
            remove(self.out, relative)


class Whole(Writer):
    """A first or full build: a new tree beside the output, swapped in at once."""

    def __init__(self, out: Path):
        self.staging = Staging(out)

    def write(self, relative: str, text: str) -> None:
        self.staging.write_text(relative, text)

    def copy(self, source: Path, relative: str) -> None:
        self.staging.copy_files([(source, relative)])

    def move(self, source: Path, relative: str) -> None:
        os.replace(source, self.staging.target(relative))

    def commit(self, written: Sequence[str], removed: Sequence[str]) -> None:
        self.staging.publish()

    def discard(self) -> None:
        self.staging.discard()


class Changes(Writer):
    """An incremental build: the changed files staged flat beside the output, then
    renamed into place with Ctrl-C and SIGTERM held off, so only a kill -9 in those
    milliseconds can leave the site half updated (and the next build, which then finds
    no state it can trust, makes it whole)."""

    def __init__(self, out: Path):
        self.out = out
        self.staging = Staging(out)

    def _staged(self, relative: str) -> Path:
        safe_relative(relative)
        return self.staging.dir / hashlib.blake2b(relative.encode(), digest_size=16).hexdigest()

    def write(self, relative: str, text: str) -> None:
        self._staged(relative).write_text(text, encoding="utf-8", newline="\n")

    def copy(self, source: Path, relative: str) -> None:
        shutil.copyfile(source, self._staged(relative))

    def move(self, source: Path, relative: str) -> None:
        os.replace(source, self._staged(relative))

    def commit(self, written: Sequence[str], removed: Sequence[str]) -> None:
        folders: set[Path] = set()
        with signals_held():
            for relative in written:
                target = self.out / relative
                if target.parent not in folders:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(target.parent)
                staged = self._staged(relative)
                os.chmod(staged, 0o644)
                os.replace(staged, target)
            for relative in removed:
                remove(self.out, relative)
        self.staging.discard()

    def discard(self) -> None:
        self.staging.discard()


class Sent(Writer):
    """The pages a worker elsewhere renders, kept to be sent back and written here."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, str]] = []

    def write(self, relative: str, text: str) -> None:
        self.pages.append((relative, text))


def writer_for(out: Path, in_place: bool, full: bool) -> Writer:
    if in_place:
        return InPlace(out)
    return Whole(out) if full else Changes(out)


def remove(out: Path, relative: str) -> None:
    target = out / safe_relative(relative)
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


class Writes:
    """Files written by a few threads while this one takes in what a cluster's workers
    send: opening, making folders and writing wait on the disk, not on Python (one
    thread wrote 6,177 pages in 6.3 s of a 13 s build at 1,000 articles). At most
    `QUEUED` wait their turn, so what is sent back is not all held at once. Leaving the
    block waits for every write and raises the first failure."""

    THREADS = 4
    QUEUED = 256

    def __enter__(self) -> Writes:
        self._pool = concurrent.futures.ThreadPoolExecutor(self.THREADS)
        self._room = threading.BoundedSemaphore(self.QUEUED)
        self._failure: BaseException | None = None
        return self

    def submit(self, write: Callable[..., None], *args: object) -> None:
        if self._failure is not None:
            raise self._failure     # a failed write stops the build at once
        self._room.acquire()
        self._pool.submit(write, *args).add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future) -> None:
        self._room.release()
        if future.exception() is not None and self._failure is None:
            self._failure = future.exception()

    def __exit__(self, kind, value, traceback) -> None:
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)
        if kind is None and self._failure is not None:
            raise self._failure
