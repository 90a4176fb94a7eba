"""Report exports run in the background (导出任务): the report page (and the API) starts a job, a thread of
the server process writes the file under ``instance/exports`` and the job's row in ``export_job`` says how
far it got, so a poll answered by any worker of the server reads it and a page closed and opened again
finds it. Each person sees and downloads only their own jobs.

A job's state lives in the database; the thread lives in the process that started it. A job still queued
or running whose process is gone — the same host and its pid no longer alive, or no heartbeat for
``STALE_AFTER`` — is marked failed the next time anyone looks at it. Files are kept ``EXPORT_KEEP_HOURS``
(default 24) in ``EXPORT_FOLDER`` (default instance/exports) and removed, with their jobs, by the next start or
listing after that.
"""
import logging
import os
import secrets
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import gettext as _
from sqlmodel import Session, select

from audit import exports, web
from audit.models import ExportJob
from common import background, clock
from common.actor import Actor
from accounts.security import append_event
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound
from common.http import translated_message

log = logging.getLogger(__name__)

HOST = background.HOST
STALE_AFTER = timedelta(seconds=90)
PROGRESS_SECONDS = 0.5  # at most this often a job's progress is written to its row
RECENT = 8  # jobs listed on a report page
NOT_FILTERS = ("format", "encoding", "lang", "progress", "csrf_token")
MAX_QUERY = 2000

STOPPED = "the server process running this export stopped before it finished (restarted?); start it again"

_threads: dict[str, threading.Thread] = {}


class ExportNotReady(DomainError):
    status = 409
    code = "export_not_ready"


def folder(app) -> str:
    return background.kept_folder(app, "EXPORT_FOLDER", "exports")


def keep_for(app) -> timedelta:
    return background.kept_for(app, "EXPORT_KEEP_HOURS")


def filters_query(args) -> str:
    """The report's filters of a query string (without the format, the encoding, the language)."""
    pairs = [(k, v) for k, v in args.items(multi=True) if k not in NOT_FILTERS and v != ""]
    query = urlencode(pairs)
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"the filters are longer than {MAX_QUERY} characters", field="query")
    return query


# ---------------------------------------------------------------- starting and running


def start(engine, actor: Actor, report: str, fmt: str, args, locale: str, now: datetime) -> dict:
    """Checks the export as the synchronous one would (a bad filter or encoding is refused here, not in the
    job), records the job and starts its thread. Needs a request context (the filters are read like a page's)."""
    encoding = web.check(report, args, fmt, actor)
    query = filters_query(args)
    app = current_app._get_current_object()
    cleanup(engine, app, now)
    with UnitOfWork(engine) as uow:
        job = ExportJob(token=secrets.token_hex(16), user_id=actor.user_id, report=report, query=query,
                        format=fmt, encoding=encoding, locale=str(locale), status="queued",
                        stage="layout" if fmt == "pdf" else "rows", host=HOST, pid=os.getpid(), heartbeat_at=now,
                        created_at=now, expires_at=now + keep_for(app))
        uow.session.add(job)
        append_event(uow.session, engine, "export", username=actor.username, at=now,
                     message=("report_export", {"report": report, "format": fmt, "how": "background job",
                                           "filters": query or "none"}))
        uow.commit()
        job_id, token = job.id, job.token
    thread = threading.Thread(target=_run, args=(app, job_id, actor, request.url_root), daemon=True,
                              name=f"export-{token[:8]}")
    _threads[token] = thread
    thread.start()
    return view(job)


def wait(token: str) -> None:
    """Waits for a job this process started to end (tests, the CLI)."""
    thread = _threads.get(token)
    if thread is not None:
        thread.join()
        _threads.pop(token, None)


def _set(engine, job_id: int, **values) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.update(ExportJob).where(ExportJob.id == job_id).values(**values))
        uow.commit()


class _Progress:
    """Writes a job's progress to its row, at most every ``PROGRESS_SECONDS`` within a stage."""

    def __init__(self, engine, job_id: int):
        self.engine, self.job_id, self.stage, self.last = engine, job_id, None, 0.0

    def __call__(self, done: int, total: int | None, stage: str) -> None:
        moment = time.monotonic()
        if stage == self.stage and moment - self.last < PROGRESS_SECONDS and done != total:
            return
        self.stage, self.last = stage, moment
        _set(self.engine, self.job_id, done=done, total=total, stage=stage, heartbeat_at=clock.now())


def _run(app, job_id: int, actor: Actor, url_root: str) -> None:
    engine = app.extensions["engine"]
    with Session(engine) as s:
        job = s.get(ExportJob, job_id)
        token, report, fmt, encoding, query, locale = (job.token, job.report, job.format, job.encoding, job.query,
                                                        job.locale)
    path = os.path.join(folder(app), f"{token}.{fmt}")
    partial = f"{path}.part"
    stop = threading.Event()
    beat = threading.Thread(target=background.heartbeat, daemon=True,
                            args=(lambda: _set(engine, job_id, heartbeat_at=clock.now()), stop, log,
                                  f"export job {job_id}"))
    try:
        with app.test_request_context(f"/audit/{report}.{fmt}", base_url=url_root, query_string=query,
                                      headers={"Cookie": f"lang={locale}"}):
            _set(engine, job_id, status="running", heartbeat_at=clock.now())
            beat.start()
            doc = web.document(report, request.args, actor, fmt)
            web.write_file(doc, fmt, partial, encoding, progress=_Progress(engine, job_id))
            os.replace(partial, path)
            total = web.total_rows(doc)
            values = {"done": total} if fmt != "pdf" and total is not None else {}
            _set(engine, job_id, status="done", file_path=path, file_name=exports.file_name(doc, fmt),
                 size=os.path.getsize(path), finished_at=clock.now(), **values)
    except Exception as e:
        if not isinstance(e, DomainError):
            log.exception("export job %s (%s.%s) failed", job_id, report, fmt)
        try:
            with app.test_request_context(headers={"Cookie": f"lang={locale}"}):  # said in the person's language
                message = (translated_message(e.message_code, e.params, e.message) if isinstance(e, DomainError)
                           else _("Unexpected error: %(error)s", error=f"{type(e).__name__}: {e}"))
            _set(engine, job_id, status="failed", error=str(message)[:1000], finished_at=clock.now())
        except Exception:
            log.exception("export job %s: its failure could not be recorded", job_id)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    finally:
        stop.set()


# ---------------------------------------------------------------- reading


def _alive(job: ExportJob, now: datetime) -> bool:
    """Whether the process running a queued or running job can still finish it."""
    return background.can_finish(job.host, job.pid, job.heartbeat_at or job.created_at, now, STALE_AFTER)


def _mark_dead(engine, jobs: list[ExportJob], now: datetime) -> None:
    dead = [j for j in jobs if j.status in ("queued", "running") and not _alive(j, now)]
    if not dead:
        return
    message = STOPPED
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.update(ExportJob).where(ExportJob.id.in_([j.id for j in dead]),
                                                       ExportJob.status.in_(("queued", "running")))
                            .values(status="failed", error=message, finished_at=now))
        uow.commit()
    for j in dead:
        j.status, j.error, j.finished_at = "failed", message, now


def _own(engine, actor: Actor, token: str, now: datetime) -> ExportJob:
    with Session(engine) as s:
        job = s.exec(select(ExportJob).where(ExportJob.token == token, ExportJob.user_id == actor.user_id,
                                             ExportJob.expires_at > now)).first()
    if job is None:  # someone else's job reads as no job at all
        raise NotFound(f"no export {token} of yours (unknown, someone else's, or its file expired)", field="token",
                       message_code="export_not_found")
    _mark_dead(engine, [job], now)
    return job


def get(engine, actor: Actor, token: str, now: datetime) -> dict:
    return view(_own(engine, actor, token, now))


def recent(engine, actor: Actor, now: datetime, report: str | None = None, limit: int = RECENT) -> list[dict]:
    """The person's jobs whose files are not expired, newest first (of one report if given)."""
    cleanup(engine, current_app._get_current_object(), now)
    query = select(ExportJob).where(ExportJob.user_id == actor.user_id, ExportJob.expires_at > now)
    if report is not None:
        query = query.where(ExportJob.report == report)
    with Session(engine) as s:
        jobs = list(s.exec(query.order_by(ExportJob.id.desc()).limit(limit)))
    _mark_dead(engine, jobs, now)
    return [view(j) for j in jobs]


def file_of(engine, actor: Actor, token: str, now: datetime) -> tuple[str, str, str]:
    """(path, download name, content type) of a finished job's file."""
    job = _own(engine, actor, token, now)
    if job.status != "done" or not job.file_path or not os.path.exists(job.file_path):
        if job.status == "failed":
            raise ExportNotReady(f"export {token} failed: {job.error}", field="token", message_code="export_failed",
                                 params={"error": job.error or ""})
        raise ExportNotReady(f"export {token} is not finished yet ({job.done} of {job.total or '?'})", field="token",
                             message_code="export_not_ready")
    mime = exports.CSV_MIME[job.encoding or "utf-8"] if job.format == "csv" else web.MIME[job.format]
    return job.file_path, job.file_name, mime


def view(job: ExportJob) -> dict:
    """The job as plain values; needs a request context (an error of the job's process said in words)."""
    error = _("The server stopped before this export finished; start it again.") if job.error == STOPPED else job.error
    return {"token": job.token, "report": job.report, "format": job.format, "encoding": job.encoding,
            "query": job.query, "status": job.status, "stage": job.stage, "done": job.done, "total": job.total,
            "error": error, "file_name": job.file_name, "size": job.size, "created_at": job.created_at,
            "finished_at": job.finished_at, "expires_at": job.expires_at}


# ---------------------------------------------------------------- keeping files a limited time


def cleanup(engine, app, now: datetime) -> int:
    """Removes the files and rows of jobs past their expiry; returns how many."""
    with Session(engine) as s:
        old = list(s.exec(select(ExportJob.id, ExportJob.file_path).where(ExportJob.expires_at <= now)))
    if not old:
        return 0
    for _, path in old:
        for p in (path, f"{path}.part") if path else ():
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
    with UnitOfWork(engine) as uow:
        uow.session.execute(sa.delete(ExportJob).where(ExportJob.id.in_([i for i, _ in old])))
        uow.commit()
    return len(old)
