"""Administrators keep the depot tree and the catalog from pages (/admin/depots, /admin/items): add, rename,
move under the tier rules and close depots; add, edit and delete items. A depot with stock is not closed, an
item in use is not deleted, a depot does not go under a village, itself or a depot below it; each refusal
names its field in both languages and writes nothing; every change is logged with who and when; anyone but an
administrator gets 403. On SQLite and PostgreSQL."""
import html
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from accounts.models import AdminChange, User
from common import clock
from common.errors import Forbidden, ReadOnlyRole
from inventory import catalog_admin
from inventory.catalog import DepotFields
from inventory.models import Depot, Item
from tests.conftest import csrf_token, login
from tests.integration.helpers import new_lot

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def as_admin(client, county):
    assert login(client, "admin", "admin-pass").status_code == 302
    return client


def post(client, path, data, page, prefix=""):
    return client.post(path, data={f"{prefix}csrf_token": csrf_token(client, page), **data})


def changes(engine):
    with Session(engine) as s:
        rows = s.exec(select(AdminChange, User.username).join(User, User.id == AdminChange.user_id)
                      .order_by(AdminChange.id)).all()
    return [(by, c.subject_kind, c.subject, c.action, c.detail) for c, by in rows]


def depots(engine):
    with engine.connect() as c:
        return {r.code: (r.name, r.parent, r.path, r.closed) for r in c.execute(sa.text(
            "select d.code, d.name, p.code as parent, d.path, d.closed_at is not null as closed "
            "from depot d left join depot p on p.id = d.parent_id")).all()}


@pytest.mark.parametrize("who", ["keeper", "dispatcher", "auditor"])
def test_anyone_but_an_administrator_gets_403(client, county, engine, who):
    assert login(client, who, f"{who}-pass").status_code == 302
    for path in ("/admin/depots", "/admin/depots/T1", "/admin/items", "/admin/items/TENT"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/account/tokens")
    for path in ("/admin/depots", "/admin/depots/T1/rename", "/admin/depots/T1-V1/move", "/admin/depots/T1-V2/close",
                 "/admin/items", "/admin/items/TENT", "/admin/items/PUMP/delete"):
        assert client.post(path, data={"csrf_token": token, "name": "x", "parent": "T2"}).status_code == 403, path
    assert changes(engine) == []
    with pytest.raises((Forbidden, ReadOnlyRole)):
        catalog_admin.close_depot(engine, getattr(county, who), "T1-V2")


def test_a_depot_is_added_renamed_moved_with_its_subtree_and_closed_and_each_change_is_logged(as_admin, engine):
    client = as_admin
    r = post(client, "/admin/depots", {"code": "T1-V3", "name": "新村储备点", "tier": "village", "kind": "station",
                                       "parent": "T1"}, "/admin/depots")
    assert r.status_code == 302 and r.headers["Location"] == "/admin/depots/T1-V3"
    assert depots(engine)["T1-V3"][:2] == ("新村储备点", "T1")
    r = post(client, "/admin/depots/T1-V3/rename", {"rename-name": "新村应急物资储备点"}, "/admin/depots/T1-V3", "rename-")
    assert r.status_code == 302
    r = post(client, "/admin/depots/T1-V3/move", {"move-parent": "T2"}, "/admin/depots/T1-V3", "move-")
    assert r.status_code == 302
    moved = depots(engine)["T1-V3"]
    assert moved[:2] == ("新村应急物资储备点", "T2") and moved[2].startswith(depots(engine)["T2"][2])
    r = post(client, "/admin/depots/T1-V3/close", {}, "/admin/depots/T1-V3", "close-")
    assert r.status_code == 302 and depots(engine)["T1-V3"][3]
    assert changes(engine) == [
        ("admin", "depot", "T1-V3", "created", "新村储备点 (village, T1)"),
        ("admin", "depot", "T1-V3", "renamed", "新村储备点 → 新村应急物资储备点"),
        ("admin", "depot", "T1-V3", "moved", "T1 → T2"),
        ("admin", "depot", "T1-V3", "closed", None)]
    page = html.unescape(client.get("/admin/depots/T1-V3").get_data(as_text=True))
    assert "已关闭" in page and 'id="move"' not in page  # a closed depot is not changed any more
    log = re.search(r'class="rtable change-log">.*?</table>', page, re.S).group(0)
    assert "新村储备点（村储备点，上级 T1）" in log and "village" not in log  # the tier in words
    listing = client.get("/admin/depots?lang=en").get_data(as_text=True)
    assert "Depot moved" in listing and "Depot closed" in listing
    # nothing goes under a closed depot
    r = post(client, "/admin/depots", {"code": "T1-V4", "name": "x", "tier": "village", "kind": "station",
                                       "parent": "T1-V3"}, "/admin/depots?lang=zh_Hans_CN")
    assert r.status_code == 422 and "储备库 T1-V3 已关闭" in r.get_data(as_text=True)


def test_a_town_moves_with_its_villages_paths_and_all(engine, county):
    with engine.begin() as c:  # a second county depot to move a town under
        c.execute(sa.text("insert into depot (code, name, tier, kind, path, key_town) "
                          "values ('C2', '邻县储备库', 'county', 'station', '', false)"))
        c.execute(sa.text("update depot set path = '/' || id || '/' where code = 'C2'"))
    assert catalog_admin.move_depot(engine, county.admin, "T1", "C2")
    after = depots(engine)
    assert after["T1"][1] == "C2"
    assert after["T1"][2].startswith(after["C2"][2])
    assert after["T1-V1"][2].startswith(after["T1"][2]) and after["T1-V2"][2].startswith(after["T1"][2])
    assert not after["T2"][2].startswith(after["C2"][2])


@pytest.mark.parametrize("code, parent, zh, en", [
    ("T1-V1", "T2-V1", "村级储备点须位于乡镇储备站之下", "A village point sits under a town station"),
    ("T1", "T1", "不能位于自身或其下级储备库", "cannot sit under itself"),
    ("T1", "T1-V1", "不能位于自身或其下级储备库", "cannot sit under itself"),
    ("T1-V1", "NOPE", "没有储备库 NOPE", "There is no depot NOPE"),
    ("C1", "T1", "不能位于自身或其下级储备库", "cannot sit under itself"),
])
def test_a_bad_move_names_the_parent_field_in_both_languages_and_moves_nothing(as_admin, engine, code, parent, zh, en):
    before = depots(engine)
    page = f"/admin/depots/{code}"
    r = post(as_admin, f"/admin/depots/{code}/move", {"move-parent": parent}, page, "move-")
    assert r.status_code in (404, 409, 422)
    html = r.get_data(as_text=True)
    assert zh in html and 'id="move-parent"' in html and 'aria-invalid="true"' in html
    r = post(as_admin, f"/admin/depots/{code}/move?lang=en", {"move-parent": parent}, page + "?lang=en", "move-")
    assert en in r.get_data(as_text=True)
    assert depots(engine) == before and changes(engine) == []


def test_a_depot_with_stock_or_open_depots_under_it_is_not_closed(as_admin, engine, county):
    new_lot(engine, county.admin, depot="T1-V2", quantity=7, code="LOT-V2")
    r = post(as_admin, "/admin/depots/T1-V2/close", {}, "/admin/depots/T1-V2", "close-")
    assert r.status_code == 409 and "储备库 T1-V2 仍有 7 件库存" in r.get_data(as_text=True)
    r = post(as_admin, "/admin/depots/T2/close?lang=en", {}, "/admin/depots/T2?lang=en", "close-")
    assert r.status_code == 422 and "has open depots under it (T2-V1)" in r.get_data(as_text=True)
    assert not any(v[3] for v in depots(engine).values()) and changes(engine) == []


@pytest.mark.parametrize("data, field, zh", [
    ({"code": "T1", "name": "x", "tier": "village", "parent": "T1"}, "code", "储备库代码 T1 已被使用"),
    ({"code": "T1-V9", "name": "x", "tier": "village", "parent": "T1-V1"}, "parent", "村级储备点须位于乡镇储备站之下"),
    ({"code": "T9", "name": "x", "tier": "town", "parent": ""}, "parent", "乡镇储备站须位于县级储备库之下"),
    ({"code": "T1 V9", "name": "x", "tier": "village", "parent": "T1"}, "code", "编码只能包含"),
    ({"code": "T1-V9", "name": "x", "tier": "village", "parent": "T1", "key_town": "y"}, "key_town", "重点镇"),
    ({"code": "T1-V9", "name": "x", "tier": "village", "parent": "T1", "lat": "95"}, "lat", "纬度"),
])
def test_a_bad_new_depot_names_its_field_and_adds_nothing(as_admin, engine, data, field, zh):
    before = depots(engine)
    r = post(as_admin, "/admin/depots", {"kind": "station", **data}, "/admin/depots")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert zh in html, html[html.find("field-error") - 300:html.find("field-error") + 300]
    assert f'id="{field}"' in html
    assert depots(engine) == before and changes(engine) == []


def item_form(**changes):
    data = {"code": "ROPE", "name_zh": "救生绳", "name_en": "Rescue rope", "category": "flood", "unit": "根",
            "weight_kg": "1.5", "volume_m3": "0.01", "shelf_life_days": "", "rotation_lead_days": "", "priority": "2",
            "kit": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_item_is_added_edited_and_deleted_and_each_change_is_logged(as_admin, engine):
    r = post(as_admin, "/admin/items", item_form(), "/admin/items")
    assert r.status_code == 302 and r.headers["Location"] == "/admin/items/ROPE"
    r = post(as_admin, "/admin/items/ROPE", item_form(code=None, name_zh="救生绳（30米）", priority="1"),
             "/admin/items/ROPE")
    assert r.status_code == 302
    with Session(engine) as s:
        rope = s.exec(select(Item).where(Item.code == "ROPE")).one()
        assert (rope.name_zh, rope.priority, rope.weight_kg) == ("救生绳（30米）", 1, 1.5)
    r = post(as_admin, "/admin/items/ROPE/delete", {}, "/admin/items/ROPE", "delete-")
    assert r.status_code == 302
    with Session(engine) as s:
        assert s.exec(select(Item).where(Item.code == "ROPE")).first() is None
    assert [(c[2], c[3], c[4]) for c in changes(engine)] == [
        ("ROPE", "created", "救生绳"), ("ROPE", "edited", "name_zh: 救生绳 → 救生绳（30米）; priority: 2 → 1"),
        ("ROPE", "deleted", "救生绳（30米）")]
    page = html.unescape(as_admin.get("/admin/items").get_data(as_text=True))
    assert "删除物资" in page and as_admin.get("/admin/items/ROPE").status_code == 404
    # the change log says the fields in the page's language, not their stored names
    log = re.search(r'class="rtable change-log">.*?</table>', page, re.S).group(0)
    assert "中文名称：救生绳 → 救生绳（30米）；优先级（1 最紧急）：2 → 1" in log and "name_zh" not in log


def test_an_item_in_use_is_not_deleted(as_admin, engine, county):
    new_lot(engine, county.admin, depot="T1", item="WATER", quantity=5, code="LOT-W")
    r = post(as_admin, "/admin/items/WATER/delete", {}, "/admin/items/WATER", "delete-")
    assert r.status_code == 409 and "物资 WATER 已用于 1 个批次" in r.get_data(as_text=True)
    from dispatch import settings
    settings.set_floor(engine, county.admin, "T1", "PUMP", 2)  # named by a reserve floor, no lot
    r = post(as_admin, "/admin/items/PUMP/delete?lang=en", {}, "/admin/items/PUMP?lang=en", "delete-")
    assert r.status_code == 409 and "named by norms, reserve floors or orders" in r.get_data(as_text=True)
    with Session(engine) as s:
        assert {i.code for i in s.exec(select(Item)).all()} == {"TENT", "WATER", "PUMP"}
    assert changes(engine) == []


@pytest.mark.parametrize("changes_, field, zh", [
    ({"code": "TENT"}, "code", "物资代码 TENT 已被使用"),
    ({"weight_kg": "-1"}, "weight_kg", "不能为负数"),
    ({"shelf_life_days": "0"}, "shelf_life_days", "耐用装备请留空"),
    ({"priority": "12"}, "priority", "优先级为 1"),
    ({"unit": ""}, "unit", "必填"),
])
def test_a_bad_item_names_its_field_and_adds_nothing(as_admin, engine, changes_, field, zh):
    r = post(as_admin, "/admin/items", item_form(**changes_), "/admin/items")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert zh in html and f'id="{field}"' in html
    with Session(engine) as s:
        assert s.exec(select(Item).where(Item.code == "ROPE")).first() is None
    assert changes(engine) == []
