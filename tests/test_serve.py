"""The preview server: the incremental session without sockets, then the real server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.preview import Session

from .conftest import article, free_port

A = article("防汛", "防汛抢险人员在岗。暴雨预警。", date="2024-07-20", tags='["防汛"]',
            authors='["吴帅"]')
B = article("贷款", "贷款余额增长。银行信贷。", date="2024-07-21", tags='["贷款"]')


def bump(path: Path, text: str) -> None:
    """Write and make sure the stamp differs even on coarse file systems."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_session_rebuilds_only_what_an_edit_affects(make_site, tmp_path):
    root = make_site({"a.md": A, "b.md": B})
    session = Session(root, tmp_path / "out")
    first = session.update()
    assert first.full and "zh-hans/articles/a/index.html" in first.written
    assert session.update().written == []  # nothing changed: nothing written
    assert not session.pending()

    bump(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    assert session.pending()
    update = session.update()
    written = set(update.written)
    for edition in ("zh-hans", "zh-hant"):
        assert f"{edition}/articles/a/index.html" in written
        assert f"{edition}/articles/a/parallel/index.html" in written
        assert f"{edition}/index.html" in written            # the summary changed
        assert f"{edition}/feed.xml" in written
    assert "zh-hans/articles/b/index.html" not in written   # untouched article
    assert "zh-hans/tags/daikuan/index.html" not in written
    assert "連夜值守" in (tmp_path / "out/zh-hant/articles/a/index.html").read_text()


def test_session_handles_new_and_deleted_articles(make_site, tmp_path):
    root = make_site({"a.md": A, "b.md": B})
    session = Session(root, tmp_path / "out")
    session.update()
    assert (tmp_path / "out/zh-hans/tags/daikuan/index.html").exists()
    (root / "content/b.md").unlink()
    update = session.update()
    assert "zh-hans/tags/daikuan/index.html" in update.removed
    assert not (tmp_path / "out/zh-hans/tags/daikuan").exists()   # its last article is gone
    assert not (tmp_path / "out/zh-hant/articles/b").exists()
    bump(root / "content/c.md", article("新文章", "新内容。", slug='"c"'))
    assert "zh-hant/articles/c/index.html" in session.update().written


def test_session_template_and_static_changes(make_site, tmp_path):
    root = make_site({"a.md": A})
    session = Session(root, tmp_path / "out")
    session.update()
    terms = root / "templates/terms.html"
    bump(terms, terms.read_text().replace('<ul class="terms', '<ul data-edited class="terms'))
    written = set(session.update().written)
    assert "zh-hans/tags/index.html" in written and "zh-hant/authors/index.html" in written
    assert "zh-hans/articles/a/index.html" not in written   # article.html does not use it
    bump(root / "static/js/site.js", "/* edited */\n")
    # and the output's marker, which names the new state of the output
    assert sorted(session.update().written) == [".builder-output", "js/site.js"]


def test_a_save_between_the_scan_and_the_update_is_read_by_the_next_update(make_site, tmp_path):
    """The update reads the article files as `pending` listed them, not again: one saved
    in between may be built from its new text under its old stamp, but the sources stay
    pending, and the next update reads it again."""
    root = make_site({"a.md": A, "b.md": B})
    session = Session(root, tmp_path / "out")
    session.update()
    page = tmp_path / "out/zh-hans/articles/a/index.html"
    bump(root / "content/b.md", B.replace("银行信贷", "信贷投放"))
    assert session.pending()    # scanned now
    bump(root / "content/a.md", A.replace("防汛抢险人员在岗", "防汛队伍连夜值守"))
    session.update()
    assert "信贷投放" in (tmp_path / "out/zh-hans/articles/b/index.html").read_text()
    assert session.pending()
    session.update()
    assert "连夜值守" in page.read_text() and not session.pending()
    bump(root / "content/a.md", A)
    assert session.pending()
    session.update()
    assert "连夜值守" not in page.read_text()


def test_the_preview_goes_idle_with_drafts_backups_and_broken_articles(make_site, tmp_path):
    """Nothing to do means nothing done: a draft, an editor's backup file or an article
    that fails is looked at once, then again only when something changes."""
    draft = A.replace("+++\n\n", "draft = true\n+++\n\n", 1)
    root = make_site({"a.md": A, "b.md": B, "c.md": draft, "a.md~": A})
    session = Session(root, tmp_path / "out")
    session.update()
    assert not session.pending()
    bump(root / "content/b.md", B.replace("date = 2024-07-21", 'date = "soon"'))
    assert session.pending()
    with pytest.raises(BuildError):
        session.update()
    assert not session.pending()      # the error is shown; no retry until the next save
    bump(root / "content/b.md", B)
    assert session.pending()
    session.update()
    assert not session.pending()
    bump(root / "content/a.md", A.replace("防汛抢险", "抢险"))   # drafts do not hold up edits
    assert session.pending()
    assert "zh-hans/articles/a/index.html" in session.update().written
    assert not session.pending()


def test_the_preview_shows_scheduled_articles_marked(make_site, tmp_path):
    later = article("明日头条", "明天的新闻。", date="2099-01-01T08:00:00")
    root = make_site({"a.md": A, "later.md": later})
    session = Session(root, tmp_path / "out")
    session.update()
    page = (tmp_path / "out/zh-hans/articles/later/index.html").read_text(encoding="utf-8")
    assert '<p class="scheduled">定时发布，尚未公开</p>' in page


def test_session_never_publishes_a_static_link_to_outside_the_site(make_site, tmp_path):
    root = make_site({"a.md": A})
    session = Session(root, tmp_path / "out")
    session.update()
    (root / "static/secret.txt").symlink_to("/etc/passwd")
    with pytest.raises(BuildError) as caught:
        session.update()
    assert "outside the site" in caught.value.problems[0].message
    assert not (tmp_path / "out/secret.txt").exists()
    (root / "static/secret.txt").unlink()
    session.update()


def test_session_keeps_the_last_good_output_on_error_and_recovers(make_site, tmp_path):
    root = make_site({"a.md": A})
    session = Session(root, tmp_path / "out")
    session.update()
    page = tmp_path / "out/zh-hans/articles/a/index.html"
    before = page.read_text()
    bump(root / "content/a.md", A.replace("date = 2024-07-20", 'date = "yesterday"'))
    with pytest.raises(BuildError) as caught:
        session.update()
    assert caught.value.problems[0].line == 3
    assert page.read_text() == before
    bump(root / "content/a.md", A.replace("防汛抢险", "恢复正常"))
    session.update()
    assert "恢复正常" in page.read_text()


def test_a_saved_article_is_served_first_on_its_own_pages(make_site, tmp_path):
    root = make_site({"a.md": A, "b.md": B})
    session = Session(root, tmp_path / "out")
    session.update()
    bump(root / "content/a.md", A.replace("防汛抢险人员在岗", "值守人员连夜巡查"))
    saved = session.saved_articles({str(root / "content/a.md")})
    assert saved == ["content/a.md"]
    assert session.first(saved) == [
        "zh-hans/articles/a/index.html", "zh-hans/articles/a/parallel/index.html",
        "zh-hant/articles/a/index.html", "zh-hant/articles/a/parallel/index.html"]
    assert "連夜巡查" in (tmp_path / "out/zh-hant/articles/a/index.html").read_text()
    assert "連夜巡查" not in (tmp_path / "out/zh-hant/index.html").read_text()
    assert session.pending()
    assert "zh-hans/index.html" in session.update().written    # then the listings
    # a new article has no pages yet, and anything but an article needs the whole update
    bump(root / "content/c.md", article("新", "新文章。"))
    assert session.first(["content/c.md"]) == []
    assert session.saved_articles({str(root / "content/a.md"), str(root / "site.toml")}) == []


# --- the real server ---------------------------------------------------------------------

def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def server(make_site):
    root = make_site({"a.md": A, "b.md": B},
                     config='base_url = "https://example.org/news/"\n')
    port = free_port()
    # Ctrl-C as a terminal sends it, even when the tests run where SIGINT is ignored (a
    # shell's background job), which the preview would inherit
    process = subprocess.Popen([sys.executable, "-m", "builder", "serve", "--root", str(root),
                                "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    base = f"http://127.0.0.1:{port}/news/"

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {process.stdout.read()}")
        try:
            return fetch(base)[0] == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    wait_for(ready, timeout=60)
    yield root, base, process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serves_under_the_base_path_with_the_reload_script(server):
    root, base, _ = server
    status, body = fetch(base + "zh-hant/articles/a/")
    assert status == 200 and "防汛" in body and "livereload.js" in body
    assert "livereload" not in (root / ".cache/serve/news/zh-hant/articles/a/index.html").read_text()
    assert fetch(base.replace("/news/", "/"))[0] == 200  # / redirects to /news/


def test_an_edit_is_served_in_both_editions(server):
    root, base, _ = server
    bump(root / "content/a.md", A.replace("防汛抢险人员在岗", "抢险队伍连夜值守"))
    wait_for(lambda: "抢险队伍连夜值守" in fetch(base + "zh-hans/articles/a/")[1])
    wait_for(lambda: "搶險隊伍連夜值守" in fetch(base + "zh-hant/articles/a/")[1])


def test_live_reload_signal(server):
    from tornado.websocket import websocket_connect

    root, base, _ = server
    url = base.replace("http://", "ws://").replace("/news/", "/livereload")

    async def listen() -> dict:
        connection = await websocket_connect(url)
        connection.write_message(json.dumps({"command": "hello", "protocols": [
            "http://livereload.com/protocols/official-7"]}))
        hello = json.loads(await connection.read_message())
        assert hello["command"] == "hello"
        connection.write_message(json.dumps({"command": "info", "url": base}))
        await asyncio.sleep(0.3)  # the server registers the browser
        bump(root / "content/b.md", B.replace("银行信贷", "银行信贷投放"))
        message = json.loads(await connection.read_message())
        connection.close()
        return message

    # Its own thread and event loop: the browser tests' Playwright owns this thread's loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        message = pool.submit(asyncio.run, asyncio.wait_for(listen(), 20)).result(timeout=30)
    assert message["command"] == "reload"


def request(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_other_host_names_and_origins_get_nothing(server):
    """DNS rebinding (another name for 127.0.0.1) and pages of other sites: no pages, no
    reload socket. The preview's own names still work."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    _, base, _ = server
    port = base.split(":")[2].split("/")[0]
    assert request(base, {"Host": f"evil.example:{port}"}) == 403
    assert request(base, {"Host": f"localhost:{port}"}) == 200
    socket_url = base.replace("http://", "ws://").replace("/news/", "/livereload")

    async def connect(origin: str) -> str:
        try:
            connection = await websocket_connect(HTTPRequest(socket_url, headers={"Origin": origin}))
        except HTTPClientError as error:
            return str(error.code)
        connection.close()
        return "open"

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        evil = pool.submit(asyncio.run, connect("http://evil.example")).result(timeout=30)
        own = pool.submit(asyncio.run, connect(f"http://127.0.0.1:{port}")).result(timeout=30)
    assert (evil, own) == ("403", "open")


def test_a_nul_in_the_path_is_a_bad_request(server):
    _, base, _ = server
    assert fetch(base + "zh-hans/%00/index.html")[0] == 400
    assert fetch(base)[0] == 200    # and still serving


def test_broken_front_matter_shows_an_error_page_then_recovers(server):
    root, base, process = server
    bump(root / "content/a.md", A.replace("date = 2024-07-20", 'date = "yesterday"'))
    _, body = wait_for(lambda: (r := fetch(base + "zh-hans/"))[0] == 500 and r)
    assert "content/a.md:3" in body and "must be a TOML date" in body and "livereload.js" in body
    assert process.poll() is None
    bump(root / "content/a.md", A.replace("防汛抢险", "恢复之后"))
    wait_for(lambda: "恢复之后" in fetch(base + "zh-hans/articles/a/")[1])
    assert fetch(base + "zh-hans/")[0] == 200


def test_nothing_outside_the_site_is_served(server, tmp_path):
    root, base, _ = server
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (root / ".cache/serve/news/leak.txt").symlink_to(secret)
    origin = base.replace("/news/", "")
    for path in ("/news/%2e%2e/%2e%2e/site.toml", "/news/..%2f..%2fsite.toml", "/%2e%2e/site.toml",
                 "/news/leak.txt", f"/news/{secret}", "//etc/passwd", "/news/%2F%2Fetc%2Fpasswd"):
        status, body = fetch(origin + path)
        assert status in (400, 403, 404), (path, status)
        assert "top secret" not in body and "base_url" not in body and "root:" not in body


def test_survives_200_concurrent_requests(server):
    _, base, process = server
    urls = [base + path for path in ("", "zh-hans/", "zh-hant/articles/a/", "css/site.css")] * 50
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda u: fetch(u)[0], urls))
    assert statuses.count(200) == 200
    assert process.poll() is None


def test_a_second_preview_of_the_same_site_is_refused(server):
    root, base, _ = server
    page = root / ".cache/serve/news/zh-hans/articles/a/index.html"
    before = page.read_bytes()
    second = subprocess.run([sys.executable, "-m", "builder", "serve", "--root", str(root),
                             "--port", str(free_port())], capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 1
    assert "another `builder serve` is already previewing this site" in second.stderr
    assert "Traceback" not in second.stderr
    assert page.read_bytes() == before and fetch(base + "zh-hans/articles/a/")[0] == 200


def test_a_port_in_use_is_one_message_before_any_build(make_site):
    import socket

    root = make_site({"a.md": A})
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "builder", "serve", "--root", str(root),
                                 "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert not (root / ".cache/serve").exists()     # refused before building anything


@pytest.mark.parametrize("port", ["99999", "-1", "0", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str, tmp_path):
    result = subprocess.run([sys.executable, "-m", "builder", "serve", "--root", str(tmp_path),
                             f"--port={port}"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "argument --port" in result.stderr


def test_binds_loopback_by_default_and_stops_on_ctrl_c(server):
    _, base, process = server
    assert base.startswith("http://127.0.0.1:")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0


def test_survives_files_deleted_and_half_written_while_it_rebuilds(server):
    root, base, process = server
    content = root / "content"
    deadline = time.monotonic() + 4
    n = 0
    while time.monotonic() < deadline:  # churn: create, half-write, delete, as fast as we can
        path = content / f"churn{n % 5}.md"
        path.write_text("+++\ntitle = \"半", encoding="utf-8")          # half-written
        path.write_text(article(f"稿件{n}", "内容。"), encoding="utf-8")  # complete
        if n % 2:
            path.unlink()
        n += 1
        time.sleep(0.01)
    for leftover in content.glob("churn*.md"):
        leftover.unlink()
    bump(content / "a.md", A.replace("防汛抢险", "风波过后"))
    wait_for(lambda: "风波过后" in fetch(base + "zh-hans/articles/a/")[1], timeout=30)
    wait_for(lambda: fetch(base + "zh-hans/")[0] == 200 and "churn" not in fetch(base + "zh-hans/")[1])
    assert process.poll() is None


def test_a_photo_saved_in_a_bundle_is_served(server):
    """Adding a page bundle, then replacing its photo: the preview serves the new photo's
    page and files, as it does a saved article."""
    import io
    import re

    from PIL import Image

    root, base, _ = server

    def photo(size: tuple[int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", size, "teal").save(out, "JPEG")
        return out.getvalue()

    folder = root / "content/bundle"
    folder.mkdir()
    (folder / "p.jpg").write_bytes(photo((800, 600)))
    bump(folder / "index.md", article("组图", "现场照片。\n\n![现场](p.jpg)\n"))

    def shown(width: str) -> str | None:
        found = re.search(r'<img src="(/news/photos/[^"]+)"[^>]*width="(\d+)"',
                          fetch(base + "zh-hant/articles/bundle/")[1])
        return found.group(1) if found and found.group(2) == width else None

    first = wait_for(lambda: shown("800"))
    assert fetch(base.removesuffix("/news/") + first)[0] == 200
    (folder / "p.jpg").write_bytes(photo((1200, 900)))
    second = wait_for(lambda: shown("1200"))
    assert second != first and fetch(base.removesuffix("/news/") + second)[0] == 200
