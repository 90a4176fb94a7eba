"""Imports started from the administrators' page (导入台账): the uploaded files are kept under the instance folder
(``IMPORT_FOLDER``, default instance/imports; their SHA-256 in ``import_job``), and the dry run — then, when the
person asks, the commit — runs in a thread of the server process. The job's row holds its state, its progress
(rows checked of rows read) and its report, so a poll answered by any worker of the server reads it and a page
closed and opened again finds it. Each administrator sees their own imports.

The commit re-reads the kept files, refuses when one no longer has the hash the dry run read, and passes the dry
run's ``fingerprint`` to ``importing.commit``, which writes exactly what the dry run accepted or nothing. A job
whose process is gone (the same host and its pid dead, or no heartbeat for ``STALE_AFTER``) is marked failed the
next time anyone looks. Files and jobs are removed ``IMPORT_KEEP_HOURS`` (default 24) after the upload.
"""
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from common import background, clock
from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound
from registers import importing
from registers.models import ImportJob
from registers.reader import MAX_FILE_BYTES

log = logging.getLogger(__name__)

HOST = background.HOST
STALE_AFTER = timedelta(seconds=90)
PROGRESS_SECONDS = 0.5
MAX_FILES = 10
RECENT = 10

_threads: dict[str, threading.Thread] = {}


class ImportBusy(DomainError):
    status = 409
    code = "import_busy"


def folder(app) -> str:
    return background.kept_folder(app, "IMPORT_FOLDER", "imports")


def keep_for(app) -> timedelta:
    return background.kept_for(app, "IMPORT_KEEP_HOURS")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- starting


def start(app, actor: Actor, files: list[tuple[str, bytes]], depot: str | None, now: datetime) -> str:
    """Keeps the files and starts their dry run in the background; answers the job's token."""
    actor.require_role(ADMIN)
    files = [(os.path.basename(name.replace("\\", "/"))[:200] or "register", data) for name, data in files]
    if not files:
        raise InvalidInput("choose at least one file", field="files", message_code="import_no_files")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files at once", field="files", message_code="import_too_many_files",
                           params={"max": MAX_FILES})
    for name, data in files:
        if len(data) > MAX_FILE_BYTES:  # the request limit is usually smaller; said the reader's way here too
            raise InvalidInput(f"{name} is too large", field="files", message_code="register_too_large",
                               params={"max_mb": MAX_FILE_BYTES // (1024 * 1024),
                                       "size_mb": f"{len(data) / (1024 * 1024):.1f}"})
    depot = (depot or "").strip()[:100] or None
    engine = app.extensions["engine"]
    cleanup(app, now)
    token = secrets.token_hex(16)
    where = os.path.join(folder(app), token)
    os.makedirs(where)
    kept = []
    for n, (name, data) in enumerate(files, 1):
        path = os.path.join(where, str(n))
        with open(path, "wb") as f:
            f.write(data)
        kept.append({"name": name, "sha256": _sha(data), "size": len(data), "path": path})
    with UnitOfWork(engine) as uow:
        uow.session.add(ImportJob(token=token, user_id=actor.user_id, files=json.dumps(kept, ensure_ascii=False),
                                  depot=depot, status="queued", stage="dry_run", host=HOST, pid=os.getpid(),
                                  heartbeat_at=now, created_at=now, expires_at=now + keep_for(app)))
        uow.commit()
    _launch(app, token, actor)
    return token


def rerun(app, actor: Actor, token: str, now: datetime) -> None:
    """The dry run again on the kept files (after names were matched, or the catalog changed)."""
    job = _own(app.extensions["engine"], actor, token, now)
    if job.status in ("queued", "running", "committing", "committed"):
        raise ImportBusy(f"import {token} is {job.status}", field="token", message_code="import_busy")
    _claim(app.extensions["engine"], job, "dry_run", now)
    _launch(app, token, actor)


def commit(app, actor: Actor, token: str, now: datetime) -> None:
    """Starts the commit of exactly what the job's dry run accepted."""
    actor.require_role(ADMIN)
    engine = app.extensions["engine"]
    job = _own(engine, actor, token, now)
    if job.status != "checked" or not job.report:
        raise ImportBusy(f"import {token} is {job.status}, not checked", field="token", message_code="import_busy")
    _files(job)  # refuses at once a file that changed or is gone
    _claim(engine, job, "commit", now)
    _launch(app, token, actor)


def _claim(engine, job: ImportJob, stage: str, now: datetime) -> None:
    """Moves a job to queued for ``stage``; only one request wins when two ask at once."""
    with UnitOfWork(engine) as uow:
        claimed = uow.session.execute(
            sa.update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == job.status)
            .values(status="queued", stage=stage, done=0, total=None, error=None, host=HOST, pid=os.getpid(),
                    heartbeat_at=now, finished_at=None)).rowcount
        uow.commit()
    if claimed != 1:
        raise ImportBusy(f"import {job.token} changed meanwhile", field="token", message_code="import_busy")


def _launch(app, token: str, actor: Actor) -> None:
    thread = threading.Thread(target=_run, args=(app, token, actor), daemon=True, name=f"import-{token[:8]}")
    _threads[token] = thread
    thread.start()


def wait(token: str) -> None:
    """Waits for the job's thread started by this process (tests)."""
    thread = _threads.pop(token, None)
    if thread is not None:
        thread.join()


def _set(engine, token: str, **values) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.update(ImportJob).where(ImportJob.token == token).values(**values))
        uow.commit()


class _Progress:
    """Rows checked of rows read, into the job's row at most every PROGRESS_SECONDS (and at the end)."""

    def __init__(self, engine, token: str):
        self.engine, self.token, self.last = engine, token, 0.0
        self.seen: dict = {}  # the last rows checked and read, kept with the job's final state

    def __call__(self, done: int, total: int) -> None:
        self.seen = {"done": done, "total": total}
        moment = time.monotonic()
        if moment - self.last < PROGRESS_SECONDS and done != total:
            return
        self.last = moment
        self.write(done, total)

    def write(self, done: int, total: int) -> None:
        _set(self.engine, self.token, done=done, total=total, heartbeat_at=clock.now())


class _FileProgress(_Progress):
    """The same into a small file beside the kept files, for a commit on SQLite: its transaction holds the
    database's one write lock, which would lock the job's row out until the end. SQLite serves one machine, so
    every worker's poll finds the file (``view``)."""

    def __init__(self, path: str):
        super().__init__(None, "")
        self.path = path

    def write(self, done: int, total: int) -> None:
        partial = f"{self.path}.{os.getpid()}.{threading.get_ident()}"
        with open(partial, "w", encoding="utf-8") as f:
            json.dump({"done": done, "total": total}, f)
        os.replace(partial, self.path)  # a poll never reads half a file


def _progress_file(job: ImportJob) -> str:
    return os.path.join(os.path.dirname(json.loads(job.files)[0]["path"]), "progress.json")


def _filed_progress(job: ImportJob) -> tuple[int, int] | None:
    try:
        with open(_progress_file(job), encoding="utf-8") as f:
            found = json.load(f)
        return int(found["done"]), int(found["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _files(job: ImportJob) -> list[tuple[str, bytes]]:
    out = []
    for f in json.loads(job.files):
        try:
            with open(f["path"], "rb") as handle:
                data = handle.read()
        except OSError:
            data = None
        if data is None or _sha(data) != f["sha256"]:
            raise importing.PlanChanged(f"{f['name']} changed or is gone since the dry run", field="files",
                                        message_code="import_file_changed", params={"file": f["name"]})
        out.append((f["name"], data))
    return out


def _run(app, token: str, actor: Actor) -> None:
    engine = app.extensions["engine"]
    with Session(engine) as s:
        job = s.exec(select(ImportJob).where(ImportJob.token == token)).one()
    stage = job.stage
    stop = threading.Event()
    beat = threading.Thread(target=background.heartbeat, daemon=True,
                            args=(lambda: _set(engine, token, heartbeat_at=clock.now()), stop, log,
                                  f"import job {token}"))
    try:
        with app.app_context():
            _set(engine, token, status="running" if stage == "dry_run" else "committing", heartbeat_at=clock.now())
            beat.start()
            files = _files(job)
            now = clock.now()
            today = clock.local_today(now, app.config["TIMEZONE"])
            progress = _Progress(engine, token)
            if stage == "dry_run":
                report = importing.dry_run(engine, files, job.depot, today=today, progress=progress)
                status = "checked"
            else:
                expected = importing.fingerprint(json.loads(job.report))
                if engine.dialect.name == "sqlite":  # see _FileProgress
                    progress = _FileProgress(_progress_file(job))
                report = importing.commit(engine, files, actor, job.depot, now=now, today=today,
                                          progress=progress, expected=expected)
                status = "committed"
            _set(engine, token, status=status, report=json.dumps(report, ensure_ascii=False, default=str),
                 finished_at=clock.now(), **progress.seen)
    except Exception as e:
        if isinstance(e, DomainError):
            error = {"code": e.message_code, "params": {k: v for k, v in e.params.items()
                                                         if isinstance(v, (str, int, float))}, "message": e.message}
        else:
            log.exception("import job %s (%s) failed", token, stage)
            error = {"message": f"{type(e).__name__}: {e}"}
        try:
            _set(engine, token, status="failed", error=json.dumps(error, ensure_ascii=False)[:1000],
                 finished_at=clock.now())
        except Exception:
            log.exception("import job %s: its failure could not be recorded", token)
    finally:
        stop.set()
        try:
            os.remove(_progress_file(job))
        except OSError:
            pass


# ---------------------------------------------------------------- reading


def _alive(job: ImportJob, now: datetime) -> bool:
    return background.can_finish(job.host, job.pid, job.heartbeat_at or job.created_at, now, STALE_AFTER)


STOPPED = json.dumps({"code": "import_stopped", "params": {}, "message": "the server process stopped"})


def _mark_dead(engine, jobs: list[ImportJob], now: datetime) -> None:
    busy = ("queued", "running", "committing")
    dead = [j for j in jobs if j.status in busy and not _alive(j, now)]
    if not dead:
        return
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.update(ImportJob).where(ImportJob.id.in_([j.id for j in dead]),
                                                       ImportJob.status.in_(busy))
                            .values(status="failed", error=STOPPED, finished_at=now))
        uow.commit()
    for j in dead:
        j.status, j.error, j.finished_at = "failed", STOPPED, now


def _own(engine, actor: Actor, token: str, now: datetime) -> ImportJob:
    actor.require_role(ADMIN)
    with Session(engine) as s:
        job = s.exec(select(ImportJob).where(ImportJob.token == token, ImportJob.user_id == actor.user_id,
                                             ImportJob.expires_at > now)).first()
    if job is None:
        raise NotFound(f"no import {token} of yours (unknown, someone else's, or expired)", field="token",
                       message_code="import_unknown")
    _mark_dead(engine, [job], now)
    return job


def kept_files(engine, actor: Actor, token: str, now: datetime) -> list[tuple[str, bytes]]:
    """The job's files as uploaded (``PlanChanged`` when one changed or is gone)."""
    return _files(_own(engine, actor, token, now))


def view(job: ImportJob) -> dict:
    files = json.loads(job.files)
    done, total = job.done, job.total
    if job.status == "committing":
        done, total = _filed_progress(job) or (done, total)
    return {"token": job.token, "status": job.status, "stage": job.stage, "done": done, "total": total,
            "files": [{"name": f["name"], "size": f["size"], "sha256": f["sha256"]} for f in files],
            "depot": job.depot, "report": json.loads(job.report) if job.report else None,
            "error": json.loads(job.error) if job.error else None, "created_at": job.created_at,
            "finished_at": job.finished_at, "expires_at": job.expires_at}


def get(engine, actor: Actor, token: str, now: datetime) -> dict:
    return view(_own(engine, actor, token, now))


def recent(app, actor: Actor, now: datetime, limit: int = RECENT) -> list[dict]:
    actor.require_role(ADMIN)
    engine = app.extensions["engine"]
    cleanup(app, now)
    with Session(engine) as s:
        jobs = list(s.exec(select(ImportJob).where(ImportJob.user_id == actor.user_id, ImportJob.expires_at > now)
                           .order_by(ImportJob.id.desc()).limit(limit)))
    _mark_dead(engine, jobs, now)
    return [view(j) for j in jobs]


def cleanup(app, now: datetime) -> int:
    """Removes the kept files and the rows of imports past their time; returns how many."""
    engine = app.extensions["engine"]
    with Session(engine) as s:
        old = list(s.exec(select(ImportJob.id, ImportJob.token).where(ImportJob.expires_at <= now)))
    if not old:
        return 0
    for _, token in old:
        shutil.rmtree(os.path.join(folder(app), token), ignore_errors=True)
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.delete(ImportJob).where(ImportJob.id.in_([i for i, _ in old])))
        uow.commit()
    return len(old)
