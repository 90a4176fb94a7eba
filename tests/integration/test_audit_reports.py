"""The auditor's reports on a small hand-made county whose right answers are written here, on SQLite and
PostgreSQL: expiry, rotation, reserve sufficiency, stock cards, the ledger and the write-off register.

Today is 2026-07-01 (10:00 in the county). The lots (see ``audit_county``):

  lot        item    depot   units  expires      price   note
  L-W-OLD    WATER   T1       7→4   2026-06-28   30.00   expired; 3 written off (expired: keeper asked, admin approved)
  L-W-20     WATER   T1      12     2026-07-21   30.00   20 days left
  L-W-45     WATER   T2      30→25  2026-08-15   —       45 days; T2 issued 5 of it
  L-W-60     WATER   T1-V1    8     2026-08-30   —       60 days
  L-W-AG     WATER   T2      50     2026-09-08   28.00   agreement stock (县超市)
  L-J-80     JACKET  T1-V1   10     2026-09-19   85.50   80 days
  L-W-200    WATER   C1     100     2027-01-17   —
  L-TENT     TENT    C1     40→48   durable      —       2 written off (damaged: admin asked, admin2 approved under
                                                          HX-9) today, 10 received on 07-03
  L-PUMP     PUMP    T1       3     durable
  L-PHONE    PHONE   T1       1     durable
  L-HELMET   HELMET  T2      25     durable
  L-FLASH    FLASH   T2-V1   10     durable
"""
from datetime import date, datetime, timedelta, timezone

import pytest

from audit import movements, reports
from audit.reports import Filters
from common.db import UnitOfWork
from common.errors import InvalidInput, NotYourDepot
from dispatch.norms import NormRule
from dispatch.settings import replace_norms
from inventory import services
from inventory.catalog import ItemFields, add_item
from accounts.models import User
from accounts.services import actor_for, add_user
from tests.integration.helpers import written_off

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
TODAY = date(2026, 7, 1)
LATER = NOW + timedelta(days=2)  # 2026-07-03


def ctx(actor, now=NOW, **kw):
    return services.Context(actor=actor, now=now, today=TODAY, **kw)


def receive(engine, actor, code, item, depot, quantity, expires_on=None, price=None, **kw):
    services.receive(engine, ctx(actor), quantity=quantity, new_lot=services.NewLot(
        item=item, depot=depot, received_on=date(2026, 6, 1), expires_on=expires_on, code=code,
        unit_price_cents=price, **kw))


@pytest.fixture
def audit_county(engine, county):
    admin = county.admin
    with UnitOfWork(engine) as uow:
        for code, zh, en, category, unit, kit, shelf, lead in (
                ("GEN", "发电机", "Generator", "flood", "台", "big3", None, None),
                ("PHONE", "卫星电话", "Satellite phone", "communications", "部", "big3", None, None),
                ("HELMET", "安全头盔", "Safety helmet", "work_safety_rescue", "顶", "small4", None, None),
                ("FLASH", "强光手电", "Flashlight", "work_safety_rescue", "支", "small4", None, None),
                ("RAIN", "雨衣雨靴", "Rain gear", "work_safety_rescue", "套", "small4", None, None),
                ("JACKET", "救生衣", "Life jacket", "flood", "件", "small4", 1825, 180)):
            add_item(uow, ItemFields(code=code, name_zh=zh, name_en=en, category=category, unit=unit, kit=kit,
                                     shelf_life_days=shelf, rotation_lead_days=lead))
        uow.commit()
    receive(engine, admin, "L-W-OLD", "WATER", "T1", 7, date(2026, 6, 28), 3000)
    receive(engine, admin, "L-W-20", "WATER", "T1", 12, date(2026, 7, 21), 3000)
    receive(engine, admin, "L-W-45", "WATER", "T2", 30, date(2026, 8, 15))
    receive(engine, admin, "L-W-60", "WATER", "T1-V1", 8, date(2026, 8, 30))
    receive(engine, admin, "L-W-AG", "WATER", "T2", 50, date(2026, 9, 8), 2800, storage_mode="agreement",
            partner="县超市")
    receive(engine, admin, "L-J-80", "JACKET", "T1-V1", 10, date(2026, 9, 19), 8550)
    receive(engine, admin, "L-W-200", "WATER", "C1", 100, date(2027, 1, 17))
    receive(engine, admin, "L-TENT", "TENT", "C1", 40)
    receive(engine, admin, "L-PUMP", "PUMP", "T1", 3)
    receive(engine, admin, "L-PHONE", "PHONE", "T1", 1)
    receive(engine, admin, "L-HELMET", "HELMET", "T2", 25)
    receive(engine, admin, "L-FLASH", "FLASH", "T2-V1", 10)
    services.issue(engine, ctx(county.keeper2, reference="FF-1"), lot="L-W-45", quantity=5)
    written_off(engine, county.keeper, admin, "L-W-OLD", 3, reason="expired", note="过期报损",
                now=NOW + timedelta(hours=1), document_no="应急〔2026〕7号")
    with UnitOfWork(engine) as uow:  # an administrator's own request is approved by another one
        admin2 = add_user(uow, "admin2", "admin2-pass", "admin")
        uow.commit()
        admin2 = actor_for(uow.session, uow.session.get(User, admin2.id))
    written_off(engine, admin, admin2, "L-TENT", 2, reason="damaged", now=NOW + timedelta(hours=2),
                document_no="HX-9")
    services.receive(engine, ctx(admin, now=LATER), lot="L-TENT", quantity=10)
    replace_norms(engine, admin, [
        NormRule("WATER", "person", 0.23, per_day=True),
        NormRule("TENT", "household", 1),
        NormRule("PHONE", "site", 1, levels=("I", "II", "III")),
        NormRule("PUMP", "site", 1, levels=("I", "II")),
    ])
    return county


# ------------------------------------------------------------------ expiry


def test_the_expiry_report_lists_expired_and_expiring_lots_by_window_with_values(engine, audit_county):
    result = reports.expiry(engine, audit_county.auditor, TODAY)
    assert [(r["lot"], r["bucket"], r["days_left"], r["quantity"], r["value_cents"]) for r in result["rows"]] == [
        ("L-W-OLD", "expired", -3, 4, 12000),
        ("L-W-20", "30", 20, 12, 36000),
        ("L-W-45", "60", 45, 25, None),
        ("L-W-60", "60", 60, 8, None),
        ("L-W-AG", "90", 69, 50, 140000),
        ("L-J-80", "90", 80, 10, 85500),
    ]
    assert [(b["bucket"], b["lots"], b["units"], b["value_cents"], b["unpriced_units"]) for b in result["buckets"]] == [
        ("expired", 1, 4, 12000, 0), ("30", 1, 12, 36000, 0), ("60", 2, 33, 0, 33), ("90", 2, 60, 225500, 0)]
    assert result["totals"] == {"lots": 6, "units": 109, "value_cents": 273500, "unpriced_units": 33}


def test_the_expiry_timeline_counts_units_per_month_by_category_for_twelve_months(engine, audit_county):
    timeline = reports.expiry(engine, audit_county.auditor, TODAY)["timeline"]
    assert timeline["months"][0] == "2026-07" and timeline["months"][-1] == "2027-06" and len(timeline["months"]) == 12
    assert timeline["categories"] == ["living", "flood"]
    assert timeline["units"]["living"] == [12, 33, 50, 0, 0, 0, 100, 0, 0, 0, 0, 0]
    assert timeline["units"]["flood"] == [0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert timeline["totals"] == [12, 33, 60, 0, 0, 0, 100, 0, 0, 0, 0, 0]


def test_the_expiry_windows_can_be_chosen_and_the_report_filtered(engine, audit_county):
    auditor = audit_county.auditor
    result = reports.expiry(engine, auditor, TODAY, windows=[15, 50])
    assert [(r["lot"], r["bucket"]) for r in result["rows"]] == [("L-W-OLD", "expired"), ("L-W-20", "50"),
                                                                 ("L-W-45", "50")]
    by_depot = reports.expiry(engine, auditor, TODAY, Filters(depot="T1", subtree=True))
    assert [r["lot"] for r in by_depot["rows"]] == ["L-W-OLD", "L-W-20", "L-W-60", "L-J-80"]
    assert [r["lot"] for r in reports.expiry(engine, auditor, TODAY, Filters(tier="village"))["rows"]] == [
        "L-W-60", "L-J-80"]
    assert [r["lot"] for r in reports.expiry(engine, auditor, TODAY, Filters(category="flood"))["rows"]] == ["L-J-80"]
    assert [r["lot"] for r in reports.expiry(engine, auditor, TODAY, Filters(item="JACKET"))["rows"]] == ["L-J-80"]
    dated = reports.expiry(engine, auditor, TODAY, Filters(start=date(2026, 8, 1), end=date(2026, 8, 31)))
    assert [r["lot"] for r in dated["rows"]] == ["L-W-45", "L-W-60"]


def test_a_keeper_sees_only_the_lots_of_the_depots_they_keep(engine, audit_county):
    result = reports.expiry(engine, audit_county.keeper, TODAY)
    assert [r["lot"] for r in result["rows"]] == ["L-W-OLD", "L-W-20", "L-W-60", "L-J-80"]
    with pytest.raises(NotYourDepot):
        reports.expiry(engine, audit_county.keeper, TODAY, Filters(depot="T2"))


@pytest.mark.parametrize("call, field", [
    (lambda e, a: reports.expiry(e, a, TODAY, windows=[0, 30]), "windows"),
    (lambda e, a: reports.expiry(e, a, TODAY, windows=[60, 30]), "windows"),
    (lambda e, a: reports.expiry(e, a, TODAY, Filters(depot="NOPE")), "depot"),
    (lambda e, a: reports.expiry(e, a, TODAY, Filters(item="NOPE")), "item"),
    (lambda e, a: reports.expiry(e, a, TODAY, Filters(tier="city")), "tier"),
    (lambda e, a: reports.write_offs(e, a, TODAY, Filters(start=date(2026, 7, 2), end=date(2026, 7, 1))), "end"),
    (lambda e, a: reports.sufficiency(e, a, TODAY, share_percent=0), "share"),
    (lambda e, a: reports.lot_card(e, a, TODAY, "NO-SUCH-LOT"), "lot"),
])
def test_impossible_filters_are_refused_naming_the_field(engine, audit_county, call, field):
    with pytest.raises(InvalidInput) as caught:
        call(engine, audit_county.auditor)
    assert caught.value.field == field


# ------------------------------------------------------------------ rotation


def test_the_rotation_plan_suggests_an_action_and_the_replacement_for_each_lot_due(engine, audit_county):
    result = reports.rotation(engine, audit_county.auditor, TODAY, now=NOW)
    assert [(r["lot"], r["days_left"], r["lead_days"], r["action"], r["to_depot"]) for r in result["rows"]] == [
        ("L-W-20", 20, 90, "donate", None),  # living supplies, too little time left to move
        ("L-W-45", 45, 90, "donate", None),  # T2 issues water most itself
        ("L-W-60", 60, 90, "move", "T2"),  # T2 issued 5, T1-V1 none
        ("L-W-AG", 69, 90, "return_to_supplier", None),  # agreement stock
        ("L-J-80", 80, 180, "drill", None),  # equipment
    ]
    by_lot = {r["lot"]: r for r in result["rows"]}
    assert (by_lot["L-W-60"]["replace_quantity"], by_lot["L-W-60"]["replace_by"]) == (8, date(2026, 8, 30))
    assert by_lot["L-W-AG"]["replaced_by"] == "partner" and by_lot["L-W-20"]["replaced_by"] == "purchase"
    assert (by_lot["L-W-60"]["issued_here"], by_lot["L-W-60"]["issued_there"]) == (0, 5)
    assert result["totals"] == {"lots": 5, "units": 105}
    assert {a["action"]: (a["lots"], a["units"]) for a in result["by_action"]} == {
        "donate": (2, 37), "move": (1, 8), "return_to_supplier": (1, 50), "drill": (1, 10)}


# ------------------------------------------------------------------ reserve sufficiency


def test_reserve_sufficiency_compares_the_county_with_the_norms_and_each_town_with_its_kit(engine, audit_county):
    result = reports.sufficiency(engine, audit_county.auditor, TODAY, people=1000)
    assert (result["people"], result["target_people"], result["days"], result["share_percent"]) == (1000, 500, 3, 50)
    county = [(ln["depot"], ln["item"], ln["target"], ln["stock"], ln["gap"]) for ln in result["lines"]
              if ln["level"] == "county"]
    # 500 people: water 0.23 × 500 × 3 days = 345; tents 500 / 3.5 = 142.9 → 143; phones 1; pumps only at I–II.
    # Water counts what a plan could send: not the 8 at the village point T1-V1 (villages keep theirs)
    assert county == [("C1", "PHONE", 1, 1, 0), ("C1", "TENT", 143, 48, 95), ("C1", "WATER", 345, 187, 158)]
    water = next(ln for ln in result["lines"] if ln["item"] == "WATER")
    assert water["coverage"] == pytest.approx(187 / 345) and water["own"] == 100
    towns = [(ln["depot"], ln["item"], ln["target"], ln["stock"], ln["own"], ln["gap"]) for ln in result["lines"]
             if ln["level"] == "town"]
    assert towns == [
        ("T1", "GEN", 1, 0, 0, 1), ("T1", "PHONE", 1, 1, 1, 0), ("T1", "PUMP", 1, 3, 3, 0),
        ("T2", "FLASH", 20, 10, 0, 10), ("T2", "HELMET", 20, 25, 25, 0), ("T2", "JACKET", 20, 0, 0, 20),
        ("T2", "RAIN", 20, 0, 0, 20),
    ]
    assert [(t["depot"], t["kit"], t["lines_met"], t["target"], t["covered"], round(t["coverage"], 4))
            for t in result["towns"]] == [("T1", "big3", 2, 3, 2, 0.6667), ("T2", "small4", 1, 80, 30, 0.375)]
    totals = result["totals"]
    assert (totals["county"]["target"], totals["county"]["covered"], totals["county"]["gap"]) == (489, 236, 253)
    assert totals["county"]["coverage"] == pytest.approx(236 / 489)
    assert (totals["towns"]["target"], totals["towns"]["covered"], totals["towns_met"], totals["town_count"]) == (
        83, 32, 0, 2)


def test_reserve_sufficiency_takes_another_share_or_number_of_people(engine, audit_county):
    result = reports.sufficiency(engine, audit_county.auditor, TODAY, share_percent=100, people=300)
    county = {ln["item"]: ln["target"] for ln in result["lines"] if ln["level"] == "county"}
    assert result["target_people"] == 300 and county == {"PHONE": 1, "TENT": 86, "WATER": 207}


def test_reserve_sufficiency_is_filtered_by_depot_tier_and_item_and_keepers_see_their_towns(engine, audit_county):
    auditor = audit_county.auditor
    only_t2 = reports.sufficiency(engine, auditor, TODAY, Filters(depot="T2"))
    assert {ln["depot"] for ln in only_t2["lines"]} == {"T2"}
    towns = reports.sufficiency(engine, auditor, TODAY, Filters(tier="town"))
    assert {ln["level"] for ln in towns["lines"]} == {"town"}
    water = reports.sufficiency(engine, auditor, TODAY, Filters(item="WATER"))
    assert [(ln["depot"], ln["item"]) for ln in water["lines"]] == [("C1", "WATER")]
    keeper = reports.sufficiency(engine, audit_county.keeper, TODAY)
    assert {ln["depot"] for ln in keeper["lines"]} == {"T1"}


# ------------------------------------------------------------------ stock cards, ledger, write-offs


def test_the_stock_card_of_a_lot_has_every_line_with_its_balance(engine, audit_county):
    card = reports.lot_card(engine, audit_county.auditor, TODAY, "L-W-45")
    assert [(r["kind"], r["quantity"], r["balance"], r["user"], r["reference"]) for r in card["rows"]] == [
        ("receive", 30, 30, "admin", None), ("issue", -5, 25, "keeper2", "FF-1")]
    assert card["totals"] == {"opening": 0, "closing": 25, "lines": 2, "in": 30, "out": 5}


def test_the_stock_card_of_an_item_at_a_depot_runs_its_balance_from_the_balance_brought_forward(engine, audit_county):
    auditor = audit_county.auditor
    card = reports.item_card(engine, auditor, TODAY, "C1", "TENT")
    assert [(r["kind"], r["quantity"], r["balance"]) for r in card["rows"]] == [
        ("receive", 40, 40), ("write_off", -2, 38), ("receive", 10, 48)]
    later = reports.item_card(engine, auditor, TODAY, "C1", "TENT", Filters(start=date(2026, 7, 2)))
    assert (later["opening"], [(r["quantity"], r["balance"]) for r in later["rows"]], later["closing"]) == (
        38, [(10, 48)], 48)
    water = reports.item_card(engine, auditor, TODAY, "T1", "WATER")
    assert [(r["lot"], r["quantity"], r["lot_balance"], r["balance"]) for r in water["rows"]] == [
        ("L-W-OLD", 7, 7, 7), ("L-W-20", 12, 12, 19), ("L-W-OLD", -3, 4, 16)]


def test_the_movement_ledger_has_running_balances_per_item_and_depot_for_any_dates(engine, audit_county):
    auditor = audit_county.auditor
    everything = movements.ledger(engine, auditor, TODAY)
    assert everything["total"] == 16
    t1_water = [(r["lot"], r["kind"], r["quantity"], r["balance"]) for r in everything["rows"]
                if (r["depot"], r["item"]) == ("T1", "WATER")]
    assert t1_water == [("L-W-OLD", "receive", 7, 7), ("L-W-20", "receive", 12, 19), ("L-W-OLD", "write_off", -3, 16)]
    first = everything["rows"][0]
    assert (first["time"], first["depot_name"], first["item_name"], first["user"]) == (
        "2026-07-01 10:00:00", "玉龙镇储备站", "瓶装饮用水", "admin")
    later = movements.ledger(engine, auditor, TODAY, Filters(start=date(2026, 7, 2), end=date(2026, 7, 31)))
    assert [(r["lot"], r["quantity"], r["lot_balance"], r["balance"], r["time"]) for r in later["rows"]] == [
        ("L-TENT", 10, 48, 48, "2026-07-03 10:00:00")]
    first_day = movements.ledger(engine, auditor, TODAY, Filters(end=date(2026, 7, 1), depot="T2"))
    assert [(r["lot"], r["kind"], r["balance"]) for r in first_day["rows"]] == [
        ("L-W-45", "receive", 30), ("L-W-AG", "receive", 80), ("L-HELMET", "receive", 25), ("L-W-45", "issue", 75)]


def test_the_write_off_register_lists_reasons_values_requests_and_approvals(engine, audit_county):
    result = reports.write_offs(engine, audit_county.auditor, TODAY)
    assert [(r["lot"], r["quantity"], r["reason"], r["approved"], r["value_cents"], r["user"], r["reference"])
            for r in result["rows"]] == [
        ("L-W-OLD", 3, "expired", True, 9000, "admin", "BS-1"), ("L-TENT", 2, "damaged", True, None, "admin2", "BS-2")]
    assert [(r["request"], r["requested_by"], r["approved_by"], r["document_no"], r["requested_at"], r["approved_at"])
            for r in result["rows"]] == [
        ("BS-1", "keeper", "admin", "应急〔2026〕7号", NOW + timedelta(hours=1), NOW + timedelta(hours=1)),
        ("BS-2", "admin", "admin2", "HX-9", NOW + timedelta(hours=2), NOW + timedelta(hours=2))]
    assert result["totals"] == {"lines": 2, "units": 5, "value_cents": 9000, "approved_units": 5}
    assert [(r["reason"], r["units"]) for r in result["by_reason"]] == [("expired", 3), ("damaged", 2)]
    keeper = reports.write_offs(engine, audit_county.keeper, TODAY)
    assert [r["lot"] for r in keeper["rows"]] == ["L-W-OLD"]


def test_a_page_lists_only_the_first_rows_and_its_totals_still_count_every_row(engine, audit_county):
    a = audit_county.auditor
    for run, key in ((lambda **kw: reports.expiry(engine, a, TODAY, **kw), "buckets"),
                     (lambda **kw: reports.rotation(engine, a, TODAY, now=NOW, **kw), "by_action"),
                     (lambda **kw: reports.write_offs(engine, a, TODAY, **kw), "by_reason")):
        full, page = run(), run(limit=1)
        assert len(full["rows"]) >= 2 and page["rows"] == full["rows"][:1]
        assert (page["totals"], page[key]) == (full["totals"], full[key])


def test_a_keeper_records_stock_while_a_long_ledger_export_is_being_read(engine, audit_county, monkeypatch):
    monkeypatch.setattr(movements, "BATCH", 2)
    export = movements.LedgerQuery(engine, audit_county.auditor).rows()
    first = [next(export) for _ in range(3)]  # mid-stream: the export's transaction is open
    services.issue(engine, ctx(audit_county.keeper2, now=LATER), lot="L-W-45", quantity=1)  # does not wait for it
    rest = list(export)
    assert [r[0] for r in first + rest] == list(range(1, 17))  # the export reads the ledger as it was
    assert [r[0] for r in movements.LedgerQuery(engine, audit_county.auditor).rows()][-1] == 17


def test_reserve_sufficiency_targets_the_largest_level_iii_response_and_counts_only_what_a_plan_could_send(
        engine, audit_county):
    from sqlmodel import select

    from dispatch.models import ReserveFloor
    from inventory.models import Depot, Item

    admin = audit_county.admin
    receive(engine, admin, "L-W-CAP", "WATER", "C1", 500, date(2027, 6, 1), storage_mode="capacity", partner="水厂")
    receive(engine, admin, "L-W-3D", "WATER", "C1", 40, TODAY + timedelta(days=3))  # gone before it could arrive
    with UnitOfWork(engine) as uow:
        s = uow.session
        t1 = s.exec(select(Depot.id).where(Depot.code == "T1")).one()
        water = s.exec(select(Item.id).where(Item.code == "WATER")).one()
        s.add(ReserveFloor(depot_id=t1, item_id=water, quantity=10))  # T1 keeps 10 of its 12 at level III
        uow.commit()
    result = reports.sufficiency(engine, audit_county.auditor, TODAY)
    # level III runs from 1,000 to 4,999 people (level II starts at 5,000): the target is for half the largest
    assert (result["people"], result["target_people"]) == (4999, 2500)
    line = next(ln for ln in result["lines"] if ln["level"] == "county" and ln["item"] == "WATER")
    assert (line["target"], line["stock"]) == (1725, 2 + 25 + 50 + 100)  # 0.23 × 2,500 × 3 days
    a = result["assumptions"]
    assert a["storage_modes"] == ["physical", "agreement"] and a["usable_from"] == TODAY + timedelta(days=7)
    assert (a["floor_draw"], a["mutual_aid"]) == (0.0, False)
    assert result["totals"]["county"]["coverage"] < 1
