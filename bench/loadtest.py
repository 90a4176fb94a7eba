"""``make loadtest``: many phones at once against a real gunicorn on PostgreSQL, as an outsider would.

Not part of ``make test`` (it runs for about a minute and a half and loads the machine); it prints what it
checked and exits 1 when anything is wrong.

The demo county is loaded into a PostgreSQL schema of its own (dropped afterwards) and served by gunicorn
with the project's ``gunicorn.conf.py``. CLIENTS threads act as keepers' phones and an administrator for
SECONDS seconds, each action a stock operation (``POST /api/v1/ledger``: receive, issue — sometimes the whole
lot —, transfer between depots the keeper keeps, count, return) with its own ``Idempotency-Key``, as the
scanning page's outbox sends them:

* each attempt waits only a short, random time for its answer; on a timeout, a dropped connection or a
  5xx the same request is sent again with the same key, until an answer comes (as the outbox does);
* about one action in five is sent twice at the same moment from two threads (a racing duplicate);
* half-way through, one gunicorn worker is killed (SIGKILL) in the middle of its requests.

Afterwards every action's final answer is compared with the ledger, by its key:

* lost — answered as recorded (201, or 200 replayed) but its lines are not in the ledger;
* double-counted — more lines under its key than the action writes (one, two for a transfer);
* mis-answered — refused (4xx) although its lines are in the ledger, a server error as final answer, an answer
  whose lines differ from the ledger's, or two answers to the same key that disagree;
* unanswered — no answer after every retry;

and every lot's quantity with its ledger (the sum of its lines and the balance after its last line), and
the hash chains (``inventory.integrity.verify``). All must be 0 / hold.

    make loadtest                                        # PostgreSQL, 50 clients, 75 s
    LOADTEST_CLIENTS=20 LOADTEST_SECONDS=30 make loadtest
"""
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from bench import log
from bench.ledger import _postgres_database
from bench.scan import Server

CLIENTS = int(os.environ.get("LOADTEST_CLIENTS", "50"))
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "75"))
DUPLICATE_SHARE = 0.2
ATTEMPT_TIMEOUTS = (0.05, 2.0)  # each attempt waits a random time in this range for its answer
MAX_ATTEMPTS = 40
LINES_PER_KIND = {"receive": 1, "issue": 1, "count": 1, "return": 1, "transfer": 2}
PHONES = {"keeper": ["T01", "T01-V01", "T01-V02"], "keeper2": ["T02"], "admin": None}  # demo accounts


def _prepare(url: str) -> dict:
    """Migrates, loads the demo county; tokens for the demo keepers and the administrator; the lots each
    may act on (usable for a while yet)."""
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import issue_token
    from common.db import make_engine
    from common.migrate import upgrade
    from inventory.demo import load_demo
    from inventory.models import Depot, Lot

    upgrade(url)
    engine = make_engine(url)
    try:
        today = date.today()
        load_demo(engine, today)
        phones = {}
        with Session(engine) as s:
            for username, depots in PHONES.items():
                user = s.exec(select(User).where(User.username == username)).one()
                query = (select(Lot.code, Depot.code).join(Depot, Depot.id == Lot.depot_id)
                         .where(sa.or_(Lot.expires_on.is_(None), Lot.expires_on > today + timedelta(days=7)),
                                Lot.quantity > 0))
                query = query.where(Depot.code.in_(depots or ["C01", "T03", "T03-V01"]))
                lots = s.exec(query.order_by(Lot.code)).all()
                phones[username] = {"token": issue_token(engine, user.id, "loadtest"),
                                    "depots": depots or ["C01", "T03", "T03-V01"],
                                    "lots": [(code, depot) for code, depot in lots][:12]}
        return phones
    finally:
        engine.dispose()


class Phone:
    """One client: sends actions, retrying each with its key until an answer comes."""

    def __init__(self, server: Server, username: str, phone: dict, record, rng: random.Random):
        self.server, self.username, self.phone, self.record, self.rng = server, username, phone, record, rng

    def send(self, body: dict, key: str) -> tuple[int | None, dict | None, int]:
        """The final answer (status, body) and how many attempts it took; (None, None, n) when none came."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.phone['token']}",
                   "Idempotency-Key": key}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.rng.uniform(*ATTEMPT_TIMEOUTS))
            try:
                c.request("POST", "/api/v1/ledger", body=json.dumps(body), headers=headers)
                r = c.getresponse()
                status, answer = r.status, json.loads(r.read() or b"null")
                if status < 500:
                    return status, answer, attempt
            except (OSError, http.client.HTTPException, ValueError):
                pass  # timed out, connection dropped (a worker killed), or a half answer: send again
            finally:
                c.close()
            time.sleep(min(0.05 * attempt, 1.0) * self.rng.uniform(0.5, 1.5))
        return None, None, MAX_ATTEMPTS

    def action(self) -> dict:
        code, depot = self.rng.choice(self.phone["lots"])
        kind = self.rng.choices(["receive", "issue", "issue_all", "transfer", "count", "return"],
                                [3, 4, 1, 2, 1, 1])[0]
        if kind == "issue_all":
            return {"kind": "issue", "lot": code, "quantity": self._quantity_now(code) or 1}
        others = [d for d in self.phone["depots"] if d != depot]
        if kind == "transfer" and others:
            return {"kind": "transfer", "lot": code, "quantity": self.rng.randint(1, 3), "to_depot": self.rng.choice(others)}
        if kind in ("count", "transfer"):  # (a transfer with nowhere to go: a count)
            return {"kind": "count", "lot": code, "counted": max(0, self._quantity_now(code) + self.rng.randint(-1, 2))}
        return {"kind": kind, "lot": code, "quantity": self.rng.randint(1, 3)}

    def _quantity_now(self, code: str) -> int:
        try:
            status, lot = self.server.get(f"/api/v1/lots/{code}", {"Authorization": f"Bearer {self.phone['token']}"})
            return max(0, lot["quantity"]) if status == 200 else 0
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return 0

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            body, key = self.action(), f"lt-{uuid.uuid4()}"
            copies = 2 if self.rng.random() < DUPLICATE_SHARE else 1
            answers = [None] * copies
            barrier = threading.Barrier(copies)

            def one(i):
                barrier.wait()
                answers[i] = self.send(body, key)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(1, copies)]
            for t in threads:
                t.start()
            one(0)
            for t in threads:
                t.join()
            self.record(self.username, key, body, answers)


def _kill_a_worker(server: Server) -> int | None:
    try:
        with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children") as f:
            workers = [int(p) for p in f.read().split()]
    except OSError:
        return None
    if not workers:
        return None
    victim = random.choice(workers)
    os.kill(victim, signal.SIGKILL)
    return victim


def _check(url: str, actions: list[dict], keys_path: str) -> dict:
    from common.db import make_engine
    from inventory import integrity, ledger_keys

    engine = make_engine(url)
    ledger_keys.attach(engine, ledger_keys.load(keys_path))
    try:
        with engine.connect() as c:
            lines = defaultdict(list)
            for key, line_id in c.execute(sa.text(
                    "select idempotency_key, id from movement where idempotency_key like 'lt-%' order by id")):
                lines[key].append(line_id)
            summed = dict(c.execute(sa.text("select lot_id, sum(quantity) from movement group by lot_id")).all())
            last = dict(c.execute(sa.text(
                "select m.lot_id, m.balance_after from movement m join "
                "(select lot_id, max(id) as id from movement group by lot_id) l on l.id = m.id")).all())
            quantities = c.execute(sa.text("select id, code, quantity from lot")).all()
        lots = len(quantities)
        lots_off = [(code, quantity, summed.get(lot_id, 0), last.get(lot_id, 0)) for lot_id, code, quantity in quantities
                    if not quantity == summed.get(lot_id, 0) == last.get(lot_id, 0)]
        verified = integrity.verify(engine, None)
    finally:
        engine.dispose()
    problems = Counter()
    examples = defaultdict(list)

    def wrong(what, action, detail):
        problems[what] += 1
        if len(examples[what]) < 3:
            examples[what].append({"key": action["key"], "body": action["body"], "detail": detail})

    statuses = Counter()
    for action in actions:
        kept = lines.get(action["key"], [])
        answered = [(s, b) for s, b, _ in action["answers"] if s is not None]
        for s, _ in answered:
            statuses[s] += 1
        if len(kept) > LINES_PER_KIND[action["body"]["kind"]]:
            wrong("double-counted", action, f"{len(kept)} lines")
        if len(answered) < len(action["answers"]):
            wrong("unanswered", action, f"{len(action['answers']) - len(answered)} copies without an answer")
        recorded = [b for s, b in answered if s in (200, 201)]
        refused = [(s, b) for s, b in answered if s >= 400]
        if recorded and not kept:
            wrong("lost", action, "answered as recorded, no line in the ledger")
        for body in recorded:
            if sorted(e["id"] for e in body["entries"]) != kept:
                wrong("mis-answered", action, f"answer names lines {[e['id'] for e in body['entries']]}, ledger {kept}")
        for s, body in refused:
            if kept:
                wrong("mis-answered", action, f"answered {s} {body.get('error', {}).get('code')} but kept {kept}")
        if len({json.dumps(b.get('entries'), sort_keys=True) for _, b in answered if _ in (200, 201)}) > 1:
            wrong("mis-answered", action, "two answers to one key disagree")
        if recorded and refused:
            wrong("mis-answered", action, f"one copy recorded, one refused ({refused[0][0]})")
    return {"problems": problems, "examples": examples, "statuses": statuses, "lots": lots,
            "lots_off": lots_off, "verified": verified, "lines": sum(len(v) for v in lines.values())}


def run() -> int:
    pg, problem = _postgres_database()
    if pg is None:
        print(f"PostgreSQL is not reachable ({problem}); the load test runs on PostgreSQL", file=sys.stderr)
        return 2
    url, drop = pg
    folder = tempfile.mkdtemp(prefix="rdload-")
    try:
        log("loading the demo county into PostgreSQL")
        phones = _prepare(url)
        actions, lock = [], threading.Lock()

        def record(username, key, body, answers):
            with lock:
                actions.append({"user": username, "key": key, "body": body, "answers": answers})

        with Server(url, folder) as server:
            log(f"gunicorn {server.settings}; {CLIENTS} clients for {SECONDS:g} s, a worker killed half-way")
            until = time.monotonic() + SECONDS
            names = list(PHONES)
            clients = [Phone(server, names[i % len(names)], phones[names[i % len(names)]], record, random.Random(i))
                       for i in range(CLIENTS)]
            threads = [threading.Thread(target=p.run, args=(until,)) for p in clients]
            for t in threads:
                t.start()
            time.sleep(SECONDS / 2)
            killed = _kill_a_worker(server)
            log(f"killed worker {killed}" if killed else "no worker to kill (!)")
            for t in threads:
                t.join()
            log_tail = server.log_tail(5)
        result = _check(url, actions, server.keys_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        drop()
    return _report(actions, result, killed, log_tail)


def _report(actions, result, killed, log_tail) -> int:
    attempts = [n for a in actions for _, _, n in a["answers"]]
    duplicates = sum(1 for a in actions if len(a["answers"]) == 2)
    problems = result["problems"]
    print(f"\nLoad test: {len(actions):,} actions by {CLIENTS} clients in {SECONDS:g} s on PostgreSQL "
          f"({duplicates:,} sent twice at once; {sum(n > 1 for n in attempts):,} requests retried after a timeout, "
          f"a dropped connection or a 5xx, {sum(attempts) - len(attempts):,} retries in all); "
          f"worker {'killed: pid ' + str(killed) if killed else 'NOT killed'}")
    print("final answers: " + ", ".join(f"{s}: {n:,}" for s, n in sorted(result["statuses"].items())))
    print(f"ledger lines written by the load: {result['lines']:,}")
    failed = False
    for what in ("lost", "double-counted", "mis-answered", "unanswered"):
        n = problems.get(what, 0)
        failed |= n > 0
        print(f"  {what:15} {n}")
        for example in result["examples"].get(what, []):
            print(f"      e.g. {example}")
    off = result["lots_off"]
    failed |= bool(off) or not result["verified"]["ok"] or not killed
    print(f"  lots whose quantity differs from their ledger: {len(off)} of {result['lots']:,}"
          + (f" e.g. {off[:3]}" if off else ""))
    print(f"  ledger verify (hash chains, keys, balances): {'verify' if result['verified']['ok'] else 'DO NOT VERIFY: ' + str(result['verified']['first_mismatch'])}"
          f" ({result['verified']['lines_checked']:,} lines)")
    print("RESULT: " + ("FAILED" if failed else "all checks hold"))
    if failed:
        print("gunicorn log tail:\n" + log_tail)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
