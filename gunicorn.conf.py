# gunicorn settings for `make run` and production (override with GUNICORN_CMD_ARGS or -c).
# Where it listens, BASE_URL and HTTPS come from the environment (common/serving.py):
#   make run HOST=0.0.0.0 PORT=8080 HTTPS=1 BASE_URL=https://depot.example.gov.cn
# BIND (host:port) still overrides HOST and PORT.
import gc
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import serving  # noqa: E402

_host, _port = serving.bind()
bind = f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 120
accesslog = "-"

# The workers' create_app() reads BASE_URL: the address labels carry, derived here once from host, port and
# scheme when not given, so the labels printed point where a phone can reach this server.
os.environ["BASE_URL"] = serving.base_url()

_made = None
if serving.https():
    # A self-signed certificate under instance/ (or HTTPS_CERT_DIR), made on first start for this machine's LAN
    # addresses and host name, used again afterwards.
    _instance = Path(os.environ.get("HTTPS_CERT_DIR") or Path(__file__).resolve().parent / "instance")
    _cert, _key, _made = serving.certificate(_instance, serving.lan_addresses(), serving.hostnames())
    certfile, keyfile = str(_cert), str(_key)
    # Cookies over HTTPS only, unless said otherwise.
    os.environ.setdefault("SESSION_COOKIE_SECURE", "1")


def post_worker_init(worker):
    # The application is loaded: move its objects (modules, models, routes: most of the heap) out of the cycle
    # collector's reach, so that a full collection during a request walks only what requests made.
    gc.freeze()


def when_ready(server):
    server.log.info("\n" + serving.start_message(made=_made, cert_path=certfile if serving.https() else None))
