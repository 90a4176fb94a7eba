"""Where `make run` serves and what phones open: BASE_URL follows host, port and scheme; the self-signed
certificate names this machine's addresses and names, and is made once and used again."""
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509

from common import serving

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
LAN = ["192.168.1.20", "10.0.0.7"]


@pytest.mark.parametrize("env, expected", [
    ({}, "http://127.0.0.1:8000"),
    ({"PORT": "8080"}, "http://127.0.0.1:8080"),
    ({"HOST": "0.0.0.0", "PORT": "8443", "HTTPS": "1"}, "https://192.168.1.20:8443"),
    ({"HOST": "0.0.0.0"}, "http://192.168.1.20:8000"),
    ({"HOST": "depot.lan", "PORT": "443", "HTTPS": "1"}, "https://depot.lan"),
    ({"HOST": "10.0.0.7", "PORT": "80"}, "http://10.0.0.7"),
    ({"BIND": "0.0.0.0:9000", "HOST": "ignored", "PORT": "1"}, "http://192.168.1.20:9000"),
    ({"HOST": "0.0.0.0", "BASE_URL": "https://depot.example.gov.cn/"}, "https://depot.example.gov.cn"),
    ({"BASE_URL": "", "PORT": "8001"}, "http://127.0.0.1:8001"),
])
def test_base_url_follows_host_port_and_scheme_unless_given(env, expected):
    assert serving.base_url(env, addresses=LAN) == expected


def test_a_host_that_listens_everywhere_without_a_lan_address_falls_back_to_loopback():
    assert serving.base_url({"HOST": "0.0.0.0"}, addresses=[]) == "http://127.0.0.1:8000"


@pytest.mark.parametrize("port", ["0", "70000", "eighty", "-1"])
def test_a_port_that_is_not_one_is_refused_naming_it(port):
    with pytest.raises(ValueError, match="PORT"):
        serving.bind({"PORT": port})


def test_a_phone_is_told_every_lan_address_and_that_the_browser_will_warn():
    env = {"HOST": "0.0.0.0", "PORT": "8443", "HTTPS": "1"}
    assert serving.phone_addresses(env, LAN) == ["https://192.168.1.20:8443", "https://10.0.0.7:8443"]
    message = serving.start_message(env, LAN, made=True)
    assert "https://192.168.1.20:8443/scan" in message and "https://10.0.0.7:8443/scan" in message
    assert "self-signed" in message and "warns" in message
    assert "HTTPS=1" in serving.start_message({"HOST": "0.0.0.0"}, LAN)  # plain HTTP: how to get the camera
    assert "Only this machine" in serving.start_message({}, LAN)


def test_lan_addresses_are_ipv4_and_never_loopback():
    for address in serving.lan_addresses():
        assert address.count(".") == 3 and not address.startswith("127.")


def sans(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}, set(names.get_values_for_type(x509.DNSName))


def test_the_certificate_names_the_lan_addresses_and_host_names(tmp_path):
    cert, key, made = serving.certificate(tmp_path / "instance", LAN, ["depot-pc", "depot-pc.local"], now=NOW)
    assert made and cert.parent == key.parent == tmp_path / "instance"
    ips, names = sans(cert)
    assert ips == {"127.0.0.1", "192.168.1.20", "10.0.0.7"}
    assert names == {"localhost", "depot-pc", "depot-pc.local"}
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----") and oct(key.stat().st_mode)[-3:] == "600"


def test_the_certificate_is_used_again_on_the_next_start_not_made_anew(tmp_path):
    cert, key, _ = serving.certificate(tmp_path, LAN, ["depot-pc"], now=NOW)
    first = cert.read_bytes(), key.read_bytes()
    again = serving.certificate(tmp_path, LAN, ["depot-pc"], now=NOW + timedelta(days=30))
    assert again == (cert, key, False)
    assert (cert.read_bytes(), key.read_bytes()) == first
    fewer = serving.certificate(tmp_path, LAN[:1], [], now=NOW + timedelta(days=31))  # a subset is covered
    assert fewer[2] is False and cert.read_bytes() == first[0]


def test_the_certificate_is_made_anew_for_a_new_address_or_near_its_end(tmp_path):
    cert, _, _ = serving.certificate(tmp_path, LAN, ["depot-pc"], now=NOW)
    first = cert.read_bytes()
    _, _, made = serving.certificate(tmp_path, LAN + ["172.16.5.9"], ["depot-pc"], now=NOW)
    assert made and cert.read_bytes() != first and "172.16.5.9" in sans(cert)[0]
    second = cert.read_bytes()
    _, _, made = serving.certificate(tmp_path, LAN + ["172.16.5.9"], ["depot-pc"],
                                     now=NOW + timedelta(days=serving.CERT_DAYS))
    assert made and cert.read_bytes() != second


def test_a_file_that_is_not_a_certificate_is_replaced(tmp_path):
    (tmp_path / serving.CERT_NAME).write_text("not a certificate")
    (tmp_path / serving.KEY_NAME).write_text("nor a key")
    cert, _, made = serving.certificate(tmp_path, LAN, [], now=NOW)
    assert made and "192.168.1.20" in sans(cert)[0]
