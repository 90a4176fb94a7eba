"""The scanning page's server side, on SQLite and PostgreSQL: the page for who is asking, the service
worker, and the front-end files installed from npm and served by the app (no CDN)."""
import json
import re

from scan import vendor
from tests.conftest import login


def page_config(response) -> dict:
    html = response.get_data(as_text=True)
    return json.loads(re.search(r'<script type="application/json" id="scan-config">(.*?)</script>', html, re.S).group(1))


def test_the_scanners_files_from_npm_are_installed():
    # `make install` runs `npm ci` in frontend/; without it the camera cannot decode anything
    vendor.check()


def fetch(client, url):
    """The answer with its body read and its file closed (send_file streams from an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_the_app_serves_the_decoder_and_its_wasm_itself(client):
    wasm = fetch(client, "/static/vendor/zxing_reader.wasm")
    assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
    assert wasm.data[:4] == b"\0asm"
    script = fetch(client, "/static/vendor/barcode-detector.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"setZXingModuleOverrides" in script.data
    assert fetch(client, "/static/vendor/jsQR.js").status_code == 200
    assert fetch(client, "/static/vendor/package.json").status_code == 404
    assert fetch(client, "/static/vendor/..%2Fpackage.json").status_code == 404


def test_the_page_needs_a_login(client, county):
    r = client.get("/scan")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_keeper_gets_the_page_with_the_depots_they_keep(client, county):
    login(client, "keeper", "keeper-pass")
    r = client.get("/scan")
    assert r.status_code == 200
    config = page_config(r)
    assert config["user"] == "keeper" and config["canChange"] is True and config["keeps"] is True
    assert [d["code"] for d in config["depots"]] == ["T1", "T1-V1"]
    assert config["base"] == "http://testserver"
    assert config["urls"]["wasm"] == "/static/vendor/zxing_reader.wasm"
    html = r.get_data(as_text=True)
    assert "扫码登记" in html and "待发送" in html and 'href="/static/css/scan.css"' in html
    # Approved write-off (核销) is the administrators' word: a keeper writes off as expired, damaged or lost
    assert 'value="approved"' not in html


def test_an_auditor_gets_the_page_read_only(client, county):
    login(client, "auditor", "auditor-pass")
    config = page_config(client.get("/scan"))
    assert config["canChange"] is False and config["depots"] == []


def test_the_page_speaks_english_too(client, county):
    login(client, "keeper", "keeper-pass")
    html = client.get("/scan?lang=en").get_data(as_text=True)
    assert "Scan and record" in html and "Waiting to send" in html


def test_the_service_worker_lists_files_that_are_all_served(client, county):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Service-Worker-Allowed"] == "/scan"
    precache = json.loads(re.search(r"^const PRECACHE = (.*);$", r.get_data(as_text=True), re.M).group(1))
    assert "/scan" in precache and "/static/vendor/zxing_reader.wasm" in precache
    login(client, "keeper", "keeper-pass")
    for url in precache:
        assert fetch(client, url).status_code == 200, url
