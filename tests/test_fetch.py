"""fetch(): catalogue, page links with random suffixes, retries, atomic writes, clear failures.

Every test talks to a local http.server in a thread; none touches the network.
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.data import fetch as F
from workbench.data.cli_data import add_parser, cmd_fetch
from workbench.errors import FetchError

CSV = b"Period,Org Code\nMSitAE-JUNE-2025,RJ1\n" * 200


class Server:
    """Routes path -> list of responses (status, body, headers); the last one repeats."""

    def __init__(self):
        self.routes: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                seq = outer.routes.get(path, [(404, b"not found", {})])
                status, body, headers = seq[min(outer.hits[path], len(seq)) - 1]
                self.send_response(status)
                length = headers.get("Content-Length", str(len(body)))
                self.send_header("Content-Length", length)
                for k, v in headers.items():
                    if k != "Content-Length":
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def page(*links: str) -> bytes:
    items = "".join(f'<li><a href="{h}">{h.rsplit("/", 1)[-1]}</a></li>' for h in links)
    return f"<html><body><h1>A&amp;E</h1><ul>{items}</ul></body></html>".encode()


def catalogue(server, **kw):
    entry = F.Entry("ae_workbook", "test A&E workbook", page=server.base + "/stats/ae-{fy}/",
                    link=r"^{month_name}-{year}-AE-by-provider(-[0-9A-Za-z]+)*\.xlsx$")
    return {"ae_workbook": entry, **kw}


def test_finds_random_suffix_link_and_records_sha256(server, tmp_path):
    server.routes["/stats/ae-2025-26/"] = [(200, page(
        "/uploads/2025/07/May-2025-AE-by-provider-aa11.xlsx",
        "/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"), {})]
    server.routes["/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"] = [(200, CSV, {})]
    path = F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server),
                   backoff=0)
    assert path == tmp_path / "ae_workbook" / "June-2025-AE-by-provider-3euC4-1.xlsx"
    assert path.read_bytes() == CSV
    record = json.loads(F.sidecar(path).read_text())
    assert record["sha256"] == hashlib.sha256(CSV).hexdigest() and record["bytes"] == len(CSV)
    assert record["url"].endswith("June-2025-AE-by-provider-3euC4-1.xlsx")
    assert record["page"] == server.base + "/stats/ae-2025-26/"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []
    # a second fetch finds the file and its record: the file is not downloaded again
    F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server), backoff=0)
    assert server.hits["/uploads/2025/07/June-2025-AE-by-provider-3euC4-1.xlsx"] == 1


def test_retries_transient_server_errors(server, tmp_path):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(503, b"busy", {}), (500, b"oops", {}), (200, CSV, {})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    path = F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=3, backoff=0)
    assert path.read_bytes() == CSV and server.hits[url] == 3


def test_truncated_download_leaves_nothing_behind(server, tmp_path):
    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV[:100], {"Content-Length": str(len(CSV))})]
    cat = {"ae": F.Entry("ae", "test", url=server.base + url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=2, backoff=0,
                timeout=5)
    assert server.hits[url] == 3  # first try + 2 retries
    assert list((tmp_path / "ae").iterdir()) == []
    assert err.value.url == server.base + url


def test_not_found_is_not_retried_and_says_what_to_do(server, tmp_path):
    url = server.base + "/files/Monthly-AE-June-2025.csv"
    cat = {"ae": F.Entry("ae", "test", url=url)}
    with pytest.raises(FetchError) as err:
        F.fetch("ae", "2025-06", dest=tmp_path, catalogue=cat, retries=3, backoff=0)
    msg = str(err.value)
    assert "HTTP Error 404" in msg and url in msg and str(tmp_path / "ae") in msg
    assert server.hits["/files/Monthly-AE-June-2025.csv"] == 1
    assert err.value.folder == str(tmp_path / "ae")


def test_offline_names_page_and_folder(tmp_path):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cat = {"rtt": F.Entry("rtt", "test", page=f"http://127.0.0.1:{port}/rtt-data-{{fy}}/",
                          link=r"^Full-CSV-data-file-{mon}{yy}.*\.zip$")}
    with pytest.raises(FetchError) as err:
        F.fetch("rtt", "2026-04", dest=tmp_path, catalogue=cat, retries=1, backoff=0)
    msg = str(err.value)
    assert f"http://127.0.0.1:{port}/rtt-data-2026-27/" in msg
    assert "by hand" in msg and str(tmp_path / "rtt") in msg


def test_no_matching_link(server, tmp_path):
    server.routes["/stats/ae-2025-26/"] = [(200, page("/x/May-2025-AE-by-provider-1.xlsx"), {})]
    with pytest.raises(FetchError, match="no link on the page matches") as err:
        F.fetch("ae_workbook", "2025-06", dest=tmp_path, catalogue=catalogue(server), backoff=0)
    assert err.value.url == server.base + "/stats/ae-2025-26/"


def test_zip_member_extracted(server, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("etr.csv", '"RJ1","GUY\'S"\n')
        z.writestr("__MACOSX/._etr.csv", "junk")
    server.routes["/ods/etr.zip"] = [(200, buf.getvalue(), {})]
    cat = {"ods": F.Entry("ods", "test", url=server.base + "/ods/etr.zip", extract="etr.csv",
                          needs_period=False)}
    path = F.fetch("ods", dest=tmp_path, catalogue=cat, backoff=0)
    assert path == tmp_path / "ods" / "etr.csv" and path.read_text().startswith('"RJ1"')
    assert (tmp_path / "ods" / "etr.zip").exists()


def test_parameters_checked_before_any_request(tmp_path):
    with pytest.raises(ValueError, match="known sources"):
        F.fetch("beds", "2025-06", dest=tmp_path)
    with pytest.raises(ValueError, match="needs period"):
        F.fetch("ae", None, dest=tmp_path)
    with pytest.raises(ValueError, match="YYYY-MM"):
        F.fetch("ae", "June 2025", dest=tmp_path)


def test_catalogue_templates_fill_for_every_source():
    fields = F.period_fields("2025-06")
    for entry in F.CATALOGUE.values():
        for template in (entry.page, entry.link, entry.url):
            if template:
                assert "{" not in template.format(**fields).replace("{1,2}", "")


def test_cli_fetch_prints_path(server, tmp_path, capsys, monkeypatch):
    import argparse

    url = "/files/Monthly-AE-June-2025.csv"
    server.routes[url] = [(200, CSV, {})]
    monkeypatch.setitem(F.CATALOGUE, "ae", F.Entry("ae", "test", url=server.base + url))
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "fetch", "ae", "--period", "2025-06",
                              "--dest", str(tmp_path), "--retries", "0"])
    assert cmd_fetch(args) == 0
    assert "Monthly-AE-June-2025.csv" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parser.parse_args(["data", "fetch", "ae", "--period", "2025-13"])
