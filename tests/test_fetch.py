"""fetch(): catalogue, page links with random suffixes, retries, atomic writes, clear failures,
and what it refuses: http, other hosts, redirects off-host, oversized files, path tricks in
link names, unsafe zip members and files whose sha256 does not match.

Every test talks to a local HTTPS server in a thread, with a self-signed certificate made in
the test session and trusted through ``cafile=`` (or ``WORKBENCH_CA_FILE``); none touches
the network. The server answers for both ``127.0.0.1`` (the host the test catalogues allow)
and ``localhost`` (standing in for "another host").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import ipaddress
import json
import socket
import ssl
import stat
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workbench.data import fetch as F
from workbench.data.cli_data import add_parser, cmd_fetch
from workbench.errors import FetchError

CSV = b"Period,Org Code\nMSitAE-JUNE-2025,RJ1\n" * 200
OMIT = None  # a Content-Length header value meaning "send no Content-Length"


@pytest.fixture(scope="session")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workbench test server")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_pem, key_pem = folder / "cert.pem", folder / "key.pem"
    cert_pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pem, key_pem


class Server:
    """Routes path -> list of responses (status, body, headers); the last one repeats.

    A header ``Content-Length`` of ``OMIT`` sends none (the body ends when the connection
    closes); any other value is sent as given, whatever the body's real length.
    """

    def __init__(self, cert_pem: Path, key_pem: Path):
        self.routes: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.hits: dict[str, int] = {}
        self.connections = 0
        outer = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_pem, key_pem)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                seq = outer.routes.get(path, [(404, b"not found", {})])
                status, body, headers = seq[min(outer.hits[path], len(seq)) - 1]
                self.send_response(status)
                length = headers.get("Content-Length", str(len(body)))
                if length is not OMIT:
                    self.send_header("Content-Length", length)
                for k, v in headers.items():
                    if k != "Content-Length":
                        self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client stopped reading (a refused download)

            def log_message(self, *args):
                pass

        class TLSServer(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                outer.connections += 1
                try:
                    conn = context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client did not trust the certificate
                Handler(conn, client_address, self)

            def handle_error(self, request, client_address):
                pass

        self.httpd = TLSServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self.other = f"https://localhost:{self.port}"  # same server, a host not allowed
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(cert):
    s = Server(*cert)
    yield s
    s.close()


@pytest.fixture
def ca(cert) -> str:
    return str(cert[0])


def page(*links: str) -> bytes:
    items = "".join(f'<li><a href="{h}">{h.rsplit("/", 1)[-1]}</a></li>' for h in links)
    return f"<html><body><h1>A&amp;E</h1><ul>{items}</ul></body></html>".encode()


def catalogue(server, link=r"^{month_name}-{year}-AE-by-provider(-[0-9A-Za-z]+)*\.xlsx$", **kw):
    entry = F.Entry("ae_workbook", "test A&E workbook", page=server.base + "/stats/ae-{fy}/",
                    link=link, **kw)
    return {"ae_workbook": entry}


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_finds_random_suffix_link_and_records_sha256(server, tmp_path, ca):
    server.routes["/stats/ae-2025-26/"] = [(200, page(
        "/uploads/2025/07/May-2025-AE-by-provider-aa11.xlsx",
        "/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"), {})]
    server.routes["/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"] = [(200, CSV, {})]
    path = F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server),
                   backoff=0, cafile=ca)
    assert path == tmp_path / "ae_workbook" / "June-2025-AE-by-provider-3euC4-1.xlsx"
    assert path.read_bytes() == CSV
    record = json.loads(F.sidecar(path).read_text())
    assert record["sha256"] == hashlib.sha256(CSV).hexdigest() and record["bytes"] == len(CSV)
    assert record["url"] == server.base + "/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"
    assert record["page"] == server.base + "/stats/ae-2025-26/"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []
    # a second fetch finds the file and its record: the file is not downloaded again
    F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server), backoff=0,
            cafile=ca)
    assert server.hits["/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"] == 1


def test_certificate_is_verified_and_not_retried(server, tmp_path, monkeypatch):
    monkeypatch.delenv(F.CA_FILE_ENV, raising=False)
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV, {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    with pytest.raises(FetchError, match="certificate verify failed") as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=3, backoff=0)
    assert F.CA_FILE_ENV in str(err.value)
    assert server.connections == 1 and url not in server.hits
    assert list((tmp_path / "ae").iterdir()) == []


def test_ca_file_from_environment(server, tmp_path, ca, monkeypatch):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV, {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    monkeypatch.setenv(F.CA_FILE_ENV, ca)
    assert F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0).read_bytes() == CSV
    monkeypatch.setenv(F.CA_FILE_ENV, str(tmp_path / "missing.pem"))
    with pytest.raises(FetchError, match=f"{F.CA_FILE_ENV}=.*missing.pem.*PEM"):
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, force=True)


@pytest.mark.parametrize("kind", ["http", "other host", "file"])
def test_page_links_off_https_or_off_host_are_refused(server, tmp_path, ca, kind):
    name = "June-2025-AE-by-provider-3euC4-1.xlsx"
    server.routes["/evil/" + name] = [(200, b"not the publisher's file", {})]
    link = {"http": f"http://127.0.0.1:{server.port}/evil/{name}",
            "other host": f"{server.other}/evil/{name}",
            "file": f"file:///tmp/evil/{name}"}[kind]
    server.routes["/stats/ae-2025-26/"] = [(200, page(link), {})]
    with pytest.raises(FetchError) as err:
        F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server),
                backoff=0, cafile=ca)
    msg = str(err.value)
    assert msg.startswith(f"Refused to fetch {link}") and "Nothing was written" in msg
    assert f"link found on {server.base}/stats/ae-2025-26/" in msg
    if kind == "other host":
        assert err.value.host == "localhost" and "'localhost'" in msg and "127.0.0.1" in msg
    else:
        assert "only https is allowed" in msg
    assert "/evil/" + name not in server.hits
    assert listing(tmp_path) == ["ae_workbook"]


def test_http_catalogue_url_is_refused_before_any_request(server, tmp_path, ca):
    cat = {"ae": F.Entry("ae", "test", url=f"http://127.0.0.1:{server.port}/x.csv")}
    with pytest.raises(FetchError, match="uses 'http', only https is allowed"):
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca)
    assert server.connections == 0 and listing(tmp_path) == []


@pytest.mark.parametrize("where", ["other host", "http", "file"])
def test_redirect_off_host_or_off_https_is_refused(server, tmp_path, ca, where):
    url = "/files/Monthly-AE-June-2025.csv"
    to = {"other host": f"{server.other}/evil.csv",
          "http": f"http://127.0.0.1:{server.port}/evil.csv",
          "file": "file:///etc/passwd"}[where]
    server.routes[url] = [(302, b"", {"Location": to})]
    server.routes["/evil.csv"] = [(200, b"evil", {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=2, backoff=0, cafile=ca)
    msg = str(err.value)
    assert to in msg and f"redirect from {server.base + url}" in msg
    if where == "other host":
        assert "host 'localhost'" in msg and err.value.host == "localhost"
    assert server.hits[url] == 1 and "/evil.csv" not in server.hits  # refusals not retried
    assert listing(tmp_path) == ["ae"]


def test_redirect_on_the_same_host_is_followed(server, tmp_path, ca):
    server.routes["/old/Monthly-AE-June-2025.csv"] = [
        (301, b"", {"Location": "/new/Monthly-AE-June-2025.csv"})]
    server.routes["/new/Monthly-AE-June-2025.csv"] = [(200, CSV, {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + "/old/Monthly-AE-June-2025.csv")}
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca)
    assert path.read_bytes() == CSV


@pytest.mark.parametrize("length", [str(50_000), OMIT, "not-a-number"],
                         ids=["declared", "omitted", "garbled"])
def test_oversized_download_is_refused_and_leaves_nothing(server, tmp_path, ca, length):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, b"x" * 50_000, {"Content-Length": length})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=2, backoff=0,
                cafile=ca, max_bytes=10_000)
    msg = str(err.value)
    assert "size limit of 10000 bytes" in msg and server.base + url in msg
    assert ("declares 50000 bytes" in msg) == (length == "50000")
    assert server.hits[url] == 1
    assert listing(tmp_path) == ["ae"]
    # the same file within the limit is fine
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca,
                   max_bytes=50_000)
    assert path.stat().st_size == 50_000


def test_oversized_page_is_refused(server, tmp_path, ca):
    server.routes["/stats/ae-2025-26/"] = [(200, b"<p>" * 5000, {"Content-Length": OMIT})]
    with pytest.raises(FetchError, match="size limit of 1000 bytes"):
        F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server),
                backoff=0, cafile=ca, max_bytes=1000)
    assert listing(tmp_path) == ["ae_workbook"]


@pytest.mark.parametrize("href, saved", [
    ("/u/..%2F..%2FJune-2025-AE-by-provider.xlsx", "June-2025-AE-by-provider.xlsx"),
    ("/u/June%252F..%252F..%252Fx-AE-by-provider.xlsx", "x-AE-by-provider.xlsx"),
    ("/u/..%5C..%5CAE-by-provider.xlsx", "AE-by-provider.xlsx"),
    ("/u/%252E%252E%252F.AE-by-provider%2500.xlsx", "AE-by-provider.xlsx"),
])
def test_link_names_cannot_write_outside_the_folder(server, tmp_path, ca, href, saved):
    dest = tmp_path / "project" / "raw"
    (tmp_path / "project" / "notes.txt").parent.mkdir(parents=True)
    (tmp_path / "project" / "notes.txt").write_text("keep")
    before = listing(tmp_path)
    server.routes["/stats/ae-2025-26/"] = [(200, page(href), {})]
    server.routes[href.split("?")[0]] = [(200, CSV, {})]
    path = F.fetch("ae_workbook", "2025-06", dest=dest, catalogue=catalogue(
        server, link=r"AE-by-provider.*\.xlsx$"), backoff=0, cafile=ca)
    assert path == dest / "ae_workbook" / saved and path.read_bytes() == CSV
    outside = [p for p in listing(tmp_path) if not p.startswith("project/raw")]
    assert outside == before


@pytest.mark.parametrize("href", ["/u/AE-by-provider.xlsx%2F..", "/u/AE-by-provider%2F...",
                                  "/u/AE-by-provider%25252F%2525252E%2525252E"])
def test_link_name_that_cannot_be_cleaned_is_refused(server, tmp_path, ca, href):
    server.routes["/stats/ae-2025-26/"] = [(200, page(href), {})]
    server.routes[href] = [(200, CSV, {})]
    with pytest.raises(FetchError, match="Refused to fetch .*file name"):
        F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(
            server, link=r"AE-by-provider"), backoff=0, cafile=ca, retries=0)
    assert listing(tmp_path) == ["ae_workbook"] and href not in server.hits


def test_safe_name_rules():
    assert F.safe_name("Full-CSV-data-file-Apr26-ZIP-3M.zip") == "Full-CSV-data-file-Apr26-ZIP-3M.zip"
    assert F.safe_name("%2E%2E%2F%2E%2E%2Fetc%2Fpasswd") == "passwd"
    assert F.safe_name("a\x00b\x1fc.csv") == "abc.csv"
    assert F.safe_name("a..b.csv") == "a..b.csv"  # '..' inside a name is harmless
    for bad in ["..", "...", "%2E%2E", "a/..", "x%5C..", "\x00", "a" * 300]:
        with pytest.raises(ValueError, match="file name"):
            F.safe_name(bad)


def _zip(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info, data in members:
            z.writestr(info, data)
    return buf.getvalue()


def test_zip_member_extracted(server, tmp_path, ca):
    server.routes["/ods/etr.zip"] = [(200, _zip(("etr.csv", b'"RJ1","GUY\'S"\n'),
                                                ("__MACOSX/._etr.csv", b"junk")), {})]
    cat = {"ods": F.Entry("ods", "test", url=server.base + "/ods/etr.zip", extract="etr.csv",
                          needs_period=False)}
    path = F.fetch("ods", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca)
    assert path == tmp_path / "ods" / "etr.csv" and path.read_text().startswith('"RJ1"')
    assert (tmp_path / "ods" / "etr.zip").exists()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("member, why", [
    ("../etr.csv", "'..' component"), ("data/../../etr.csv", "'..' component"),
    ("..\\etr.csv", "'..' component"), ("/tmp/etr.csv", "absolute path"),
    ("C:/etr.csv", "absolute path"), (_symlink("etr.csv"), "symbolic link"),
])
def test_zip_with_unsafe_members_is_refused(server, tmp_path, ca, member, why):
    dest = tmp_path / "raw"
    server.routes["/ods/etr.zip"] = [(200, _zip((member, b"/etc/passwd"),
                                                ("ok.csv", b"x")), {})]
    cat = {"ods": F.Entry("ods", "test", url=server.base + "/ods/etr.zip", extract="etr.csv",
                          needs_period=False)}
    with pytest.raises(FetchError, match=f"zip member .* is .*{why}"):
        F.fetch("ods", dest=dest, catalogue=cat, backoff=0, cafile=ca)
    assert listing(tmp_path) == ["raw", "raw/ods"]  # not even the zip is kept


def test_extract_refuses_unsafe_zip_already_on_disk(tmp_path):
    zpath = tmp_path / "ods" / "etr.zip"
    zpath.parent.mkdir()
    zpath.write_bytes(_zip(("../../etr.csv", b"x")))
    with pytest.raises(FetchError, match="'..' component"):
        F._extract(zpath, "etr.csv", zpath.parent)
    assert listing(tmp_path) == ["ods", "ods/etr.zip"]


def test_sha256_mismatch_with_sidecar_keeps_the_old_file(server, tmp_path, ca):
    url = "/files/Monthly-AE-June-2025.csv"
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    server.routes[url] = [(200, CSV, {})]
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca)
    record = F.sidecar(path).read_text()
    changed = CSV.replace(b"RJ1", b"RJ2")
    server.routes[url] = [(200, changed, {})]
    server.hits.clear()
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca,
                force=True, retries=2)
    msg, old, new = str(err.value), hashlib.sha256(CSV).hexdigest(), hashlib.sha256(changed).hexdigest()
    assert str(path) in msg and old in msg and new in msg and "--refresh" in msg
    assert (err.value.expected, err.value.actual) == (old, new)
    assert server.hits[url] == 1  # a mismatch is not retried
    assert path.read_bytes() == CSV and F.sidecar(path).read_text() == record
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, F.sidecar(path).name]
    # a missing file with its record still present: the record is what the download must match
    path.unlink()
    with pytest.raises(FetchError, match="sha256"):
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca)
    assert not path.exists()
    # refresh accepts the republished file and records its new sha256
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, backoff=0, cafile=ca,
                   refresh=True)
    assert path.read_bytes() == changed
    assert json.loads(F.sidecar(path).read_text())["sha256"] == new


def test_sha256_from_the_catalogue_is_checked(server, tmp_path, ca):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV, {})]
    good = hashlib.sha256(CSV).hexdigest()
    wrong = {"ae": F.Entry("ae", "test", url=server.base + url, sha256={"2025-06": "0" * 64})}
    with pytest.raises(FetchError, match=f"has sha256 {good}, but {'0' * 64} was expected "
                                         r"\(from the catalogue\)"):
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=wrong, backoff=0, cafile=ca,
                refresh=True)  # refresh does not override the catalogue
    assert listing(tmp_path) == ["ae"]
    right = {"ae": F.Entry("ae", "test", url=server.base + url, sha256={"2025-06": good.upper()})}
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=right, backoff=0, cafile=ca)
    assert path.read_bytes() == CSV


def test_retries_transient_server_errors(server, tmp_path, ca):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(503, b"busy", {}), (500, b"oops", {}), (200, CSV, {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=3, backoff=0,
                   cafile=ca)
    assert path.read_bytes() == CSV and server.hits[url] == 3


def test_truncated_download_leaves_nothing_behind(server, tmp_path, ca):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV[:100], {"Content-Length": str(len(CSV))})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=2, backoff=0,
                timeout=5, cafile=ca)
    assert server.hits[url] == 3  # first try + 2 retries
    assert list((tmp_path / "ae").iterdir()) == []
    assert err.value.url == server.base + url


def test_not_found_is_not_retried_and_says_what_to_do(server, tmp_path, ca):
    url = server.base + "/files/Monthly-AE-June-2025.csv"
    cat = {"ae": F.Entry("ae", "test", url=url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=3, backoff=0, cafile=ca)
    msg = str(err.value)
    assert "HTTP Error 404" in msg and url in msg and str(tmp_path / "ae") in msg
    assert server.hits["/files/Monthly-AE-June-2025.csv"] == 1
    assert err.value.folder == str(tmp_path / "ae")


def test_offline_names_page_and_folder(tmp_path, ca):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cat = {"rtt": F.Entry("rtt", "test", page=f"https://127.0.0.1:{port}/rtt-data-{{fy}}/",
                          link=r"^Full-CSV-data-file-{mon}{yy}.*\.zip$")}
    with pytest.raises(FetchError) as err:
        F.fetch("rtt", "2026-04", dest=tmp_path, catalogue=cat, retries=1, backoff=0,
                cafile=ca)
    msg = str(err.value)
    assert f"https://127.0.0.1:{port}/rtt-data-2026-27/" in msg
    assert "by hand" in msg and str(tmp_path / "rtt") in msg


def test_no_matching_link(server, tmp_path, ca):
    server.routes["/stats/ae-2025-26/"] = [(200, page("/x/May-2025-AE-by-provider-1.xlsx"), {})]
    with pytest.raises(FetchError, match="no link on the page matches") as err:
        F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server),
                backoff=0, cafile=ca)
    assert err.value.url == server.base + "/stats/ae-2025-26/"


def test_parameters_checked_before_any_request(tmp_path):
    with pytest.raises(ValueError, match="known sources"):
        F.fetch("beds", "2025-06", dest=tmp_path)
    with pytest.raises(ValueError, match="needs period"):
        F.fetch("ae", None, dest=tmp_path)
    with pytest.raises(ValueError, match="YYYY-MM"):
        F.fetch("ae", "June 2025", dest=tmp_path)
    with pytest.raises(ValueError, match="max_bytes=0: expected a whole number of bytes"):
        F.fetch("ae", "2025-06", dest=tmp_path, max_bytes=0)
    assert listing(tmp_path) == []


def test_catalogue_templates_fill_for_every_source():
    fields = F.period_fields("2025-06")
    for entry in F.CATALOGUE.values():
        for template in (entry.page, entry.link, entry.url):
            if template:
                assert "{" not in template.format(**fields).replace("{1,2}", "")


def test_catalogue_is_https_and_names_its_hosts():
    fields = F.period_fields("2025-06")
    for entry in F.CATALOGUE.values():
        assert entry.hosts, entry.source  # every entry names its hosts explicitly
        start = (entry.url or entry.page).format(**fields)
        assert F.check_url(start, entry.allowed_hosts()) == start
    for source in ("ae", "ae_workbook", "rtt", "fft"):  # NHS England files live on its host
        assert F.CATALOGUE[source].allowed_hosts() == ("www.england.nhs.uk",)
    upload = ("https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/07/"
              "June-2025-AE-by-provider-3euC4-1.xlsx")
    assert F.check_url(upload, F.CATALOGUE["ae_workbook"].allowed_hosts()) == upload
    for bad in ["https://www.england.nhs.uk.evil.example/x.xlsx",
                "https://www.england.nhs.uk@evil.example/x.xlsx",
                "https://evil.example/www.england.nhs.uk/x.xlsx"]:
        with pytest.raises(FetchError, match="evil.example"):
            F.check_url(bad, F.CATALOGUE["ae_workbook"].allowed_hosts())


def test_cli_fetch_prints_path(server, tmp_path, capsys, monkeypatch, ca):
    import argparse

    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV, {})]
    monkeypatch.setitem(F.CATALOGUE, "ae", F.Entry("ae", "test", url=server.base + url))
    monkeypatch.setenv(F.CA_FILE_ENV, ca)
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    base = ["data", "fetch", "ae", "--period", "2025-06", "--dest", str(tmp_path),
            "--retries", "0"]
    with pytest.raises(FetchError, match="size limit of 1024 bytes"):
        cmd_fetch(parser.parse_args(base + ["--max-bytes", "1K"]))
    assert cmd_fetch(parser.parse_args(base + ["--max-bytes", "1M"])) == 0
    assert "Monthly-AE-June-2025.csv" in capsys.readouterr().out
    server.routes[url] = [(200, CSV + b"more\n", {})]
    with pytest.raises(FetchError, match="sha256"):
        cmd_fetch(parser.parse_args(base + ["--force"]))
    assert cmd_fetch(parser.parse_args(base + ["--refresh"])) == 0
    assert (tmp_path / "ae" / "Monthly-AE-June-2025.csv").read_bytes() == CSV + b"more\n"
    for bad in (["--period", "2025-13"], ["--period", "2025-06", "--max-bytes", "0"],
                ["--period", "2025-06", "--max-bytes", "lots"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["data", "fetch", "ae", *bad])
