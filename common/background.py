"""Work run in a thread of the server process, its state in a database row (report exports ``audit.jobs``, register
imports ``registers.jobs``): where its files are kept and for how long, a heartbeat while it runs, and whether the
process running it can still finish it — a job of this host whose pid is gone, or with no heartbeat for a while,
is not coming back."""
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

HOST = socket.gethostname()[:255]
HEARTBEAT_SECONDS = 15


def kept_folder(app, setting: str, default: str) -> str:
    """The folder of a kind of job's files: the setting, else ``instance/<default>``; made if missing."""
    path = app.config.get(setting) or os.path.join(app.instance_path, default)
    os.makedirs(path, exist_ok=True)
    return path


def kept_for(app, setting: str) -> timedelta:
    return timedelta(hours=float(app.config.get(setting, 24)))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def can_finish(host: str | None, pid: int | None, last_beat: datetime, now: datetime, stale_after: timedelta) -> bool:
    """Whether the process running a job can still finish it."""
    if host == HOST and pid is not None and not pid_alive(pid):
        return False
    return now - last_beat <= stale_after


def heartbeat(write: Callable[[], None], stop: threading.Event, log: logging.Logger, what: str,
              seconds: float = HEARTBEAT_SECONDS) -> None:
    """Calls ``write`` every ``seconds`` until ``stop`` is set (run it in a thread of its own)."""
    while not stop.wait(seconds):
        try:
            write()
        except Exception:  # a missed beat only makes the job look stale sooner
            log.warning("%s: heartbeat not written", what, exc_info=True)
