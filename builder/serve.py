"""`builder serve`: a local preview that rebuilds what changed and reloads the browser.

The livereload package serves the files and injects its reload script into
HTML as it is served, never into the built files. This module gives it three
things: a watcher (watchfiles: the kernel's file events, so an idle preview
sleeps) that runs the warm engine (`preview.Session`) in a worker thread, a
static handler that refuses anything outside the output folder (symlinks
included) and shows an error page while the last build failed, and the base
path of `base_url`, so a project site previews at /repo/ as deployed.
"""

from __future__ import annotations

import fcntl
import html
import os
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado import web
from tornado.ioloop import IOLoop

from .config import CONFIG_FILE, load_config
from .engine import Cancelled
from .errors import BuildError, format_problems
from .preview import WATCHED, Session

SETTLE_MS = 30  # a save often comes as several events: wait this long for the last one
WAKE_MS = 50    # the watcher wakes this often while idle (to notice a stop): 20 times a second


@dataclass
class Status:
    """The outcome of the last update, shared by the watcher and the page handler."""

    error: str | None = None


class SessionWatcher(Watcher):
    """Runs an update when the file watcher reports a change to the sources, in a worker
    thread, so pages keep being served while a large site rebuilds; when it finishes,
    the browsers reload. Changes that arrive during an update make one more update."""

    def __init__(self, session: Session, status: Status, log=print):
        super().__init__()
        self.session = session
        self.status = status
        self.log = log
        self._busy = False
        self._again = False
        self._paths: set[str] = set()   # what the watcher reported since the last update
        self._stop = threading.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild")

    def begin(self, loop: IOLoop) -> None:
        """Watch from now on: before the first build, so no save is missed; what comes
        in before the server runs waits on its loop."""
        threading.Thread(target=self._watch, args=(loop,), name="watch", daemon=True).start()

    def start(self, callback) -> bool:
        """Called by livereload as the server starts; True: it need not poll."""
        return True

    def examine(self):
        return None, None   # changes come from the file watcher, not from polling

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, loop: IOLoop) -> None:
        import watchfiles

        root = self.session.root
        paths = [root / CONFIG_FILE, *(root / name for name in WATCHED if (root / name).is_dir())]
        for changes in watchfiles.watch(*paths, debounce=SETTLE_MS, step=WAKE_MS,
                                        stop_event=self._stop, raise_interrupt=False,
                                        ignore_permission_denied=True):
            loop.add_callback(self.changed, {path for _, path in changes})

    def changed(self, paths: set[str] = frozenset()) -> None:   # type: ignore[assignment]
        """On the server's thread: sources changed."""
        self._paths |= paths
        if self._busy:
            self._again = True
            return
        self._busy = True
        paths, self._paths = self._paths, set()
        self._worker.submit(self._rebuild, IOLoop.current(), paths)

    def _rebuild(self, loop: IOLoop, paths: set[str]) -> None:
        changed = None

        def reload_now(written: list[str]) -> None:
            loop.add_callback(LiveReloadHandler.reload_waiters,
                              written[0] if len(written) == 1 else "*")

        try:
            # Saved articles: their own pages first, from what the watcher says changed,
            # before the sources are even scanned; then everything else.
            saved = self.session.saved_articles(paths)
            if saved and self.status.error is None:
                written = self.session.first(saved)
                if written:
                    reload_now(written)
            if self.session.pending():
                # a save that comes in meanwhile gives this update up before it writes:
                # its own first pass is served at once, then one update covers both
                changed = rebuild(self.session, self.status, self.log,
                                  cancelled=lambda: self._again or self._stop.is_set())
        finally:  # back on the server's thread: reload there, and accept the next change
            loop.add_callback(self._done, changed)

    def _done(self, changed: str | None) -> None:
        self._busy = False
        if changed:
            LiveReloadHandler.reload_waiters(changed)
        if self._again:
            self._again = False
            self.changed()


def rebuild(session: Session, status: Status, log=print,
            cancelled: Callable[[], bool] = lambda: False) -> str | None:
    """Run one update; report it; return what to reload, if anything."""
    try:
        result = session.update(cancelled)
    except Cancelled:
        return None     # the next update follows at once
    except BuildError as error:
        status.error = format_problems(error.problems)
        log(status.error)
        return "*"  # reload, to show the error page
    except OSError as error:  # a file vanished or is half-written mid-build: try again
        log(f"retrying: {error}")
        return None
    recovered = status.error is not None
    status.error = None
    if result.changed or recovered:
        log(f"rebuilt {len(result.written)} files, removed {len(result.removed)} "
            f"in {result.seconds * 1000:.0f} ms")
        return result.written[0] if len(result.written) == 1 else "*"
    return None


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host headers the preview answers (a page on another site that points its own
    name at 127.0.0.1, DNS rebinding, gets nothing); None when it listens everywhere."""
    if host in ("", "0.0.0.0", "::"):
        return None
    names = {host, "localhost", "127.0.0.1", "::1"} if host in ("localhost", "127.0.0.1", "::1") \
        else {host}
    shown = {f"[{name}]" if ":" in name else name for name in names}
    return frozenset(f"{name}:{port}".lower() for name in shown) | (
        frozenset(shown) if port == 80 else frozenset())


def guard_reload_socket(hosts: frozenset[str] | None) -> None:
    """The reload socket answers pages of this preview only: a page elsewhere could
    otherwise watch the editor's saves or reload the preview at will."""
    def check_origin(handler, origin: str) -> bool:
        return hosts is None or (urlsplit(origin).netloc.lower() in hosts
                                 and handler.request.host.lower() in hosts)

    LiveReloadHandler.check_origin = check_origin


class PreviewHandler(StaticFileHandler):
    """Static files from the output folder only, or the build error while there is one."""

    def initialize(self, path, default_filename=None, status=None, base_path="/", hosts=None):
        super().initialize(path, default_filename)
        self.status = status
        self.base_path = base_path
        self.hosts = hosts

    def prepare(self):
        if self.hosts is not None and self.request.host.lower() not in self.hosts:
            raise web.HTTPError(403)   # another name for this machine: DNS rebinding

    async def get(self, path, include_body=True):
        if "\0" in path:
            raise web.HTTPError(400)   # %00 names no file
        request_path = "/" + path
        if self.base_path != "/" and request_path in ("/", "/index.html"):
            self.redirect(self.base_path)
            return
        if self.status is not None and self.status.error and _is_page(path):
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(error_page(self.status.error))
            return
        self.path = self.parse_url_path(path)
        absolute = self.validate_absolute_path(self.root, self.get_absolute_path(self.root, self.path))
        if absolute is None:
            return      # sent on to the folder's address with its slash
        self.absolute_path = absolute
        try:
            # Read once, whole: the preview replaces files while readers ask for them, and
            # a length taken from one version with the bytes of the next is a broken page.
            with open(absolute, "rb") as file:
                data = file.read()
        except OSError:
            raise web.HTTPError(404) from None
        self.set_header("Content-Type", self.get_content_type())
        self.set_header("Cache-Control", "no-cache")
        if include_body:
            self.finish(data)
        else:
            self.set_header("Content-Length", len(data))
            self.finish()

    def validate_absolute_path(self, root, absolute_path):
        real_root = os.path.realpath(root)
        real = os.path.realpath(absolute_path)
        if real != real_root and not real.startswith(real_root + os.sep):
            raise web.HTTPError(403)  # a symlink or a path pointing out of the site
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")


def _is_page(path: str) -> bool:
    return path == "" or path.endswith("/") or path.endswith(".html")


def error_page(message: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Build failed</title></head><body style=\"font-family:sans-serif;margin:2rem\">"
            "<h1>Build failed</h1><p>Fix the file and save: this page reloads by itself.</p>"
            f"<pre style=\"white-space:pre-wrap\">{html.escape(message)}</pre></body></html>")


class PreviewServer(Server):
    def __init__(self, watcher: SessionWatcher, status: Status, base_path: str,
                 hosts: frozenset[str] | None):
        super().__init__(watcher=watcher)
        self.status = status
        self.base_path = base_path
        self.hosts = hosts

    def _setup_logging(self):
        """Quiet: the session prints what each rebuild did; no per-request lines."""

    def get_web_handlers(self, script):
        return [(r"/(.*)", PreviewHandler, {"path": self.root, "default_filename": "index.html",
                                            "status": self.status, "base_path": self.base_path,
                                            "hosts": self.hosts})]


def hold_lock(root: Path):
    """One preview per site: a second would wipe the first one's files. The lock lives
    beside the preview's folder (which a new site.toml empties) and goes with the process."""
    path = (root / ".cache" / "serve.lock").resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise BuildError.single(f"cannot take the preview's lock: {exc.strerror}", path,
                                hint="check that .cache/ is writable") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise BuildError.single("another `builder serve` is already previewing this site",
                                path, hint="use the running preview, or stop it (Ctrl-C) first"
                                ) from None
    return handle


def check_address(host: str, port: int) -> None:
    """Before the first build, not after it: can the preview listen there?"""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = (exc.strerror or str(exc)).split(" (while")[0]
        raise BuildError.single(f"cannot listen on {host}:{port}: {reason}",
                                hint="choose another port with --port, or stop what uses it"
                                ) from None


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    base_path = load_config(root).base_path
    lock = hold_lock(root)  # noqa: F841 - held for as long as the preview runs
    check_address(host, port)
    serve_root = (root / ".cache" / "serve").resolve()
    out = serve_root / base_path.strip("/") if base_path != "/" else serve_root
    session = Session(root, out, base_url=f"http://{host}:{port}{base_path}")
    status = Status()
    watcher = SessionWatcher(session, status)
    loop = IOLoop.current()
    watcher.begin(loop)
    rebuild(session, status)
    loop.add_callback(watcher.changed)  # anything saved while the watch was being set up
    # livereload throttles reloads to one per three seconds; a writer saving twice
    # in a row wants to see both.
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
    hosts = allowed_hosts(host, port)
    guard_reload_socket(hosts)
    server = PreviewServer(watcher, status, base_path, hosts)
    print(f"serving http://{host}:{port}{base_path} (Ctrl-C to stop)", flush=True)
    try:
        server.serve(host=host, port=port, root=str(serve_root), restart_delay=0)
    finally:    # an update under way gives up at its next step: the process can exit
        watcher.stop()
    print("stopped", file=sys.stderr)
