"""Small helpers the HTTP edges share: the engine, the clock and the acting person of this request."""
from datetime import date, datetime

from flask import current_app, g

from common import clock
from common.db import hold_request_reads, release_request_reads


def engine():
    return current_app.extensions["engine"]


def request_now() -> datetime:
    if "now" not in g:
        g.now = clock.now()
    return g.now


def request_today() -> date:
    return clock.local_today(request_now(), current_app.config["TIMEZONE"])


def register_request_reads(app) -> None:
    """Each request's one-statement reads share a connection (``common.db.one_statement_reads``), closed when
    the request ends, whatever happened."""

    @app.before_request
    def hold_reads():
        g.reads_token = hold_request_reads()

    @app.teardown_request
    def release_reads(_error):
        token = g.pop("reads_token", None)
        if token is not None:
            release_request_reads(token)
