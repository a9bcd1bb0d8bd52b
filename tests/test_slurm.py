"""``--executor slurm``: the refusals (no Slurm needed), and a study run through a real
one-machine Slurm (Debian's slurm-wlm and munge) started by a fixture.

The Slurm test is skipped, naming what failed, when the packages are absent or the
daemons cannot start here (not root, munged or slurmctld refusing, a container's
limits). The fixture installs the packages only when WORKBENCH_TEST_INSTALL_SLURM=1
(and root); ``make slurm`` (run by ``make test-slow``) installs them beforehand.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from batch_helpers import write_notebook, write_study

from workbench.batch.executors import slurm as slurm_mod
from workbench.batch.executors.slurm import (
    SlurmExecutor,
    check_shared_folder,
    parse_walltime,
)
from workbench.cli import main
from workbench.errors import SharedFilesystemError, SlurmError, SlurmUnavailableError

#: Programs the fixture needs (from the slurm-wlm and munge packages).
SLURM_PROGRAMS = ("munged", "munge", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue",
                  "scancel", "scontrol")
INSTALL_VARIABLE = "WORKBENCH_TEST_INSTALL_SLURM"


# ---------------------------------------------------------------------------------------
# refusals and options, without Slurm


def _fake_slurm(folder: Path, nodes: list[str]) -> Path:
    """Scripts named sbatch, squeue, scancel, scontrol and sinfo (listing ``nodes``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("sbatch", "squeue", "scancel", "scontrol"):
        (folder / name).write_text("#!/bin/sh\nexit 0\n")
    (folder / "sinfo").write_text("#!/bin/sh\nprintf '%s\\n' " + " ".join(nodes) + "\n")
    for f in folder.iterdir():
        f.chmod(0o755)
    return folder


def _run_cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_slurm_without_dask_jobqueue_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # import fails as if absent
    study = write_study(tmp_path, "  - notebook: nb.ipynb\n")
    code, err = _run_cli(capsys, "run", str(study), "--executor", "slurm",
                         "--out", str(tmp_path / "out"))
    assert code == 2
    assert "dask-jobqueue" in err and "pip install 'workbench[slurm]'" in err
    assert not (tmp_path / "out").exists()  # refused before anything was made


def test_slurm_without_sbatch_on_path_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(slurm_mod, "jobqueue_installed", lambda: True)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    study = write_study(tmp_path, "  - notebook: nb.ipynb\n")
    code, err = _run_cli(capsys, "run", str(study), "--executor", "slurm",
                         "--out", str(tmp_path / "out"))
    assert code == 2
    assert "sbatch" in err and "not on PATH" in err
    with pytest.raises(SlurmUnavailableError, match="sbatch, squeue, scancel are not on PATH"):
        slurm_mod.check_slurm_available()


def test_output_folder_on_local_disk_with_other_nodes_is_refused(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(slurm_mod, "jobqueue_installed", lambda: True)
    monkeypatch.setattr(slurm_mod, "filesystem_of", lambda path: ("/", "ext4"))
    fake = _fake_slurm(tmp_path / "bin", ["node001", "node002"])
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    study = write_study(tmp_path, "  - notebook: nb.ipynb\n")
    code, err = _run_cli(capsys, "run", str(study), "--executor", "slurm",
                         "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"--out {tmp_path / 'out'}" in err
    assert "local ext4 filesystem" in err and "node001, node002" in err
    assert "shared filesystem" in err and "--slurm-assume-shared" in err
    # the same folder is accepted when the user says it is shared
    assert "assumed" in check_shared_folder(tmp_path / "out", assume_shared=True)


def test_output_folder_on_a_network_filesystem_or_a_one_machine_slurm_is_accepted(
        tmp_path, monkeypatch):
    monkeypatch.setattr(slurm_mod, "filesystem_of", lambda path: ("/home", "nfs4"))
    assert check_shared_folder(tmp_path) == "on nfs4 (mounted at /home)"
    monkeypatch.setattr(slurm_mod, "filesystem_of", lambda path: ("/", "ext4"))
    fake = _fake_slurm(tmp_path / "bin", [socket.gethostname().split(".")[0]])
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert "is this machine" in check_shared_folder(tmp_path)
    _fake_slurm(tmp_path / "bin", [socket.gethostname(), "node9"])
    with pytest.raises(SharedFilesystemError, match="node9"):
        check_shared_folder(tmp_path)


def test_filesystem_of_finds_the_mount_holding_a_path(tmp_path):
    if not Path("/proc/self/mounts").exists():
        pytest.skip("no /proc/self/mounts on this system")
    mount, kind = slurm_mod.filesystem_of(tmp_path / "not" / "made" / "yet")
    assert tmp_path.resolve().is_relative_to(mount) and kind


def test_slurm_options_only_apply_to_the_slurm_executor(tmp_path, capsys):
    study = write_study(tmp_path, "  - notebook: nb.ipynb\n")
    code, err = _run_cli(capsys, "run", str(study), "--slurm-partition", "short",
                         "--slurm-memory", "8GB", "--out", str(tmp_path / "out"))
    assert code == 2
    assert "--slurm-partition, --slurm-memory only apply to --executor slurm" in err


@pytest.mark.parametrize(("options", "expected"), [
    ({"walltime": "1:2:3:4"}, "--slurm-walltime must be a Slurm time limit"),
    ({"walltime": "0"}, "--slurm-walltime must be longer than zero"),
    ({"memory": "lots"}, "--slurm-memory must be a memory size"),
    ({"cores": 0}, "--slurm-cores must be a whole number >= 1, got 0"),
    ({"workers": 0}, "--workers must be a whole number >= 1, got 0"),
    ({"partition": "two words"}, "--slurm-partition must be a name without spaces"),
])
def test_wrong_slurm_options_name_the_option(options, expected):
    with pytest.raises(SlurmError, match=expected):
        SlurmExecutor(**options)


def test_walltime_formats_of_slurm():
    assert [parse_walltime(t) for t in ("30", "30:15", "01:00:00", "2-00", "1-01:30",
                                        "1-00:00:05")] == \
        [1800, 1815, 3600, 172800, 91800, 86405]


# ---------------------------------------------------------------------------------------
# a real one-machine Slurm


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _missing_programs() -> list[str]:
    return [p for p in SLURM_PROGRAMS if shutil.which(p) is None
            and not Path("/usr/sbin", p).exists()]


def _install_packages() -> str | None:
    """apt-get install slurm-wlm munge when allowed; None when done, else why not."""
    if os.environ.get(INSTALL_VARIABLE) != "1":
        return (f"set {INSTALL_VARIABLE}=1 to let the test apt-get install them, or run "
                "`make slurm` as root")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "installing them needs root and apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"]):
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            return f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}"
    return None


def _program(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


class _Daemons:
    """The processes the fixture started (stopped by pid at teardown)."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def start(self, argv: list[str], log: Path, env: dict) -> subprocess.Popen:
        with open(log, "ab") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(p)
        return p

    def stop(self) -> None:
        for p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.processes):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


SLURM_CONF = """\
ClusterName=wbtest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=30
NodeName={host} CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def slurm_cluster():
    """A one-machine Slurm (this host, partition ``debug``) with its own munged, config,
    ports and state in a temporary folder; SLURM_CONF points at it while the tests run."""
    if not slurm_mod.jobqueue_installed():
        pytest.skip("dask-jobqueue is not installed (pip install 'workbench[slurm]')")
    missing = _missing_programs()
    if missing:
        why = _install_packages()
        if why is not None:
            pytest.skip(f"Slurm is not installed here ({', '.join(missing)} missing; Debian "
                        f"packages slurm-wlm and munge): {why}")
        if _missing_programs():
            pytest.skip(f"after installing slurm-wlm and munge, still missing: "
                        f"{', '.join(_missing_programs())}")
    if os.geteuid() != 0:
        pytest.skip("a one-machine Slurm needs root here (slurmd and SlurmUser=root)")
    root = Path(tempfile.mkdtemp(prefix="wbslurm-", dir="/tmp"))  # short socket paths
    daemons = _Daemons()
    saved_conf = os.environ.get("SLURM_CONF")
    try:
        host = socket.gethostname().split(".")[0]
        try:
            socket.getaddrinfo(host, None)
        except OSError as exc:
            pytest.skip(f"this host's name {host!r} does not resolve ({exc}): slurmctld "
                        "needs it")
        key = root / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o600)
        munge_socket = root / "munge.socket"
        env = dict(os.environ)
        daemons.start([_program("munged"), "--foreground", "--force",
                       f"--socket={munge_socket}", f"--key-file={key}",
                       f"--pid-file={root / 'munged.pid'}",
                       f"--seed-file={root / 'munged.seed'}",
                       f"--log-file={root / 'munged.log'}"], root / "munged.out", env)
        if not _wait(lambda: munge_socket.exists(), 15):
            pytest.skip(f"munged did not start: {_tail(root / 'munged.out')}")
        check = subprocess.run(f"{_program('munge')} -n -S {munge_socket} | "
                               f"{_program('unmunge')} -S {munge_socket}", shell=True,
                               capture_output=True, text=True, check=False)
        if check.returncode != 0:
            pytest.skip(f"munged does not answer: {check.stderr.strip()}")
        mem_mb = _memory_mb()
        conf = root / "slurm.conf"
        conf.write_text(SLURM_CONF.format(
            host=host, munge_socket=munge_socket, ctld_port=_free_port(),
            slurmd_port=_free_port(), root=root, cpus=min(2, os.cpu_count() or 1),
            memory=max(1024, min(8192, mem_mb // 2))))
        for sub in ("state", "spool"):
            (root / sub).mkdir()
        os.environ["SLURM_CONF"] = str(conf)
        env = {**os.environ, "SLURM_CONF": str(conf)}
        ctld = daemons.start([_program("slurmctld"), "-D", "-f", str(conf)],
                             root / "slurmctld.out", env)
        if not _wait(lambda: _sinfo() is not None or ctld.poll() is not None, 30) \
                or ctld.poll() is not None:
            pytest.skip(f"slurmctld did not start: {_tail(root / 'slurmctld.out')}\n"
                        f"{_tail(root / 'slurmctld.log')}")
        slurmd = daemons.start([_program("slurmd"), "-D", "-f", str(conf)],
                               root / "slurmd.out", env)
        if not _wait(lambda: "idle" in (_sinfo() or "") or slurmd.poll() is not None, 60) \
                or slurmd.poll() is not None:
            pytest.skip(f"slurmd did not bring node {host} up (sinfo: {_sinfo()!r}): "
                        f"{_tail(root / 'slurmd.out')}\n{_tail(root / 'slurmd.log')}")
        yield {"conf": conf, "host": host, "root": root}
    finally:
        if os.environ.get("SLURM_CONF") == str(root / "slurm.conf"):
            subprocess.run([_program("scancel"), "--full", "--partition=debug"],
                           capture_output=True, check=False)
            _wait(lambda: not _squeue(), 20)
        daemons.stop()
        if saved_conf is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = saved_conf
        shutil.rmtree(root, ignore_errors=True)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def _sinfo() -> str | None:
    done = subprocess.run([_program("sinfo"), "--noheader", "--Node", "--format=%N %t"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _squeue() -> str:
    done = subprocess.run([_program("squeue"), "--noheader", "--format=%i %T"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 2048


#: The notebook's parameters and what it records about the process it ran in.
SLURM_PARAMETERS = 'panel_path = ""\noutput_dir = ""\ntag = "a"\n'
SLURM_CODE = '''\
import json, os
from pathlib import Path

def _process(pid):
    stat = Path(f"/proc/{pid}/stat").read_text()
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
    return stat[stat.index("(") + 1:stat.rindex(")")], cmd, int(stat[stat.rindex(")") + 2:].split()[1])

chain, pid = [], os.getpid()
while pid > 1:
    name, cmd, parent = _process(pid)
    chain.append({"name": name, "cmd": cmd})
    pid = parent
Path(output_dir, "where.json").write_text(json.dumps(
    {"tag": tag, "slurm_job_id": os.environ.get("SLURM_JOB_ID"), "chain": chain}))
'''


@pytest.mark.slow
def test_a_study_runs_in_slurm_jobs_with_kernels_forked_on_the_node(slurm_cluster, tmp_path,
                                                                    capsys):
    write_notebook(tmp_path / "where.ipynb", SLURM_PARAMETERS, SLURM_CODE)
    study = write_study(tmp_path, "  - notebook: where.ipynb\n    parameters: {tag: [a, b]}\n",
                        name="slurmstudy")
    out = tmp_path / "out"
    code = main(["run", str(study), "--out", str(out), "--executor", "slurm",
                 "--workers", "1", "--slurm-partition", "debug", "--slurm-memory", "1GB",
                 "--slurm-walltime", "00:15:00", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "(TLS); submitting 1 Slurm job(s)" in err
    jobs = set()
    for tag in ("a", "b"):
        folder = out / "slurmstudy" / f"where--tag-{tag}"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["status"] == "ok", manifest.get("error")
        assert (folder / "report.html").is_file() and (folder / "notebook.ipynb").is_file()
        where = json.loads((folder / "where.json").read_text())
        assert where["tag"] == tag
        assert where["slurm_job_id"], "the kernel did not run inside a Slurm job"
        jobs.add(where["slurm_job_id"])
        names = [p["name"] for p in where["chain"]]
        assert "slurmstepd" in names, names  # the kernel descends from the job's step
        # forked from the worker's own launcher, inside the job (not the runner's)
        assert "workbench.batch.launcher" in where["chain"][1]["cmd"], where["chain"][1]
        assert "the kernel launcher is unavailable" not in (folder / "run.log").read_text()
    assert len(jobs) == 1  # --workers 1: one job ran both runs
    (job,) = jobs
    assert (out / "slurmstudy" / ".slurm-logs" / f"workbench-slurmstudy-{job}.err").is_file()
    assert not list((out / "slurmstudy").glob(".slurm-tls-*"))  # credentials removed
    assert _wait(lambda: job not in _squeue().split(), 20), _squeue()  # job ended
