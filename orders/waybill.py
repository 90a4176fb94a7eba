"""The printable waybill (调拨单/运单) of one transfer order: an A4 PDF in Chinese with the order's code and its
QR (``<BASE_URL>/o/<code>``), source, destination, lines with their lots, quantities, units, weight and volume,
the vehicle (the plates of the vehicles whose routes carry it; empty until then) and boxes for the signatures of handing over and
receiving.

WeasyPrint with the CJK font the label sheets use (``labels.sheets.chinese_font``, found through fontconfig and
embedded, subset): one order is one page or two, laid out in a fraction of a second — ReportLab would not be
faster enough to matter here and cannot embed Debian's CFF CJK fonts (see labels/sheets.py).
"""
from sqlmodel import Session, select

from common.actor import Actor
from inventory.models import Item
from labels import payloads, sheets
from orders import services

# Functions (session, order code) -> plates of the vehicles carrying the order: transport registers its reader here
# (orders never imports transport); with none registered, or no vehicle yet, the 车辆 field stays empty.
vehicle_readers: list = []


def document(engine, actor: Actor, code: str, base: str) -> dict:
    """What the waybill prints, readable by whoever may read the order. The lots are those picked once picking
    started (what is on the truck), else the plan's pick list; a line's weight and volume are those of the
    quantity shipped once shipped, else of the quantity planned."""
    order = services.get(engine, actor, code)
    with Session(engine) as s:
        items = {i.code: i for i in s.exec(select(Item).where(Item.code.in_([x["item"] for x in order["lines"]]))).all()}
        plates = [plate for read in vehicle_readers for plate in read(s, order["code"])]
    picked: dict[str, dict[str, dict]] = {}
    for p in order["picks"]:
        lots = picked.setdefault(p["item"], {})
        lot = lots.setdefault(p["lot"], {"lot": p["lot"], "quantity": 0, "expires_on": p["expires_on"]})
        lot["quantity"] += p["quantity"]
    lines = []
    for n, line in enumerate(order["lines"], start=1):
        item = items[line["item"]]
        load = line["shipped"] if order["shipped_at"] else line["planned"]
        lots = list(picked[line["item"]].values()) if line["item"] in picked else line["planned_lots"]
        lines.append({**line, "n": n, "lots": lots, "load": load, "weight_kg": load * (item.weight_kg or 0),
                      "volume_m3": load * (item.volume_m3 or 0)})
    return {**order, "waybill_lines": lines, "qr_url": payloads.order_url(base, order["code"]),
            "weight_kg": sum(x["weight_kg"] for x in lines), "volume_m3": sum(x["volume_m3"] for x in lines),
            "units": sum(x["load"] for x in lines), "vehicle": "、".join(plates) or None}


def pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html, base_url=str(sheets.TEMPLATES)).write_pdf()


def font() -> str:
    """The CJK font family, or ``sheets.NoChineseFont`` (503) saying how to install one."""
    return sheets.chinese_font()


def qr_image(url: str) -> str:
    return sheets.qr_png_data_uri(url)
