"""Scan API under concurrent clients: what the keeper's scanning page asks of the server, served by a
real gunicorn, against a bare endpoint on the same server in the same run.

After a scan the page looks the lot up (``GET /api/v1/lots/<code>``) and records what the keeper did
(``POST /api/v1/ledger`` with a bearer token and an ``Idempotency-Key``). On SQLite (a temporary file)
and on PostgreSQL (a schema of its own, dropped afterwards), each migrated and loaded with the demo
county (``inventory.demo``), gunicorn runs with the project's ``gunicorn.conf.py`` (gthread workers,
access log on, as in production) serving ``bench.scan_app``: the product plus ``GET /bench/bare``,
which answers a small JSON and does nothing else. Measured, one endpoint at a time:

* bare: ``GET /bench/bare`` (the floor: HTTP, gunicorn, Flask; no token, no database);
* lookup: ``GET /api/v1/lots/<code>`` with the keeper's token, over the lots of the keeper's depots;
* record: ``POST /api/v1/ledger`` with the keeper's token and a fresh ``Idempotency-Key`` each time,
  cycling receive 1 / issue 1 / count (back to the lot's starting quantity) over the same lots, so
  stock never runs out and every answer is a 201.

The load comes from wrk (Debian's), a C load generator in a process of its own: one event-loop thread
keeping CONNECTIONS keep-alive connections busy, each sending its next request when the answer to the
last arrives (closed loop). On a 2-core machine the client takes CPU from the server it measures. wrk
spends about 0.02 ms of CPU per request; a Python client (http.client keep-alive, 12 threads) tried
on this machine spent about 0.13 ms, a quarter of what the server spends on the bare endpoint, and got
20–35 % fewer bare requests per second out of the same server than wrk did: it would cap the baseline
most and so flatter every ratio. The CPU wrk used is reported beside the rates.

The endpoints take turns of TURN_SECONDS (order rotated every round, after an untimed warm-up turn
each), ROUNDS rounds; ratios are taken within a round. Then the same with one connection (a phone
alone on the server: unloaded latency). Afterwards the run checks that no answer was an error, that
the ledger holds one line per record answered (and at most one more per connection and turn, for
requests in flight when a turn ended) and that every hash chain still verifies.
BENCH_SCALE=0.3 (say) shortens the turns for a quick look.
"""
import http.client
import json
import os
import re
import resource
import runpy
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import gunicorn
import sqlalchemy as sa

from bench import log, machine, markdown_table, median, paired_ratios, utc_stamp
from bench.ledger import on_both_databases

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))

KEEPER = "keeper"  # the demo keeper of T01, T01-V01 and T01-V02
MIN_QUANTITY = 2 * 12  # lots a burst of issues cannot empty between two counts
CONNECTIONS = 12  # = gunicorn's 3 workers × 4 threads: every server thread has a client
ROUNDS = 5
TURN_SECONDS = 3.0
SINGLE_ROUNDS = 3  # the same with one connection
SINGLE_TURN_SECONDS = 2.0
CROWD = 50  # phones at once on PostgreSQL, the production database: four clients to every server thread
CROWD_ROUNDS = 3
LOOKUP_GOAL = 0.3  # issue #14: a lookup at 0.3× or more of the bare endpoint's throughput at 12 connections
WARMUP_SECONDS = 1.0

BARE, LOOKUP, RECORD = "bare", "lookup", "record"
ENDPOINTS = {BARE: "`GET /bench/bare` (baseline)", LOOKUP: "lookup `GET /api/v1/lots/<code>`",
             RECORD: "record `POST /api/v1/ledger` + Idempotency-Key"}

# wrk scripts. done() runs once at the end of a run and prints what the report needs.
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH-RESULT %d %d %d %d %d %d %d %.0f %.0f %.0f\\n", summary.requests,
    summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
SCRIPTS = {
    BARE: DONE,
    LOOKUP: DONE + """
local paths, i = {}, 0
init = function(args)
  for _, code in ipairs(args) do paths[#paths + 1] = "/api/v1/lots/" .. code end
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1])
end
""",
    # args: key prefix, then lot code and starting quantity pairs. Each lot in turn gets a receive, an
    # issue and a count; a fresh Idempotency-Key for every request.
    RECORD: DONE + """
local lots, counted, prefix, i = {}, {}, "", 0
local headers = {["Content-Type"] = "application/json"}
init = function(args)
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- the token given with -H
  prefix = args[1]
  for k = 2, #args, 2 do lots[#lots + 1] = args[k]; counted[#counted + 1] = args[k + 1] end
end
request = function()
  i = i + 1
  local n, step = math.floor(i / 3) % #lots + 1, i % 3
  local body
  if step == 0 then
    body = string.format('{"kind":"receive","lot":"%s","quantity":1}', lots[n])
  elseif step == 1 then
    body = string.format('{"kind":"issue","lot":"%s","quantity":1}', lots[n])
  else
    body = string.format('{"kind":"count","lot":"%s","counted":%s}', lots[n], counted[n])
  end
  headers["Idempotency-Key"] = prefix .. "-" .. i
  return wrk.format("POST", "/api/v1/ledger", headers, body)
end
""",
}
KEY_PREFIX = "bench-scan"


def _seconds(value: float) -> int:
    return max(1, round(value * SCALE))


# ---------------------------------------------------------------- the database and the server


def _prepare(url: str) -> dict:
    """Migrates, loads the demo county, gives the keeper a token; returns what the clients need."""
    from sqlmodel import Session, select

    from accounts.models import KeeperDepot, User
    from accounts.services import issue_token
    from common.db import make_engine
    from common.migrate import upgrade
    from inventory.demo import load_demo
    from inventory.models import Lot

    upgrade(url)
    engine = make_engine(url)
    try:
        today = date.today()
        county = load_demo(engine, today)
        with Session(engine) as s:
            keeper = s.exec(select(User).where(User.username == KEEPER)).one()
            kept = select(KeeperDepot.depot_id).where(KeeperDepot.user_id == keeper.id)
            lots = s.exec(select(Lot.code, Lot.quantity).where(
                Lot.depot_id.in_(kept), Lot.quantity >= MIN_QUANTITY,
                sa.or_(Lot.expires_on.is_(None), Lot.expires_on > today + timedelta(days=7))).order_by(Lot.code)).all()
            keeper_id = keeper.id
        if len(lots) < 3:
            raise RuntimeError(f"the demo keeper has only {len(lots)} lots of {MIN_QUANTITY}+ units to scan")
        token = issue_token(engine, keeper_id, "bench-scan")
        return {"county": county, "lots": [(code, quantity) for code, quantity in lots], "token": token}
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_settings() -> dict:
    """What gunicorn.conf.py gives in this environment (it reads WEB_WORKERS and WEB_THREADS)."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {k: conf[k] for k in ("worker_class", "workers", "threads", "accesslog")}


class Server:
    """gunicorn with the project's settings, serving ``bench.scan_app`` on a free local port."""

    def __init__(self, url: str, folder: str):
        self.port = _free_port()
        self.keys_path = os.path.join(folder, "ledger_keys")  # the server's ledger keys, for verifying after
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
                    "BIND": f"127.0.0.1:{self.port}", "LEDGER_KEYS": self.keys_path}
        self.settings = _server_settings()
        self.log_path = os.path.join(folder, "gunicorn.log")
        self.process = None

    def __enter__(self) -> "Server":
        with open(self.log_path, "wb") as out:  # access log and errors; shown if the server fails
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.scan_app:create_app()"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.get("/bench/bare")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Content-Type": "application/json", **(headers or {})})
            r = c.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            c.close()

    def get(self, path: str, headers=None):
        return self.request("GET", path, headers=headers)

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far (a worker restarted meanwhile
        would drop out of the sum: the checks below would then see its errors)."""
        pids = [self.process.pid]
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the load


class Load:
    """Runs wrk against the server, one endpoint a turn; scripts live in a temporary folder."""

    def __init__(self, server: Server, prepared: dict, folder: str, name: str):
        self.server, self.name = server, name
        self.lots = prepared["lots"]
        self.token = prepared["token"]
        self.scripts = {}
        for endpoint, text in SCRIPTS.items():
            path = os.path.join(folder, f"{endpoint}.lua")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.scripts[endpoint] = path
        self.turns = 0
        self.record_answers = 0  # record requests wrk counted as answered, warm-ups included
        self.in_flight = 0  # requests a record turn may have sent unanswered: one per connection and turn

    def turn(self, endpoint: str, seconds: int, connections: int) -> dict:
        self.turns += 1
        url = self.server.base + ("/bench/bare" if endpoint == BARE else "/")
        args = []
        if endpoint == LOOKUP:
            args = [code for code, _ in self.lots]
        elif endpoint == RECORD:
            args = [f"{KEY_PREFIX}-{self.name}-{self.turns}"] + [str(v) for lot in self.lots for v in lot]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = self.server.cpu_seconds()
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                              "-s", self.scripts[endpoint], "-H", f"Authorization: Bearer {self.token}", url,
                              "--", *args], capture_output=True, text=True, check=True)
        server_cpu = self.server.cpu_seconds() - server_before
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        match = re.search(r"^BENCH-RESULT (.+)$", out.stdout, re.M)
        if match is None:
            raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
        values = match.group(1).split()
        requests, duration_us, status_errors, *socket_errors = (int(v) for v in values[:7])
        p50, p95, p99 = (float(v) / 1000 for v in values[7:])  # wrk gives microseconds
        if status_errors or any(socket_errors):
            raise RuntimeError(f"{self.name} {endpoint}: {status_errors} error answers, socket errors "
                               f"(connect, read, write, timeout) {socket_errors}; server log:\n"
                               f"{self.server.log_tail()}")
        if endpoint == RECORD:
            self.record_answers += requests
            self.in_flight += connections
        seconds_run = duration_us / 1e6
        return {"rate": requests / seconds_run, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "requests": requests,
                "client_cpu": (cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime)
                / seconds_run,
                "server_cpu_ms": 1000 * server_cpu / max(requests, 1)}

    def rounds(self, rounds: int, seconds: int, connections: int) -> dict[str, list[dict]]:
        """Every endpoint a turn per round, the order rotated each round, after one untimed turn each."""
        names = list(ENDPOINTS)
        for endpoint in names:
            self.turn(endpoint, _seconds(WARMUP_SECONDS), connections)
        results = {endpoint: [] for endpoint in names}
        for r in range(rounds):
            for endpoint in names[r % len(names):] + names[:r % len(names)]:
                results[endpoint].append(self.turn(endpoint, seconds, connections))
            log(f"{self.name} ×{connections} round {r + 1}/{rounds}: " + ", ".join(
                f"{e} {results[e][-1]['rate']:,.0f}/s p50 {results[e][-1]['p50_ms']:.1f} ms" for e in names))
        return results


# ---------------------------------------------------------------- one database


def _check(url: str, load: Load) -> dict:
    """The record turns wrote what they were answered, no more than in-flight requests beyond, and
    every lot's hash chain still verifies."""
    from common.db import make_engine
    from inventory import integrity, ledger_keys

    engine = make_engine(url)
    ledger_keys.attach(engine, ledger_keys.load(load.server.keys_path))
    try:
        with engine.connect() as c:
            lines = c.execute(sa.text("select count(*) from movement where idempotency_key like :p"),
                              {"p": f"{KEY_PREFIX}-%"}).scalar_one()
            negative = c.execute(sa.text("select count(*) from lot where quantity < 0")).scalar_one()
        slack = load.in_flight
        if not load.record_answers <= lines <= load.record_answers + slack or negative:
            raise AssertionError(f"{load.name}: {load.record_answers} record answers but {lines} ledger lines "
                                 f"(at most {slack} more expected), {negative} negative lots")
        verified = integrity.verify(engine, None)
        if not verified["ok"]:
            raise AssertionError(f"{load.name}: the ledger no longer verifies: {verified['first_mismatch']}")
        return {"answers": load.record_answers, "lines": lines, "verified": verified["lines_checked"]}
    finally:
        engine.dispose()


def _measure(name: str, url: str) -> dict:
    log(f"{name}: migrating and loading the demo county")
    prepared = _prepare(url)
    folder = tempfile.mkdtemp(prefix="rdscan-")
    try:
        with Server(url, folder) as server:
            status, lot = server.get(f"/api/v1/lots/{prepared['lots'][0][0]}",
                                     {"Authorization": f"Bearer {prepared['token']}"})
            if status != 200 or lot.get("code") != prepared["lots"][0][0]:
                raise RuntimeError(f"{name}: lookup answered {status} {lot}")
            load = Load(server, prepared, folder, name)
            log(f"{name}: gunicorn {server.settings}, {len(prepared['lots'])} lots; "
                f"{ROUNDS} rounds × {_seconds(TURN_SECONDS)} s per endpoint, {CONNECTIONS} connections")
            loaded = load.rounds(ROUNDS, _seconds(TURN_SECONDS), CONNECTIONS)
            single = load.rounds(SINGLE_ROUNDS, _seconds(SINGLE_TURN_SECONDS), 1)
            crowd = load.rounds(CROWD_ROUNDS, _seconds(TURN_SECONDS), CROWD) if name == "postgresql" else None
            settings = server.settings
        checks = _check(url, load)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"version": _version(name, url), "prepared": prepared, "loaded": loaded, "single": single,
            "crowd": crowd, "settings": settings, "checks": checks}


def _version(name: str, url: str) -> str:
    if name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return f"PostgreSQL {c.execute(sa.text('show server_version')).scalar_one()}"
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the report


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).split("Copyright")[0].strip() or "wrk"


def run() -> str:
    if shutil.which("wrk") is None:
        log("wrk is not installed (apt-get install wrk; `make bench` installs it): scan benchmark left out")
        return ("## Scan API under concurrent clients\n\nNOT RUN: wrk is not installed "
                "(`apt-get install wrk`; `make bench` installs it).\n")
    return _section(*on_both_databases(_measure))


def _rows(label: str, results: dict[str, list[dict]]) -> list[list[str]]:
    rows = []
    bare = [t["rate"] for t in results[BARE]]
    for endpoint, title in ENDPOINTS.items():
        turns = results[endpoint]
        ratios = paired_ratios([t["rate"] for t in turns], bare)
        rows.append([label, title, f"{median([t['rate'] for t in turns]):,.0f}",
                     f"{median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})",
                     f"{median([t['p50_ms'] for t in turns]):.1f}", f"{median([t['p95_ms'] for t in turns]):.1f}",
                     f"{median([t['p99_ms'] for t in turns]):.1f}",
                     f"{median([t['server_cpu_ms'] for t in turns]):.2f}",
                     f"{100 * median([t['client_cpu'] for t in turns]):.0f} %"])
    return rows


def _section(results: dict, problems: dict) -> str:
    m = machine()
    labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    versions = [results[n]["version"] if n in results else f"{labels[n]} NOT REACHABLE ({problems.get(n, 'not run')})"
                for n in labels]
    any_result = next(iter(results.values()))
    s, county = any_result["settings"], any_result["prepared"]["county"]
    out = [
        "## Scan API under concurrent clients",
        "",
        f"- Date: {utc_stamp()}",
        f"- Machine: {m['platform']}; CPU {m['cpu']}, {m['cores']} cores; Python {m['python']}; "
        + "; ".join(versions) + f"; gunicorn {gunicorn.__version__}; {_wrk_version()}",
        f"- Server: `gunicorn.conf.py` as shipped — {s['worker_class']}, {s['workers']} workers × {s['threads']} "
        f"threads, access log {'on' if s['accesslog'] else 'off'} — serving `bench.scan_app` (the app plus "
        f"`GET /bench/bare`), on the demo county ({county['depots']} depots, {county['lots']:,} lots); "
        f"the keeper's bearer token; lookups and records over the {len(any_result['prepared']['lots'])} lots of "
        f"{MIN_QUANTITY}+ units at the keeper's depots, records cycling receive 1 / issue 1 / count",
        f"- Load: wrk, 1 thread, keep-alive, closed loop; {CONNECTIONS} connections: {ROUNDS} rounds of a "
        f"{_seconds(TURN_SECONDS)} s turn per endpoint; 1 connection: {SINGLE_ROUNDS} rounds of "
        f"{_seconds(SINGLE_TURN_SECONDS)} s; on PostgreSQL also {CROWD} connections: {CROWD_ROUNDS} rounds of "
        f"{_seconds(TURN_SECONDS)} s; order rotated every round, after a {_seconds(WARMUP_SECONDS)} s "
        "untimed turn each" + (f" (BENCH_SCALE={SCALE:g})" if SCALE != 1 else ""),
        "",
    ]
    header = ["Database, clients", "Endpoint", "requests/s (median)", "÷ bare: median (min–max of rounds)",
              "p50 ms", "p95 ms", "p99 ms", "server CPU ms / request", "wrk CPU (one core = 100 %)"]
    rows = []
    for name, label in labels.items():
        if name in results:
            rows += _rows(f"{label}, {CONNECTIONS} connections", results[name]["loaded"])
    for name, label in labels.items():
        if name in results:
            rows += _rows(f"{label}, 1 connection", results[name]["single"])
    if results.get("postgresql", {}).get("crowd"):
        rows += _rows(f"PostgreSQL, {CROWD} connections", results["postgresql"]["crowd"])
    out.append(markdown_table(header, rows, text_columns=2))
    goal = []
    for name, label in labels.items():
        if name in results:
            ratio = median(paired_ratios([t["rate"] for t in results[name]["loaded"][LOOKUP]],
                                         [t["rate"] for t in results[name]["loaded"][BARE]]))
            goal.append(f"{label} {ratio:.2f}× ({'met' if ratio >= LOOKUP_GOAL else 'NOT met'})")
    out += ["", f"Goal: a lookup at {LOOKUP_GOAL}× or more of the bare endpoint at {CONNECTIONS} connections — "
            + ", ".join(goal) + "."]
    checks = "; ".join(
        f"{labels[n]}: {r['checks']['answers']:,} records answered, {r['checks']['lines']:,} ledger lines written, "
        f"{r['checks']['verified']:,} lines verified" for n, r in results.items())
    out += [
        "",
        f"Checks: every answer was a success (no error status, no socket error); {checks} (a turn's last "
        "requests can be written after wrk stops counting: at most one per connection); every hash chain "
        "verifies afterwards.",
        "",
        "How to read it: the ratio is the endpoint's requests per second over the bare endpoint's in the same "
        "round (then the median over rounds), so it says what the token check, the query and the write cost "
        "on top of what gunicorn and Flask cost for any request on this server; compare ratios between runs, "
        f"not rates. Latencies are wrk's, closed loop: with {CONNECTIONS} connections each waits for its answer "
        "before sending again, so p50 is roughly connections ÷ throughput — what a keeper waits while that many "
        "phones keep a saturated server busy; the 1-connection rows are a phone alone on the server; with "
        f"{CROWD} connections the phones beyond the server's {CONNECTIONS} threads wait their turn in its queue, "
        "and p99 says how long the unluckiest wait. On SQLite "
        "every write transaction queues for the database's one write lock across the workers, waiting in "
        "SQLite's busy handler (it sleeps and tries again), and each commit waits for the disk: the loaded "
        "SQLite rows swing most with what else the machine writes (their p95 first); PostgreSQL locks only "
        "the lot's row. "
        "Server CPU is "
        "the gunicorn master and workers' user + system time over the requests of the turn (database server "
        "processes not included: on PostgreSQL part of each request's work is in them). The client shares the "
        "cores with the server; its CPU column shows how little wrk takes, which is why it is the client here "
        "rather than a Python one (see the docstring of `bench/scan.py`).",
    ]
    return "\n".join(out) + "\n"
