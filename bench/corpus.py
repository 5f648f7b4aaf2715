"""A deterministic benchmark corpus made from the seed pages' paragraphs.

    python bench/corpus.py N OUT        # writes OUT/builder, OUT/pelican, OUT/hugo

The same N articles (random selections with a fixed seed) are written three ways:
a builder site, a Pelican project and a Hugo project, so the three tools build
the same text.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240722
AUTHORS = ["傅军", "任晓萌", "吴帅", "周伟", "余瑞新", "于波"]


def paragraphs(page: Path) -> list[str]:
    lines = [line.strip() for line in page.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) >= 40]


def articles(count: int):
    random.seed(SEED)
    simplified = paragraphs(ROOT / "sources/000_45c539df697fb73c.txt")
    traditional = paragraphs(ROOT / "sources/001_22076e859fb92202.txt")
    start = dt.date(2023, 1, 1)
    for number in range(count):
        pool = traditional if random.random() < 0.25 else simplified
        body = random.sample(pool, k=random.randint(4, min(10, len(pool))))
        title = body[0][:random.randint(10, 24)].rstrip("，、。；：")
        date = start + dt.timedelta(days=random.randrange(700))
        yield number, title, date, random.choice(AUTHORS), body


def write(count: int, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    site, pelican, hugo = out / "builder", out / "pelican", out / "hugo"
    for folder in (site / "content", pelican / "content", hugo / "content" / "posts",
                   hugo / "layouts" / "_default"):
        folder.mkdir(parents=True)
    for name in ("templates", "static"):
        shutil.copytree(ROOT / name, site / name)
    shutil.copyfile(ROOT / "site.toml", site / "site.toml")
    (pelican / "pelicanconf.py").write_text(
        'SITENAME = "bench"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "Asia/Shanghai"\n'
        'DEFAULT_LANG = "zh"\nDEFAULT_PAGINATION = 20\nFEED_ALL_ATOM = "feeds/all.atom.xml"\n'
        'CATEGORY_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n',
        encoding="utf-8")
    (hugo / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "bench"\nlanguageCode = "zh"\n'
        'hasCJKLanguage = true\n[taxonomies]\n  tag = "tags"\n  author = "authors"\n',
        encoding="utf-8")
    layouts = hugo / "layouts" / "_default"
    (layouts / "baseof.html").write_text(
        '<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
        '</head><body>{{ block "main" . }}{{ end }}</body></html>\n', encoding="utf-8")
    (layouts / "single.html").write_text(
        '{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}\n',
        encoding="utf-8")
    (layouts / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>'
        '{{ end }}\n', encoding="utf-8")
    for number, title, date, author, body in articles(count):
        text = "\n\n".join(body) + "\n"
        (site / "content" / f"a{number:06d}.md").write_text(
            f'+++\ntitle = "{title}"\ndate = {date.isoformat()}\nauthors = ["{author}"]\n+++\n\n'
            + text, encoding="utf-8")
        (pelican / "content" / f"a{number:06d}.md").write_text(
            f"Title: {title}\nDate: {date.isoformat()}\nAuthor: {author}\n"
            f"Slug: a{number:06d}\n\n" + text, encoding="utf-8")
        (hugo / "content" / "posts" / f"a{number:06d}.md").write_text(
            f'+++\ntitle = "{title}"\ndate = {date.isoformat()}\nauthors = ["{author}"]\n+++\n\n'
            + text, encoding="utf-8")


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
