"""Edits made directly in the database that the hash chains alone did not catch: a lot's quantity changed
behind its ledger, lines forged without the ledger key, rewrites below an archived seal; and the keys'
rotation and the seal archive that catch them."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from inventory import chain, integrity, ledger_keys, services
from inventory.models import LedgerKey, LedgerSeal, Lot, Movement
from tests.conftest import bearer, login
from tests.integration.helpers import NOW, ctx, new_lot, table_rows, text


@pytest.fixture
def app(db_url, tmp_path):
    """The app with a key file of its own, so a rotation here changes no other test's keys."""
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://testserver", "LEDGER_KEYS": str(tmp_path / "ledger_keys")})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def history(engine, county):
    """Lots A and B, a receipt and two issues each: lines 1..6 (odd: A, even: B)."""
    a = new_lot(engine, county.keeper, quantity=50, code="A")
    b = new_lot(engine, county.keeper, quantity=50, code="B")
    for n in range(2):
        services.issue(engine, ctx(county.keeper, note=f"a{n}"), lot=a, quantity=1)
        services.issue(engine, ctx(county.keeper, note=f"b{n}"), lot=b, quantity=2)
    return county


def sql(engine, statement, **params):
    with engine.begin() as c:
        c.execute(sa.text(statement), params)


def check(engine, county, seal=None):
    return integrity.verify(engine, county.auditor, seal)


def append_forged_line(engine, code, quantity, key=None, key_id=None, balance_after=None):
    """A line appended by hand after the lot's latest, its balance, hash and the lot's row all consistent:
    hashed with ``key`` (HMAC) if given, else a plain SHA-256 as lines were before keys."""
    with Session(engine) as s:
        lot = s.exec(select(Lot).where(Lot.code == code)).one()
        last = s.exec(select(Movement).where(Movement.lot_id == lot.id).order_by(Movement.id.desc())).first()
        fields = {**{f: getattr(last, f) for f in chain.HASHED_FIELDS}, "kind": "issue", "quantity": quantity,
                  "balance_after": lot.quantity + quantity if balance_after is None else balance_after,
                  "note": "forged", "reference": None,
                  "idempotency_key": None, "counterpart_id": None, "created_at": last.created_at + timedelta(hours=1)}
        line = Movement(**fields, prev_hash=lot.chain_head, hash=chain.line_hash(lot.chain_head, fields, key),
                        key_id=key_id)
        lot.quantity, lot.chain_head = fields["balance_after"], line.hash
        s.add(line)
        s.add(lot)
        s.commit()
        return line.id


def test_every_new_line_is_an_hmac_with_the_current_key_and_the_key_is_recorded_but_never_stored(engine, history):
    keyring = ledger_keys.of(engine)
    with Session(engine) as s:
        lines = s.exec(select(Movement).order_by(Movement.id)).all()
        record = s.exec(select(LedgerKey)).one()
    assert {line.key_id for line in lines} == {keyring.current}
    assert lines[0].hash == chain.line_hash(chain.GENESIS, lines[0].model_dump(), keyring.current_key)
    assert lines[0].hash != chain.line_hash(chain.GENESIS, lines[0].model_dump())
    assert record.key_id == keyring.current and record.why == "first" and record.lines_before == 0
    assert record.fingerprint == keyring.fingerprint(keyring.current)
    dump = " ".join(str(v) for v in record.model_dump().values())
    assert keyring.current_key.hex() not in dump
    assert check(engine, history)["ok"]


def test_a_lots_quantity_changed_behind_its_ledger_is_named_by_its_code_even_with_a_matching_seal(engine, history):
    seal = integrity.current_seal(engine, history.auditor)["text"]
    sql(engine, "update lot set quantity = quantity + 100 where code = 'A'")
    result = check(engine, history, seal)
    assert not result["ok"] and result["seal_matches"]  # the lines are untouched: only the lot row changed
    assert result["first_mismatch"]["lot"] == "A" and result["first_mismatch"]["movement_id"] is None
    assert "lot A: it holds 148 but its ledger ends at 48" in result["first_mismatch"]["problem"]


def test_a_lot_whose_last_line_was_removed_is_named_by_its_code(engine, history, runner):
    sql(engine, "delete from movement where id = 5")
    result = check(engine, history)
    assert not result["ok"] and result["first_mismatch"]["lot"] == "A"
    assert result["first_mismatch"]["problem"].startswith("lot A: its latest line is missing")
    out = runner.invoke(args=["ledger", "verify"])
    assert out.exit_code == 1 and "first mismatch at lot A" in out.output


def test_a_balance_that_does_not_follow_from_the_line_before_is_named(engine, history):
    key = ledger_keys.of(engine)  # even made with the key, with the lot's row agreeing with it
    line_id = append_forged_line(engine, "B", -1, key.current_key, key.current, balance_after=40)
    result = check(engine, history)
    assert not result["ok"] and result["mismatch_count"] == 1
    assert result["first_mismatch"] == {"movement_id": line_id, "lot": "B", "problem": (
        "its balance after (40) is not the balance before (46) plus its quantity (-1)")}


def test_a_line_appended_with_a_correct_plain_sha256_is_caught_as_made_without_the_key(engine, history):
    line_id = append_forged_line(engine, "A", -10)
    result = check(engine, history)
    assert not result["ok"] and result["first_mismatch"]["movement_id"] == line_id
    assert result["first_mismatch"]["lot"] == "A" and "no ledger key" in result["first_mismatch"]["problem"]
    assert result["mismatch_count"] == 1  # the lot's head and quantity were made consistent by hand


def test_a_line_appended_with_a_wrong_key_is_caught(engine, history):
    current = ledger_keys.of(engine).current
    line_id = append_forged_line(engine, "A", -10, key=b"g" * 32, key_id=current)
    result = check(engine, history)
    assert result["first_mismatch"]["movement_id"] == line_id and "edited" in result["first_mismatch"]["problem"]


def test_a_line_naming_a_key_that_is_not_in_the_key_file_is_caught(engine, history):
    other = ledger_keys.new_key()
    line_id = append_forged_line(engine, "A", -10, key=other, key_id=chain.key_id(other))
    result = check(engine, history)
    assert result["first_mismatch"]["movement_id"] == line_id
    assert "not in the key file" in result["first_mismatch"]["problem"]


def test_lines_before_and_after_a_key_rotation_verify_and_the_rotation_is_recorded(app, engine, history, runner):
    first = ledger_keys.of(engine).current
    out = runner.invoke(args=["ledger", "rotate-key", "--by", "县局审计 张三"])
    assert out.exit_code == 0, out.output
    second = ledger_keys.of(engine).current
    assert second != first and f"new ledger key {second}" in out.output
    assert set(ledger_keys.load(app.config["LEDGER_KEYS"]).keys) == {first, second}  # the old key is kept
    services.issue(engine, ctx(history.keeper), lot="A", quantity=1)
    with Session(engine) as s:
        used = [line.key_id for line in s.exec(select(Movement).order_by(Movement.id))]
        records = s.exec(select(LedgerKey).order_by(LedgerKey.id)).all()
    assert used == [first] * 6 + [second]
    assert [(r.key_id, r.why, r.lines_before) for r in records] == [(first, "first", 0), (second, "rotation", 6)]
    assert records[1].who == "县局审计 张三"
    result = check(engine, history)
    assert result["ok"] and result["lines_checked"] == 7 and all(k["ok"] for k in result["keys"])
    # the new key's record cannot be moved to let plain lines in without the key
    sql(engine, "update ledger_key set lines_before = 99 where key_id = :k", k=second)
    assert [k["key_id"] for k in check(engine, history)["key_problems"]] == [second]


def test_an_altered_key_record_or_a_removed_one_is_named(engine, history):
    current = ledger_keys.of(engine).current
    sql(engine, "update ledger_key set lines_before = 1000")  # would let plain lines up to 1000 in
    result = check(engine, history)
    assert not result["ok"] and "altered" in result["key_problems"][0]["problem"]
    sql(engine, "delete from ledger_key")
    result = check(engine, history)
    assert [(k["key_id"], "no record" in k["problem"]) for k in result["key_problems"]] == [(current, True)]


def test_an_archived_seal_catches_a_rewrite_below_it_by_someone_holding_the_key(engine, history, runner):
    from tests.integration.test_ledger_integrity import rewrite_lot

    out = runner.invoke(args=["ledger", "seal", "--archive"])
    assert out.exit_code == 0 and "archived as seal #1, daily" in out.output
    services.issue(engine, ctx(history.keeper), lot="A", quantity=1)  # a line after the seal
    keyring = ledger_keys.of(engine)
    rewrite_lot(engine, "B", 4, -5, keyring.current_key, keyring.current)
    result = check(engine, history)
    assert result["mismatch_count"] == 0 and not result["ok"]  # the chains are consistent again...
    assert [(s["id"], "no longer gives this seal" in s["problem"]) for s in result["archived_seal_problems"]] \
        == [(1, True)]  # ...the archived seal is not
    out = runner.invoke(args=["ledger", "verify"])
    assert out.exit_code == 1 and "ARCHIVED SEAL #1 (daily" in out.output


def test_an_archived_seal_altered_to_match_a_rewrite_is_caught_by_its_own_hmac(engine, history):
    from tests.integration.test_ledger_integrity import rewrite_lot

    seal = integrity.take_seal(engine, "manual", "auditor", NOW)
    rewrite_lot(engine, "B", 4, -5)  # without the key: the chain is caught anyway
    now_digest = check(engine, history)["seal"]["digest"]
    sql(engine, "update ledger_seal set digest = :d where id = :id", d=now_digest, id=seal["id"])
    result = check(engine, history)
    assert "altered" in result["archived_seal_problems"][0]["problem"]


def test_a_new_seal_carries_on_from_the_last_archived_one_and_matches_a_full_fold(engine, history):
    first = integrity.take_seal(engine, "daily", "cron", NOW)
    services.issue(engine, ctx(history.keeper), lot="A", quantity=1)
    second = integrity.take_seal(engine, "daily", "cron", NOW + timedelta(days=1))
    services.issue(engine, ctx(history.keeper), lot="A", quantity=1)
    verified = check(engine, history)  # verify folds every line from the first
    current = integrity.current_seal(engine, history.auditor)  # carries on from the second seal
    assert (first["upto"], first["count"]) == (6, 6)
    assert (second["upto"], second["count"]) == (7, 7)
    assert (current["upto"], current["count"], current["digest"]) == (8, 8, verified["seal"]["digest"])
    assert verified["archived_seals_checked"] == 2 and verified["archived_seal_problem_count"] == 0


def test_every_export_archives_a_seal_naming_who_and_what(client, engine, history):
    r = client.get("/api/v1/reports/ledger?format=csv", headers=bearer(history, "auditor"))
    assert r.status_code == 200
    r.get_data()
    with Session(engine) as s:
        seals = s.exec(select(LedgerSeal)).all()
    assert [(x.why, x.who, x.note, x.upto) for x in seals] == [("export", "auditor", "ledger.csv", 6)]
    assert r.headers["X-Ledger-Seal"] == f"6:{seals[0].digest}"
    assert check(engine, history)["ok"]


def test_the_first_stock_change_of_a_day_takes_the_days_seal_once(client, engine, history):
    headers = bearer(history, "keeper")
    for _ in range(2):
        r = client.post("/api/v1/ledger", json={"kind": "issue", "lot": "A", "quantity": 1}, headers=headers)
        assert r.status_code == 201
    with Session(engine) as s:
        seals = s.exec(select(LedgerSeal)).all()
    assert [(x.why, x.who, x.upto) for x in seals] == [("daily", "keeper", 7)]


def test_the_integrity_page_lists_archived_seals_with_their_check(client, engine, history):
    from tests.integration.test_ledger_integrity import rewrite_lot

    integrity.take_seal(engine, "daily", "cron", NOW)
    login(client, "auditor", "auditor-pass")
    rows = table_rows(client.get("/audit/integrity?lang=en"), "seals")
    assert [(r["Seal"], r["Why"], r["By"], r["Up to line"]) for r in rows] == [("#1", "daily", "cron", "6")]
    keyring = ledger_keys.of(engine)
    rewrite_lot(engine, "B", 4, -5, keyring.current_key, keyring.current)
    page = client.get("/audit/integrity?lang=en&run=1")
    assert "Mismatch: the ledger was changed." in text(page)
    assert table_rows(page, "seals")[0]["Check"].startswith("does not match")
    chinese = client.get("/audit/integrity?run=1&lang=zh_Hans_CN")
    assert "已不相符的存档封印" in text(chinese) and "生成时间" in text(chinese)


def test_an_auditor_archives_a_seal_by_hand_from_the_page(client, engine, history):
    from tests.conftest import csrf_token

    login(client, "auditor", "auditor-pass")
    token = csrf_token(client, "/audit/integrity")
    r = client.post("/audit/seals", data={"csrf_token": token})
    assert r.status_code == 302
    assert [(s["why"], s["who"]) for s in integrity.list_seals(engine)] == [("manual", "auditor")]


def test_lines_from_before_keys_still_verify_and_plain_lines_after_the_first_key_do_not(engine, county):
    keyring = ledger_keys.of(engine)
    ledger_keys.attach(engine, ledger_keys.Keyring())  # the application as it was before ledger keys
    try:
        sql(engine, "delete from ledger_key")
        old = new_lot(engine, county.keeper, quantity=10, code="OLD")
        services.issue(engine, ctx(county.keeper), lot=old, quantity=1)
    finally:
        ledger_keys.attach(engine, keyring)
    assert integrity.record_key(engine, "upgrade", NOW)  # the first key comes into use after line 2
    services.issue(engine, ctx(county.keeper), lot=old, quantity=1)
    with Session(engine) as s:
        assert [line.key_id for line in s.exec(select(Movement).order_by(Movement.id))] == [None, None,
                                                                                           keyring.current]
    assert check(engine, county)["ok"]
    forged = append_forged_line(engine, "OLD", -1)
    assert check(engine, county)["first_mismatch"]["movement_id"] == forged
