"""Shared helpers: tiny sites in temporary folders, built for real."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from builder.derive import Tools
from builder.plan import load_tools
from builder.site import build

REPO = Path(__file__).resolve().parent.parent

MINIMAL_CONFIG = """\
title = "测试新闻"
base_url = "https://example.org/news/"
"""


THREE_EDITIONS = """\
title = "测试新闻"
base_url = "https://example.org/news/"
{extra}
[[editions]]
lang = "zh-Hans"
path = "zh-hans"
{hans}
[[editions]]
lang = "zh-Hant-TW"
path = "zh-hant"

[[editions]]
lang = "zh-Hant-HK"
path = "zh-hk"
"""


def three_editions(extra: str = "", hans: str = "") -> str:
    """A site.toml of a Simplified, a Taiwan and a Hong Kong edition; `extra` goes before
    the editions, `hans` into the Simplified one."""
    return THREE_EDITIONS.format(extra=extra, hans=hans)


def article(title: str, body: str, date: str = "2024-07-22", **fields: str) -> str:
    extra = "".join(f"{key} = {value}\n" for key, value in fields.items())
    return f'+++\ntitle = "{title}"\ndate = {date}\n{extra}+++\n\n{body}\n'


@pytest.fixture(scope="session")
def tools() -> Tools:
    """OpenCC and Markdown, loaded once for the whole run, as a build process would."""
    from builder.config import parse_config

    return load_tools(parse_config(MINIMAL_CONFIG, Path("site.toml")).derive_settings)


@pytest.fixture(scope="session")
def import_tools(tmp_path_factory: pytest.TempPathFactory):
    """jieba and OpenCC for the importer, loaded once, with jieba's cache in a temp folder."""
    from builder.config import ConversionConfig
    from builder.importer import ImportTools
    from builder.script import Converter
    from builder.segment import Segmenter

    return ImportTools(Segmenter(), Converter(ConversionConfig()))


def create_site(root: Path, articles: dict[str, str], config: str = MINIMAL_CONFIG) -> Path:
    """A site folder with the project's templates and static files and the given articles."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.toml").write_text(config, encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    (root / "content").mkdir()
    for name, text in articles.items():
        path = root / "content" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    return lambda articles, config=MINIMAL_CONFIG: create_site(tmp_path / "site", articles, config)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path: to compare outputs byte for byte."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def body_text(page: Path) -> str:
    """The prose of an article page's body, as a reader sees it."""
    return soup(page).select_one("article .body").get_text()


@pytest.fixture(scope="session")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own site, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("seed") / "_site"
    build(REPO, out=out)
    return out


@pytest.fixture(scope="module")
def make_site_module(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """make_site, for a site shared by the tests of one module."""
    return lambda articles, config=MINIMAL_CONFIG: create_site(
        tmp_path_factory.mktemp("module") / "site", articles, config)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def static_server(folder: Path, ready_path: str):
    """A plain static server (python -m http.server) on a free loopback port: its origin."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
         str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(origin + ready_path, timeout=1)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str):
    """Browser tests skip locally without Chromium, and fail in CI, where they must run."""
    import os

    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def served_seed(tmp_path_factory: pytest.TempPathFactory):
    """The seed site built for /news/ and served by a plain static server: (base URL, folder)."""
    www = tmp_path_factory.mktemp("served")
    build(REPO, out=www / "news", base_url="https://example.github.io/news/")
    with static_server(www, "/news/") as origin:
        yield f"{origin}/news/", www / "news"
