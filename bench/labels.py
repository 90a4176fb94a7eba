"""Label sheets: labels per second of PDF label sheets, against making the same QR codes as PNGs alone.

Measured, turn about (``bench.interleaved``), a turn being one A4 sheet's worth (24 labels), each label
a different lot so no QR code is made twice:

* QR PNGs alone (the baseline): ``labels.sheets.qr_png(url)`` for each label — what any label needs
  at the least: encoding at level H and writing the image;
* A4 3 × 8 sheet: ``labels.sheets.sheet_pdf(labels, "a4-3x8")`` — the same QR codes plus the Chinese
  text, laid out by WeasyPrint with an embedded CJK font, as one PDF;
* 60 × 40 single labels: the same labels one per page;
* print through the service: ``labels.printing.print_depot_lots`` on SQLite, a depot of 24 lots —
  reading the lots, the PDF, and the history rows written in their transaction; what a keeper's
  "print" button costs the server.

The ratios (a variant's labels per second over the baseline's in the same round) are what to compare
between runs. BENCH_SCALE=0.25 (say) shortens every round for a quick look.
"""
import os
import shutil
import tempfile
from datetime import date, datetime, timezone
from itertools import count

from bench import interleaved, log, machine, markdown_table, median, paired_ratios

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ROUNDS = 5
SHEET = 24  # labels per turn: one A4 sheet
PER_ROUND = 96  # labels per variant per round
BASE = "https://depot.example.gov.cn"

BASELINE = "QR PNGs alone (baseline)"
A4, SINGLE, SERVICE = "A4 3 × 8 sheet (PDF)", "60 × 40 single labels (PDF)", "print through the service (SQLite)"


def _labels(numbers, n: int):
    from labels import payloads, sheets

    items = ("瓶装饮用水", "救灾帐篷（12㎡单帐篷）", "便携式卫星通信站", "折叠床")
    out = []
    for _ in range(n):
        i = next(numbers)
        code = f"L{i:06d}"
        out.append(sheets.LotLabel(
            url=payloads.lot_url(BASE, code), item_name=items[i % len(items)], lot_code=code, quantity=10 + i % 500,
            unit="箱", expires_on=date(2027, 1 + i % 12, 1 + i % 28) if i % 3 else None, depot_name="城关镇应急物资储备站",
            depot_code="T01", storage_mode=("physical", "agreement")[i % 2], printed_on=date(2026, 7, 1)))
    return out


def _service_county(url: str):
    """A depot with SHEET lots and its keeper, migrated from scratch."""
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import actor_for, add_user
    from common.actor import ADMIN, Actor
    from common.db import UnitOfWork, make_engine
    from common.migrate import upgrade
    from inventory.catalog import DepotFields, ItemFields, add_depot, add_item
    from inventory.services import Context, NewLot, receive

    upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        add_depot(uow, DepotFields(code="T01", name="县级应急物资储备库", tier="county"))
        add_item(uow, ItemFields(code="WATER", name_zh="瓶装饮用水", name_en="Bottled water", category="living",
                                 unit="箱", shelf_life_days=365))
        admin = add_user(uow, "bench-admin", "bench-admin-pass", ADMIN)
        keeper = add_user(uow, "bench-keeper", "bench-keeper-pass", "keeper", depots=["T01"])
        uow.commit()
        admin_actor = Actor(user_id=admin.id, username=admin.username, role=ADMIN)
    now = datetime.now(timezone.utc)
    for i in range(SHEET):
        receive(engine, Context(actor=admin_actor, now=now, today=now.date()), quantity=10 + i,
                new_lot=NewLot(item="WATER", depot="T01", received_on=date(2026, 6, 1), expires_on=date(2027, 6, 1),
                               code=f"L{i:06d}"))
    with Session(engine) as s:
        actor = actor_for(s, s.exec(select(User).where(User.id == keeper.id)).one())
    return engine, actor


def run() -> str:
    from labels import printing, sheets

    per_round = max(SHEET, int(PER_ROUND * SCALE) // SHEET * SHEET)
    numbers = count(1)
    folder = tempfile.mkdtemp(prefix="rdbench-labels-")
    engine = None
    try:
        engine, keeper = _service_county(f"sqlite:///{os.path.join(folder, 'labels.db')}")
        now = datetime.now(timezone.utc)

        def baseline(n):
            for label in _labels(numbers, n):
                sheets.qr_png(label.url)
            return n

        def a4(n):
            return len(sheets.sheet_pdf(_labels(numbers, n), "a4-3x8")) and n

        def single(n):
            return len(sheets.sheet_pdf(_labels(numbers, n), "single-60x40")) and n

        def service(n):
            assert n == SHEET, n
            return printing.print_depot_lots(engine, keeper, depot="T01", lots=printing.LotFilter(), base=BASE, now=now,
                                             today=now.date(), layout="a4-3x8").labels

        log(f"labels: {ROUNDS} rounds of {per_round} labels per variant, {SHEET} a turn")
        rates = interleaved({BASELINE: baseline, A4: a4, SINGLE: single, SERVICE: service},
                            rounds=ROUNDS, per_round=per_round, chunk=SHEET, warmup=SHEET, label="labels")
        sample = _labels(count(1), 1)[0]
        modules = len(sheets.qr_modules(sample.url))
        font = sheets.chinese_font()
    finally:
        if engine is not None:
            engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return _section(rates, per_round, sample.url, modules, font)


def _section(rates, per_round, url, modules, font) -> str:
    from labels import sheets

    m = machine()
    rows = []
    for name in (BASELINE, A4, SINGLE, SERVICE):
        ratios = paired_ratios(rates[name], rates[BASELINE])
        rows.append([name, f"{median(rates[name]):,.1f}",
                     "1" if name == BASELINE else f"{median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})"])
    a4 = median(paired_ratios(rates[A4], rates[BASELINE]))
    return "\n".join([
        "## Label sheets",
        "",
        f"PDF label sheets (`labels.sheets.sheet_pdf`, WeasyPrint, font {font}) against the same QR codes made as "
        f"PNGs alone, turn about, one A4 sheet ({SHEET} labels) a turn, {ROUNDS} rounds of {per_round} labels per "
        f"variant; every label a different lot. Payloads like `{url}`: QR version "
        f"{(modules - 17) // 4}, {modules} modules, error correction {sheets.ERROR_CORRECTION_NAME}. "
        f"{m['cpu']}, {m['cores']} cores, {m['python']}.",
        "",
        markdown_table(["variant", "labels/s (median)", "ratio to QR PNGs alone (median, min–max)"], rows),
        "",
        f"A sheet costs about {1 / a4:.1f}× the bare QR codes: laying out and embedding the Chinese text is most of "
        f"the work. At the A4 rate, the {printing_limit()} labels one print may hold take about "
        f"{printing_limit() / median(rates[A4]):.0f} s; a whole county depot (about 140 lots) about "
        f"{140 / median(rates[A4]):.0f} s.",
    ])


def printing_limit() -> int:
    from labels.printing import MAX_SHEET_LABELS

    return MAX_SHEET_LABELS
