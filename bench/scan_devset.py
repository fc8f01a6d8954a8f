"""The scan dev set: documents of an eval folder in the administrative layout, in the forms they reach an
office, read back through the corpus readers and scored.

Forms (one corpus directory each, under --out):
  text        the eval originals (.txt with the `Ngày:`/`Cơ quan:` header): the baseline
  docx        the administrative layout as .docx (two-column header table)
  pdf_text    the same as a text-layer PDF (fpdf2)
  clean       a clean 300 dpi scan, a multi-page .tif
  poor        a poor scan: 150 dpi, skewed 1-2.5°, grey noise, JPEG quality 35, as an image-only .pdf
  phone       phone photos: uneven light, a mild perspective, on a dark desk, 1600 px on the long side,
              JPEG; the pages of a document are an album made into one PDF by `index.documents.read_photos`
  screenshot  a screenshot of a document viewer at 100 dpi, one tall .png (all pages)
  mixed       a PDF whose first page has a text layer and whose other pages are scans (150 dpi JPEG)
  webp        the clean scan's first page as .webp (an image form the bot accepts), for the metadata only

For every form: the metadata read (date, issuing body, title, number) against the original's, and Recall@5
(hybrid search, the configured embedding model) of the eval questions whose gold documents are all in the
dev set, against the `text` baseline; OCR confidences per page; OCR time per page.

    PYTHONPATH=$PWD .venv/bin/python bench/scan_devset.py --out /tmp/scan-devset [--docs 20] [--forms clean,poor]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
import shutil
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from bench.admin_layout import Layout, PageStyle, layout_of, render_pages, write_docx, write_pdf

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
FORMS = ("text", "docx", "pdf_text", "clean", "poor", "phone", "screenshot", "mixed", "webp")


# ---------------------------------------------------------------------------------------------------
# Degradations


def poor_scan(page: Image.Image, rng: random.Random) -> Image.Image:
    img = page.resize((page.width // 2, page.height // 2), Image.Resampling.BILINEAR)  # 150 dpi
    angle = rng.choice([-1, 1]) * rng.uniform(1.0, 2.5)
    img = img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    img = Image.blend(img, Image.effect_noise(img.size, 24), 0.12)  # grey speckle
    img = img.point(lambda v: min(255, int(v * 0.92 + 10)))  # grey paper, weak toner
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=35)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for pt in src for c in pt], dtype=float)
    return list(np.linalg.solve(a, b))


def phone_photo(page: Image.Image, rng: random.Random) -> Image.Image:
    import numpy as np

    w, h = page.size
    rgb = Image.merge("RGB", (page, page.point(lambda v: int(v * 0.97)), page.point(lambda v: int(v * 0.9))))
    # uneven light: a gradient from one corner and a soft shadow band
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / math.hypot(w, h)
    light = 1.0 - 0.45 * dist
    band = 1.0 - 0.18 * np.exp(-(((xx - rng.uniform(0.3, 0.7) * w) / (0.12 * w)) ** 2))
    arr = np.asarray(rgb, dtype=np.float32) * (light * band)[..., None]
    lit = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    # on a dark desk, a mild perspective (the phone held a little off-axis)
    pad = int(0.06 * w)
    canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (58, 50, 44))
    canvas.paste(lit, (pad, pad))
    cw, ch = canvas.size
    k = 0.035
    dst = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
    src = [
        (rng.uniform(0, k) * cw, rng.uniform(0, k) * ch),
        (cw - rng.uniform(0, k) * cw, rng.uniform(0, k) * ch),
        (cw - rng.uniform(0, k / 2) * cw, ch - rng.uniform(0, k / 2) * ch),
        (rng.uniform(0, k / 2) * cw, ch - rng.uniform(0, k / 2) * ch),
    ]
    warped = canvas.transform(canvas.size, Image.Transform.PERSPECTIVE, _perspective_coeffs(src, dst),
                              Image.Resampling.BILINEAR, fillcolor=(58, 50, 44))  # fmt: skip
    scale = 1600 / max(warped.size)
    small = warped.resize((round(warped.width * scale), round(warped.height * scale)), Image.Resampling.LANCZOS)
    small = small.filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=80)
    return Image.open(io.BytesIO(buffer.getvalue()))


def screenshot(layout: Layout) -> Image.Image:
    pages = render_pages(layout, PageStyle(dpi=100))
    gap = 16
    width = pages[0].width + 80
    height = 40 + sum(p.height + gap for p in pages)
    shot = Image.new("RGB", (width, height), (82, 86, 89))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, width, 32), fill=(50, 54, 57))
    y = 40
    for page in pages:
        shot.paste(page.convert("RGB"), (40, y))
        y += page.height + gap
    return shot


# ---------------------------------------------------------------------------------------------------
# Writing the forms


def write_form(form: str, layout: Layout, source: Path, out: Path, rng: random.Random) -> Path:
    stem = Path(layout.name).stem
    if form == "text":
        target = out / layout.name
        shutil.copyfile(source, target)
        return target
    if form == "docx":
        target = out / f"{stem}.docx"
        write_docx(layout, target)
        return target
    if form == "pdf_text":
        target = out / f"{stem}.pdf"
        write_pdf(layout, target)
        return target
    if form == "screenshot":
        target = out / f"{stem}.png"
        screenshot(layout).save(target)
        return target
    if form == "mixed":
        return write_mixed(layout, out / f"{stem}.pdf", rng)
    pages = render_pages(layout)
    if form == "clean":
        target = out / f"{stem}.tif"
        pages[0].save(target, save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(300, 300))
        return target
    if form == "webp":
        target = out / f"{stem}.webp"
        pages[0].save(target, "WEBP", quality=85)
        return target
    if form == "poor":
        target = out / f"{stem}.pdf"
        scans = [poor_scan(p, rng).convert("L") for p in pages]
        scans[0].save(target, "PDF", save_all=True, append_images=scans[1:], resolution=150.0)
        return target
    if form == "phone":
        from index.documents import write_album_pdf

        photos_dir = out.parent / f"{out.name}-photos"
        photos_dir.mkdir(exist_ok=True)
        photos = []
        for i, page in enumerate(pages):
            path = photos_dir / f"{stem}-{i + 1}.jpg"
            phone_photo(page, rng).save(path, "JPEG", quality=90)
            photos.append(path)
        target = out / f"{stem}.pdf"
        write_album_pdf(photos, target)
        return target
    raise ValueError(form)


def write_mixed(layout: Layout, target: Path, rng: random.Random) -> Path:
    """Text-layer first page(s), scanned rest: the text PDF with its later pages replaced by 150 dpi scans
    of themselves."""
    import pypdfium2 as pdfium
    from pypdf import PdfReader, PdfWriter

    text_pdf = target.with_suffix(".text.tmp")
    write_pdf(layout, text_pdf)
    reader = PdfReader(str(text_pdf))
    n = len(reader.pages)
    half = max(1, n // 2) if n > 1 else 1
    rendered = pdfium.PdfDocument(str(text_pdf))
    writer = PdfWriter()
    for i in range(n):
        if i < half and n > 1:
            writer.add_page(reader.pages[i])
            continue
        image = rendered[i].render(scale=150 / 72, grayscale=True).to_pil()
        buffer = io.BytesIO()
        noisy = Image.blend(image, Image.effect_noise(image.size, 20), 0.06)
        noisy.save(buffer, "PDF", resolution=150.0)
        writer.add_page(PdfReader(io.BytesIO(buffer.getvalue())).pages[0])
    with target.open("wb") as fh:
        writer.write(fh)
    rendered.close()
    text_pdf.unlink()
    return target


# ---------------------------------------------------------------------------------------------------
# Scoring


def _ws(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def edits(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def score_meta(
    layouts: dict[str, Layout], docs: dict[str, object], form: str, eval_dir: Path = EVAL
) -> dict[str, object]:
    from index.model import Document

    rows = []
    for stem, layout in layouts.items():
        doc = docs.get(stem)
        if not isinstance(doc, Document):
            rows.append({"doc": stem, "read": False})
            continue
        original = (eval_dir / "docs" / layout.name).read_text("utf-8").splitlines()[0]
        expected_title = _ws(original) if form == "text" else layout.title
        expected_number = None if form == "text" else layout.number
        rows.append({
            "doc": stem, "read": True,
            "date": doc.date == layout.date,
            "agency": _ws(doc.agency) == _ws(layout.agency),
            "agency_ci": _ws(doc.agency).casefold() == _ws(layout.agency).casefold(),
            "title": _ws(doc.title) == _ws(expected_title),
            "title_ci": _ws(doc.title).casefold() == _ws(expected_title).casefold(),
            # OCR slips: at most 2 characters (or 3%) off, letter case aside
            "title_near": edits(_ws(doc.title).casefold(), _ws(expected_title).casefold())
            <= max(2, len(expected_title) * 3 // 100),
            "number": doc.number == expected_number,
            "got": {"title": doc.title, "agency": doc.agency, "date": str(doc.date), "number": doc.number},
        })  # fmt: skip
    n = len(rows)
    out: dict[str, object] = {"n": n, "read": sum(r["read"] for r in rows)}
    for key in ("date", "agency", "agency_ci", "title", "title_ci", "title_near", "number"):
        out[key] = sum(bool(r.get(key)) for r in rows) / n
    out["all3_ci"] = sum(bool(r.get("date") and r.get("agency_ci") and r.get("title_ci")) for r in rows) / n
    out["all3_near"] = sum(bool(r.get("date") and r.get("agency_ci") and r.get("title_near")) for r in rows) / n
    out["rows"] = rows
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/tmp/scan-devset"))
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--forms", default=",".join(FORMS))
    ap.add_argument("--reuse", action="store_true", help="keep the files of an earlier run (same bytes, cache hits)")
    ap.add_argument("--keep-cache", action="store_true", help="reuse the OCR of unchanged files (no OCR timing)")
    ap.add_argument("--no-search", action="store_true", help="metadata only, no index or Recall@5")
    ap.add_argument("--model", default=None, help="embedding model (default: the configured one)")
    ap.add_argument("--eval", type=Path, default=EVAL, help="docs/ and questions.jsonl (%(default)s)")
    ap.add_argument("--seed", default="", help="varies the degradations (skew, noise, light); empty: the runs' in docs")
    ap.add_argument("--no-correction", action="store_true",
                    help="read the OCR'd words as tesseract gave them (index/ocr_words.py off), to measure it")
    args = ap.parse_args()
    if args.no_correction:
        from index import ocr_words

        ocr_words.correct_words = lambda words, model=None: [w for w, _ in words]  # type: ignore[assignment]

    from index.documents import read_file
    from index.scans import OcrCache, Scanner

    sources = sorted((args.eval / "docs").glob("*.txt"))[: args.docs]
    layouts = {s.stem: layout_of(s, i) for i, s in enumerate(sources)}
    forms = [f for f in args.forms.split(",") if f]
    results: dict[str, object] = {}
    for form in forms:
        rng = random.Random(f"{form}-devset{args.seed}")
        corpus = args.out / form
        started = time.perf_counter()
        if not (args.reuse and corpus.is_dir() and any(corpus.iterdir())):
            if corpus.exists():
                shutil.rmtree(corpus)
            corpus.mkdir(parents=True)
            for source in sources:
                write_form(form, layouts[source.stem], source, corpus, rng)
        made = time.perf_counter() - started
        # read once with a fresh cache, as a build would, and time the OCR
        cache = OcrCache(args.out / "ocr-cache" / form)
        if not args.keep_cache:
            shutil.rmtree(cache.directory, ignore_errors=True)
        scanner = Scanner(cache=cache, page_budget=None)
        docs: dict[str, object] = {}
        confidences: list[float] = []
        started = time.perf_counter()
        for path in sorted(corpus.iterdir()):
            try:
                read = read_file(path, corpus, scanner=scanner)
            except Exception as exc:  # reported, the rest goes on
                docs[path.stem] = None
                print(f"{form}: {path.name}: {exc}", file=sys.stderr)
                continue
            docs[path.stem] = read.document
            confidences.extend(p.confidence or 0.0 for p in read.ocr_pages)
        seconds = time.perf_counter() - started
        meta = score_meta(layouts, docs, form, args.eval)
        entry: dict[str, object] = {
            "files_seconds": round(made, 1),
            "read_seconds": round(seconds, 1),
            "ocr_pages": scanner.ocr_pages,
            "seconds_per_ocr_page": round(seconds / scanner.ocr_pages, 2) if scanner.ocr_pages else None,
            "confidence_mean": round(sum(confidences) / len(confidences), 1) if confidences else None,
            "confidence_min": round(min(confidences), 1) if confidences else None,
            "low_pages": len(scanner.low_confidence),
            **{k: v for k, v in meta.items() if k != "rows"},
        }
        results[form] = entry
        tag = "-raw" if args.no_correction else ""
        meta_text = json.dumps(meta, ensure_ascii=False, indent=1, default=str)
        (args.out / f"{form}{tag}.meta.json").write_text(meta_text)
        print(form, json.dumps(entry, ensure_ascii=False), flush=True)
    if not args.no_search:
        results["recall"] = recall(args, forms, sources)
    tag = "-raw" if args.no_correction else ""
    (args.out / f"results-{'-'.join(forms)}{tag}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


def folded_recall(searcher: object, questions: list[dict[str, object]], k: int) -> float:
    """Recall@k with the gold span matched without tone marks and case: an OCR slip of a diacritic inside
    the span ("tỉnh giản" for "tinh giản") no longer hides that the right paragraph was returned."""
    from index.text import fold

    def norm(text: str) -> str:
        return _ws(fold(text)).lower()

    total = 0.0
    for q in questions:
        answer = searcher.search(q["q"], k=10, modes=("lexical", "dense"))  # type: ignore[attr-defined]
        texts = [norm(h.passage.text) for h in answer.hits[:k]]
        gold = q["gold"]
        assert isinstance(gold, list)
        total += sum(any(norm(g["span"]) in t for t in texts) for g in gold) / len(gold)
    return total / len(questions)


class QueryMemo:
    """The encoder, with question vectors kept: every form asks the same 148 questions."""

    def __init__(self, encoder: object) -> None:
        self.encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim  # type: ignore[attr-defined]
        self.memo: dict[str, object] = {}

    def embed(self, texts: list[str], *, kind: str = "passage", **kw: object) -> object:
        if kind != "query" or len(texts) != 1:
            return self.encoder.embed(texts, kind=kind, **kw)  # type: ignore[attr-defined]
        if texts[0] not in self.memo:
            self.memo[texts[0]] = self.encoder.embed(texts, kind=kind, **kw)  # type: ignore[attr-defined]
        return self.memo[texts[0]]


def recall(args: argparse.Namespace, forms: list[str], sources: list[Path]) -> dict[str, object]:
    from bot.settings import Settings
    from index.embed import load_encoder
    from index.evaluate import evaluate, load_questions
    from index.search import Searcher
    from index.store import build_index

    model = args.model or Settings().embedding_model
    encoder = QueryMemo(load_encoder(model))
    names = {s.name for s in sources}
    questions = [q for q in load_questions(args.eval) if q["gold"] and all(g["doc"] in names for g in q["gold"])]
    out: dict[str, object] = {"questions": len(questions)}
    for form in forms:
        if form == "webp":
            continue
        index_dir = args.out / f"index-{form}{'-raw' if args.no_correction else ''}"
        shutil.rmtree(index_dir, ignore_errors=True)
        # the build shares the OCR cache the reading pass filled
        index_dir.mkdir(parents=True)
        if (args.out / "ocr-cache" / form).is_dir():
            shutil.copytree(args.out / "ocr-cache" / form, index_dir / "ocr-cache", dirs_exist_ok=True)
        summary = build_index(args.out / form, index_dir, encoder)
        searcher = Searcher(Path(index_dir / "snapshots" / (index_dir / "CURRENT").read_text().strip()), encoder)
        report = evaluate(searcher, questions, ("lexical", "dense"))
        figures = report.figures()
        out[form] = {k: round(v, 3) for k, v in figures.items()} | {
            "R@5_folded": round(folded_recall(searcher, questions, 5), 3),
            "build": summary.line(),
        }
        print(form, json.dumps(out[form], ensure_ascii=False), flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
