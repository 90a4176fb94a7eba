"""The incident page's "adjust the plan" form and the comparison with the optimum: a dispatcher changes a
line, leaves out a depot or adds a line with a reason; a refusal is shown next to its row and nothing is
stored; auditors read the comparison but get no form; on SQLite and PostgreSQL."""
import re

from sqlmodel import Session, select

from dispatch.models import Plan
from tests.integration.helpers import cell_text, snapshot, table_rows, text
from tests.integration.test_dispatch_pages import (  # noqa: F401  (fixtures)
    as_dispatcher, field_errors, frozen_clock, incident_id, planned, post_forms, post_forms_present, stocked,
)
from tests.conftest import login

# The plan of these fixtures: C1's 40 tents to T1-V1 and T1-V2, T1's 100 cases of water to both.


def lines_form(page_html: str) -> dict:
    """The adjust form's lines as sent unchanged: line, planned and quantity lists."""
    keys = re.findall(r'name="line" value="([^"]+)"', page_html)
    planned_units = re.findall(r'name="planned" value="([^"]+)"', page_html)
    return {"line": keys, "planned": planned_units, "quantity": list(planned_units)}


def adjust(client, incident, data: dict, plan_id=None):
    page = client.get(f"/incidents/{incident}").get_data(as_text=True)
    plan_id = plan_id or int(re.search(r'action="/incidents/\d+/plans/(\d+)/adjust', page).group(1))
    form = {**lines_form(page), **data}
    return post_forms(client, f"/incidents/{incident}/plans/{plan_id}/adjust", form, page=f"/incidents/{incident}")


def plans(engine) -> list[Plan]:
    with Session(engine) as s:
        return s.exec(select(Plan).order_by(Plan.id)).all()


def test_a_dispatcher_sees_the_plans_lines_in_the_adjust_form_in_chinese(client, planned):
    as_dispatcher(client)
    r = client.get(f"/incidents/{planned}")
    page = text(r)
    for words in ("调整方案", "不再使用以下库点（其全部调拨行）", "增加一行", "调整原因", "保存调整后的方案"):
        assert words in page, words
    rows = table_rows(r, "adjust-lines")
    assert [(row["调出库点"], row["送往地点"], row["物资"]) for row in rows] == [
        ("县级储备库 C1", "玉龙村储备点 T1-V1", "救灾帐篷"), ("县级储备库 C1", "桃园村储备点 T1-V2", "救灾帐篷"),
        ("玉龙镇储备站 T1", "玉龙村储备点 T1-V1", "瓶装饮用水"), ("玉龙镇储备站 T1", "桃园村储备点 T1-V2", "瓶装饮用水")]
    assert sum(int(n) for n in lines_form(r.get_data(as_text=True))["planned"][:2]) == 40


def test_leaving_out_a_depot_stores_the_adjusted_plan_and_highlights_the_sites_losing_coverage(client, engine, planned):
    as_dispatcher(client)
    r = adjust(client, planned, {"leave_out": "C1", "reason": "县道塌方，县级储备库车辆无法出库"})
    assert r.status_code == 302 and r.headers["Location"] == f"/incidents/{planned}#adjust"
    stored = plans(engine)
    assert len(stored) == 2 and stored[1].adjusted_from_id == stored[0].id
    assert stored[1].adjustment_reason == "县道塌方，县级储备库车辆无法出库"
    r = client.get(f"/incidents/{planned}")
    page = text(r)
    assert "方案已调整。批准前请对照下方与最优方案的比较。" in page
    assert f"方案 {stored[1].id} 由 dispatcher 于" in page and "在方案 %s 基础上调整" % stored[0].id in page
    assert "2 个地点较最优方案覆盖下降：玉龙村储备点、桃园村储备点。" in page
    objective, transport, *by_item = table_rows(r, "side-by-side")  # optimum, adjusted, difference
    assert objective["差异"].startswith("+") and len(by_item) == 3  # pumps, tents, water: each in its unit
    body = r.get_data(as_text=True)
    delivered = {code: cell_text(re.search(rf'<tr class="[^"]*" data-item="{code}">(.*?)</tr>', body, re.S).group(1))
                 for code in ("PUMP", "TENT", "WATER")}
    assert delivered["TENT"] == "计划送达：救灾帐篷 40 顶 0 顶 −40 顶"  # C1's 40 tents
    assert delivered["WATER"] == "计划送达：瓶装饮用水 100 箱 100 箱 0 箱"
    assert "总体满足率" not in page  # no rate over all items together
    compare = {row["地点"]: row for row in table_rows(r, "site-compare")}
    assert compare["玉龙村储备点 T1-V1 覆盖下降"]["覆盖下降的物资"].startswith("救灾帐篷")
    assert r.get_data(as_text=True).count('<tr class="loses"') == 2
    assert "县级储备库 C1" not in {row["库点"] for row in table_rows(r, "outflows")}  # the plan shown is the new one


def test_a_quantity_beyond_the_usable_stock_is_refused_next_to_its_row_and_nothing_is_stored(client, engine, planned):
    as_dispatcher(client)
    page = client.get(f"/incidents/{planned}").get_data(as_text=True)
    form = lines_form(page)
    form["quantity"][0] = str(int(form["planned"][0]) + 1)  # C1 → T1-V1: one tent more than C1 holds
    before = snapshot(engine)
    r = adjust(client, planned, {**form, "reason": "多送一顶"})
    assert r.status_code == 409
    assert snapshot(engine) == before
    errors = field_errors(r)
    assert errors == ["县级储备库（C1）共需调出救灾帐篷 41，但可用库存仅 40（扣除储备底线后最多 40）。"], errors
    row = re.search(r'<tr class="has-error"[^>]*data-line="C1\|T1-V1\|TENT"', r.get_data(as_text=True))
    assert row and 'value="%s"' % form["quantity"][0] in r.get_data(as_text=True)  # what was typed stays


def test_a_line_along_a_route_the_level_does_not_allow_is_refused_on_its_add_row(client, engine, planned):
    as_dispatcher(client)
    r = adjust(client, planned, {"add_from": ["T2", ""], "add_to": ["T1-V1", ""], "add_item": ["WATER", ""],
                                 "add_quantity": ["5", ""], "reason": "青山镇支援"})
    assert r.status_code == 409 and len(plans(engine)) == 1
    assert field_errors(r) == ["在当前响应级别下，青山镇储备站（T2）不能供应玉龙村储备点（T1-V1）：时限内没有允许的路线。"]
    assert '<div class="add-line has-error">' in r.get_data(as_text=True)


def test_a_form_without_a_reason_or_without_a_change_is_refused(client, engine, planned):
    as_dispatcher(client)
    r = adjust(client, planned, {"leave_out": "T1", "reason": " "})
    assert r.status_code == 422 and field_errors(r) == ["请说明调整方案的原因。"]
    r = adjust(client, planned, {"reason": "看看"})
    assert r.status_code == 422 and field_errors(r) == ["没有任何改动：请修改某行数量、不再使用某库点或增加一行。"]
    r = adjust(client, planned, {"add_from": ["C1"], "add_to": [""], "add_item": ["TENT"], "add_quantity": ["3"],
                                 "reason": "x"})
    assert r.status_code == 422 and field_errors(r) == ["请选择新增行的调出库点、送往地点和物资。"]
    assert len(plans(engine)) == 1


def test_the_comparison_is_in_english_on_request(client, engine, planned):
    as_dispatcher(client)
    adjust(client, planned, {"leave_out": "T1", "reason": "road closed"})
    page = text(client.get(f"/incidents/{planned}?lang=en"))
    for words in ("Adjusted plan compared with the optimum", "Objective (lower is better)",
                  "Transport (units × minutes)",
                  "2 sites lose coverage against the optimum", "Adjust the plan", "Leave out a depot (all its lines)",
                  "Reason: road closed", "adjusted by the dispatcher"):
        assert words in page, words
    assert "调整方案" not in page


def test_an_auditor_reads_the_comparison_but_gets_no_form_and_may_not_adjust(client, engine, stocked, planned):
    as_dispatcher(client)
    adjust(client, planned, {"leave_out": "T1", "reason": "道路中断"})
    client.get("/logout")
    client.post("/logout", data={})
    assert login(client, "auditor", "auditor-pass").status_code == 302
    r = client.get(f"/incidents/{planned}")
    assert "较最优方案覆盖下降" in text(r) and "保存调整后的方案" not in text(r)
    assert not any("/adjust" in f for f in post_forms_present(r))
    before = snapshot(engine)
    newest = plans(engine)[-1].id
    r = post_forms(client, f"/incidents/{planned}/plans/{newest}/adjust", {"leave_out": "T1", "reason": "x"},
                   page=f"/incidents/{planned}")
    assert r.status_code == 403 and snapshot(engine) == before


def test_several_refused_adjustments_are_each_shown_on_their_own_row_at_once(client, engine, planned):
    as_dispatcher(client)
    page = client.get(f"/incidents/{planned}").get_data(as_text=True)
    form = lines_form(page)
    form["quantity"][0] = str(int(form["planned"][0]) + 1)  # judged with the totals once the rows can be applied
    before = snapshot(engine)
    r = adjust(client, planned, {**form, "add_from": ["T2", "T2"], "add_to": ["T1-V1", "T1-V2"],
                                 "add_item": ["WATER", "WATER"], "add_quantity": ["5", "6"], "reason": "三处调整"})
    assert r.status_code == 409 and snapshot(engine) == before and len(plans(engine)) == 1
    body = r.get_data(as_text=True)
    assert body.count('<div class="add-line has-error">') == 2
    errors = [cell_text(m) for m in re.findall(r'<p class="field-error">(.*?)</p>', body, re.S)]
    assert "在当前响应级别下，青山镇储备站（T2）不能供应玉龙村储备点（T1-V1）：时限内没有允许的路线。" in errors
    assert "在当前响应级别下，青山镇储备站（T2）不能供应桃园村储备点（T1-V2）：时限内没有允许的路线。" in errors
