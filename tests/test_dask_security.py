"""The Dask executor's cluster is closed: TLS with its own credentials, localhost only,
no HTTP server unless asked; remote schedulers without TLS are refused.

One local cluster (one worker) is started for the whole module.
"""

from __future__ import annotations

import os
import time
import urllib.request
import warnings
from pathlib import Path

import dask
import psutil
import pytest
from distributed import Client
from distributed.security import Security

from workbench import cli
from workbench.batch import runner as runner_mod
from workbench.batch.executors import get_executor
from workbench.batch.executors.dask_cluster import DaskExecutor
from workbench.batch.executors.dask_security import InsecureClusterWarning
from workbench.errors import ClusterSecurityError

pytestmark = pytest.mark.timeout(120)  # a cluster that stopped answering fails, not hangs

NO_TLS_CONFIG = {"distributed.comm.tls.ca-file": None,
                 "distributed.comm.tls.client.cert": None,
                 "distributed.comm.tls.client.key": None}


def _listening_ports(pids) -> set[int]:
    """TCP ports in LISTEN state held by the processes ``pids``."""
    ports = set()
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                ports.add(conn.laddr.port)
    return ports


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def _where(x: int) -> tuple[int, int]:
    """A task: its input squared and the process that ran it."""
    return x * x, os.getpid()


def _touch(path: str) -> str:
    """A task that leaves a mark on disk when it runs."""
    Path(path).write_text("ran")
    return path


@pytest.fixture(scope="module")
def secured():
    """The executor with its local cluster started, and the ports this process had
    listening before it."""
    before = _listening_ports([os.getpid()])
    ex = DaskExecutor(workers=1)
    ex.connect()
    try:
        yield ex, before
    finally:
        ex.close()


def test_local_cluster_talks_tls_on_localhost_and_serves_no_http(secured):
    ex, before = secured
    cluster, client = ex.cluster, ex.client
    assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
    assert ex.security is not None and ex.security.require_encryption
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 1
    comm_ports = {_port(cluster.scheduler_address)}
    for address, info in workers.items():
        assert address.startswith("tls://127.0.0.1:")
        assert info["nanny"].startswith("tls://127.0.0.1:")
        comm_ports |= {_port(address), _port(info["nanny"])}
    # the scheduler's HTTP server (info pages, metrics, dashboard) is not listening
    assert "dashboard" not in cluster.scheduler.services
    assert cluster.scheduler.identity()["services"] == {}
    assert all(s.fileno() == -1 for s in cluster.scheduler.http_server._sockets.values())
    # every port the cluster listens on (here and in the worker process) is a TLS comm port
    worker_pids = set(client.run(os.getpid).values())
    assert os.getpid() not in worker_pids
    listening = _listening_ports([os.getpid(), *worker_pids]) - before
    assert listening == comm_ports
    assert 8787 not in listening


@pytest.mark.parametrize("how", ["plain tcp", "other credentials"])
def test_connecting_without_the_cluster_credentials_is_refused(secured, tmp_path, how):
    ex, _ = secured
    cluster = ex.cluster
    address = cluster.scheduler_address
    if how == "plain tcp":
        address, security = address.replace("tls://", "tcp://", 1), None
    else:
        security = Security.temporary()
    clients_before = set(cluster.scheduler.clients)
    mark = tmp_path / "ran.txt"
    start = time.monotonic()
    with pytest.raises(OSError):  # distributed's CommClosedError and connect timeout are
        intruder = Client(address, security=security, timeout=5)  # OSErrors
        with intruder:  # reached only when the cluster let the client in
            intruder.submit(_touch, str(mark), pure=False).result(timeout=60)
    assert time.monotonic() - start < 15  # refused at connect, not by a task's time-out
    assert not mark.exists()
    assert not [k for k in cluster.scheduler.tasks if "_touch" in str(k)]
    assert set(cluster.scheduler.clients) == clients_before


def test_a_task_runs_on_the_secured_cluster(secured):
    ex, _ = secured
    results = sorted(ex.map_unordered(_where, [1, 2, 3]))
    assert [r[0] for r in results] == [1, 4, 9]
    assert {r[1] for r in results} == set(ex.client.run(os.getpid).values())
    assert os.getpid() not in {r[1] for r in results}


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "10.0.0.5:8786", "ws://h:8786"])
def test_a_scheduler_without_tls_is_refused_before_connecting(address):
    with pytest.raises(ClusterSecurityError) as err:
        get_executor("dask", scheduler=address)
    message = str(err.value)
    assert "refusing the Dask scheduler" in message
    assert "tls://" in message and "--insecure" in message and "--tls-ca-file" in message


def test_insecure_allows_tcp_with_a_warning():
    with pytest.warns(InsecureClusterWarning, match="without TLS"):
        ex = DaskExecutor(scheduler="tcp://10.0.0.5:8786", insecure=True)
    assert ex.security is None and ex.client is None  # nothing connected yet


def test_tls_without_certificates_is_refused():
    with dask.config.set(NO_TLS_CONFIG), pytest.raises(ClusterSecurityError) as err:
        DaskExecutor(scheduler="tls://10.0.0.5:8786")
    assert "--tls-ca-file or --tls-cert" in str(err.value)
    assert "distributed.comm.tls.ca-file" in str(err.value)


@pytest.fixture
def pem_files(tmp_path):
    """A CA, certificate and key in PEM files (a temporary self-signed set)."""
    sec = Security.temporary()
    files = {}
    for name, text in (("ca.pem", sec.tls_ca_file), ("client.pem", sec.tls_client_cert),
                       ("client-key.pem", sec.tls_client_key)):
        files[name] = tmp_path / name
        files[name].write_text(text)
    return files


def test_tls_certificates_come_from_the_options_or_the_dask_config(pem_files):
    ca, cert, key = (str(pem_files[n]) for n in ("ca.pem", "client.pem", "client-key.pem"))
    with dask.config.set(NO_TLS_CONFIG):
        ex = DaskExecutor(scheduler="tls://10.0.0.5:8786", tls_ca_file=ca, tls_cert=cert,
                          tls_key=key)
    assert (ex.security.tls_ca_file, ex.security.tls_client_cert,
            ex.security.tls_client_key) == (ca, cert, key)
    assert ex.security.require_encryption
    with dask.config.set({"distributed.comm.tls.ca-file": ca,
                          "distributed.comm.tls.client.cert": cert,
                          "distributed.comm.tls.client.key": key}):
        ex = DaskExecutor(scheduler="tls://10.0.0.5:8786")
    assert (ex.security.tls_ca_file, ex.security.tls_client_cert) == (ca, cert)
    with dask.config.set(NO_TLS_CONFIG), pytest.raises(ClusterSecurityError, match="no such"):
        DaskExecutor(scheduler="tls://10.0.0.5:8786", tls_ca_file=ca + ".missing",
                     tls_cert=cert)
    with pytest.raises(ClusterSecurityError, match="write it as tls://10.0.0.5:8786"):
        DaskExecutor(scheduler="tcp://10.0.0.5:8786", tls_ca_file=ca, tls_cert=cert,
                     insecure=True)


def test_remote_only_and_local_only_options_are_not_mixed(pem_files):
    with pytest.raises(ClusterSecurityError, match="only apply to a remote scheduler"):
        DaskExecutor(tls_cert=str(pem_files["client.pem"]))
    with pytest.raises(ClusterSecurityError, match="only apply to a remote scheduler"):
        DaskExecutor(insecure=True)
    with pytest.raises(ClusterSecurityError, match="--dashboard applies to the local"):
        DaskExecutor(scheduler="tls://h:8786", dashboard=True,
                     tls_ca_file=str(pem_files["ca.pem"]),
                     tls_cert=str(pem_files["client.pem"]))


@pytest.fixture
def fake_run_study(monkeypatch):
    """Replace run_study: record its keywords (None when it was never called)."""
    seen = {}

    def fake(study, **kw):
        seen.update(kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod, "run_study", fake)
    return seen


def test_cli_refuses_open_schedulers_before_running_anything(fake_run_study, capsys):
    with dask.config.set(NO_TLS_CONFIG):
        code = cli.main(["run", "s.yaml", "--executor", "dask", "--scheduler", "tcp://h:8786"])
        assert code == 2 and not fake_run_study
        assert "refusing the Dask scheduler at tcp://h:8786" in capsys.readouterr().err
        code = cli.main(["run", "s.yaml", "--executor", "dask", "--scheduler", "tls://h:8786"])
        assert code == 2 and not fake_run_study
        assert "uses TLS, but no --tls-ca-file or --tls-cert" in capsys.readouterr().err
        code = cli.main(["run", "s.yaml", "--scheduler", "tls://h:8786"])  # local executor
        assert code == 2 and not fake_run_study
        assert "--scheduler only apply to --executor dask" in capsys.readouterr().err


def test_cli_insecure_warns_and_passes_the_options_on(fake_run_study, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureClusterWarning)  # printed, not raised
        code = cli.main(["run", "s.yaml", "--executor", "dask", "--scheduler", "tcp://h:8786",
                         "--insecure"])
    assert code == 130
    assert "WARNING: the Dask scheduler at tcp://h:8786 is used without TLS" \
        in capsys.readouterr().err
    assert fake_run_study["scheduler"] == "tcp://h:8786"
    assert fake_run_study["executor_options"] == {"insecure": True}


def test_cli_passes_tls_files_and_dashboard(fake_run_study, pem_files):
    ca, cert, key = (str(pem_files[n]) for n in ("ca.pem", "client.pem", "client-key.pem"))
    code = cli.main(["run", "s.yaml", "--executor", "dask", "--scheduler", "tls://h:8786",
                     "--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key])
    assert code == 130
    assert fake_run_study["executor_options"] == {"tls_ca_file": ca, "tls_cert": cert,
                                                  "tls_key": key}
    fake_run_study.clear()
    assert cli.main(["run", "s.yaml", "--executor", "dask", "--dashboard"]) == 130
    assert fake_run_study["scheduler"] is None
    assert fake_run_study["executor_options"] == {"dashboard": True}


def test_the_dashboard_is_served_on_localhost_only_when_asked():
    with DaskExecutor(workers=1, dashboard=True) as ex:
        ex.connect()
        assert ex.cluster.scheduler_address.startswith("tls://127.0.0.1:")
        port = ex.cluster.scheduler.services["dashboard"].port
        hosts = {s.getsockname()[0]
                 for s in ex.cluster.scheduler.http_server._sockets.values()}
        assert hosts == {"127.0.0.1"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as page:
            assert page.read() == b"ok"


def _rfc3987_syntax_entry() -> str:
    """On a worker: whether ``rfc3987_syntax`` is left out of its imports."""
    import sys

    return "left out" if sys.modules.get("rfc3987_syntax", "absent") is None else "not"


def test_the_local_workers_leave_rfc3987_syntax_out_before_any_task(secured):
    # jsonschema would import it with the first run's modules: about 2.5 s per worker
    ex, _ = secured
    assert set(ex.client.run(_rfc3987_syntax_entry).values()) == {"left out"}
