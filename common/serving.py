"""Where `make run` serves, and how a phone reaches it: the address and port, the BASE_URL the labels carry,
and a self-signed certificate for HTTPS (a phone's camera works only in a secure context).

Read by ``gunicorn.conf.py`` (the server) and by ``app.py`` (BASE_URL's default), so both agree. The settings
come from the environment, which ``make run HOST=… PORT=… HTTPS=1 BASE_URL=…`` fills in:

- ``HOST`` (default 127.0.0.1: this machine only; 0.0.0.0 listens on every address, so a phone on the same
  network can reach it) and ``PORT`` (default 8000); ``BIND`` (host:port) still overrides both;
- ``HTTPS=1``: serve HTTPS with the certificate of ``certificate()`` (made on first start under instance/);
- ``BASE_URL``: the address printed on labels; by default ``http[s]://<host>:<port>``, where a host of 0.0.0.0
  is replaced by this machine's first LAN address (a phone cannot open 0.0.0.0).
"""
import ipaddress
import os
import socket
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
ANY_ADDRESS = ("0.0.0.0", "", "::", "*")
CERT_NAME, KEY_NAME = "dev-https-cert.pem", "dev-https-key.pem"
CERT_DAYS = 825  # the longest a browser accepts for a server certificate


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def https(env=None) -> bool:
    return _flag((os.environ if env is None else env).get("HTTPS"))


def bind(env=None) -> tuple[str, int]:
    """(host, port) to listen on: BIND if given, else HOST and PORT."""
    env = os.environ if env is None else env
    if (env.get("BIND") or "").strip():
        host, _, port = env["BIND"].strip().rpartition(":")
        return host.strip("[]") or DEFAULT_HOST, int(port)
    port = (env.get("PORT") or "").strip() or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"PORT must be a number from 1 to 65535, got {port!r}")
    return (env.get("HOST") or "").strip() or DEFAULT_HOST, int(port)


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (127.x), best first: the one of the default route,
    then those `ip` lists, then those of the host name. Nothing is sent on the network."""
    found: list[str] = []
    try:  # the address the default route leaves from (a UDP "connect" sends no packet)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        listing = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=5,
                                 check=False).stdout
        found += [line.split()[3].split("/")[0] for line in listing.splitlines() if len(line.split()) > 3]
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    usable = []
    for address in found:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            continue
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local) and address not in usable:
            usable.append(address)
    return usable


def base_url(env=None, addresses: list[str] | None = None) -> str:
    """BASE_URL if given, else the address this server is reached at: http(s)://host:port, with a host that
    listens everywhere replaced by the first LAN address (or 127.0.0.1 when there is none)."""
    env = os.environ if env is None else env
    given = (env.get("BASE_URL") or "").strip()
    if given:
        return given.rstrip("/")
    host, port = bind(env)
    if host in ANY_ADDRESS:
        addresses = lan_addresses() if addresses is None else addresses
        host = addresses[0] if addresses else DEFAULT_HOST
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if https(env) else "http"
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + ("" if port == default_port else f":{port}")


def phone_addresses(env=None, addresses: list[str] | None = None) -> list[str]:
    """The addresses a phone on the same network opens: one per LAN address when the server listens on
    every address, else the one it listens on."""
    env = os.environ if env is None else env
    host, port = bind(env)
    scheme = "https" if https(env) else "http"
    if host in ANY_ADDRESS:
        hosts = lan_addresses() if addresses is None else addresses
    else:
        hosts = [host]
    return [f"{scheme}://{h}:{port}" for h in hosts]


def certificate(directory: Path, addresses: list[str], hostnames: list[str], now: datetime | None = None
                ) -> tuple[Path, Path, bool]:
    """(certificate file, key file, made now): a self-signed certificate for HTTPS on a LAN, kept in
    ``directory`` (instance/) and used again on every start. It names in subjectAltName localhost, 127.0.0.1,
    the host names and the LAN addresses; it is made again only when missing, unreadable, expiring within a
    day, or not naming one of today's addresses or host names (the machine got another address)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = now or datetime.now(timezone.utc)
    directory = Path(directory)
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    ips = list(dict.fromkeys(["127.0.0.1", *addresses]))
    names = list(dict.fromkeys(["localhost", *[h for h in hostnames if h]]))
    if cert_path.exists() and key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            have_ips = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
            have_names = set(sans.get_values_for_type(x509.DNSName))
            if set(ips) <= have_ips and set(names) <= have_names and \
                    cert.not_valid_after_utc > now + timedelta(days=1):
                return cert_path, key_path, False
        except (ValueError, x509.ExtensionNotFound):
            pass  # not a certificate this module made: make a new one
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[-1] if len(names) > 1 else "localhost"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ReliefDepot (self-signed, for trying it)")])
    san = x509.SubjectAlternativeName([x509.DNSName(n) for n in names] +
                                      [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=CERT_DAYS))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, True


def hostnames() -> list[str]:
    """This machine's host name, and its .local name (how phones on many LANs find it by mDNS)."""
    name = socket.gethostname()
    return [n for n in dict.fromkeys([name, f"{name.split('.')[0]}.local"]) if n and n != ".local"]


def start_message(env=None, addresses: list[str] | None = None, made: bool | None = None,
                  cert_path: Path | None = None) -> str:
    """What `make run` prints on start: where to open it from a phone, and what the browser will say."""
    env = os.environ if env is None else env
    host, port = bind(env)
    lines = [f"ReliefDepot serves on {host}:{port}; labels carry {base_url(env, addresses)}"]
    if host in ANY_ADDRESS:
        phones = phone_addresses(env, addresses)
        if phones:
            lines.append("Open it from a phone on the same network (Wi-Fi):")
            lines += [f"    {address}/scan" for address in phones]
        else:
            lines.append("This machine has no LAN address (IPv4) a phone could open.")
    else:
        lines.append(f"Only this machine can open it: {scheme(env)}://{host}:{port}/ — to try it from a phone, "
                     f"`make run HOST=0.0.0.0 HTTPS=1`.")
    if https(env):
        lines.append(f"HTTPS with a self-signed certificate ({cert_path or 'instance/' + CERT_NAME}"
                     f"{', made now' if made else ''}): the browser warns that the connection is not private; "
                     "accept it once (Advanced → Proceed) and the camera works.")
    elif host in ANY_ADDRESS:
        lines.append("Plain HTTP: a phone's browser gives the camera only to HTTPS pages; add HTTPS=1 to scan "
                     "with the camera (typing codes works either way).")
    return "\n".join(lines)


def scheme(env=None) -> str:
    return "https" if https(env) else "http"
