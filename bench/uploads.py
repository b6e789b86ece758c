"""What the content checks of uploads (atlaas/uploads.py) cost: wall time (median of 3) and peak
memory of one ``check_upload`` for a phone photo, images at the pixel limit, the 400-megapixel
bomb and a long PDF. Each file is made first; each check then runs in its own process, so that
its peak memory (above what reading the file took) is its own.

    .venv/bin/python bench/uploads.py
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")
os.environ.setdefault("DEBUG", "1")


def photo(width, height):
    """A photo-like image: noise over a gradient, which neither JPEG nor PNG shrinks to nothing."""
    from PIL import Image

    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    return Image.blend(image, Image.effect_noise((width, height), 40).convert("RGB"), 0.3)


def schema(width, height):
    """A diagram-like image: a few flat colours, which PNG compresses well."""
    from PIL import Image

    return Image.radial_gradient("L").resize((width, height)).quantize(16).convert("RGB")


def encoded(image, image_format):
    out = io.BytesIO()
    image.save(out, image_format, quality=90)
    return out.getvalue()


def cases():
    from tests.fichiers import bombe_png, pdf_bytes

    return {
        "photo.jpg": ("photo 12 Mpx JPEG (4000 × 3000)", lambda: encoded(photo(4000, 3000), "JPEG")),
        "grande.jpg": ("photo 40 Mpx JPEG (7300 × 5470)", lambda: encoded(photo(7300, 5470), "JPEG")),
        "bruit.png": ("photo 8 Mpx PNG (3260 × 2450)", lambda: encoded(photo(3260, 2450), "PNG")),
        "schema.png": ("schéma 40 Mpx PNG (7300 × 5470)", lambda: encoded(schema(7300, 5470), "PNG")),
        "bombe.png": ("bombe PNG 400 Mpx", bombe_png),
        "long.pdf": ("PDF de 200 pages", lambda: pdf_bytes(pages=200)),
    }


def run_case(path):
    """One check of the file at ``path``, three times, in this fresh process."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from atlaas.uploads import check_upload

    settings.UPLOAD_MAX_FILE_BYTES = 200 * 1024 * 1024  # the cost of decoding, whatever the size
    content = Path(path).read_bytes()
    before = peak_memory()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        try:
            stored = check_upload(SimpleUploadedFile(Path(path).name, content)).file
            outcome = f"accepté, {len(content) / 1e6:.1f} → {stored.size / 1e6:.1f} Mo"
        except ValidationError as error:
            outcome = f"refusé : {error.messages[0][:35]}…"
        times.append(time.perf_counter() - start)
    return statistics.median(times), (peak_memory() - before) / 1024, outcome


def peak_memory():
    """The peak resident memory of this process, in kB (VmHWM: its own since its exec, unlike
    ru_maxrss, which starts from its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("VmHWM not found")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        median, memory, outcome = run_case(sys.argv[1])
        print(f"{median * 1000:8.0f} ms  +{memory:5.0f} Mo  {outcome}")
    else:
        import django

        django.setup()
        print(f"{'cas':34} {'médiane':>11}  {'mémoire':>8}  issue", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            for filename, (label, make) in cases().items():
                path = Path(folder) / filename
                path.write_bytes(make())
                print(f"{label:34}", end=" ", flush=True)
                subprocess.run([sys.executable, __file__, str(path)], check=True)
