"""The application as gunicorn serves it, plus one bench-only endpoint for ``bench/scan.py``.

``GET /bench/bare`` answers a small JSON and does nothing else: no token, no database. Served on the
same gunicorn, by the same workers, through the same Flask app (its before/after-request hooks
included), it is the floor every API endpoint stands on. Only the scan benchmark serves this module
(``gunicorn 'bench.scan_app:create_app()'``); the product never registers the endpoint.
"""
from flask import jsonify

import app as product


def create_app():
    application = product.create_app()

    @application.get("/bench/bare")
    def bench_bare():
        return jsonify(ok=True)

    return application
