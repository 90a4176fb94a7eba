"""Write-offs with approval (报损核销), on SQLite and PostgreSQL: a keeper requests, an administrator other than
the requester approves with the approving document number, and only then one write-off line enters the ledger."""
import base64
import re
import threading
import uuid

import pytest
import sqlalchemy as sa

from accounts.models import User
from accounts.services import actor_for, add_user, issue_token
from common.db import UnitOfWork
from common.errors import Forbidden, InsufficientStock, NotFound, ReadOnlyRole
from inventory import services
from inventory.writeoffs import service as writeoffs
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import NOW, TODAY, ctx, ledger_lines, lot_quantity, new_lot, snapshot, table_rows, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def ask(engine, actor, lot, quantity=3, reason="damaged", **kw):
    return writeoffs.request(engine, actor, NOW, writeoffs.NewRequest(lot=lot, quantity=quantity, reason=reason, **kw))


def post(client, county, who, path, body=None, key=None):
    headers = bearer(county, who)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(path, json=body if body is not None else {}, headers=headers)


def write_off_lines(engine, code):
    return [m for m in ledger_lines(engine, code) if m.kind == "write_off"]


@pytest.fixture
def admin2(engine, county):
    with UnitOfWork(engine) as uow:
        user = add_user(uow, "admin2", "admin2-pass", "admin")
        uow.commit()
        actor = actor_for(uow.session, uow.session.get(User, user.id))
    county.tokens["admin2"] = issue_token(engine, actor.user_id, "test")
    return actor


# ------------------------------------------------------------------ the service


def test_an_approved_request_writes_one_ledger_line_that_names_it(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    made = ask(engine, county.keeper, code, quantity=4, reason="damaged", note="雨水浸泡")
    assert (made["status"], made["reference"], lot_quantity(engine, code)) == ("pending", f"BS-{made['id']}", 20)
    done = writeoffs.approve(engine, county.admin, NOW, TODAY, made["id"], "应急〔2026〕12号")
    [line] = write_off_lines(engine, code)
    assert (line.quantity, line.balance_after, line.reason, line.reference, line.note) == (
        -4, 16, "damaged", made["reference"], "雨水浸泡")
    assert lot_quantity(engine, code) == 16
    assert (done["status"], done["document_no"], done["decided_by"], done["requested_by"], done["movement_id"]) == (
        "approved", "应急〔2026〕12号", "admin", "keeper", line.id)


@pytest.mark.parametrize("decide", [
    lambda e, c, i: writeoffs.reject(e, c.admin, NOW, i, "照片与实物不符"),
    lambda e, c, i: writeoffs.withdraw(e, c.keeper, NOW, i),
])
def test_a_rejected_or_withdrawn_request_writes_nothing_to_the_ledger(engine, county, decide):
    code = new_lot(engine, county.keeper, quantity=20)
    made = ask(engine, county.keeper, code)
    decided = decide(engine, county, made["id"])
    assert decided["status"] in ("rejected", "withdrawn")
    assert write_off_lines(engine, code) == [] and lot_quantity(engine, code) == 20
    with pytest.raises(writeoffs.RequestStateConflict):  # and it cannot be approved afterwards
        writeoffs.approve(engine, county.admin, NOW, TODAY, made["id"], "X-1")


def test_a_keeper_cannot_approve_and_an_administrator_cannot_approve_their_own_request(engine, county, admin2):
    code = new_lot(engine, county.admin, depot="C1", quantity=20)
    theirs = ask(engine, county.admin, code)
    with pytest.raises(Forbidden):
        writeoffs.approve(engine, county.keeper, NOW, TODAY, theirs["id"], "X-1")
    with pytest.raises(Forbidden) as own:
        writeoffs.approve(engine, county.admin, NOW, TODAY, theirs["id"], "X-1")
    assert own.value.message_code == "write_off_own_request"
    assert write_off_lines(engine, code) == []
    writeoffs.approve(engine, admin2, NOW, TODAY, theirs["id"], "X-1")
    assert lot_quantity(engine, code) == 17


def test_approval_when_the_lot_now_holds_less_is_refused_and_writes_nothing(engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    made = ask(engine, county.keeper, code, quantity=8)
    services.issue(engine, ctx(county.keeper), lot=code, quantity=5)  # a pending request holds no units
    before = snapshot(engine)
    with pytest.raises(InsufficientStock) as refused:
        writeoffs.approve(engine, county.admin, NOW, TODAY, made["id"], "X-1")
    assert refused.value.params == {"lot": code, "available": 5, "quantity": 8}
    assert snapshot(engine) == before
    assert writeoffs.get_request(engine, county.admin, made["id"])["status"] == "pending"


def test_a_request_for_more_than_the_lot_holds_or_for_another_depot_is_refused(engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    other = new_lot(engine, county.keeper2, depot="T2", quantity=10)
    before = snapshot(engine)
    with pytest.raises(InsufficientStock):
        ask(engine, county.keeper, code, quantity=11)
    with pytest.raises(Forbidden):
        ask(engine, county.keeper, other)
    with pytest.raises(ReadOnlyRole):
        ask(engine, county.auditor, code)
    assert snapshot(engine) == before


def test_two_administrators_approving_at_once_write_it_off_once(engine, county, admin2):
    code = new_lot(engine, county.keeper, quantity=10)
    made = ask(engine, county.keeper, code, quantity=6)
    outcomes = []

    def approve(actor):
        try:
            outcomes.append(writeoffs.approve(engine, actor, NOW, TODAY, made["id"], "X-1")["status"])
        except writeoffs.RequestStateConflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(a,)) for a in (county.admin, admin2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert len(write_off_lines(engine, code)) == 1 and lot_quantity(engine, code) == 4


def test_the_lot_page_shows_the_units_pending_write_off(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10, code="L-PEND")
    ask(engine, county.keeper, code, quantity=3)
    ask(engine, county.keeper, code, quantity=2)
    login(client, "keeper", "keeper-pass")
    page = text(client.get(f"/lots/{code}"))
    assert "在库 10 箱" in page and "待核销 5 箱" in page


# ------------------------------------------------------------------ the API


def test_a_keeper_cannot_write_off_directly_through_the_ledger(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    before = snapshot(engine)
    for reason in ("approved", "damaged"):
        r = post(client, county, "keeper", "/api/v1/ledger",
                 {"kind": "write_off", "lot": code, "quantity": 2, "reason": reason})
        assert r.status_code == 403, r.json
        assert r.json["error"]["message_code"] == "write_off_needs_request"
        assert "/api/v1/write-offs" in r.json["error"]["message"]
    r = post(client, county, "admin", "/api/v1/ledger", {"kind": "write_off", "lot": code, "quantity": 2,
                                                         "reason": "approved"})
    assert r.status_code == 403
    assert snapshot(engine) == before


def test_request_and_approve_through_the_api(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    made = post(client, county, "keeper", "/api/v1/write-offs",
                {"lot": code, "quantity": 3, "reason": "expired", "note": "过期", "photo": base64.b64encode(PNG).decode()})
    assert made.status_code == 201, made.json
    assert (made.json["status"], made.json["has_photo"], made.json["replayed"]) == ("pending", True, False)
    rid = made.json["id"]
    photo = client.get(f"/api/v1/write-offs/{rid}/photo", headers=bearer(county, "keeper"))
    assert (photo.status_code, photo.mimetype, photo.data) == (200, "image/png", PNG)
    assert post(client, county, "keeper", f"/api/v1/write-offs/{rid}/approve", {"document_no": "X"}).status_code == 403
    missing = post(client, county, "admin", f"/api/v1/write-offs/{rid}/approve", {})
    assert missing.status_code == 422 and "document_no" in missing.json["error"]["fields"]
    done = post(client, county, "admin", f"/api/v1/write-offs/{rid}/approve", {"document_no": "应急〔2026〕3号"})
    assert done.status_code == 200, done.json
    assert done.json["entries"][0] | {"id": 0, "created_at": ""} == {
        "id": 0, "kind": "write_off", "lot": code, "depot": "T1", "item": "WATER", "quantity": -3, "balance_after": 7,
        "user": "admin", "created_at": "", "reason": "expired", "note": "过期", "reference": f"BS-{rid}",
        "idempotency_key": None, "counterpart_id": None}
    again = post(client, county, "admin", f"/api/v1/write-offs/{rid}/approve", {"document_no": "应急〔2026〕3号"})
    assert again.status_code == 409 and again.json["error"]["message_code"] == "write_off_decided"
    assert len(write_off_lines(engine, code)) == 1


def test_approval_through_the_api_when_the_lot_holds_less_is_a_409_naming_the_quantity(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    rid = post(client, county, "keeper", "/api/v1/write-offs", {"lot": code, "quantity": 9, "reason": "lost"}).json["id"]
    services.issue(engine, ctx(county.keeper), lot=code, quantity=2)
    r = post(client, county, "admin", f"/api/v1/write-offs/{rid}/approve", {"document_no": "X-1"})
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_stock"
    assert r.json["error"]["message_code"] == "lot_holds_less" and r.json["error"]["field"] == "quantity"
    assert write_off_lines(engine, code) == [] and lot_quantity(engine, code) == 8


def test_a_repeated_idempotency_key_makes_one_request(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    key = str(uuid.uuid4())
    body = {"lot": code, "quantity": 2, "reason": "damaged"}
    first = post(client, county, "keeper", "/api/v1/write-offs", body, key=key)
    again = post(client, county, "keeper", "/api/v1/write-offs", body, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["replayed"] is True and again.json["id"] == first.json["id"]
    other = post(client, county, "keeper", "/api/v1/write-offs", {**body, "quantity": 3}, key=key)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    # the key is per user: another keeper's phone may use the same one
    listed = client.get("/api/v1/write-offs", headers=bearer(county, "admin")).json
    assert listed["total"] == 1


def test_racing_duplicates_of_a_request_make_one_request_and_both_get_it(app, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    key, answers = str(uuid.uuid4()), []

    def send():
        r = app.test_client().post("/api/v1/write-offs", json={"lot": code, "quantity": 2, "reason": "lost"},
                                   headers={**bearer(county, "keeper"), "Idempotency-Key": key})
        answers.append((r.status_code, r.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in answers) == [200, 200, 200, 201]
    assert len({i for _, i in answers}) == 1
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from write_off_request")).scalar() == 1


def test_an_auditor_reads_requests_but_cannot_make_or_decide_them(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    rid = ask(engine, county.keeper, code)["id"]
    before = snapshot(engine)
    r = post(client, county, "auditor", "/api/v1/write-offs", {"lot": code, "quantity": 1, "reason": "lost"})
    assert r.status_code == 403 and r.json["error"]["code"] == "read_only"
    for action, body in (("approve", {"document_no": "X"}), ("reject", {"reason": "no"}), ("withdraw", None)):
        r = post(client, county, "auditor", f"/api/v1/write-offs/{rid}/{action}", body)
        assert r.status_code == 403, action
    assert snapshot(engine) == before
    for who in ("auditor", "dispatcher"):
        listed = client.get("/api/v1/write-offs?status=pending", headers=bearer(county, who))
        assert listed.status_code == 200 and [x["id"] for x in listed.json["requests"]] == [rid]


def test_keepers_see_only_their_depots_requests_and_only_the_requester_withdraws(client, engine, county):
    mine = ask(engine, county.keeper, new_lot(engine, county.keeper, quantity=10))
    theirs = ask(engine, county.keeper2, new_lot(engine, county.keeper2, depot="T2", quantity=10))
    listed = client.get("/api/v1/write-offs", headers=bearer(county, "keeper")).json
    assert [x["id"] for x in listed["requests"]] == [mine["id"]]
    assert client.get(f"/api/v1/write-offs/{theirs['id']}", headers=bearer(county, "keeper")).status_code == 404
    assert post(client, county, "keeper", f"/api/v1/write-offs/{theirs['id']}/withdraw").status_code == 404
    assert post(client, county, "admin", f"/api/v1/write-offs/{mine['id']}/withdraw").status_code == 403
    r = post(client, county, "keeper", f"/api/v1/write-offs/{mine['id']}/withdraw")
    assert r.status_code == 200 and r.json["status"] == "withdrawn" and r.json["decided_by"] == "keeper"


def test_the_list_puts_pending_requests_first_and_filters_by_status(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=30)
    first = ask(engine, county.keeper, code)["id"]
    second = ask(engine, county.keeper, code)["id"]
    writeoffs.approve(engine, county.admin, NOW, TODAY, second, "X-1")
    third = ask(engine, county.keeper, code)["id"]
    everything = client.get("/api/v1/write-offs", headers=bearer(county, "admin")).json
    assert [x["id"] for x in everything["requests"]] == [third, first, second]
    approved = client.get("/api/v1/write-offs?status=approved", headers=bearer(county, "admin")).json
    assert [x["id"] for x in approved["requests"]] == [second]
    assert client.get("/api/v1/write-offs?status=maybe", headers=bearer(county, "admin")).status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"lot": "L", "quantity": 0, "reason": "lost"}, "quantity"),
    ({"lot": "L", "quantity": 2147483648, "reason": "lost"}, "quantity"),
    ({"lot": "L", "quantity": 1, "reason": "approved"}, "reason"),
    ({"lot": "L", "quantity": 1}, "reason"),
    ({"lot": "L", "quantity": 1, "reason": "lost", "photo": "not base64!"}, "photo"),
    ({"lot": "L", "quantity": 1, "reason": "lost", "photo": base64.b64encode(b"GIF89a....").decode()}, "photo"),
    ({"lot": "L", "quantity": 1, "reason": "lost", "note": "x" * 501}, "note"),
    ({"lot": "L", "quantity": 1, "reason": "lost", "note": "a\x00b"}, "note"),
    ({"lot": "L\x00", "quantity": 1, "reason": "lost"}, "lot"),
    ({"lot": "L", "quantity": 1, "reason": "lost", "note": "\ud800"}, "note"),
])
def test_a_bad_request_is_a_422_naming_the_field_and_changes_nothing(client, engine, county, body, field):
    new_lot(engine, county.keeper, quantity=10, code="L")
    before = snapshot(engine)
    r = post(client, county, "keeper", "/api/v1/write-offs", body)
    assert r.status_code == 422, r.json
    assert r.json["error"].get("field") == field or field in r.json["error"].get("fields", {})
    assert snapshot(engine) == before


def test_a_photo_is_checked_by_content_and_size():
    assert writeoffs.photo_type(JPEG) == "image/jpeg" and writeoffs.photo_type(PNG) == "image/png"
    for data, code in ((b"", "photo_empty"), (b"<svg></svg>", "photo_not_image"),
                       (PNG + b"\x00" * writeoffs.PHOTO_MAX_BYTES, "photo_too_large")):
        with pytest.raises(Exception) as refused:
            writeoffs.photo_type(data)
        assert refused.value.message_code == code


@pytest.mark.parametrize("path", ["/api/v1/write-offs/2147483648", "/api/v1/write-offs/99999999999/approve"])
def test_a_request_number_beyond_the_column_is_a_404(client, county, path):
    r = client.post(path, json={"document_no": "X"}, headers=bearer(county, "admin")) if path.endswith("approve") \
        else client.get(path, headers=bearer(county, "admin"))
    assert r.status_code == 404


def test_unknown_request_is_a_404(engine, county):
    with pytest.raises(NotFound):
        writeoffs.get_request(engine, county.admin, 12345)


# ------------------------------------------------------------------ the pages


def test_a_keeper_requests_with_a_photo_and_an_administrator_approves_on_the_pages(app, engine, county):
    code = new_lot(engine, county.keeper, quantity=10, code="L-PAGE")
    keeper = app.test_client()
    login(keeper, "keeper", "keeper-pass")
    form = keeper.get(f"/write-offs/new?lot={code}")
    assert form.status_code == 200 and "申请报损" in text(form)
    from io import BytesIO
    r = keeper.post("/write-offs/new", data={
        "csrf_token": csrf_token(keeper, f"/write-offs/new?lot={code}"), "lot": code, "quantity": "4",
        "reason": "damaged", "note": "鼠咬", "photo": (BytesIO(JPEG), "a.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 302
    mine = keeper.get(r.headers["Location"])
    [row] = table_rows(mine, "write-offs")
    assert row["状态"] == "待审批" and row["数量"].startswith("4 箱") and "照片" in row["原因"]
    assert "撤回" in text(mine) and "/approve" not in mine.get_data(as_text=True)  # a keeper does not decide

    admin = app.test_client()
    login(admin, "admin", "admin-pass")
    listed = admin.get("/write-offs")
    rid = re.search(r'/write-offs/(\d+)/approve', listed.get_data(as_text=True)).group(1)
    no_csrf = admin.post(f"/write-offs/{rid}/approve", data={"document_no": "应急〔2026〕9号"})
    assert no_csrf.status_code == 400 and lot_quantity(engine, code) == 10
    done = admin.post(f"/write-offs/{rid}/approve", data={
        "csrf_token": csrf_token(admin, "/write-offs"), "document_no": "应急〔2026〕9号"}, follow_redirects=True)
    assert done.status_code == 200 and "应急〔2026〕9号" in text(done)
    assert lot_quantity(engine, code) == 6
    [row] = table_rows(admin.get("/write-offs?lang=en"), "write-offs")
    assert row["Status"] == "Approved" and "应急〔2026〕9号" in row["Decision"]


def test_approving_on_the_page_without_a_document_number_is_refused_naming_it(app, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    rid = ask(engine, county.keeper, code)["id"]
    admin = app.test_client()
    login(admin, "admin", "admin-pass")
    r = admin.post(f"/write-offs/{rid}/approve", data={"csrf_token": csrf_token(admin, "/write-offs"),
                                                       "document_no": "  "})
    assert r.status_code == 422 and "审批文号" in text(r)
    assert lot_quantity(engine, code) == 10


def test_the_register_shows_request_requester_approver_and_document_number(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10, code="L-REG")
    rid = ask(engine, county.keeper, code, quantity=2)["id"]
    writeoffs.approve(engine, county.admin, NOW, TODAY, rid, "应急〔2026〕5号")
    login(client, "auditor", "auditor-pass")
    [row] = table_rows(client.get("/audit/write-offs"), "report-table")
    assert (row["申请单"], row["申请人"], row["审批人"], row["审批文号"]) == (f"BS-{rid}", "keeper", "admin", "应急〔2026〕5号")


@pytest.mark.parametrize("action, body, field", [
    ("approve", {"document_no": "应急\x00号"}, "document_no"),
    ("reject", {"reason": "no\x00"}, "reason"),
])
def test_a_nul_character_in_a_decision_is_a_422_naming_the_field(client, engine, county, action, body, field):
    rid = ask(engine, county.keeper, new_lot(engine, county.keeper, quantity=10))["id"]
    before = snapshot(engine)
    r = post(client, county, "admin", f"/api/v1/write-offs/{rid}/{action}", body)
    assert r.status_code == 422 and r.json["error"]["field"] == field
    assert snapshot(engine) == before
