# gunicorn settings for `make run` and production (override with GUNICORN_CMD_ARGS or -c).
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 120
accesslog = "-"
