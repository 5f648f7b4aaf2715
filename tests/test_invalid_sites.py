"""A catalogue of broken sites. Each case breaks a good site in one way, then builds:
exit code 1, one clear message naming the file (and line), no traceback, and the
published output exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import article, snapshot

GOOD = {"a.md": article("防汛", "防汛抢险人员在岗。"), "b.md": article("贷款", "贷款余额增长。")}


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "site.toml is not TOML": (
        lambda r: write(r / "site.toml", 'title = "新闻\nbase_url = "https://example.org/"\n'),
        ["site.toml:1:", "invalid TOML"]),
    "misspelt config key": (
        lambda r: write(r / "site.toml", 'title = "新闻"\nbase_url = "https://example.org/"\n'
                                         "page_sise = 10\n"),
        ["site.toml:3: error: unknown key `page_sise`", "did you mean `page_size`?"]),
    "front matter is not TOML": (
        lambda r: write(r / "content/bad.md", "+++\ntitle = 防汛\ndate = 2024-07-22\n+++\n"),
        ["content/bad.md:2:", "invalid TOML"]),
    "unterminated front matter": (
        lambda r: write(r / "content/bad.md", '+++\ntitle = "x"\ndate = 2024-07-22\n正文\n'),
        ["content/bad.md:1: error: front matter is not closed"]),
    "missing required field": (
        lambda r: write(r / "content/bad.md", '+++\ntitle = "x"\n+++\n正文\n'),
        ["content/bad.md:2: error: missing required key `date`"]),
    "wrong type": (
        lambda r: write(r / "content/bad.md", '+++\ntitle = "x"\ndate = "yesterday"\n+++\n'),
        ["content/bad.md:3: error: `date` must be a TOML date"]),
    "duplicate slugs": (
        lambda r: write(r / "content/sub/a.md", article("重复", "内容。")),
        ["duplicate slug 'a' in 2 files: content/a.md, content/sub/a.md"]),
    "slug that would write outside the output": (
        lambda r: write(r / "content/bad.md", article("x", "y", slug='"../../etc"')),
        ["content/bad.md:4: error: slug '../../etc' is not usable in a URL"]),
    "content file that is not UTF-8": (
        lambda r: write(r / "content/bad.md", article("青岛新闻", "防汛。").encode("gb18030")),
        ["content/bad.md:2: error: not UTF-8 text; it looks like GB18030"]),
    "binary file in content": (
        lambda r: write(r / "content/photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ["content/photo.md: error: binary file in content/"]),
    "template syntax error": (
        lambda r: edit(r / "templates/article.html", "{% endblock %}", "{% endblok %}"),
        ["templates/article.html:", "template syntax error"]),
    "undefined template variable": (
        lambda r: edit(r / "templates/index.html", "{{ heading }}", "{{ headline }}"),
        ["templates/index.html:5: error: undefined template variable: 'headline' is undefined"]),
    "missing template": (
        lambda r: (r / "templates/parallel.html").unlink(),
        ["templates/parallel.html: error: template 'parallel.html' not found"]),
    "very large article": (
        lambda r: write(r / "content/huge.md", article("大", "防汛。" * 2_400_000)),
        ["content/huge.md: error: the article is larger than 2 MB", "split it"]),
    "updated before the date": (
        lambda r: write(r / "content/bad.md", article("x", "y", date="2024-07-22", updated="2024-07-01")),
        ["content/bad.md:4: error: `updated` is before `date`"]),
    "updated before the date, one with an offset": (    # 02:00 in Shanghai is 18:00Z the day before
        lambda r: write(r / "content/bad.md", article("x", "y", date="2024-07-22T09:00:00+08:00",
                                                      updated="2024-07-22T02:00:00")),
        ["content/bad.md:4: error: `updated` is before `date`"]),
    "correction without text": (
        lambda r: write(r / "content/bad.md", article("x", "y", corrections="[{ date = 2024-07-23 }]")),
        ["content/bad.md:4: error: each correction needs a `date` (a TOML date) and a `text`"]),
    "quotes nested past what Markdown reads": (     # would silently drop the rest
        lambda r: write(r / "content/deep.md", article("深", ">" * 70 + " 深层引用。\n\n后文。")),
        ["content/deep.md:6: error: quotes or lists nested more than 60 levels deep"]),
    "quotes nested past what Markdown reads, of rare characters only": (    # Extension B
        lambda r: write(r / "content/deep.md", article("深", ">" * 70 + " 𠮷𠀀。")),
        ["content/deep.md:6: error: quotes or lists nested more than 60 levels deep"]),
    "FIFO posing as an article": (      # would block the build for ever if it were opened
        lambda r: os.mkfifo(r / "content/pipe.md"),
        ["content/pipe.md: error: not a regular file"]),
    "article linked to a device": (     # /dev/zero reports size 0 and never ends
        lambda r: (r / "content/zero.md").symlink_to("/dev/zero"),
        ["content/zero.md: error: a symbolic link to /dev/zero, outside the site"]),
    "static file linked to a secret outside the site": (
        lambda r: (r / "static/passwd.txt").symlink_to("/etc/passwd"),
        ["static/passwd.txt: error: a symbolic link to /etc/passwd, outside the site",
         "copy the file into the site if it is meant to be public"]),
    "static file linked to the environment": (
        lambda r: (r / "static/env.txt").symlink_to("/proc/self/environ"),
        ["static/env.txt: error: a symbolic link to /proc/", "outside the site"]),
    "FIFO among the templates": (       # Jinja would block opening it
        lambda r: os.mkfifo(r / "templates/_partial.html"),
        ["templates/_partial.html: error: not a regular file"]),
    "FIFO in static": (
        lambda r: os.mkfifo(r / "static/pipe.css"),
        ["static/pipe.css: error: not a regular file"]),
    "broken link in static": (
        lambda r: (r / "static/gone.css").symlink_to(r / "static/nowhere.css"),
        ["static/gone.css: error: cannot read it"]),
    "output folder that builder did not make": (
        lambda r: write(r / "site.toml", 'base_url = "https://example.org/"\noutput_dir = "content"\n'),
        ["overlaps"]),
}


def build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "builder", "build", "--root", str(root)],
                          capture_output=True, text=True, timeout=300, cwd=root)


@pytest.mark.parametrize("case", list(CASES))
def test_broken_site_fails_cleanly_and_keeps_the_published_site(make_site, case: str):
    root = make_site(GOOD, config='title = "新闻"\nbase_url = "https://example.org/"\n')
    assert build(root).returncode == 0
    published = snapshot(root / "_site")
    breakage, expected = CASES[case]
    breakage(root)
    result = build(root)
    assert result.returncode == 1, result.stdout + result.stderr
    for text in expected:
        assert text in result.stderr, (text, result.stderr)
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root / "_site") == published
    assert [p.name for p in root.iterdir() if "staging" in p.name] == []


def test_links_inside_the_site_are_published_and_linked_folders_are_named(make_site):
    root = make_site(GOOD, config='title = "新闻"\nbase_url = "https://example.org/"\n')
    (root / "assets").mkdir()
    (root / "assets" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (root / "static" / "logo.svg").symlink_to(root / "assets" / "logo.svg")
    (root / "static" / "shared").symlink_to(root / "assets", target_is_directory=True)
    result = build(root)
    assert result.returncode == 0, result.stderr
    assert (root / "_site" / "logo.svg").read_text(encoding="utf-8") == "<svg/>"
    assert not (root / "_site" / "shared").exists()
    assert ("static/shared: warning: ignored: a symlinked folder in static/ is not followed"
            in result.stderr)


def test_empty_content_builds_an_empty_site(make_site):
    root = make_site({})
    result = build(root)
    assert result.returncode == 0 and "built" in result.stdout
    assert (root / "_site/zh-hans/index.html").exists()


def test_symlink_loop_in_content_is_not_followed(make_site):
    root = make_site(GOOD)
    (root / "content/loop").symlink_to(root / "content", target_is_directory=True)
    result = build(root)
    assert result.returncode == 0
    assert "content/loop: warning: ignored: a symlinked folder is not followed" in result.stderr
    assert len(list((root / "_site/zh-hans/articles").iterdir())) == 2


def test_files_in_content_that_are_not_articles_are_named_by_every_build(make_site):
    """Nothing under content/ is dropped without a word: each file that is not an
    article is named, by the build that finds it and by every build after that runs,
    hidden names aside (an editor's `.notes.txt`, a `.drafts/` folder)."""
    root = make_site(GOOD)
    write(root / "content/notes.txt", "备忘")
    write(root / "content/2024/scan.pdf", b"%PDF-1.4")
    write(root / "content/.notes.txt", "隐藏")
    write(root / "content/.drafts/c.txt", "隐藏")
    named = ["content/2024/scan.pdf: warning: ignored: only .md files in content/ are articles",
             "content/notes.txt: warning: ignored: only .md files in content/ are articles"]
    for body in ("", "防汛抢险人员值守。", "防汛抢险人员轮岗。"):   # found, then two edits
        if body:
            write(root / "content/a.md", article("防汛", body))
        result = build(root)
        assert result.returncode == 0, result.stderr
        assert sorted(line.split(";")[0] for line in result.stderr.splitlines()
                      if "warning: ignored" in line) == named


def test_debug_after_the_command_shows_the_traceback(make_site):
    root = make_site(GOOD)
    write(root / "content/bad.md", "no front matter\n")
    result = subprocess.run([sys.executable, "-m", "builder", "build", "--debug", "--root",
                             str(root)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" in result.stderr
