"""Photos: how fast the encoder is, and what a build with photos costs.

    .venv/bin/python bench/photos.py              # 100 photos of 12 megapixels
    .venv/bin/python bench/photos.py --count 10   # a quick look

Writes N camera-like JPEGs (4000×3000, noise over gradients, EXIF orientation and
GPS), then, each in a process of its own so peak memory is its own:
- pillow: builder's encoder (`builder.photos.encode`: every width in AVIF, WebP and
  JPEG, and the social card) over the photos one after another, on one core;
- pyvips: the same versions with libvips (`pip install pyvips pyvips-binary`), for
  comparison; skipped when it is not installed;
- build: a site of N page bundles, one photo each, built cold on every core, then
  built again from a clean output with the encoding cache kept (`--force`).
Prints photos per second, CPU seconds per photo and peak RSS (max RSS of the process).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (4000, 3000)


def make_photos(folder: Path, count: int) -> list[Path]:
    from PIL import Image, ImageChops

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    gradient = Image.linear_gradient("L").resize(SIZE)
    for number in range(count):
        path = folder / f"p{number:03d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        noise = Image.effect_noise(SIZE, 30 + number % 20)
        channels = [ImageChops.add(gradient.rotate(90 * k, expand=False), noise, scale=2)
                    for k in range(3)]
        exif = Image.Exif()
        exif[0x0112] = 6 if number % 4 == 0 else 1
        exif[0x8825] = {1: "N", 2: (36.0, 4.0, 0.0), 3: "E", 4: (120.0, 22.0, 0.0)}
        Image.merge("RGB", channels).save(path, "JPEG", quality=90, exif=exif)
    return paths


def run_pillow(paths: list[Path]) -> int:
    from builder.config import PhotoConfig
    from builder.photos import encode, probe

    config, written = PhotoConfig(), 0
    for path in paths:
        photo = probe(path, path.parent, config)
        written += sum(len(data) for data in encode(path.read_bytes(), photo, config).values())
    return written


def run_pyvips(paths: list[Path]) -> int:
    import pyvips

    from builder.config import PhotoConfig

    config, written = PhotoConfig(), 0
    save = {"avif": ".avif[Q={q},effort=2,strip]", "webp": ".webp[Q={q},strip]",
            "jpeg": ".jpg[Q={q},optimize_coding,interlace,strip]"}
    for path in paths:
        for width in config.widths:
            image = pyvips.Image.thumbnail(str(path), width, size="down").copy_memory()
            for kind in config.formats:
                written += len(image.write_to_buffer(save[kind].format(q=config.quality[kind])))
        card = pyvips.Image.thumbnail(str(path), 1200, height=630, crop="centre")
        written += len(card.write_to_buffer(save["jpeg"].format(q=config.quality["jpeg"])))
    return written


def measure(kind: str, folder: Path, count: int) -> dict:
    paths = make_photos(folder, count)
    started = time.perf_counter()
    written = {"pillow": run_pillow, "pyvips": run_pyvips}[kind](paths)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"kind": kind, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "bytes": written, "count": count}


def child(kind: str, folder: Path, count: int) -> dict | None:
    result = subprocess.run([sys.executable, __file__, "--child", kind, "--folder", str(folder),
                             "--count", str(count)], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"{kind}: skipped ({result.stderr.strip().splitlines()[-1]})")
        return None
    return json.loads(result.stdout)


def site_build(folder: Path, paths: list[Path]) -> tuple[float, float, float]:
    """(cold seconds, again from a clean output with the cache, peak RSS of the cold build)."""
    site = folder / "site"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text('title = "图片"\nbase_url = "https://example.org/news/"\n',
                                    encoding="utf-8")
    for number, path in enumerate(paths):
        bundle = site / "content" / f"photo-{number:03d}"
        bundle.mkdir()
        shutil.copy(path, bundle / "photo.jpg")
        (bundle / "index.md").write_text(
            f'+++\ntitle = "第{number}张照片"\ndate = 2024-07-{1 + number % 28:02d}\n+++\n\n'
            "现场照片。\n\n![现场](photo.jpg)\n", encoding="utf-8")
    for source in ("templates", "static"):
        shutil.copytree(HERE.parent / source, site / source)
    builder = [str(Path(sys.executable).parent / "builder"), "build", "--root", str(site)]
    times = []
    rss = 0.0
    for extra in ([], ["--force"]):
        if extra:
            shutil.rmtree(site / "_site")
        started = time.perf_counter()
        process = subprocess.Popen([*builder, *extra], stdout=subprocess.DEVNULL)
        _, status, usage = __import__("os").wait4(process.pid, 0)
        times.append(time.perf_counter() - started)
        assert status == 0, "the build failed"
        rss = max(rss, usage.ru_maxrss / 1024) if not extra else rss
    return times[0], times[1], rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "builder-photos")
    parser.add_argument("--child", choices=("pillow", "pyvips"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.folder, args.count)))
        return
    paths = make_photos(args.folder / "photos", args.count)
    print(f"{args.count} photos of {SIZE[0]}×{SIZE[1]} in {args.folder / 'photos'}")
    for kind in ("pillow", "pyvips"):
        found = child(kind, args.folder / "photos", args.count)
        if found:
            print(f"{kind:7} one core: {found['count'] / found['seconds']:.2f} photos/s, "
                  f"{found['cpu'] / found['count']:.2f} CPU s a photo, peak {found['rss_mb']:.0f} MB, "
                  f"{found['bytes'] / found['count'] / 1024:.0f} kB written a photo")
    cold, again, rss = site_build(args.folder, paths)
    print(f"build of {args.count} bundles, every core: cold {cold:.1f} s "
          f"({args.count / cold:.2f} photos/s), peak {rss:.0f} MB; "
          f"again from a clean output with the cache: {again:.1f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
