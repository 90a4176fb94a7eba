"""The weight of the incident page of a large incident: a level I response for 200,000 people at 45 sites
of the demo county (``dispatch.large_incident``), planned; prints the HTML bytes and table rows of the page
as a dispatcher sees it.

    .venv/bin/python scripts/incident_weight.py [sqlite:////tmp/incident-weight.db]

The database is made (demo county, the incident, its plan) when it holds no depots yet, and kept, so that a
server may be started on it to look at the page (``DATABASE_URL=... gunicorn 'app:create_app()'``).
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(url: str) -> None:
    from app import create_app
    from common.db import make_engine
    from common.migrate import upgrade
    from dispatch.demo import load_dispatch_demo
    from dispatch.large_incident import ensure_large_incident
    from inventory.demo import is_empty, load_demo

    upgrade(url)
    engine = make_engine(url)
    if is_empty(engine):
        from datetime import date

        load_demo(engine, date.today())
        load_dispatch_demo(engine)

    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        incident_id = ensure_large_incident(app.extensions["engine"])
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "dispatcher", "password": "demo-dispatch-2026",
                                "csrf_token": token.group(1) if token else ""})
    for path in (f"/incidents/{incident_id}", f"/incidents/{incident_id}?lang=en"):
        r = client.get(path)
        body = r.get_data()
        print(f"{path}: status {r.status_code}, {len(body):,} bytes, {body.count(b'<tr'):,} table rows")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/incident-weight.db")
