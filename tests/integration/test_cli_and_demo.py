"""Command line: migrations, the demo county, accounts, tokens and the allocator command."""
import json
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from accounts.models import KeeperDepot, User
from inventory.models import Depot, Item, Lot, Movement, WriteOffRequest


def test_a_demo_load_that_fails_part_way_leaves_the_database_empty(runner, engine, monkeypatch):
    import dispatch.demo

    def broken(uow):
        raise RuntimeError("the shelters file is missing")

    monkeypatch.setattr(dispatch.demo, "load_dispatch_demo_in", broken)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    with Session(engine) as s:
        assert s.exec(select(sa.func.count()).select_from(Depot)).one() == 0
        assert s.exec(select(sa.func.count()).select_from(Movement)).one() == 0
    monkeypatch.undo()
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0  # and a second try loads it whole
    with Session(engine) as s:
        assert s.exec(select(sa.func.count()).select_from(Depot)).one() == 326


def test_the_demo_county_has_the_published_shape(runner, engine):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "326 depots, 45 items" in result.output
    with Session(engine) as s:
        tiers = dict(s.exec(select(Depot.tier, sa.func.count()).group_by(Depot.tier)).all())
        assert tiers == {"county": 1, "town": 20, "village": 305}
        assert s.exec(select(sa.func.count()).select_from(Item)).one() == 45
        units = s.exec(select(sa.func.sum(Lot.quantity))).one()
        assert 80_000 <= units <= 100_000
        today = date.today()
        expiries = s.exec(select(Lot.expires_on).where(Lot.quantity > 0, Lot.expires_on.is_not(None))).all()
        assert any(e < today for e in expiries)  # already expired
        assert any(today <= e <= date.fromordinal(today.toordinal() + 90) for e in expiries)  # near expiry
        assert any(e.year >= today.year + 2 for e in expiries)  # years ahead
        kits = s.exec(select(Depot.key_town, Item.kit).join(Lot, Lot.depot_id == Depot.id)
                      .join(Item, Item.id == Lot.item_id).where(Depot.tier == "town", Item.kit.is_not(None))).all()
        assert {kit for key, kit in kits if key} == {"big3"}
        assert {kit for key, kit in kits if not key} == {"small4"}
        assert s.exec(select(sa.func.count()).select_from(Depot).where(Depot.key_town)).one() == 6
        roles = set(s.exec(select(User.role)).all())
        assert roles == {"admin", "dispatcher", "keeper", "auditor"}
        # every unit on hand came in through the ledger: per lot, the lines sum to the balance
        sums = dict(s.exec(select(Movement.lot_id, sa.func.sum(Movement.quantity)).group_by(Movement.lot_id)).all())
        assert all(sums.get(lot.id, 0) == lot.quantity for lot in s.exec(select(Lot)).all())
        storage = set(s.exec(select(Lot.storage_mode)).all())
        assert storage == {"physical", "agreement", "capacity"}
        # the demo keeper's write-off requests wait for the administrator, holding no units
        pending = s.exec(select(WriteOffRequest.status, User.username).join(User, User.id == WriteOffRequest.requested_by)
                         ).all()
        assert pending and set(pending) == {("pending", "keeper")}
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0 and "already holds depots" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_user_create_hashes_the_password_and_binds_depots(runner, engine, county):
    result = runner.invoke(args=["user", "create", "zhang", "--role", "keeper", "--depot", "T2", "--depot", "T2-V1"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "zhang")).one()
        assert "s3cret-pass" not in user.password_hash and user.password_hash.startswith("pbkdf2:")
        kept = s.exec(select(Depot.code).join(KeeperDepot, KeeperDepot.depot_id == Depot.id)
                      .where(KeeperDepot.user_id == user.id)).all()
        assert sorted(kept) == ["T2", "T2-V1"]
    bad = runner.invoke(args=["user", "create", "li", "--role", "keeper", "--depot", "NOPE"], input="pw-12345\npw-12345\n")
    assert bad.exit_code == 1 and "depots: no depot with code NOPE" in bad.output
    short = runner.invoke(args=["user", "create", "wu", "--role", "auditor"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8" in short.output
    simple = runner.invoke(args=["user", "create", "wu", "--role", "auditor"], input="onlyletters\nonlyletters\n")
    assert simple.exit_code == 1 and "password: password must mix at least 3 of" in simple.output


def test_passwords_are_hashed_with_scrypt_outside_the_test_suite(engine, monkeypatch):
    import accounts.services
    from common.db import UnitOfWork

    monkeypatch.setattr(accounts.services, "PASSWORD_METHOD", "scrypt")
    with UnitOfWork(engine) as uow:
        accounts.services.add_user(uow, "li", "a-long-password", "auditor")
        uow.commit()
    with Session(engine) as s:
        assert s.exec(select(User.password_hash).where(User.username == "li")).one().startswith("scrypt:")
    assert accounts.services.authenticate(engine, "li", "a-long-password").role == "auditor"
    assert accounts.services.authenticate(engine, "li", "wrong-password") is None


def test_user_token_prints_a_working_token(runner, client, county):
    result = runner.invoke(args=["user", "token", "auditor", "--name", "script"])
    token = result.output.strip()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["role"] == "auditor"
    assert runner.invoke(args=["user", "token", "nobody"]).exit_code == 1


def test_the_allocate_command_is_registered(runner, tmp_path):
    problem = {
        "format": "allocation-problem/1", "now": "2026-07-01T08:00:00+08:00",
        "depots": [{"id": "C0", "tier": "county", "parent": None}],
        "items": [{"id": "tent", "unit": "顶"}],
        "stock": [{"depot": "C0", "item": "tent", "lot": "L1", "quantity": 5, "expires": None}],
        "sites": [{"id": "V1", "people": 10}], "demand": [{"site": "V1", "item": "tent", "quantity": 3}],
        "routes": [{"from": "C0", "to": "V1", "minutes": 30}],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem))
    result = runner.invoke(args=["allocate", str(path)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["status"] == "optimal" and plan["transfers"][0]["quantity"] == 3
