"""Photos: page bundles, responsive versions, where a photo appears, the encoding cache,
and bad photos. Every photo is made here by the test, with Pillow."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from builder.check import check_site, srcset_urls
from builder.config import PhotoConfig
from builder.markup import Markdown
from builder.photos import Photo, encode, og_version, probe, versions
from builder.site import build

from .conftest import MINIMAL_CONFIG, article, create_site, snapshot, soup

BUNDLE = "2024/07/yanshan"
BODY = """雁山科技生态城项目今年开工建设，预计三年内建成。

![雁山科技生态城项目效果图](yanshan.jpg)

::: caption
雁山科技生态城项目效果图。
:::

项目总投资约两百亿元，将建设研发中心、人才公寓和配套学校。

![施工现场](工地.png "施工现场一角。")

工地上机器轰鸣，工人们正在紧张施工。"""


def jpeg(size=(3000, 2000), orientation: int = 1, gps: bool = True, color=(30, 120, 200)) -> bytes:
    """A camera's JPEG: EXIF orientation and a GPS position."""
    image = Image.new("RGB", size, color)
    image.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))    # the stored left half red
    exif = Image.Exif()
    exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (36.0, 4.0, 0.0), 3: "E", 4: (120.0, 22.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_alpha(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 50, 50, 0)).save(out, "PNG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size it does not hold: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def photo_site(root: Path, files: dict[str, bytes] | None = None, body: str = BODY,
               front: dict[str, str] | None = None, config: str = MINIMAL_CONFIG) -> Path:
    create_site(root, {"2024/07/loans.md": article("贷款余额增长", "上半年贷款余额增长。银行信贷。",
                                                   date="2024-07-20")}, config)
    folder = root / "content" / BUNDLE
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(article("雁山科技生态城建设提速", body, **(front or {})),
                                     encoding="utf-8")
    for name, data in (files if files is not None else
                       {"yanshan.jpg": jpeg(orientation=6), "工地.png": png_with_alpha()}).items():
        (folder / name).write_bytes(data)
    return root


def builder(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(site, output) of a site with a page bundle of two photos."""
    root = photo_site(tmp_path_factory.mktemp("photos") / "site")
    out = root / "_site"
    result = build(root, out=out)
    assert not result.warnings
    return root, out


# -- what a photo file is --------------------------------------------------------------

def test_probe_reads_the_size_as_shown(tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg((300, 200), orientation=6))
    (tmp_path / "b.jpg").write_bytes(jpeg((300, 200), orientation=1))
    turned, upright = (probe(tmp_path / n, tmp_path, PhotoConfig()) for n in ("a.jpg", "b.jpg"))
    assert (turned.width, turned.height, turned.problem) == (200, 300, "")
    assert (upright.width, upright.height) == (300, 200)


@pytest.mark.parametrize(("data", "expected"), [
    (b"not a photo at all", "not a photo that can be read"),
    (png_header(60_000, 60_000), "more than 2 megapixels, the limit (photos.max_megapixels"),
    (png_header(1000, 3000), "more than 2 megapixels, the limit"),
    (b"\0" * (3 * 1024 * 1024), "larger than the limit of 2 MB (photos.max_mb"),
])
def test_probe_refuses_what_cannot_be_published(tmp_path, data, expected):
    (tmp_path / "x.jpg").write_bytes(data)
    photo = probe(tmp_path / "x.jpg", tmp_path, PhotoConfig(max_megapixels=2, max_mb=2))
    assert expected in photo.problem
    assert bool(photo.hint) == ("limit" in expected)   # else: replace the file (the default)


def test_probe_names_a_format_it_does_not_publish(tmp_path):
    Image.new("RGB", (10, 10)).save(tmp_path / "x.bmp", "BMP")
    assert "a BMP file" in probe(tmp_path / "x.bmp", tmp_path, PhotoConfig()).problem


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 9000), height=st.integers(1, 9000),
       widths=st.lists(st.integers(16, 8192), min_size=1, max_size=6, unique=True))
def test_versions_are_never_wider_than_the_photo_and_keep_its_shape(width, height, widths):
    config = PhotoConfig(widths=tuple(sorted(widths)))
    photo = Photo("a.jpg", "ab" * 32, width, height)
    made = versions(photo, config)
    shown = {v.width for v in made}
    assert max(shown) == min(width, max(widths))     # all there is, up to the largest asked
    assert shown <= {*widths, width}
    assert len(made) == len(shown) * len(config.formats)
    for v in made:
        exact = height * v.width / width
        assert v.width <= width and (abs(v.height - exact) <= 0.5 + 1e-9 or v.height == 1 > exact)
    card = og_version(photo)
    assert card.width <= max(1200, 1) and card.width <= width and card.height <= height


def test_encode_turns_strips_and_sizes_every_version():
    data = jpeg((3000, 2000), orientation=6)
    photo = Photo("a.jpg", "00", 2000, 3000)
    files = encode(data, photo, PhotoConfig())
    expected = {v.path: v for v in versions(photo, PhotoConfig())}
    assert set(files) == set(expected) | {og_version(photo).path}
    for path, version in expected.items():
        image = Image.open(io.BytesIO(files[path]))
        assert image.size == (version.width, version.height)
        assert image.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[version.format]
        assert not image.getexif() and "icc_profile" not in image.info   # no GPS, no metadata
    shown = Image.open(io.BytesIO(files[f"{photo.folder}/480.jpg"])).convert("RGB")
    red, blue = shown.getpixel((240, 60)), shown.getpixel((240, 660))
    assert red[0] > 180 > red[2] and blue[2] > 150 > blue[0]   # the stored left half is on top
    card = Image.open(io.BytesIO(files[og_version(photo).path]))
    assert card.size == (1200, 630)


def swapped_profile() -> bytes:
    """An ICC profile (v2, matrix and curves) whose red and green primaries are sRGB's
    green and red: a photo's colour is only right when the profile is applied."""
    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"    # gamma 2.2
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", 8) + b"swapped\0" + b"\0" * 79
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, tag in tags:
        data += b"\0" * (-(offset + len(data)) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(tag))
        data += tag
    body = struct.pack(">I", len(tags)) + table + data
    return (struct.pack(">I", 128 + len(body)) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntr"
            + b"RGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28
            + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48 + body)


def test_colour_is_brought_to_srgb():
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (255, 0, 0)).save(out, "JPEG", quality=95,
                                                   icc_profile=swapped_profile())
    files = encode(out.getvalue(), Photo("a.jpg", "33", 600, 400), PhotoConfig())
    for path in ("photos/33/480.jpg", "photos/33/600.webp", "photos/33/og.jpg"):
        shown = Image.open(io.BytesIO(files[path]))
        red, green, _ = shown.convert("RGB").getpixel((100, 100))
        assert green > 200 and red < 60, path     # what the profile means, not its numbers
        assert "icc_profile" not in shown.info


def test_transparency_goes_on_white_in_jpeg_and_stays_in_webp():
    files = encode(png_with_alpha(), Photo("a.png", "11", 800, 600), PhotoConfig())
    flat = Image.open(io.BytesIO(files["photos/11/800.jpg"])).convert("RGB")
    assert flat.getpixel((10, 10)) == (255, 255, 255)
    assert Image.open(io.BytesIO(files["photos/11/800.webp"])).mode == "RGBA"


def test_pixels_that_cannot_be_read_are_a_value_error():
    whole = jpeg((1200, 800))
    with pytest.raises(ValueError, match="damaged"):
        encode(whole[:3000], Photo("a.jpg", "22", 1200, 800), PhotoConfig())


# -- Markdown ------------------------------------------------------------------------------

def test_a_photo_alone_is_a_figure_with_the_caption_after_it_in_one_block():
    markdown = Markdown()
    tokens = markdown.parse("前文。\n\n![图](a.jpg)\n\n::: caption\n图说。\n:::\n\n文中 ![小](b.jpg) 图。\n")
    images = markdown.images(tokens)
    assert [(i.src, i.alt, i.figure, i.captioned, i.line) for i in images] == [
        ("a.jpg", "图", True, True, 2), ("b.jpg", "小", False, False, 8)]
    blocks = [b.html for b in markdown.render_blocks(tokens, str, "x", lambda i: f"<IMG {i.src}>")]
    assert blocks[1] == ('<figure class="photo">\n<IMG a.jpg><figcaption>\n<p>图说。</p>\n'
                         '</figcaption>\n</figure>\n')
    assert blocks[2] == "<p>文中 <IMG b.jpg> 图。</p>\n"


# -- a site with photos --------------------------------------------------------------------

def test_the_article_shows_its_photos_in_both_editions(built):
    _, out = built
    for edition, alt, caption in (("zh-hans", "雁山科技生态城项目效果图", "雁山科技生态城项目效果图。"),
                                  ("zh-hant", "雁山科技生態城項目效果圖", "雁山科技生態城項目效果圖。")):
        page = soup(out / edition / "articles/yanshan/index.html")
        figures = page.select("article .body figure.photo")
        assert len(figures) == 2
        lead, other = (f.select_one("img") for f in figures)
        assert lead["alt"] == alt and figures[0].figcaption.get_text(strip=True) == caption
        assert lead.get("fetchpriority") == "high" and not lead.get("loading")
        assert other["loading"] == "lazy" and other["decoding"] == "async"
        assert figures[1].figcaption.get_text(strip=True) in ("施工现场一角。", "施工現場一角。")
        assert (int(lead["width"]), int(lead["height"])) == (1600, 2400)    # turned upright
        assert [s["type"] for s in figures[0].select("source")] == ["image/avif", "image/webp"]
        assert lead["src"].startswith("/news/photos/") and lead["src"].endswith(".jpg")
        assert all(url.startswith("/news/photos/") for url in srcset_urls(lead["srcset"]))
        assert "\0" not in (out / edition / "articles/yanshan/index.html").read_text(encoding="utf-8")
        parallel = soup(out / edition / "articles/yanshan/parallel/index.html")
        assert len(parallel.select(".rows figure.photo img")) == 4     # both columns


def test_the_lead_photo_is_on_cards_feeds_and_social_cards(built):
    _, out = built
    article = soup(out / "zh-hant/articles/yanshan/index.html")
    social = article.select_one('meta[property="og:image"]')["content"]
    assert social.startswith("https://example.org/news/photos/") and social.endswith("/og.jpg")
    assert Image.open(out / social.removeprefix("https://example.org/news/")).size == (1200, 630)
    assert article.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
    data = json.loads(article.select_one('script[type="application/ld+json"]').string)
    assert data["image"][0] == social and all((out / u.removeprefix("https://example.org/news/")).is_file()
                                              for u in data["image"])
    plain = soup(out / "zh-hant/articles/loans/index.html")
    assert plain.select_one('meta[name="twitter:card"]')["content"] == "summary"
    assert not plain.select('meta[property="og:image"]')
    listing = soup(out / "zh-hant/archive/2024/07/index.html")
    thumbs = listing.select(".cards .card .thumb img")
    assert len(thumbs) == 1 and thumbs[0]["alt"] == "雁山科技生態城項目效果圖"
    assert thumbs[0]["loading"] == "lazy" and thumbs[0]["width"] and thumbs[0]["height"]
    front = soup(out / "zh-hant/index.html").select_one(".lead picture img")
    assert front["fetchpriority"] == "high" and front["src"] == thumbs[0]["src"]
    feed = (out / "zh-hant/feed.xml").read_text(encoding="utf-8")
    assert 'rel="enclosure" type="image/jpeg" href="https://example.org/news/photos/' in feed
    assert "srcset=&#34;https://example.org/news/photos/" in feed or \
        "srcset=&quot;https://example.org/news/photos/" in feed
    assert "&#34;/news/photos" not in feed and "&quot;/news/photos" not in feed


def test_every_candidate_resolves_and_no_published_file_keeps_metadata(built):
    _, out = built
    assert check_site(out, "https://example.org/news/") == []
    published = sorted((out / "photos").rglob("*.*"))
    assert len(published) == 3 * 3 + 1 + 2 * 3     # 3 widths, 2 of the PNG (480, 800), 1 card
    for path in published:
        assert not Image.open(path).getexif()


def test_a_missing_candidate_is_reported_by_check(built, tmp_path):
    _, out = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    victim = next((copy / "photos").rglob("960.webp"))
    victim.unlink()
    broken = check_site(copy, "https://example.org/news/")
    assert broken and all(b.url.endswith("/960.webp") for b in broken)


def test_a_rebuild_never_encodes_an_unchanged_photo_again(built, tmp_path):
    root, out = built
    entries = {p: p.stat().st_mtime_ns for p in (root / ".cache/photos").rglob("*") if p.is_file()}
    assert entries
    result = build(root, out=tmp_path / "clean", clean=True)
    assert result.full and not result.warnings
    assert {p: p.stat().st_mtime_ns for p in (root / ".cache/photos").rglob("*")
            if p.is_file()} == entries
    assert snapshot(tmp_path / "clean" / "photos") == snapshot(out / "photos")


def test_a_damaged_cache_entry_is_encoded_again(tmp_path):
    root = photo_site(tmp_path / "site")
    build(root, out=tmp_path / "first")
    good = snapshot(tmp_path / "first" / "photos")
    for entry in (root / ".cache/photos").iterdir():
        damaged = next(entry.glob("480.jpg"))
        damaged.write_bytes(damaged.read_bytes()[:100])
    build(root, out=tmp_path / "second", clean=True)
    assert snapshot(tmp_path / "second" / "photos") == good


def test_a_replaced_photo_is_published_and_the_old_one_removed(tmp_path):
    """The bundle's files are stamped together: a photo replaced by an older file (a copy
    that keeps its time), with index.md untouched, still reads the article again."""
    root = photo_site(tmp_path / "site")
    folder = root / "content" / BUNDLE
    for path in folder.iterdir():   # long ago: a stamp the engine trusts
        os.utime(path, ns=(1_600_000_000_000_000_000,) * 2)
    out = tmp_path / "out"
    build(root, out=out)
    before = {p.parent.name for p in (out / "photos").rglob("*.jpg")}
    (folder / "yanshan.jpg").write_bytes(jpeg((2000, 1500), color=(10, 200, 10)))
    os.utime(folder / "yanshan.jpg", ns=(1_500_000_000_000_000_000,) * 2)
    result = build(root, out=out)
    assert not result.full
    after = {p.parent.name for p in (out / "photos").rglob("*.jpg")}
    assert len(after) == 2 and len(before & after) == 1     # the PNG stays, the JPEG is new
    lead = soup(out / "zh-hans/articles/yanshan/index.html").select_one("figure img")
    assert (lead["width"], lead["height"]) == ("1600", "1200")
    build(root, out=tmp_path / "clean", clean=True)
    assert snapshot(out) == snapshot(tmp_path / "clean")


def test_front_matter_image_picks_the_lead_photo(tmp_path):
    root = photo_site(tmp_path / "site", front={"image": '"工地.png"'})
    build(root, out=tmp_path / "out")
    social = soup(tmp_path / "out/zh-hans/articles/yanshan/index.html").select_one(
        'meta[property="og:image"]')["content"]
    page = soup(tmp_path / "out/zh-hans/articles/yanshan/index.html")
    jpg, png = (f.select_one("img") for f in page.select("figure.photo"))
    assert png["src"].split("/")[3] == social.split("/")[-2]
    assert png.get("fetchpriority") == "high" and jpg["loading"] == "lazy"


def test_a_lead_photo_the_body_does_not_show_is_the_cover(tmp_path):
    root = photo_site(tmp_path / "site", files={"yanshan.jpg": jpeg((800, 600)),
                                                "工地.png": png_with_alpha(), "cover.jpg": jpeg((1000, 700))},
                      front={"image": '"cover.jpg"'})
    result = build(root, out=tmp_path / "out")
    assert not result.warnings
    page = soup(tmp_path / "out/zh-hant/articles/yanshan/index.html")
    cover = page.select_one("article .cover img")
    assert cover["fetchpriority"] == "high" and cover["alt"] == "雁山科技生態城建設提速"  # the title
    assert [img["loading"] for img in page.select("article .body img")] == ["lazy", "lazy"]
    plain = soup(tmp_path / "out/zh-hant/articles/loans/index.html")
    assert not plain.select(".cover")


def test_a_photo_the_article_does_not_show_is_a_warning(tmp_path):
    root = photo_site(tmp_path / "site", files={"yanshan.jpg": jpeg((800, 600)),
                                                "工地.png": png_with_alpha(), "spare.jpg": jpeg((400, 300))})
    result = build(root, out=tmp_path / "out")
    assert [(n.path.name, "not published" in n.message) for n in result.warnings] == [("spare.jpg", True)]
    assert check_site(tmp_path / "out", "https://example.org/news/") == []


@pytest.mark.parametrize(("files", "body", "front", "expected"), [
    ({"yanshan.jpg": jpeg((800, 600))}, BODY, None,
     "index.md:16: error: image '工地.png' is not beside the article"),
    ({"yanshan.jpg": b"not a photo", "工地.png": png_with_alpha()}, BODY, None,
     "index.md:8: error: photo 'yanshan.jpg': not a photo that can be read"),
    ({"yanshan.jpg": jpeg((1200, 800))[:3000], "工地.png": png_with_alpha()}, BODY, None,
     "index.md:8: error: photo 'yanshan.jpg': its pixels cannot be read"),
    ({"yanshan.jpg": png_header(60_000, 60_000), "工地.png": png_with_alpha()}, BODY, None,
     "index.md:8: error: photo 'yanshan.jpg': more than 50 megapixels, the limit"),
    ({}, "正文。\n\n![远方](https://example.com/x.jpg)\n", None,
     "index.md:8: error: image 'https://example.com/x.jpg' is on another site"),
    ({"yanshan.jpg": jpeg((800, 600)), "工地.png": png_with_alpha()}, BODY, {"image": '"nope.jpg"'},
     "index.md:4: error: `image` names 'nope.jpg', which is not beside the article"),
])
def test_a_bad_photo_is_one_message_and_the_site_stays_as_it_was(tmp_path, files, body, front,
                                                                 expected):
    root = photo_site(tmp_path / "site", files={"yanshan.jpg": jpeg((800, 600)),
                                                "工地.png": png_with_alpha()})
    out = tmp_path / "out"
    assert not build(root, out=out).warnings
    published = snapshot(out)
    shutil.rmtree(root / "content" / BUNDLE)
    folder = root / "content" / BUNDLE
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(article("雁山科技生态城建设提速", body, **(front or {})),
                                     encoding="utf-8")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    result = builder("build", "--root", str(root), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1 and "hint:" in result.stderr
    assert snapshot(out) == published


def test_an_article_that_is_not_a_bundle_has_no_photos(tmp_path):
    root = create_site(tmp_path / "site", {"a.md": article("图片", "正文。\n\n![图](a.jpg)\n")})
    (root / "content/a.jpg").write_bytes(jpeg((400, 300)))
    result = builder("build", "--root", str(root))
    assert result.returncode == 1
    assert "content/a.md:8: error: image 'a.jpg': only a page bundle has photos" in result.stderr
    assert "content/a/index.md" in result.stderr


def test_photo_settings_are_checked(tmp_path):
    root = photo_site(tmp_path / "site", config=MINIMAL_CONFIG + (
        '[photos]\nwidths = [8]\nformats = ["gif"]\nquality = { jpeg = 0 }\nsize = "x"\n'))
    result = builder("build", "--root", str(root))
    assert result.returncode == 1
    for key in ("photos.widths", "photos.formats", "photos.quality", "size"):
        assert key in result.stderr


def test_photo_settings_shape_the_html(tmp_path):
    root = photo_site(tmp_path / "site", config=MINIMAL_CONFIG + (
        '[photos]\nwidths = [320, 640]\nformats = ["webp", "jpeg"]\nsizes = "50vw"\n'))
    build(root, out=tmp_path / "out")
    img = soup(tmp_path / "out/zh-hans/articles/yanshan/index.html").select_one("figure img")
    assert [u.rsplit("/", 1)[1] for u in srcset_urls(img["srcset"])] == ["320.jpg", "640.jpg"]
    assert img["sizes"] == "50vw" and img.find_previous("source")["type"] == "image/webp"


# -- in the browser --------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [{"width": 375, "height": 812}, {"width": 1280, "height": 900}])
def test_photos_hold_their_place_before_they_load_and_every_candidate_loads(browser, built,
                                                                            tmp_path, viewport):
    """Served under a sub-path by a plain static server: while the photos are held back,
    each takes its final height already (no layout shift when it arrives); then every
    srcset candidate of every format loads."""
    from .conftest import static_server

    _, out = built
    www = tmp_path / "www"
    shutil.copytree(out, www / "news")
    with static_server(www, "/news/") as origin:
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        held: list = []
        page.route("**/photos/**", lambda route: held.append(route))
        page.goto(f"{origin}/news/zh-hans/articles/yanshan/", wait_until="domcontentloaded")
        boxes = page.eval_on_selector_all("article .body figure img", """imgs => imgs.map(i => {
            const box = i.getBoundingClientRect();
            return [box.width, box.height, i.naturalWidth, +i.getAttribute('width'),
                    +i.getAttribute('height')]; })""")
        assert len(boxes) == 2
        for width, height, natural, w, h in boxes:
            assert natural == 0 and width > 0     # not loaded, yet laid out at its shape
            assert abs(height - width * h / w) < 1.5
        page.evaluate("""() => { window.shifts = 0; new PerformanceObserver(list => {
            for (const e of list.getEntries()) window.shifts += e.value; })
            .observe({type: 'layout-shift', buffered: true}); }""")
        for route in held:
            route.continue_()
        page.unroute("**/photos/**")
        page.wait_for_function("""() => [...document.querySelectorAll('article .body img')]
            .every(i => i.complete && i.naturalWidth > 0)""")
        assert page.evaluate("window.shifts") < 0.01
        candidates = page.eval_on_selector_all("picture source, picture img", """els => els.flatMap(
            e => e.srcset.split(',').map(c => c.trim().split(/\\s+/)[0]))""")
        assert len(candidates) >= 12
        for url in set(candidates):
            response = page.request.get(f"{origin}{url}")
            assert response.status == 200, url
            assert response.headers["content-type"].startswith("image/")
        context.close()


def rendering(size=(2400, 1500), kind: str = "JPEG") -> bytes:
    """An architect's rendering, drawn: sky, towers with windows, a park in front."""
    from PIL import ImageDraw

    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (sky.point(lambda v: 150 + v // 3), sky.point(lambda v: 190 + v // 5),
                                Image.new("L", size, 245)))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.72)
    for number in range(11):
        left = int(width * (0.04 + number * 0.088))
        top = int(height * (0.18 + ((number * 37) % 9) * 0.05))
        right = left + int(width * 0.07)
        shade = 90 + (number * 23) % 70
        draw.rectangle((left, top, right, horizon), fill=(shade, shade + 20, shade + 45))
        for y in range(top + 20, horizon - 20, 34):
            for x in range(left + 14, right - 14, 30):
                draw.rectangle((x, y, x + 14, y + 18), fill=(235, 225, 170))
    draw.rectangle((0, horizon, width, height), fill=(92, 150, 88))
    for x in range(40, width, 150):
        draw.ellipse((x, horizon - 40, x + 110, horizon + 60), fill=(52, 112, 60))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def test_screenshot_of_an_article_with_photos(browser, tmp_path):
    """For the README: `BUILDER_SCREENSHOTS=docs/screenshots make test` refreshes it."""
    from .conftest import static_server

    root = photo_site(tmp_path / "site", files={"yanshan.jpg": rendering(),
                                                "工地.png": rendering((1000, 640), "PNG")})
    build(root, out=tmp_path / "www" / "news")
    folder = Path(os.environ.get("BUILDER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    with static_server(tmp_path / "www", "/news/") as origin:
        context = browser.new_context(viewport={"width": 900, "height": 1100}, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{origin}/news/zh-hant/articles/yanshan/", wait_until="networkidle")
        chosen = page.eval_on_selector("figure img", "i => i.currentSrc")
        assert chosen.endswith(".avif")     # Chromium takes the first format it knows
        page.screenshot(path=str(folder / "article-photo.png"))
        context.close()
    data = (folder / "article-photo.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_pages_with_photos_are_valid_html(built):
    from .test_deploy import VNU

    if not VNU.is_file() or not shutil.which("java"):
        message = "the Nu Html Checker needs Java and `npm ci` (make test runs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    _, out = built
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html",
                             "--format", "json", str(out)], capture_output=True, text=True,
                            timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [m for m in messages if m.get("type") == "error"] == []
    assert soup(out / "zh-hans/articles/yanshan/index.html").select("picture source")
