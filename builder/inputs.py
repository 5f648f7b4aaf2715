"""Which files under the site's folders may be read and published.

Only regular files, and symbolic links that resolve to a regular file inside the
site: a link in static/ to /etc/passwd or /proc/self/environ would publish a
secret, and a FIFO or /dev/zero would hang a build or fill its memory. Reads stop
at a limit instead of trusting the size the file system reports.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, Problem


def source_problem(path: Path, root: Path, shown: Path) -> Problem | None:
    """Why `path` may not be read as part of the site at `root`, or None."""
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError) as exc:     # a broken link, a link loop, no permission
        reason = getattr(exc, "strerror", None) or "a symbolic link that loops"
        return Problem(f"cannot read it: {reason}", shown,
                       hint="fix or remove the file (a broken symbolic link?)")
    if path.is_symlink() and not target.is_relative_to(root.resolve()):
        return Problem(f"a symbolic link to {target}, outside the site: not read or published",
                       shown, hint="copy the file into the site if it is meant to be public")
    if not stat.S_ISREG(mode):
        return Problem("not a regular file (a pipe, a device or a socket)", shown,
                       hint="remove it from the site's folders")
    return None


def read_limited(path: Path, limit: int, shown: Path, what: str, hint: str) -> bytes:
    """The file's bytes, or a BuildError when it holds more than `limit`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BuildError.single(f"cannot read {what}: {exc.strerror}", shown) from None
    if len(data) > limit:
        raise BuildError.single(f"{what} is larger than {limit // (1024 * 1024)} MB", shown,
                                hint=hint)
    return data


@dataclass(frozen=True)
class StaticFiles:
    files: tuple[tuple[Path, str], ...]     # (source, path in the output)
    linked_folders: tuple[Path, ...]        # symlinked folders: listed, never entered


def static_files(static: Path, root: Path) -> StaticFiles:
    """The files of static/ to publish, hidden names skipped; every problem at once."""
    files: list[tuple[Path, str]] = []
    linked: list[Path] = []
    problems: list[Problem] = []
    for folder, dirs, names in os.walk(static):
        for name in sorted(dirs):
            if not name.startswith(".") and os.path.islink(os.path.join(folder, name)):
                linked.append((Path(folder) / name).relative_to(root))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            problem = source_problem(path, root, path.relative_to(root))
            if problem is not None:
                problems.append(problem)
            else:
                files.append((path, path.relative_to(static).as_posix()))
    if problems:
        raise BuildError(problems)
    return StaticFiles(tuple(files), tuple(linked))
