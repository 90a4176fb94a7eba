"""The variance sheet as PDF (盘点差异表), with the sign-off: WeasyPrint with the CJK font found at start-up
(``app.extensions["audit_cjk_font"]``, see audit.views), as the report PDFs print."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request

from common.errors import DomainError


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


def _font() -> str:
    try:
        import weasyprint  # noqa: F401  (needs Pango from the system)
    except (ImportError, OSError) as e:
        raise PdfUnavailable(f"PDF is not available: WeasyPrint cannot start ({e})")
    family = current_app.extensions.get("audit_cjk_font")
    if not family:
        raise PdfUnavailable("PDF is not available: no Chinese (CJK) font is installed on the server; install "
                             "fonts-noto-cjk (Debian) and restart")
    return family


def pdf_response(sheet: dict, now: datetime, tz: str) -> Response:
    from weasyprint import HTML

    family = _font()
    generated = now.astimezone(ZoneInfo(tz))
    html = render_template("count_pdf.html", sheet=sheet, font=family, generated_at=generated, tz=tz)
    body = HTML(string=html, base_url=request.url_root).write_pdf()
    name = f"count-{sheet['reference']}-{generated:%Y%m%d-%H%M}.pdf"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(len(body)),
        "Cache-Control": "no-store"})
