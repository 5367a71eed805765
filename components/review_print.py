"""Printing the review PDF on every core the machine has.

WeasyPrint lays a document out on one core, and layout is most of a review's cost. Every `<h2>` section of
the review starts a new page (review.css), so groups of sections paginate exactly as they would in the whole
document: the groups are laid out side by side (one in this process, the others in a warm process pool) with
no running header or footer. The pages they need then make the *frame*: the cover, and for every further
page an empty page carrying the header, the footer ("Page n of N") and, on the first page of each section,
its heading's anchor, so the table of contents' page numbers, its links and the PDF outline come out right.
pypdf lays each group page under its frame page. With one core, or if the pool fails, the whole document is
printed in one piece as before.
"""

from __future__ import annotations

import gc
import html as html_lib
import io
import logging
import multiprocessing
import re
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_SECTION = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_BASE64 = re.compile(r"base64,[A-Za-z0-9+/=]+")
# The groups are laid out without margin boxes; the frame draws them.
_NO_MARGIN_BOXES = "@page { " + " ".join(
    f"@{box} {{ content: none; }}" for box in ("top-left", "top-right", "bottom-left", "bottom-right")) + " }"
# A group's first section starts on the group's first page (the running strings before it take no room).
_GROUP_CSS = _NO_MARGIN_BOXES + " body > h2:first-of-type { break-before: auto; }"
_FRAME_CSS = (".frame-page { break-before: page; height: 0; }"
              ".frame-page h2 { break-before: auto; visibility: hidden; height: 0; margin: 0; padding: 0; border: 0; }")

_pools: list[Executor] = []
_pools_lock = threading.Lock()
_held: dict[str, object] = {}  # in a layout process: the group laid out last, until it is printed


@dataclass
class Group:
    """A group of consecutive sections, laid out."""
    pages: int
    starts: dict[str, int]  # section id -> index of its first page within the group


def processes() -> int:
    """How many processes lay a review out (REPORT_PROCESSES; default: the CPU count, at most 4)."""
    from config import get_config

    return get_config().report_processes


def _stylesheets(*extra: str):
    from weasyprint import CSS

    from components.review import _stylesheet

    return [CSS(string=_stylesheet()), *(CSS(string=e) for e in extra)]


def _without_gc(fn, *args):
    """Run fn with the cyclic collector paused: layout makes hundreds of thousands of short-lived objects,
    and collections meanwhile would re-scan them (and the whole worker's heap) many times over."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if paused:
            gc.enable()


def _render(html: str, *extra_css: str):
    from weasyprint import HTML

    from components.review import TEMPLATES

    return _without_gc(lambda: HTML(string=html, base_url=str(TEMPLATES)).render(
        stylesheets=_stylesheets(*extra_css)))


def _write(document) -> bytes:
    return _without_gc(document.write_pdf)


def _group(document, ids: list[str]) -> Group:
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor in ids and anchor not in starts:
                starts[anchor] = index
    return Group(len(document.pages), starts)


def _lay_out_held(html: str, ids: list[str]) -> Group:
    """In a layout process: lay a group out and keep it for _write_held."""
    document = _render(html, _GROUP_CSS)
    _held["document"] = document
    return _group(document, ids)


def _write_held() -> bytes:
    """In a layout process: print the group _lay_out_held laid out."""
    return _write(_held.pop("document"))


def print_whole(html: str) -> tuple[bytes, int]:
    """The document printed in one piece."""
    document = _render(html)
    return _write(document), len(document.pages)


def _warm() -> None:
    """Load fontconfig, Pango and the PDF writer (a layout process runs this once when it starts)."""
    from weasyprint import HTML

    HTML(string="<p>warm <b>bold</b></p>").write_pdf()


def _executors(count: int) -> list[Executor]:
    """count single-process pools: a group's layout and its printing must run in the same process."""
    with _pools_lock:
        while len(_pools) < count:
            # forkserver: layout processes are forked from a clean server process, never from this
            # (multi-threaded) worker or web process
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["components.review_print"])
            _pools.append(ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_warm))
        return _pools[:count]


def warm_up() -> None:
    """Start the layout processes and load the fonts everywhere, so the next review pays no start-up cost."""
    _warm()
    for future in [pool.submit(_warm) for pool in _executors(processes() - 1)]:
        future.result()


def shutdown() -> None:
    """Stop the layout processes (tests, and a worker on its way out)."""
    with _pools_lock:
        for pool in _pools:
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


def _weight(fragment: str) -> int:
    """A rough cost of laying a section out: its markup without the charts' embedded SVG."""
    return len(_BASE64.sub("", fragment))


def _groups(sections: list[tuple[str, str]], n: int) -> list[list[tuple[str, str]]]:
    """Consecutive sections in n groups. The first, laid out here, is lighter: this process also lays out
    the frame while the others print their groups."""
    total = sum(_weight(s) for _, s in sections) or 1
    first = 0.8 / n
    bounds = [total * (first + k * (1 - first) / (n - 1)) for k in range(n - 1)]
    groups: list[list[tuple[str, str]]] = [[]]
    done = 0
    for section in sections:
        if groups[-1] and len(groups) < n and done + _weight(section[1]) / 2 > bounds[len(groups) - 1]:
            groups.append([])
        groups[-1].append(section)
        done += _weight(section[1])
    return groups


def print_pdf(html: str) -> tuple[bytes, int]:
    """The review's PDF and its page count, laid out on up to processes() cores."""
    n = processes()
    found = list(_SECTION.finditer(html))
    body_end = html.rfind("</body>")
    head = html[:found[0].start()] if found else ""  # styles, running strings, cover
    cover_start = head.find('<section class="cover">')
    if n < 2 or len(found) < 2 or body_end < 0 or cover_start < 0:
        return print_whole(html)
    preamble, cover, tail = head[:cover_start], head[cover_start:], html[body_end:]
    sections = [(m.group(1), html[m.start():(found[i + 1].start() if i + 1 < len(found) else body_end)])
                for i, m in enumerate(found)]
    titles = {m.group(1): m.group(2) for m in found}
    groups = _groups(sections, n)
    parts = [(preamble + "".join(s for _, s in g) + tail, [i for i, _ in g]) for g in groups]
    try:
        pools = _executors(len(groups) - 1)
        layouts = [pool.submit(_lay_out_held, *part) for pool, part in zip(pools, parts[1:], strict=True)]
        started = time.perf_counter()
        document = _render(parts[0][0], _GROUP_CSS)
        laid_out = [_group(document, parts[0][1]), *(f.result() for f in layouts)]
        logger.debug("Review groups laid out in %.2f s", time.perf_counter() - started)
        writes = [pool.submit(_write_held) for pool in pools]
        frame, frame_pdf = _frame(preamble, cover, tail, titles, laid_out)
        pdfs = [_write(document), *(f.result() for f in writes)]
    except Exception:  # a broken layout process must not cost the user their review
        logger.exception("Laying the review out in parallel failed; printing it in one piece")
        shutdown()
        return print_whole(html)
    return _assemble(frame, frame_pdf, laid_out, pdfs)


def _frame(preamble: str, cover: str, tail: str, titles: dict[str, str], laid_out: list[Group]):
    """The cover, then an empty page with the header and footer for every page of the groups, carrying the
    anchor of each section on its first page (for the contents' page numbers and links)."""
    starts: dict[int, str] = {}
    offset = 0
    for group in laid_out:
        for anchor, index in group.starts.items():
            starts[offset + index] = anchor
        offset += group.pages
    pages = []
    for index in range(offset):
        anchor = starts.get(index)
        mark = f'<h2 id="{html_lib.escape(anchor)}">{titles[anchor]}</h2>' if anchor else ""
        pages.append(f'<div class="frame-page">{mark}</div>')
    document = _render(preamble + cover + "".join(pages) + tail, _FRAME_CSS)
    if len(document.pages) <= offset:
        raise RuntimeError(f"The review's frame has {len(document.pages)} pages for {offset} content pages")
    return document, _write(document)


def _stamp(writer, page, frame_page, name: str) -> None:
    """Draw frame_page over page as a form XObject: the page's own drawing operations are neither parsed nor
    re-encoded (pypdf's merge_page would parse them to rename resources)."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    def stream(data: bytes):
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    form = DecodedStreamObject()
    form.set_data(frame_page.get_contents().get_data())
    form.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                 NameObject("/BBox"): frame_page.mediabox,
                 NameObject("/Resources"): frame_page["/Resources"].clone(writer)})
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"].get_object()[NameObject(name)] = writer._add_object(form.flate_encode())  # shared
    contents = page.get("/Contents")
    own = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
    # q ... Q keeps the page's own transformation (WeasyPrint flips the y axis) away from the frame
    page[NameObject("/Contents")] = ArrayObject([stream(b"q\n"), *own, stream(b"\nQ q %s Do Q\n" % name.encode())])


def _assemble(frame, frame_pdf: bytes, laid_out: list[Group], pdfs: list[bytes]) -> tuple[bytes, int]:
    """The groups' pages with the frame's header and footer drawn over them, after the frame's cover; the
    contents' links and each group's outline are carried over."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import NameObject

    offset = sum(group.pages for group in laid_out)
    cover_pages = len(frame.pages) - offset
    starts: dict[str, int] = {}
    first = cover_pages
    for group in laid_out:
        for anchor, index in group.starts.items():
            starts[anchor] = first + index
        first += group.pages
    frame_reader = PdfReader(io.BytesIO(frame_pdf))
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)), import_outline=True)
    for index in range(cover_pages, len(frame.pages)):
        _stamp(writer, writer.pages[index - cover_pages], frame_reader.pages[index], f"/TmFrame{index}")
    for index in range(cover_pages):
        page = frame_reader.pages[index]
        if "/Annots" in page:
            del page[NameObject("/Annots")]  # they point into the frame; made again below
        writer.insert_page(page, index)
        height = float(page.mediabox.height)
        for link_type, target, (x1, y1, x2, y2), _box in frame.pages[index].links:
            if link_type == "internal" and target in starts:
                writer.add_annotation(index, Link(rect=(x1 * 0.75, height - y2 * 0.75, x2 * 0.75, height - y1 * 0.75),
                                                  target_page_index=starts[target], border=[0, 0, 0]))
    if frame_reader.metadata:
        writer.add_metadata(dict(frame_reader.metadata))
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)
