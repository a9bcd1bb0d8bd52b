"""Atomic writes: a file appears only when complete; a failed write changes nothing."""

from pathlib import Path

import pytest

from workbench.files import atomic_path, atomic_write_text, sha256_file


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = atomic_write_text(tmp_path / "findings.json", "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_written_files_are_readable_by_all_and_hashed(tmp_path):
    target = atomic_write_text(tmp_path / "sub" / "x.txt", "abc")
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sha256_file(target).startswith("ba7816bf8f01")


# --- full disk and unwritable folders ------------------------------------------------------

def test_a_full_disk_is_an_output_write_error_naming_the_path(tmp_path, monkeypatch):
    import builtins
    import errno

    from workbench.errors import OutputWriteError

    target = atomic_write_text(tmp_path / "findings.json", "old\n")
    real_open = builtins.open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Full(real_open(*a, **k)))
    with pytest.raises(OutputWriteError, match=r"findings\.json: no space left.*ENOSPC") as info:
        atomic_write_text(target, "new\n")
    monkeypatch.undo()
    assert info.value.path == str(target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_a_read_only_folder_is_an_output_write_error(tmp_path, monkeypatch):
    import errno
    import tempfile

    from workbench.errors import OutputWriteError

    def refuse(*a, dir=None, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(Path(dir) / ".x.part"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputWriteError, match=r"out\.txt: permission denied"):
        atomic_write_text(tmp_path / "out.txt", "x")
    assert not (tmp_path / "out.txt").exists()


def test_an_error_about_another_file_is_not_blamed_on_the_output(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "out.bin"):
        open(tmp_path / "missing-input.csv")  # noqa: SIM115 - the read fails at once
    with pytest.raises(PermissionError), atomic_path(tmp_path / "out.bin"):
        raise PermissionError(13, "Permission denied", "/elsewhere/input.csv")
    assert list(tmp_path.iterdir()) == []


# --- sets of files replaced together ------------------------------------------------------

NAMES = ["p.parquet", "p.coverage.csv", "p.provenance.json"]

#: A child process replacing the set in DEST with files holding TEXT (argv: dest, text).
CHILD = f"""
import sys
from pathlib import Path
from workbench.files import atomic_file_set
dest, text = Path(sys.argv[1]), sys.argv[2]
with atomic_file_set(dest, {NAMES!r}, tag="p") as tmp:
    for name in {NAMES!r}:
        (tmp / name).write_text(text + ":" + name)
"""


def _shown(dest: Path) -> dict:
    """What a reader opening each name sees: its sha256, or None when absent."""
    return {n: sha256_file(dest / n) if (dest / n).is_file() else None for n in NAMES}


def _write_set(dest: Path, text: str, kill_at: str | None = None) -> int:
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("WORKBENCH_TEST_KILL_AT", None)
    if kill_at:
        env["WORKBENCH_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-c", CHILD, str(dest), text], env=env,
                          timeout=60, check=False).returncode


def _expected(tmp_path: Path, start: str) -> tuple[Path, dict, dict]:
    """A destination in state ``start`` and the sha256s of its old and of the new set."""
    ref = tmp_path / "ref"
    for text in ("old", "new"):
        assert _write_set(ref / text, text) == 0
    old, new = _shown(ref / "old"), _shown(ref / "new")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "unrelated.txt").write_text("keep me")
    if start == "layout":  # an earlier set written by this protocol
        assert _write_set(dest, "old") == 0
    elif start == "plain":  # plain files of an older layout
        for n in NAMES:
            (dest / n).write_text("old:" + n)
    else:
        old = dict.fromkeys(NAMES)
    return dest, old, new


STEPS = {"layout": ["written", "linked", "switched"],
         "plain": ["written", "old-set", "layout-1", "layout-2", "layout-3", "linked",
                   "switched"],
         "empty": ["written", "old-set", "layout-1", "layout-2", "layout-3", "linked",
                   "switched"]}


@pytest.mark.parametrize(("start", "step"), [(s, k) for s, ks in STEPS.items() for k in ks])
def test_a_kill_at_any_step_leaves_the_old_set_or_the_new_set(tmp_path, start, step):
    import signal

    dest, old, new = _expected(tmp_path, start)
    assert _write_set(dest, "new", kill_at=step) == -signal.SIGKILL
    shown = _shown(dest)
    # the only step after which the new set shows is the switch itself
    assert shown == (new if step == "switched" else old), step
    assert (dest / "unrelated.txt").read_text() == "keep me"
    # the next write sweeps what the killed one left, and shows its own set
    assert _write_set(dest, "new") == 0
    assert _shown(dest) == new
    hidden = sorted(p.name for p in dest.iterdir() if p.name.startswith("."))
    assert len(hidden) == 2 and hidden[0].startswith(".p.build-") and hidden[1] == ".p.current"
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == sorted(
        NAMES + ["unrelated.txt"])


def test_a_set_being_written_is_not_swept(tmp_path):
    import os
    import subprocess
    import sys

    from workbench.files import sweep_file_set

    stale = tmp_path / ".p.build-999999999-aa"
    busy = tmp_path / ".p.build-999999998-bb"
    other = tmp_path / ".q.build-999999999-cc"  # another set's: not this one's to sweep
    for d in (stale, busy, other):
        d.mkdir()
    (tmp_path / ".p.build-x").mkdir()  # not the naming pattern: left alone
    dead_link = tmp_path / ".p.link-999999999-dd"
    live_link = tmp_path / f".p.link-{os.getpid()}-ee"
    for link in (dead_link, live_link):
        os.symlink("nowhere", link)
    writer = subprocess.Popen(  # another process writing into `busy` holds its lock
        [sys.executable, "-c", ("import fcntl, os, sys, time\n"
                                f"fd = os.open({str(busy)!r}, os.O_RDONLY)\n"
                                "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                                "print('locked', flush=True)\ntime.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        assert sweep_file_set(tmp_path, "p") == [stale, dead_link]
        assert busy.is_dir() and other.is_dir() and (tmp_path / ".p.build-x").is_dir()
        assert live_link.is_symlink()
    finally:
        writer.kill()
        writer.wait()
    assert sweep_file_set(tmp_path, "p") == [busy]  # its writer has ended


def test_an_error_in_the_block_leaves_the_old_set_and_no_folder(tmp_path):
    from workbench.files import atomic_file_set

    with atomic_file_set(tmp_path, ["a", "b"], tag="s") as tmp:
        (tmp / "a").write_text("1")
        (tmp / "b").write_text("2")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RuntimeError), atomic_file_set(tmp_path, ["a", "b"], tag="s") as tmp:
        (tmp / "a").write_text("new")
        raise RuntimeError("interrupted")
    assert (tmp_path / "a").read_text() == "1" and (tmp_path / "b").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("failing_call", [1, 2, 3, 4])
def test_a_rename_that_fails_leaves_the_old_set_and_nothing_hidden(tmp_path, monkeypatch,
                                                                   failing_call):
    import errno
    import os

    from workbench.files import atomic_file_set

    for n in NAMES:  # plain files of an older layout: the adoption renames come first
        (tmp_path / n).write_text("old:" + n)
    old = _shown(tmp_path)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="Input/output"), atomic_file_set(
            tmp_path, NAMES, tag="p") as tmp:
        for n in NAMES:
            (tmp / n).write_text("new:" + n)
    monkeypatch.undo()
    assert _shown(tmp_path) == old
    assert not [p for p in tmp_path.iterdir() if ".link-" in p.name]
    assert len([p for p in tmp_path.iterdir() if ".build-" in p.name]) <= 1  # the old files'
