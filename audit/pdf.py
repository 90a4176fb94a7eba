"""Report documents (``audit.exports.Document``) as PDF with ReportLab's platypus, at the speed of the data.

WeasyPrint laid out the ledger as one long HTML table: about 60–110 s for 1,400 lines (92 pages), most of it
in its table layout, which grows faster than the rows. Here every cell is measured once (plain strings;
a cell wider than its column becomes a wrapping paragraph), the rows' heights are summed once, and a
``TableRun`` cuts the rows page by page with a binary search on those sums: each page is a small platypus
``Table`` of the rows that fit, with the header row on top. So the work grows with the rows, not with rows
× pages (a platypus ``LongTable`` of 8,000 lines re-measures the rest of the table at every page break).

What a page carries: the report's title and the generation time at the top, "第 N 页 / 共 M 页" at the
bottom (M written once at the end, in a form every page draws), the header row of the table it shows; the
first page the title, the parameters (filters), the time, and the ledger seal; each table its totals row at
its end; the notes at the end. Chinese text in a TrueType CJK font, embedded (subset): ReportLab reads only
TrueType outlines, not the CFF outlines of Debian's Noto CJK (``fonts-wqy-microhei`` is the one looked for
first).
"""
import logging
import re
import shutil
import subprocess
from bisect import bisect_right
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from common import formats

log = logging.getLogger(__name__)

FONT = "ReliefDepotCJK"
# TrueType (glyf outlines) CJK fonts from Debian, in order of preference: fonts-wqy-microhei,
# fonts-wqy-zenhei, fonts-arphic-uming / ukai, fonts-droid-fallback.
TRUETYPE_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "AR PL UMing CN", "AR PL UKai CN",
                     "Droid Sans Fallback")
SIZE = 7  # points, table cells
PAD_H, PAD_V = 2.2, 1.4  # cell padding, points
LEADING = SIZE * 1.22
GRID = "#b9c3ce"
HEAD_BG, FOOT_BG, MUTED, INK = "#e8edf3", "#f3f5f8", "#5d6b7a", "#1d2733"
NUMERIC = ("int", "days", "signed", "money", "percent", "days_left", "coverage")
SAMPLE_ROWS = 400  # rows measured for the natural column widths (every cell is still checked against its column)

_font: list = []


# ---------------------------------------------------------------- the font


def table_font() -> tuple[str, int, str] | None:
    """(file, index in the collection, family) of an installed TrueType CJK font, registered with ReportLab
    as ``FONT``; None when there is none. Found once."""
    if not _font:
        _font.append(_register(_find_truetype_cjk()))
    return _font[0]


def _find_truetype_cjk() -> list[tuple[str, int, str]]:
    if not shutil.which("fc-list"):
        return []
    try:
        listed = subprocess.run(["fc-list", ":lang=zh:fontformat=TrueType", "-f", "%{file}\t%{index}\t%{family}\n"],
                                capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].isdigit():
            found.append((parts[0], int(parts[1]), parts[2].split(",")[0]))

    def rank(entry):
        family = entry[2]
        return (TRUETYPE_FAMILIES.index(family) if family in TRUETYPE_FAMILIES else len(TRUETYPE_FAMILIES),
                "Mono" in family, entry)

    return sorted(found, key=rank)


def _register(candidates) -> tuple[str, int, str] | None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont, TTFError

    for path, index, family in candidates:
        try:
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
        except (TTFError, OSError, ValueError) as e:  # CFF outlines, a broken file: try the next
            log.info("PDF font %s (%s #%s) not usable by ReportLab: %s", family, path, index, e)
            continue
        return path, index, family
    return None


# ---------------------------------------------------------------- tables cut page by page


def _styles():
    from reportlab.lib.styles import ParagraphStyle

    return {
        "h1": ParagraphStyle("h1", fontName=FONT, fontSize=15, leading=19, spaceAfter=6, textColor=INK),
        "h2": ParagraphStyle("h2", fontName=FONT, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4,
                             textColor=INK),
        "param": ParagraphStyle("param", fontName=FONT, fontSize=8, leading=10.5, wordWrap="CJK", textColor=INK),
        "key": ParagraphStyle("key", fontName=FONT, fontSize=8, leading=10.5, wordWrap="CJK", textColor=MUTED),
        "note": ParagraphStyle("note", fontName=FONT, fontSize=8, leading=10.5, wordWrap="CJK", textColor=MUTED,
                               spaceBefore=3),
    }


def _column_widths(natural: list[float], minimum: list[float], width: float) -> list[float]:
    """The columns' widths on a line ``width`` wide: their natural widths when they fit (the room left shared in
    proportion); otherwise the widest are capped at one width (found by bisection) so that they fit, never
    below ``minimum``, and their cells wrap."""
    total = sum(natural)
    if total <= width:
        return [w + (width - total) * w / total for w in natural] if total else natural
    lo, hi = 0.0, max(natural)
    for _ in range(40):
        cap = (lo + hi) / 2
        if sum(max(m, min(w, cap)) for w, m in zip(natural, minimum)) > width:
            hi = cap
        else:
            lo = cap
    return [max(m, min(w, lo)) for w, m in zip(natural, minimum)]


_TOKENS = re.compile(r"[（「『《]*[0-9A-Za-z.,:;!?@#%&*+=/_()\[\]'\"-]+[）」』》，。、：；！？]*|\s+|[（「『《]*.[）」』》，。、：；！？]*")


def wrap_lines(s: str, width: float) -> list[str]:
    """``s`` cut into lines at most ``width`` wide: anywhere between Chinese characters, at spaces between
    Latin words and numbers (a word wider than the line is cut between its letters); an opening bracket stays
    with what follows it, a closing bracket or a punctuation mark with what precedes it."""
    lines, line, used = [], "", 0.0
    for token in _TOKENS.findall(s):
        w = stringWidth(token, FONT, SIZE)
        if token.isspace():
            if line and used + w <= width:
                line, used = line + token, used + w
            elif line:
                lines.append(line.rstrip())
                line, used = "", 0.0
            continue
        if used + w <= width:
            line, used = line + token, used + w
            continue
        if w <= width:
            lines.append(line.rstrip())
            line, used = token, w
            continue
        for ch in token:  # longer than a line: cut between its letters
            cw = stringWidth(ch, FONT, SIZE)
            if used + cw > width and line:
                lines.append(line.rstrip())
                line, used = "", 0.0
            line, used = line + ch, used + cw
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


class _Laid:
    """One table's cells as text, measured: the column widths, each row's cells (a string, or its lines
    where a text is wider than its column) and height, their running sums."""

    def __init__(self, table, rows: list[tuple], width: float, text):
        columns = table.columns
        kinds = [c.kind for c in columns]
        self.numeric = [k in NUMERIC for k in kinds]
        cells = [[text(k, v) for k, v in zip(kinds, row)] for row in rows]
        footer = [text(k, v) for k, v in zip(kinds, table.footer)] if table.footer is not None else None
        headers = [str(c.header) for c in columns]

        def measure(s: str) -> float:
            return stringWidth(s, FONT, SIZE)

        natural = [0.0] * len(columns)
        for row in cells[:SAMPLE_ROWS] + ([footer] if footer else []):
            for i, s in enumerate(row):
                if s:
                    natural[i] = max(natural[i], measure(s))
        # a heading wraps, but not below about four characters (a number column's heading: its whole width)
        minimum = [min(measure(h), SIZE * 4) + 2 * PAD_H + 0.5 for h in headers]
        natural = [max(w + 2 * PAD_H + 0.5, m) for w, m in zip(natural, minimum)]
        self.widths = _column_widths(natural, minimum, width)
        inner = [w - 2 * PAD_H for w in self.widths]
        plain_height = LEADING + 2 * PAD_V
        wide = SIZE  # no glyph of the font is wider than one em at this size

        def fit(s: str, i: int):
            """The cell's content and height: the string itself when it fits its column, else its lines."""
            if "\n" in s or "\r" in s:  # a note's own line breaks are kept
                lines = [line for part in s.splitlines() for line in wrap_lines(part, inner[i])]
                return lines, LEADING * len(lines) + 2 * PAD_V
            if not s or len(s) * wide <= inner[i] or measure(s) <= inner[i]:
                return s, plain_height
            lines = wrap_lines(s, inner[i])
            return lines, LEADING * len(lines) + 2 * PAD_V

        def laid(row):
            out, height = [], plain_height
            for i, s in enumerate(row):
                value, h = fit(s, i)
                out.append(value)
                height = max(height, h)
            return out, height

        self.header, self.header_height = laid(headers)
        self.rows, self.heights = [], []
        for row in cells:
            value, h = laid(row)
            self.rows.append(value)
            self.heights.append(h)
        self.footer, self.footer_height = laid(footer) if footer else (None, 0.0)
        self.prefix = [0.0]
        for h in self.heights:
            self.prefix.append(self.prefix[-1] + h)



class _Slice(Flowable):
    """Rows ``start:end`` of a measured table under its header row (and the totals row, ``footer``), drawn
    straight onto the page: two filled boxes, one path for the grid, the cells' strings (a wrapped cell's
    lines one under the other) row by row in one text object, so text extraction reads the rows in order."""

    def __init__(self, laid: _Laid, start: int, end: int, footer: bool):
        super().__init__()
        self.laid, self.start, self.end = laid, start, end
        self.footer = footer and laid.footer is not None
        self.rd_rows = end - start  # rows laid out, for the progress
        self.width = sum(laid.widths)
        self.height = laid.header_height + laid.prefix[end] - laid.prefix[start] + (
            laid.footer_height if self.footer else 0.0)
        self.hAlign = "LEFT"

    def wrap(self, availWidth, availHeight):
        return self.width, self.height

    def draw(self):
        c, laid = self.canv, self.laid
        xs = [0.0]
        for w in laid.widths:
            xs.append(xs[-1] + w)
        rows = [(laid.header, laid.header_height)] + list(zip(laid.rows[self.start:self.end],
                                                              laid.heights[self.start:self.end]))
        if self.footer:
            rows.append((laid.footer, laid.footer_height))
        c.saveState()
        c.setFillColor(HEAD_BG)
        c.rect(0, self.height - laid.header_height, self.width, laid.header_height, stroke=0, fill=1)
        if self.footer:
            c.setFillColor(FOOT_BG)
            c.rect(0, 0, self.width, laid.footer_height, stroke=0, fill=1)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.4)
        path = c.beginPath()
        top = self.height
        for _cells, h in rows:
            path.moveTo(0, top)
            path.lineTo(self.width, top)
            top -= h
        path.moveTo(0, 0)
        path.lineTo(self.width, 0)
        for x in xs:
            path.moveTo(x, 0)
            path.lineTo(x, self.height)
        c.drawPath(path, stroke=1, fill=0)
        c.setFillColor(INK)
        text = c.beginText()
        text.setFont(FONT, SIZE, LEADING)
        top = self.height
        numeric = laid.numeric
        for cells, h in rows:
            baseline = top - PAD_V - SIZE
            for i, value in enumerate(cells):
                if not value:
                    continue
                for n, line in enumerate((value,) if isinstance(value, str) else value):
                    x = xs[i + 1] - PAD_H - stringWidth(line, FONT, SIZE) if numeric[i] else xs[i] + PAD_H
                    text.setTextOrigin(x, baseline - n * LEADING)
                    text.textOut(line)
            top -= h
        c.drawText(text)
        c.restoreState()


class TableRun(Flowable):
    """The rows ``start:`` of a measured table: as many as fit where it stands (``split``), the rest in
    another run, each piece with the header row; the totals row at the very end."""

    def __init__(self, laid: _Laid, start: int = 0):
        super().__init__()
        self.laid, self.start = laid, start
        self.rd_rows = len(laid.rows) - start
        self.hAlign = "LEFT"

    def wrap(self, availWidth, availHeight):
        laid = self.laid
        self.width = sum(laid.widths)
        self.height = laid.header_height + laid.prefix[-1] - laid.prefix[self.start] + laid.footer_height
        return self.width, self.height

    def split(self, availWidth, availHeight):
        laid, start = self.laid, self.start
        left = len(laid.rows) - start
        # the rows whose running height fits under the header
        fits = bisect_right(laid.prefix, laid.prefix[start] + availHeight - laid.header_height) - 1 - start
        if fits >= left:  # every row fits but not the totals row: the last row goes over with it
            fits = left - 1
        if fits <= 0:
            return []
        return [_Slice(laid, start, start + fits, footer=False), TableRun(laid, start + fits)]

    def draw(self):
        piece = _Slice(self.laid, self.start, len(self.laid.rows), footer=True)
        piece.drawOn(self.canv, 0, 0)


# ---------------------------------------------------------------- the document


class _Chart(Flowable):
    """The stacked bars of ``audit.charts.stacked_bars`` (units expiring per month, by category), drawn on the
    canvas in the embedded font."""

    def __init__(self, chart: dict, width: float):
        super().__init__()
        self.chart, self.width = chart, width
        self.legend = 14 * ((len(chart["series"]) + 3) // 4)
        self.height = 190.0 + self.legend
        self.hAlign = "LEFT"

    def wrap(self, availWidth, availHeight):
        return self.width, self.height

    def draw(self):
        from audit.charts import PALETTE, _nice_max

        c, chart = self.canv, self.chart
        months, series = chart["months"], chart["series"]
        left, bottom, top = 46.0, 46.0, 16.0
        plot_w, plot_h = self.width - left - 8, 190.0 - bottom - top
        base = self.legend + bottom
        totals = [sum(values[i] for _, values in series) for i in range(len(months))]
        ymax = _nice_max(max(totals, default=0))
        c.saveState()
        c.setFont(FONT, 7)
        c.setStrokeColor("#d8dee6")
        c.setLineWidth(0.5)
        for k in range(5):
            y = base + plot_h * k / 4
            c.line(left, y, left + plot_w, y)
            c.drawRightString(left - 4, y - 2.5, f"{ymax * k // 4:,}")
        c.setFillColor(MUTED)
        c.drawString(0, base + plot_h + 6, chart["unit_label"])
        slot = plot_w / max(1, len(months))
        bar = slot * 0.62
        for i in range(len(months)):
            x, y = left + slot * i + (slot - bar) / 2, base
            for k, (_name, values) in enumerate(series):
                if values[i]:
                    h = plot_h * values[i] / ymax
                    c.setFillColor(PALETTE[k % len(PALETTE)])
                    c.rect(x, y, bar, h, stroke=0, fill=1)
                    y += h
            c.setFillColor(INK)
            c.setFont(FONT, 6.5)
            if totals[i]:
                c.drawCentredString(x + bar / 2, y + 2, f"{totals[i]:,}")
            c.drawCentredString(x + bar / 2, base - 10, chart["month_labels"][i])
        c.setFont(FONT, 7)
        for k, (name, _values) in enumerate(series):
            lx, ly = left + (k % 4) * (plot_w / 4), self.legend - 12 - 14 * (k // 4) + 2
            c.setFillColor(PALETTE[k % len(PALETTE)])
            c.rect(lx, ly, 8, 8, stroke=0, fill=1)
            c.setFillColor(INK)
            c.drawString(lx + 11, ly + 1, name)
        c.restoreState()


def render(doc, tables: list[list[tuple]], *, tz: str, locale: str, progress=None) -> bytes:
    """The PDF of the document, A4 landscape; ``tables`` are the rows of each of its tables. ``progress(done,
    total, stage)`` hears the rows laid out (``layout``) as pages fill, then the pages written (``pages``)."""
    from flask_babel import gettext as _
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer
    from reportlab.platypus import Table as PlatypusTable

    from audit.exports import text_value

    if table_font() is None:  # callers check first (``exports.require_pdf``); this is the last guard
        raise RuntimeError("no TrueType CJK font for ReportLab")
    styles = _styles()
    page_w, page_h = landscape(A4)
    margin_x, margin_top, margin_bottom = 10 * mm, 14 * mm, 16 * mm
    frame_w = page_w - 2 * margin_x
    total = sum(len(rows) for rows in tables)
    done = [0]
    if progress is not None:
        progress(0, total, "layout")

    def text(kind, value):
        return text_value(kind, value, tz, grouped=True, locale=locale)

    generated = formats.datetime_text(doc.generated_at, locale, None)
    title = str(doc.title)
    
    story = [Paragraph(escape(title), styles["h1"])]
    params = [(str(k), str(v)) for k, v in doc.params]
    params.append((_("Generated at"), f"{generated} ({tz})"))
    if doc.seal:
        params.append((_("Ledger seal"), f"{doc.seal['text']} ({_('%(lines)s lines', lines=doc.seal['count'])})"))
    story.append(PlatypusTable([[Paragraph(escape(k), styles["key"]), Paragraph(escape(v), styles["param"])]
                                for k, v in params], colWidths=[48 * mm, frame_w - 48 * mm], hAlign="LEFT",
                               style=[("FONT", (0, 0), (-1, -1), FONT, 8), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                      ("TOPPADDING", (0, 0), (-1, -1), 0.6),
                                      ("BOTTOMPADDING", (0, 0), (-1, -1), 0.6), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    chart = getattr(doc, "chart", None)
    if chart:
        story += [Paragraph(escape(chart["title"]), styles["h2"]), _Chart(chart, frame_w * 0.75)]
    for table, rows in zip(doc.tables, tables):
        story.append(Paragraph(escape(str(table.title)), styles["h2"]))
        if rows or table.footer is not None:
            story.append(TableRun(_Laid(table, rows, frame_w, text)))
        else:
            story.append(Paragraph(escape(_("Nothing matches.")), styles["note"]))
    story.append(Spacer(1, 4))
    story += [Paragraph(escape(str(note)), styles["note"]) for note in doc.notes]

    class Pages(Canvas):
        """Writes "共 M 页" once, at the end, into the form every page draws; starts every page in the
        embedded font (ReportLab's default, Helvetica, would be listed in the file without being embedded)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "initialFontName": FONT, "initialFontSize": SIZE})

        def save(self):
            pages = self._pageNumber - 1 if not self._code else self._pageNumber
            if progress is not None:
                progress(0, pages, "pages")
            self.beginForm("rd-pages")
            self.setFont(FONT, 9)
            self.drawString(0, 0, f"{pages} 页")
            self.endForm()
            super().save()
            if progress is not None:
                progress(pages, pages, "pages")

    def decorate(canvas, _doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(margin_x, page_h - 9 * mm, title)
        canvas.drawRightString(page_w - margin_x, page_h - 9 * mm, generated)
        canvas.setFillColor(INK)
        canvas.setFont(FONT, 9)
        n = canvas.getPageNumber()
        head = f"第 {n} 页 / 共 "
        x = page_w / 2 - canvas.stringWidth(head + f"{n} 页", FONT, 9) / 2
        canvas.drawString(x, 8 * mm, head)
        canvas.translate(x + canvas.stringWidth(head, FONT, 9), 8 * mm)
        canvas.doForm("rd-pages")
        canvas.restoreState()

    class Template(BaseDocTemplate):
        def afterFlowable(self, flowable):
            rows = getattr(flowable, "rd_rows", 0)
            if rows and progress is not None:
                done[0] += rows
                progress(min(done[0], total), total, "layout")

    out = BytesIO()
    template = Template(out, pagesize=(page_w, page_h), leftMargin=margin_x, rightMargin=margin_x,
                        topMargin=margin_top, bottomMargin=margin_bottom, title=title, author="ReliefDepot",
                        creator="ReliefDepot")
    frame = Frame(margin_x, margin_bottom, frame_w, page_h - margin_top - margin_bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    template.build(story, canvasmaker=Pages)
    return out.getvalue()
