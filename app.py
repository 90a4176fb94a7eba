"""ReliefDepot (应急物资储备与调拨系统): the application factory.

gunicorn: ``gunicorn 'app:create_app()'``; CLI: ``flask --app app <command>``.
"""
import os
import secrets
from pathlib import Path

from flask import Flask, request, send_from_directory
from flask_babel import Babel

from common.db import make_engine
from common.http import register_error_handlers
from common.inputs import register_input_checks
from common.limits import IdConverter
from common.secret_files import kept_file
from common.web import register_request_reads
from common import body_limits, security_headers, serving

LOCALES = ("zh_Hans_CN", "en")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(_settings(app.instance_path))
    app.config.update(config or {})

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])
    app.extensions["engine"] = make_engine(app.config["DATABASE_URL"])
    register_request_reads(app)  # first: the token check of every API request reads through it
    _init_ledger_keys(app)
    _init_auth(app)
    _init_babel(app)
    _init_api(app)
    _init_pages(app)
    register_input_checks(app)
    register_error_handlers(app)
    security_headers.register(app)
    body_limits.register(app)
    _init_cli(app)
    _warn_demo_passwords(app)
    return app


def _warn_demo_passwords(app: Flask) -> None:
    """Outside the demo, an account still with its demo password is said loudly at every start (and its logins
    are refused: accounts.login_protection.login)."""
    import logging

    import sqlalchemy as sa

    from accounts.login_protection import demo_passwords_in_use

    if app.config["DEMO"]:
        return
    try:
        found = demo_passwords_in_use(app.extensions["engine"])
    except sa.exc.SQLAlchemyError:  # not migrated yet, or not reachable at start
        return
    if found:
        logging.getLogger("reliefdepot.security").warning(
            "!!! SECURITY: accounts %s still have the published demo passwords; this server is not the demo "
            "(DEMO=1 is not set), so those logins are refused. Reset their passwords (系统管理 → 人员). !!!",
            ", ".join(found))


def _settings(instance_path: str) -> dict:
    env = os.environ
    return {
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'reliefdepot.db'}",
        "SECRET_KEY": env.get("SECRET_KEY") or _kept_secret(Path(instance_path) / "secret_key"),
        # The ledger keys (HMAC of every ledger line and seal): a file kept apart from the database.
        "LEDGER_KEYS": env.get("LEDGER_KEYS") or str(Path(instance_path) / "ledger_keys"),
        # The address labels carry: BASE_URL, else where `make run` serves (HOST, PORT, HTTPS; common/serving.py).
        "BASE_URL": serving.base_url(env),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        # The largest request body (bytes): a bigger one is refused with 413 before it is read. 1 MiB for
        # every request; MAX_UPLOAD_LENGTH for the imports and photos of common/body_limits.py (8 MiB holds a
        # travel-times CSV of 200,000 rows, the importer's maximum).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH") or 1024 * 1024),
        "MAX_UPLOAD_LENGTH": int(env.get("MAX_UPLOAD_LENGTH") or 8 * 1024 * 1024),
        # Report exports run in the background (audit/jobs.py): their files, and how long they are kept.
        "EXPORT_FOLDER": env.get("EXPORT_FOLDER") or str(Path(instance_path) / "exports"),
        "EXPORT_KEEP_HOURS": float(env.get("EXPORT_KEEP_HOURS") or 24),
        # Seconds the route planner may take for an incident's routes (transport.views.time_limit).
        "ROUTE_TIME_LIMIT_SECONDS": int(env.get("ROUTE_TIME_LIMIT_SECONDS") or 5),
        "PDF_MAX_ROWS": int(env.get("PDF_MAX_ROWS") or 100_000),  # lines a report PDF may hold
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS (HTTPS=1, or SESSION_COOKIE_SECURE=1 behind a TLS proxy): the session and language
        # cookies are Secure, and answers carry Strict-Transport-Security (common/security_headers.py).
        "HTTPS": serving.https(env) or env.get("SESSION_COOKIE_SECURE", "") == "1",
        # Security (README, "Security"): logins, passwords and sessions (accounts/security.py). A browser login
        # ends after SESSION_IDLE_MINUTES without a request and SESSION_LIFETIME_HOURS after it began (no
        # "remember me"); a keeper's phone sends queued scans with its device token, revocable at /account/tokens.
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_ADDRESS_MAX_FAILURES": _int(env, "LOGIN_ADDRESS_MAX_FAILURES", 5),
        "LOGIN_WINDOW_MINUTES": _int(env, "LOGIN_WINDOW_MINUTES", 15),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "PASSWORD_MIN_LENGTH": _int(env, "PASSWORD_MIN_LENGTH", 10),
        "PASSWORD_MIN_CLASSES": _int(env, "PASSWORD_MIN_CLASSES", 3),
        "PASSWORD_HISTORY": _int(env, "PASSWORD_HISTORY", 5),
        "PASSWORD_MAX_AGE_DAYS": _int(env, "PASSWORD_MAX_AGE_DAYS", 90),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 30),
        "SESSION_LIFETIME_HOURS": _int(env, "SESSION_LIFETIME_HOURS", 12),
        # At most this many browser logins of one account at once (0: no limit); a new one ends the oldest.
        "SESSION_MAX_PER_ACCOUNT": _int(env, "SESSION_MAX_PER_ACCOUNT", 0),
        "SECURITY_LOG_KEEP_DAYS": _int(env, "SECURITY_LOG_KEEP_DAYS", 180),
        # Reverse proxies in front (nginx: 1) whose X-Forwarded-For names the client: the source address of the
        # login locks and the security log. 0: the connection's address (behind a proxy, the proxy's own).
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # The demo (`make run`, DEMO=1): the demo accounts log in with their published passwords. Anywhere else
        # those passwords are refused and the start says so loudly.
        "DEMO": env.get("DEMO", "") == "1",
        "SESSION_COOKIE_SECURE": serving.https(env) or env.get("SESSION_COOKIE_SECURE", "") == "1",
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "API_TITLE": "ReliefDepot API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/swagger-ui/",
        "PUBLIC_API_ENDPOINTS": {"accounts_api.create_token", "api-docs.openapi_json", "api-docs.openapi_swagger_ui",
                                 "swagger_ui_files"},
    }


def _int(env, name: str, default: int) -> int:
    return int(env.get(name) or default)


def _kept_secret(path: Path) -> str:
    """A random SECRET_KEY made on first start and kept under instance/, so sessions survive restarts."""
    try:
        return kept_file(path, lambda: secrets.token_hex(32), lambda text: bool(text.strip())).strip()
    except RuntimeError:
        raise RuntimeError(f"{path} is empty; delete it or set SECRET_KEY") from None


def _init_ledger_keys(app: Flask) -> None:
    """Loads the ledger keys (made on first start) for the engine's services, and records the current key's
    coming into use in the database if it is not yet (a database not migrated yet: ``db upgrade`` does)."""
    import sqlalchemy as sa

    from common.clock import now
    from inventory import integrity, ledger_keys

    engine = app.extensions["engine"]
    ledger_keys.attach(engine, ledger_keys.load(app.config["LEDGER_KEYS"]))
    try:
        integrity.record_key(engine, "app start", now())
    except sa.exc.SQLAlchemyError:  # no such table yet, or the database is not reachable at start
        pass


def _init_auth(app: Flask) -> None:
    from accounts.auth import csrf, login_manager

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    csrf.init_app(app)


def _init_babel(app: Flask) -> None:
    def select_locale():
        wanted = request.args.get("lang") or request.cookies.get("lang")
        return wanted if wanted in LOCALES else app.config["BABEL_DEFAULT_LOCALE"]

    Babel(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LOCALES:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                                secure=app.config["SESSION_COOKIE_SECURE"])
        return response

    _init_formats(app)


def _init_formats(app: Flask) -> None:
    """The formatting helpers of ``common.formats`` for the templates, in the page's locale and time zone (a
    naive datetime from the database is UTC)."""
    from datetime import datetime, timezone

    from flask_babel import get_locale

    from common import formats
    from dispatch.vocab import norm_source

    def locale() -> str:
        return str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])

    def fmt_datetime(t):
        if isinstance(t, datetime) and t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return formats.datetime_text(t, locale(), app.config["TIMEZONE"])

    def fmt_expiry(expires_on):
        """An expiry date as days from the county's today: 已过期 145 天 / 今天到期 / 还剩 30 天."""
        if not expires_on:
            return ""
        from common.web import request_today

        return formats.days_left_text((expires_on - request_today()).days, locale())

    app.jinja_env.globals.update(
        fmt_date=lambda d: formats.date_text(d, locale()),
        fmt_datetime=fmt_datetime,
        fmt_number=lambda n, digits=None: formats.number(n, locale(), digits),
        fmt_days_left=lambda days: formats.days_left_text(days, locale()),
        fmt_expiry=fmt_expiry,
        fmt_quantity=lambda n, unit: formats.quantity_text(n, unit, locale()),
        fmt_coverage=lambda fraction: formats.coverage_text(fraction, locale()),
        fmt_money=lambda cents, with_unit=True: formats.money_text(cents, locale(), with_unit),
        norm_source=norm_source,
    )


def _init_api(app: Flask) -> None:
    import swagger_ui_bundle
    from flask_smorest.spec.plugins import integerconverter2paramschema

    from accounts import api as accounts_api
    from accounts.auth import csrf
    from audit import api as audit_api
    from common.api import Api
    from counts import api as counts_api
    from dispatch import api as dispatch_api
    from inventory import api as inventory_api
    from inventory.writeoffs import api as writeoffs_api
    from orders import api as orders_api
    from orders.returns import api as returns_api
    from orders import requests_api as transfer_requests_api
    from receiving import api as receiving_api
    from transport import fleet_api
    from transport import api as transport_api

    api = Api(app)
    api.register_converter(IdConverter, integerconverter2paramschema)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in (accounts_api.blp, inventory_api.blp, writeoffs_api.blp, counts_api.blp, dispatch_api.blp,
                      orders_api.blp, returns_api.blp, transfer_requests_api.blp, audit_api.blp,
                      receiving_api.blp, transport_api.blp, fleet_api.blp):
        csrf.exempt(blueprint)  # common.api asks for the CSRF token when a browser session is used
        api.register_blueprint(blueprint)

    @app.route("/api/v1/swagger-ui/<path:filename>", endpoint="swagger_ui_files")
    def swagger_ui_files(filename):  # served by the app itself: no CDN at run time
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _init_pages(app: Flask) -> None:
    from accounts.admin_views import bp as people_pages
    from inventory import catalog_views  # noqa: F401 (the depot and item pages, on the administrators' blueprint)
    from registers import downloads  # noqa: F401 (the register template and export, on the same blueprint)
    from registers import views as register_views  # noqa: F401 (the import page, on the administrators' blueprint)
    from accounts.views import bp as accounts_pages
    from accounts import totp_views  # noqa: F401 (the second factor's pages, on the accounts blueprint)
    from accounts.security_views import bp as security_log_pages
    from audit.views import bp as audit_pages
    from counts.views import bp as count_pages
    from dispatch.views import bp as dispatch_pages
    from inventory.views import bp as inventory_pages
    from inventory.writeoffs.views import bp as writeoff_pages
    from labels.views import bp as label_pages
    from orders.returns.views import bp as return_pages
    from orders.request_views import bp as transfer_request_pages
    from orders.views import bp as order_pages
    from receiving.views import bp as receiving_pages
    from donations.views import bp as donation_pages
    from scan.views import bp as scan_pages
    from transport.views import bp as transport_pages
    from maps.views import bp as map_pages

    app.register_blueprint(accounts_pages)
    app.register_blueprint(people_pages)
    app.register_blueprint(security_log_pages)
    app.register_blueprint(inventory_pages)
    app.register_blueprint(writeoff_pages)
    app.register_blueprint(label_pages)
    app.register_blueprint(scan_pages)
    app.register_blueprint(count_pages)
    app.register_blueprint(dispatch_pages)
    app.register_blueprint(order_pages)
    app.register_blueprint(return_pages)
    app.register_blueprint(transfer_request_pages)
    app.register_blueprint(audit_pages)
    app.register_blueprint(receiving_pages)
    app.register_blueprint(donation_pages)
    app.register_blueprint(transport_pages)
    app.register_blueprint(map_pages)


def _init_cli(app: Flask) -> None:
    from dispatch.cli import allocate, demo
    from inventory.cli import register

    register(app)
    from accounts.cli import security_log

    app.cli.add_command(security_log)
    app.cli.add_command(allocate)
    app.cli.add_command(demo)
    from registers.cli import import_registers

    app.cli.add_command(import_registers)
    from backups.cli import backup, restore

    app.cli.add_command(backup)
    app.cli.add_command(restore)

    from registers.export_cli import export_registers

    app.cli.add_command(export_registers)
    from transport.cli import plan_routes_command

    app.cli.add_command(plan_routes_command)
