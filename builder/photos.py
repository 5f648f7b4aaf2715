"""Photos of page bundles: what a photo file is (`probe`), the versions a site publishes
of it (`versions`), their encoding (`encode`, cached by `PhotoCache`) and the HTML that
shows them (`picture_html`).

A photo is published under `photos/<digest of its bytes>/`, once for both editions and
every page that shows it. The HTML made at derive time names the site's root with
`ROOT`, which the page (base path) or the feed (base URL) fills in: building for another
URL reuses every derived article, as for text.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import PIL
from PIL import Image, ImageCms, ImageOps

from .config import PhotoConfig
from .inputs import source_problem
from .records import record

# what Pillow reports for the files accepted (MPO: a camera's JPEG with a preview inside)
_READABLE = {"JPEG", "MPO", "PNG", "WEBP", "AVIF", "GIF"}
_EXTENSION = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
OG_SIZE = (1200, 630)    # what Open Graph and X cards show large
FOLDER = "photos"        # in the output
# Written at derive time where the site's root goes; markdown-it turns a NUL in an
# article into U+FFFD, so no text can hold it.
ROOT = "\x00"
# The encoded bytes depend on this code and Pillow's, not on the rest of the builder: a
# new builder version must not encode an archive's photos again. Change it with `encode`.
ENCODER = f"1/pillow-{PIL.__version__}"


@record
class Photo:
    """A photo file of a page bundle, as the load stage found it."""

    name: str           # the file's name in the bundle
    digest: str         # of its bytes: names its published versions
    width: int          # as shown, EXIF orientation applied
    height: int
    problem: str = ""   # why it cannot be published; "" when it can
    hint: str = ""      # what to do about it

    @property
    def folder(self) -> str:
        return f"{FOLDER}/{self.digest[:20]}"


@dataclass(frozen=True)
class Version:
    """One published file of a photo."""

    path: str           # in the output
    width: int
    height: int
    format: str         # "avif", "webp" or "jpeg"


def versions(photo: Photo, config: PhotoConfig) -> tuple[Version, ...]:
    """Every width of `config` up to the photo's own, and the photo's own when it is
    narrower than the largest (a screen that wants more gets all there is), in every
    format."""
    widths = sorted({*(w for w in config.widths if w < photo.width),
                     min(photo.width, config.widths[-1])})
    return tuple(Version(f"{photo.folder}/{w}.{_EXTENSION[f]}", w, _height(photo, w), f)
                 for f in config.formats for w in widths)


def og_version(photo: Photo) -> Version:
    """The card social networks show: OG_SIZE, cropped from the middle, or as large as
    the photo allows at that shape."""
    scale = min(1.0, photo.width / OG_SIZE[0], photo.height / OG_SIZE[1])
    width, height = max(1, round(OG_SIZE[0] * scale)), max(1, round(OG_SIZE[1] * scale))
    return Version(f"{photo.folder}/og.jpg", width, height, "jpeg")


def published(photo: Photo, config: PhotoConfig, lead: bool) -> tuple[Version, ...]:
    """The files the output holds for a photo; the lead photo's social card too."""
    return versions(photo, config) + ((og_version(photo),) if lead else ())


def _height(photo: Photo, width: int) -> int:
    return max(1, round(photo.height * width / photo.width))


# -- the load stage: what a file is -----------------------------------------------------

def probe(path: Path, root: Path, config: PhotoConfig) -> Photo:
    """The photo at `path`, or one whose `problem` says why it cannot be published. Reads
    the bytes once (for the digest) and the header (for the size), never the pixels."""
    name = path.name
    problem = source_problem(path, root, path.relative_to(root))
    if problem is not None:
        return Photo(name, "", 0, 0, problem.message)
    limit = config.max_mb * 1024 * 1024
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return Photo(name, "", 0, 0, f"cannot read it: {exc.strerror}")
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > limit:
        return Photo(name, digest, 0, 0, f"larger than the limit of {config.max_mb} MB "
                     "(photos.max_mb in site.toml)", LIMIT_HINT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in _READABLE:
                    return Photo(name, digest, 0, 0,
                                 f"a {kind} file: photos must be JPEG, PNG, WebP, AVIF or GIF")
                if width * height > config.max_megapixels * 1_000_000:
                    return Photo(name, digest, 0, 0, _too_large(config), LIMIT_HINT)
                turned = _orientation(image) in (5, 6, 7, 8)    # shown a quarter turn round
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Photo(name, digest, 0, 0, _too_large(config), LIMIT_HINT)
    except Exception:   # Pillow raises many kinds for a damaged or foreign file
        return Photo(name, digest, 0, 0, "not a photo that can be read: damaged, or not an image")
    return Photo(name, digest, *((height, width) if turned else (width, height)))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation, from the header alone: Pillow's `getexif` on a PNG decodes
    the whole image to look for EXIF after the pixels."""
    if image.format != "PNG":
        return image.getexif().get(0x0112, 1)
    exif = Image.Exif()
    if image.info.get("exif"):
        exif.load(image.info["exif"])
    return exif.get(0x0112, 1)


LIMIT_HINT = ("make the photo smaller (a web page needs no more than 2,000 pixels a side), "
              "or raise the limit")
REPLACE_HINT = "replace the file with a JPEG, PNG, WebP or AVIF photo, or take it out of the article"


def _too_large(config: PhotoConfig) -> str:
    return (f"more than {config.max_megapixels} megapixels, the limit "
            "(photos.max_megapixels in site.toml)")


# -- encoding ---------------------------------------------------------------------------

def encode(data: bytes, photo: Photo, config: PhotoConfig) -> dict[str, bytes]:
    """Every version of the photo (`published(…, lead=True)`), by output path: EXIF
    orientation applied, colour in sRGB, no metadata (no GPS) kept. Raises ValueError
    when the pixels cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            largest = max(v.width for v in versions(photo, config))
            need = max(largest / photo.width, *(s / d for s, d in zip(
                OG_SIZE, (photo.width, photo.height), strict=True)))
            if opened.format in ("JPEG", "MPO"):   # decode at a fraction of the size (fast)
                opened.draft("RGB", (round(opened.width * min(1.0, need)),
                                     round(opened.height * min(1.0, need))))
            image = _srgb(ImageOps.exif_transpose(opened))
    except Exception as exc:
        raise ValueError("its pixels cannot be read: the file is damaged") from exc
    files: dict[str, bytes] = {}
    for version in published(photo, config, lead=True):
        if version.path.endswith("/og.jpg"):
            sized = ImageOps.fit(image, (version.width, version.height), Image.Resampling.LANCZOS)
        else:
            sized = image.resize((version.width, version.height), Image.Resampling.LANCZOS,
                                 reducing_gap=3.0)
        files[version.path] = _save(sized, version.format, config.quality[version.format])
    return files


def _srgb(image: Image.Image) -> Image.Image:
    """RGB (RGBA when it has transparency) in sRGB, without the source's metadata."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "L", "CMYK"):
        image = image.convert(mode)
    if profile:     # a broken profile: the pixels as they are
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"), outputMode=mode)
    image = image.convert(mode)
    image.info = {}
    return image


def _save(image: Image.Image, kind: str, quality: int) -> bytes:
    out = io.BytesIO()
    if kind == "jpeg":
        if image.mode == "RGBA":    # JPEG has no transparency: on white, as a page shows it
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif kind == "webp":
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        image.save(out, "AVIF", quality=quality, speed=8)
    return out.getvalue()


def encoding_key(config: PhotoConfig) -> str:
    """What the encoded bytes depend on besides the photo."""
    return hashlib.sha256(repr((ENCODER, config.widths, config.formats,
                                sorted(config.quality.items()))).encode()).hexdigest()[:16]


class PhotoCache:
    """Encoded versions, in `<root>/.cache/photos/<photo digest>-<encoding key>/`, each
    entry with a manifest of its files' digests: a damaged entry is encoded again, never
    published. When the cache cannot be written, a temporary folder stands in for it for
    the run."""

    def __init__(self, folder: Path, config: PhotoConfig):
        self.key = encoding_key(config)
        self.config = config
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe_file = folder / ".write-test"
            probe_file.write_bytes(b"")
            probe_file.unlink()
            self.folder, self.temporary = folder, False
        except OSError:
            self.folder, self.temporary = Path(tempfile.mkdtemp(prefix="builder-photos-")), True

    def entry(self, photo: Photo) -> Path:
        return self.folder / f"{photo.digest}-{self.key}"

    def file(self, photo: Photo, version: Version) -> Path:
        return self.entry(photo) / version.path.rsplit("/", 1)[1]

    def valid(self, photo: Photo) -> bool:
        """Every file of the entry is there, with the bytes its manifest names."""
        try:
            lines = (self.entry(photo) / "MANIFEST").read_text(encoding="utf-8").splitlines()
            expected = {v.path.rsplit("/", 1)[1] for v in published(photo, self.config, True)}
            found = dict(line.split(" ", 1) for line in lines)
            return set(found) == expected and all(
                hashlib.sha256((self.entry(photo) / name).read_bytes()).hexdigest() == digest
                for name, digest in found.items())
        except (OSError, ValueError, UnicodeDecodeError):
            return False

    def store(self, photo: Photo, files: dict[str, bytes]) -> None:
        """Written to a new folder, then renamed in: a killed build leaves no half entry."""
        entry = self.entry(photo)
        draft = Path(tempfile.mkdtemp(prefix=".new-", dir=self.folder))
        manifest = []
        for path, data in sorted(files.items()):
            name = path.rsplit("/", 1)[1]
            (draft / name).write_bytes(data)
            manifest.append(f"{name} {hashlib.sha256(data).hexdigest()}\n")
        (draft / "MANIFEST").write_text("".join(manifest), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(draft, entry)

    def prune(self, used: Iterable[Photo]) -> None:
        """Remove the entries of photos no article shows any more."""
        keep = {self.entry(photo).name for photo in used}
        try:
            for child in self.folder.iterdir():
                if child.name not in keep:
                    shutil.rmtree(child, ignore_errors=True)
        except OSError:
            pass

    def close(self) -> None:
        if self.temporary:
            shutil.rmtree(self.folder, ignore_errors=True)


# -- HTML -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Picture:
    """A photo's versions as a `<picture>` shows them, its links under `root`."""

    sources: tuple[tuple[str, str], ...]    # (format, srcset): every format but the last
    srcset: str         # the last format's, the one every browser shows: the `<img>`'s
    src: str            # the `<img src>`: that format at the width nearest a column of text
    largest: str        # that format's largest version, as a path in the output
    width: int          # of the largest version: the photo's shape
    height: int


def picture(photo: Photo, config: PhotoConfig, root: str = ROOT) -> Picture:
    made = versions(photo, config)

    def srcset(kind: str) -> str:
        return ", ".join(f"{root}{v.path} {v.width}w" for v in made if v.format == kind)

    own = [v for v in made if v.format == config.formats[-1]]
    shown = min(own, key=lambda v: (abs(v.width - 960), -v.width))
    return Picture(tuple((kind, srcset(kind)) for kind in config.formats[:-1]),
                   srcset(config.formats[-1]), root + shown.path, own[-1].path,
                   own[-1].width, own[-1].height)


def picture_html(photo: Photo, config: PhotoConfig, alt: str, lead: bool,
                 sizes: str | None = None, root: str = ROOT) -> str:
    """`<picture>` with a source per format; `alt` is plain text. The lead photo is
    fetched first; any other waits until it is near the screen."""
    sizes_attr = html.escape(sizes or config.sizes)
    shown = picture(photo, config, root)
    sources = "".join(f'<source type="{MIME[kind]}" srcset="{srcset}" sizes="{sizes_attr}">'
                      for kind, srcset in shown.sources)
    loading = ' fetchpriority="high"' if lead else ' loading="lazy"'
    return (f'<picture>{sources}<img src="{shown.src}" srcset="{shown.srcset}" '
            f'sizes="{sizes_attr}" width="{shown.width}" height="{shown.height}" '
            f'alt="{html.escape(alt)}"{loading} decoding="async"></picture>')


def rooted(text: str, root: str) -> str:
    """Derived HTML with the site's root filled in."""
    return text.replace(ROOT, root) if ROOT in text else text


BUNDLE_INDEX = "index.md"   # a folder with this article is a page bundle


def bundle_files(folder: Path) -> list[str]:
    """The names of the files beside a bundle's index.md: its photos, if the article
    shows them (any other file is found out when the article names it)."""
    try:
        return sorted(entry.name for entry in os.scandir(folder)
                      if not entry.name.startswith(".") and not entry.name.endswith(".md")
                      and not entry.is_dir(follow_symlinks=False))
    except OSError:
        return []


def bundle_photos(folder: Path, root: Path, config: PhotoConfig) -> tuple[Photo, ...]:
    return tuple(probe(folder / name, root, config) for name in bundle_files(folder))
