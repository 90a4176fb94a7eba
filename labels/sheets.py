"""QR images and PDF label sheets. Pure: plain values in, bytes out; no Flask, no database.

Error correction level H (about 30 % of the symbol may be lost and it still reads). Labels in a depot
get dust, scuffs, tape over a corner and the odd pallet-jack scratch, and a keeper scans them with a
cheap phone under a warehouse light; H costs one or two QR versions over Q (a 45-character URL is
version 6, 41 modules, instead of 5) which on these labels still leaves modules of 0.6 mm or more —
well above what a phone camera resolves at arm's length. Level Q (25 %) would buy a little size we
do not need.

PDFs come from WeasyPrint (HTML + CSS with exact millimetre geometry, absolutely placed labels) with
a CJK font found through fontconfig and embedded, subset, in the PDF. ReportLab was the other
candidate, but it embeds only TrueType outlines, and Debian's CJK fonts (Noto Sans CJK) are CFF
OpenType; its own Chinese fonts (STSong-Light) are not embedded at all and print as whatever the
printer substitutes. The QR codes go in as 1-bit PNGs at one pixel per module, drawn without
smoothing, so every module prints as a sharp square on any printer (see ``qr_png``); pages of the site
show the same symbol as SVG.
"""
import base64
import io
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import jinja2
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H

from common import formats
from common.errors import DomainError

ERROR_CORRECTION = ERROR_CORRECT_H
ERROR_CORRECTION_NAME = "H"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# ---------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Layout:
    name: str
    title: str  # for people choosing one
    page_mm: tuple[float, float]  # width, height
    label_mm: tuple[float, float]
    columns: int
    rows: int
    margin_mm: tuple[float, float]  # left, top: where the first label starts
    padding_mm: float  # inside each label, kept clear of text (printers' unprintable edge)
    qr_mm: float  # side of the QR image, quiet zone included

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def position(self, slot: int) -> tuple[float, float]:
        """Left and top (mm) of the label in this slot of its page (0 = top left, row by row)."""
        row, column = divmod(slot, self.columns)
        return (self.margin_mm[0] + column * self.label_mm[0], self.margin_mm[1] + row * self.label_mm[1])


LAYOUTS = {
    # A4 label stock with 24 labels of 70 × 37 mm, 3 across and 8 down, no gaps (e.g. HERMA 4453,
    # Avery 3474 and the many "A4 24-up 70×37" sheets sold in China); 0.5 mm free at top and bottom.
    "a4-3x8": Layout("a4-3x8", "A4 3 × 8 (70 × 37 mm)", (210, 297), (70, 37), 3, 8, (0, 0.5), 3.0, 31.0),
    # One 60 × 40 mm label per page: the common size of small thermal label printers.
    "single-60x40": Layout("single-60x40", "60 × 40 mm", (60, 40), (60, 40), 1, 1, (0, 0), 2.0, 30.0),
}
DEFAULT_LAYOUT = "a4-3x8"


# ---------------------------------------------------------------- what a label says


@dataclass(frozen=True)
class LotLabel:
    url: str
    item_name: str  # Chinese
    lot_code: str
    quantity: int
    unit: str
    expires_on: date | None
    depot_name: str
    depot_code: str
    storage_mode: str  # code: physical / agreement / capacity
    printed_on: date


@dataclass(frozen=True)
class DepotLabel:
    url: str
    depot_name: str
    depot_code: str
    tier: str  # county / town / village
    shelf: str | None = None  # a shelf label when set


@dataclass(frozen=True)
class OrderLabel:
    """A transfer order's label (``/o/<code>``), stuck on the load: the keepers scan it to pick, ship and receive."""
    url: str
    order_code: str
    source_name: str
    source_code: str
    destination_name: str
    destination_code: str


# Labels are read in the depot, in Chinese whatever the printing page's language: the same words as the
# Chinese pages (a unit test keeps them equal to the zh_Hans_CN catalog).
STORAGE_MODES_ZH = {"physical": "实物储备", "agreement": "协议（代储）储备", "capacity": "产能储备"}
TIERS_ZH = {"county": "县级储备库", "town": "乡镇储备站", "village": "村储备点"}


def chinese_date(d: date) -> str:
    return formats.date_text(d, "zh_Hans_CN")  # labels are printed in Chinese


def expiry_text(expires_on: date | None) -> str:
    """有效期至 2026年11月23日, or 耐用 (durable) for goods that do not expire."""
    return chinese_date(expires_on) if expires_on else "耐用"


# ---------------------------------------------------------------- QR codes


def _qr(data: str) -> qrcode.QRCode:
    if not data.isascii():
        raise ValueError(f"a QR payload must be ASCII (labels.payloads builds them): {data!r}")
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_modules(data: str) -> list[list[bool]]:
    """The symbol's modules, without the quiet zone; True is dark."""
    return _qr(data).get_matrix()


def qr_svg(data: str, size: str = "100%") -> str:
    """The QR code as a small SVG document: one path, a rectangle per horizontal run of dark modules,
    quiet zone included, white background (labels may be coloured stock)."""
    modules = qr_modules(data)
    n = len(modules)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    side = n + 2 * QUIET_ZONE
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{size}" height="{size}" '
            f'shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>')


def qr_svg_data_uri(data: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(data).encode("ascii")).decode("ascii")


def qr_png(data: str, box_size: int = 1) -> bytes:
    """The QR code as a 1-bit PNG, quiet zone included, ``box_size`` pixels per module. Sheets embed it
    at one pixel per module and print it unsmoothed (``image-rendering: pixelated``: PDF Interpolate
    false), so each module comes out as a sharp square at any printer resolution — as crisp as a vector
    drawing, at a fraction of WeasyPrint's cost of laying out an SVG path per label."""
    modules = qr_modules(data)
    n = len(modules) + 2 * QUIET_ZONE
    pad = [False] * QUIET_ZONE
    rows = [[False] * n] * QUIET_ZONE
    body = [pad + row + pad for row in modules]
    pixels = bytes(0 if dark else 255 for row in rows + body + rows for dark in row)
    image = Image.frombytes("L", (n, n), pixels).convert("1")
    if box_size != 1:
        image = image.resize((n * box_size, n * box_size), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def qr_png_data_uri(data: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(data)).decode("ascii")


def module_mm(data: str, layout: Layout) -> float:
    """How large one module of this payload prints on this layout."""
    return layout.qr_mm / (len(qr_modules(data)) + 2 * QUIET_ZONE)


# ---------------------------------------------------------------- the CJK font


class NoChineseFont(DomainError):
    """Without a CJK font WeasyPrint prints empty boxes for every Chinese character, without a warning."""

    status = 503
    code = "no_cjk_font"


# In order of preference; any font fontconfig says covers Simplified Chinese is taken after these.
PREFERRED_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
                   "WenQuanYi Zen Hei", "Noto Serif CJK SC", "AR PL UMing CN")


@lru_cache(maxsize=1)
def _installed_chinese_fonts() -> tuple[str, ...]:
    try:
        listing = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True,
                                 check=False).stdout
    except FileNotFoundError:  # no fontconfig at all: then certainly no font WeasyPrint could use
        return ()
    families = []
    for line in listing.splitlines():
        families.extend(name.strip() for name in line.split(",") if name.strip())
    return tuple(dict.fromkeys(families))


def chinese_font() -> str:
    """The font family labels are set in. Raises NoChineseFont, saying how to install one, when
    fontconfig knows no font covering Simplified Chinese."""
    installed = _installed_chinese_fonts()
    for family in PREFERRED_FONTS:
        if family in installed:
            return family
    if installed:
        return installed[0]
    raise NoChineseFont("no Chinese (CJK) font is installed, so labels would print empty boxes instead of Chinese; "
                        "install one, e.g. on Debian: apt-get install fonts-noto-cjk")


# ---------------------------------------------------------------- sheets


_jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)


def sheet_html(labels: list[LotLabel | DepotLabel | OrderLabel], layout: Layout, *, skip: int = 0, font: str = "sans-serif") -> str:
    """The HTML of a sheet: pages of absolutely placed labels. ``skip`` leaves the first slots of the
    first page empty (a partly used A4 sheet)."""
    if not 0 <= skip < layout.per_page:
        raise ValueError(f"skip must be between 0 and {layout.per_page - 1}")
    slots = [None] * skip + list(labels)
    pages = [slots[i:i + layout.per_page] for i in range(0, len(slots), layout.per_page)]
    placed = [[(layout.position(slot), label) for slot, label in enumerate(page) if label is not None]
              for page in pages]
    return _jinja.get_template("label_sheet.html").render(
        layout=layout, pages=placed, font=font, qr=qr_png_data_uri, expiry_text=expiry_text,
        chinese_date=chinese_date, storage_mode=lambda code: STORAGE_MODES_ZH.get(code, code),
        tier=lambda code: TIERS_ZH.get(code, code),
    )


def sheet_pdf(labels: list[LotLabel | DepotLabel | OrderLabel], layout: Layout | str = DEFAULT_LAYOUT, *, skip: int = 0) -> bytes:
    """The labels as a PDF ready to print at 100 % (no "fit to page"), Chinese set in a CJK font."""
    font = chinese_font()  # before anything else: without it the PDF would be boxes
    import weasyprint  # imported here: it loads Pango, which the rest of the app never needs

    if isinstance(layout, str):
        layout = LAYOUTS[layout]
    if not labels:
        raise ValueError("no labels to print")
    document = sheet_html(labels, layout, skip=skip, font=font)
    return weasyprint.HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
