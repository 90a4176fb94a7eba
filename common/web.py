"""Small helpers the HTTP edges share: the engine, the clock and the acting person of this request."""
from datetime import date, datetime

from flask import current_app, g

from common import clock


def engine():
    return current_app.extensions["engine"]


def request_now() -> datetime:
    if "now" not in g:
        g.now = clock.now()
    return g.now


def request_today() -> date:
    return clock.local_today(request_now(), current_app.config["TIMEZONE"])
