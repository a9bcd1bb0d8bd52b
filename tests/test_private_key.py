"""The per-user key of private digests: made once, private, the same for every process."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

from workbench.report import masking


def test_the_key_file_is_made_once_private_and_shared(tmp_path, monkeypatch):
    monkeypatch.delenv(masking.KEY_ENV, raising=False)
    monkeypatch.setattr(masking, "KEY_FILE", tmp_path / "workbench" / "private-key")
    with ThreadPoolExecutor(8) as pool:          # many first uses at once
        keys = list(pool.map(lambda _: masking.private_key(), range(32)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert masking.KEY_FILE.read_bytes().strip() == keys[0]
    assert stat.S_IMODE(masking.KEY_FILE.stat().st_mode) == 0o600
    assert [p.name for p in masking.KEY_FILE.parent.iterdir()] == ["private-key"]
    assert masking.private_digest("R001") == masking.private_digest("R001")


def test_an_existing_key_file_is_used_as_it_is(tmp_path, monkeypatch):
    monkeypatch.delenv(masking.KEY_ENV, raising=False)
    monkeypatch.setattr(masking, "KEY_FILE", tmp_path / "private-key")
    masking.KEY_FILE.write_bytes(b"a key kept by the user\n")
    assert masking.private_key() == b"a key kept by the user"
