"""`make run HTTPS=1`: gunicorn with the project's gunicorn.conf.py makes a certificate on first start, serves
HTTPS with it, tells where phones open it, and uses the same certificate on the next start."""
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography import x509

from common.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp_path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "HOST": "0.0.0.0", "PORT": str(port), "HTTPS": "1", "BASE_URL": "",
           "HTTPS_CERT_DIR": str(tmp_path / "certs"), "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
           "SECRET_KEY": "test", "LEDGER_KEYS": str(tmp_path / "ledger_keys"), "WEB_WORKERS": "1",
           "WEB_THREADS": "1"}
    env.pop("BIND", None)
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def fetch_login(port: int, cafile: Path, server: subprocess.Popen) -> tuple[int, str]:
    """GET /login over HTTPS, trusting only the made certificate; retried while the server starts (no time limit:
    the loop ends when it answers or when gunicorn has exited)."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.check_hostname = True
    while True:
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/login", context=context) as r:
                return r.status, r.read().decode()
        except (ConnectionError, urllib.error.URLError) as e:
            if isinstance(e, urllib.error.URLError) and not isinstance(e.reason, ConnectionRefusedError):
                raise
            assert server.poll() is None, f"gunicorn stopped: {server.stdout.read()}"
            time.sleep(0.1)


def stop(server: subprocess.Popen) -> str:
    server.terminate()
    out, _ = server.communicate()
    return out


def test_https_1_makes_a_certificate_serves_login_over_it_and_keeps_it(tmp_path):
    upgrade(f"sqlite:///{tmp_path / 'run.db'}")
    cert = tmp_path / "certs" / "dev-https-cert.pem"

    port = free_port()
    server = serve(tmp_path, port)
    try:
        while not cert.exists():  # made by the config before gunicorn listens
            assert server.poll() is None, f"gunicorn stopped: {server.stdout.read()}"
            time.sleep(0.05)
        status, body = fetch_login(port, cert, server)  # verified against the made certificate, 127.0.0.1 in SAN
    finally:
        log = stop(server)
    assert status == 200 and 'name="password"' in body
    assert "Open it from a phone on the same network" in log and "self-signed" in log
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    first = cert.read_bytes()

    port = free_port()
    server = serve(tmp_path, port)
    try:
        status, _ = fetch_login(port, cert, server)
    finally:
        log = stop(server)
    assert status == 200 and cert.read_bytes() == first and "made now" not in log
