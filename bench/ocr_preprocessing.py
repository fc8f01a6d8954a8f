"""Does preprocessing help tesseract on the dev set's degraded forms? Measures character accuracy of OCR
against the documents' own text for variants of the page image:

  grey        grey only (tesseract binarises with Otsu itself)
  even        grey, the light evened out (index/ocr.py `even_light`)
  deskew      grey, rotated upright by a projection-profile search (−3°..3°, step 0.25°)
  sauvola     grey, tesseract's Sauvola thresholding (-c thresholding_method=2)
  prepare     what index/ocr.py does (`prepare`): at the time of the runs in docs/RETRIEVAL.md, `even_light`
              when the background varied by over 40 grey levels, then the deskew (from 0.5°); now the
              deskew alone

Accuracy: difflib ratio between the OCR'd text and the document's text (letterhead, title and body), both
with whitespace collapsed. Needs the dev set made by bench/scan_devset.py (its `poor` and `phone` forms).

    PYTHONPATH=$PWD .venv/bin/python bench/ocr_preprocessing.py --devset /tmp/scan-devset --docs 6
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from pathlib import Path

from PIL import Image, ImageOps

from bench.admin_layout import layout_of, motto_lines, number_line
from bench.scan_devset import EVAL
from index.ocr import _run_tesseract, even_light, lines_from_tsv, prepare


def deskew(grey: Image.Image) -> Image.Image:
    import numpy as np

    small = grey.reduce(4) if min(grey.size) > 800 else grey
    ink = ImageOps.invert(small)
    best, best_angle = -1.0, 0.0
    for step in range(-12, 13):
        angle = step * 0.25
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
        score = float(np.var(rows))
        if score > best:
            best, best_angle = score, angle
    return grey.rotate(best_angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)


def variants(image: Image.Image) -> dict[str, tuple[Image.Image, tuple[str, ...]]]:
    grey = ImageOps.grayscale(image)
    return {
        "grey": (grey, ()),
        "even": (even_light(grey), ()),
        "deskew": (deskew(grey), ()),
        "sauvola": (grey, ("-c", "thresholding_method=2")),
        "prepare": (prepare(image), ()),
    }


def page_images(path: Path) -> list[Image.Image]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    return [page.render(scale=300 / 72, grayscale=True).to_pil() for page in pdf]


def ocr_text(image: Image.Image, extra: tuple[str, ...]) -> str:
    tsv = _run_tesseract(image, 120, extra)
    page = lines_from_tsv(tsv, image.width, image.height)
    return " ".join(line.text for line in page.lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=Path("/tmp/scan-devset"))
    ap.add_argument("--docs", type=int, default=6)
    ap.add_argument("--forms", default="poor,phone")
    args = ap.parse_args()
    sources = sorted((EVAL / "docs").glob("*.txt"))
    results: dict[str, dict[str, list[float]]] = {}
    seconds: dict[str, float] = {}
    for form in args.forms.split(","):
        results[form] = {}
        for i, source in enumerate(sources[: args.docs]):
            layout = layout_of(source, i)
            truth = " ".join([
                *layout.issuer_lines, number_line(layout), *motto_lines(layout), layout.place_date, layout.kind,
                *layout.title_lines, *layout.paragraphs,
            ])  # fmt: skip
            truth = re.sub(r"\s+", " ", truth)
            pages = page_images(args.devset / form / f"{source.stem}.pdf")
            texts: dict[str, list[str]] = {}
            for page in pages:
                for name, (image, extra) in variants(page).items():
                    started = time.perf_counter()
                    texts.setdefault(name, []).append(ocr_text(image, extra))
                    seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            for name, parts in texts.items():
                got = re.sub(r"\s+", " ", " ".join(parts))
                ratio = difflib.SequenceMatcher(None, got, truth, autojunk=False).ratio()
                results[form].setdefault(name, []).append(ratio)
            print(form, source.stem, {k: round(v[-1], 4) for k, v in results[form].items()}, flush=True)
    summary = {
        form: {name: round(sum(v) / len(v), 4) for name, v in by.items()} for form, by in results.items()
    }
    print(json.dumps({"accuracy": summary, "ocr_seconds": {k: round(v, 1) for k, v in seconds.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
