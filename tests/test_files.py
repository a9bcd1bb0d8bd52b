"""Atomic writes: a file appears only when complete; a failed write changes nothing."""

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
