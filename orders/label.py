"""An order's label (调拨单标签): the QR of ``<base>/o/<code>`` with the code and source → destination printed
beside it, on the label printers and sheets the lot labels use (labels.sheets). Not recorded in the label print
history, which holds lot, depot and shelf labels."""
from labels import payloads, sheets
from orders import services


def order_label_pdf(engine, actor, code: str, *, base: str, layout: str = "single-60x40", copies: int = 1) -> bytes:
    """The label of an order the actor may read, ``copies`` times (one per package of the load)."""
    from labels.printing import check_layout

    chosen, skip = check_layout(layout, copies, 1)
    order = services.get(engine, actor, code)
    label = sheets.OrderLabel(url=payloads.order_url(base, order["code"]), order_code=order["code"],
                              source_name=order["source_name"], source_code=order["source"],
                              destination_name=order["destination_name"], destination_code=order["destination"])
    return sheets.sheet_pdf([label] * copies, chosen, skip=skip)
