"""What a reader must not see: the values of private parameters and local absolute paths.

A study marks parameters ``private`` (a provider code, an analyst's note); their values
never reach a published file. Each value is shown as ``[private <digest>]``
(:func:`private_label`): the digest is a keyed hash (:func:`private_digest`), short
enough to read, the same for the same value, so that two runs stay distinguishable in
the index and in ``findings.csv`` without the value being shown or guessed from a list
of likely values. Run ids and folder names use the same digest
(``--providers-private_3f9a1c2e``: :func:`private_slug`). Values are scrubbed from
every text a report, the index page or ``findings.csv`` shows (:func:`private_replacements`,
:func:`mask_private`). Absolute paths of the machine that ran a study are replaced by
labels (:func:`path_replacements`). Replacements are ``(old, new)`` pairs, longest
first, applied by :func:`scrub`.

The key of the digests is the environment variable :data:`KEY_ENV` when set, else a
random key made once per user in :data:`KEY_FILE` (readable by that user only). Runs of
one study on several machines (Slurm, Dask) need the same key: set :data:`KEY_ENV`.

>>> import os
>>> os.environ[KEY_ENV] = "example key"
>>> scrub("trust RX1 Example at /tmp/run/x.png",
...       private_replacements({"trust": "RX1 Example"}, ["trust"]) + path_replacements({"/tmp/run": "."}))
'trust [private 7a0bfaac] at x.png'
>>> del os.environ[KEY_ENV]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Environment variable holding the key of the digests of private values.
KEY_ENV = "WORKBENCH_PRIVATE_KEY"
#: Where the per-user key is kept when :data:`KEY_ENV` is not set.
KEY_FILE = Path.home() / ".config" / "workbench" / "private-key"
#: Hex digits of a private value's digest.
DIGEST_LENGTH = 8
#: Values shorter than this are scrubbed only as whole words (a code such as ``RX1``).
_WHOLE_WORD_BELOW = 4
#: Environment variable naming a run's private parameters (names only, a JSON list), set
#: for the kernel that runs the notebook: the session hides their values in what it draws.
PRIVATE_ENV = "WORKBENCH_PRIVATE_PARAMETERS"


def private_key() -> bytes:
    """The key of the digests: :data:`KEY_ENV`, else the per-user :data:`KEY_FILE`
    (made with a random key, mode 0600, on first use).
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    try:
        return KEY_FILE.read_bytes().strip()
    except FileNotFoundError:
        pass
    # written whole to a private temporary file, then linked into place: a link never
    # replaces a file, so when several processes start at once every one of them reads
    # the one key that won (never a half-written file)
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    tmp = KEY_FILE.with_name(f".{KEY_FILE.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        os.link(tmp, KEY_FILE)
    except FileExistsError:
        return KEY_FILE.read_bytes().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def private_digest(value: Any) -> str:
    """A short keyed digest of a private value (the same value, the same digest).

    >>> os.environ[KEY_ENV] = "k"
    >>> private_digest("R001") == private_digest("R001") != private_digest("R002")
    True
    >>> len(private_digest(["R001", "N001"]))
    8
    >>> del os.environ[KEY_ENV]
    """
    blob = json.dumps(value, sort_keys=True, default=str, ensure_ascii=True)
    return hmac.new(private_key(), blob.encode("utf-8"), hashlib.sha256).hexdigest()[
        :DIGEST_LENGTH]


def private_label(value: Any) -> str:
    """How a private value is shown: ``[private <digest>]``.

    >>> os.environ[KEY_ENV] = "k"
    >>> private_label("R001").startswith("[private ") and private_label("R001").endswith("]")
    True
    >>> del os.environ[KEY_ENV]
    """
    return f"[private {private_digest(value)}]"


def private_slug(value: Any) -> str:
    """A private value as it appears in a run id or folder name: ``private-<digest>``
    (a run id writes the hyphen as ``_``).

    >>> os.environ[KEY_ENV] = "k"
    >>> private_slug("07700900123")[:8]
    'private-'
    >>> del os.environ[KEY_ENV]
    """
    return f"private-{private_digest(value)}"


def private_env(private: Iterable[str]) -> dict[str, str]:
    """The environment a run's kernel gets so that its session knows the private
    parameters' names (:data:`PRIVATE_ENV`); empty when there are none.

    >>> private_env(["analyst_note"])
    {'WORKBENCH_PRIVATE_PARAMETERS': '["analyst_note"]'}
    >>> private_env([])
    {}
    """
    names = sorted(set(private))
    return {PRIVATE_ENV: json.dumps(names)} if names else {}


def private_names() -> tuple[str, ...]:
    """The private parameters' names this process was given (:func:`private_env`), or ``()``
    (an interactive session, or a study without private parameters).

    >>> os.environ[PRIVATE_ENV] = '["trust"]'
    >>> private_names()
    ('trust',)
    >>> del os.environ[PRIVATE_ENV]
    >>> private_names()
    ()
    """
    text = os.environ.get(PRIVATE_ENV, "").strip()
    if not text:
        return ()
    try:
        names = json.loads(text)
    except ValueError:
        names = text.split(",")
    if isinstance(names, str):
        names = [names]
    return tuple(str(n).strip() for n in names if str(n).strip())


def private_replacements(parameters: Mapping[str, Any],
                         private: Iterable[str]) -> list[tuple[str, str]]:
    """(old, new) replacements hiding the values of private parameters in report text.

    A text value (and each text in a list) of 2 characters or more is replaced by its
    :func:`private_label` (one shorter than 4 only as a whole word); a number written
    with 4 characters or more likewise (shorter ones would match unrelated numbers).

    >>> os.environ[KEY_ENV] = "k"
    >>> [old for old, _ in private_replacements({"trust": "RX1 Example", "k": 2}, ["trust", "k"])]
    ['RX1 Example']
    >>> del os.environ[KEY_ENV]
    """
    out = []
    for name in private:
        value = parameters.get(name)
        texts = value if isinstance(value, (list, tuple)) else [value]
        for v in texts:
            if v is None or isinstance(v, bool):
                continue
            text = str(v)
            if len(text) >= (2 if isinstance(v, str) else _WHOLE_WORD_BELOW):
                out.append((text, private_label(v)))
    return sorted(set(out), key=lambda kv: len(kv[0]), reverse=True)


def runs_replacements(runs: Iterable[Any], private: Iterable[str]) -> list[tuple[str, str]]:
    """(old, new) replacements hiding the private values of several runs (objects with
    ``parameters``, e.g. a study's run results), longest first.

    >>> from types import SimpleNamespace
    >>> os.environ[KEY_ENV] = "k"
    >>> [old for old, _ in runs_replacements([SimpleNamespace(parameters={"note": "call me"})],
    ...                                      ["note"])]
    ['call me']
    >>> del os.environ[KEY_ENV]
    """
    private = list(private)
    out: set[tuple[str, str]] = set()
    for run in runs:
        out.update(private_replacements(dict(getattr(run, "parameters", None) or {}), private))
    return sorted(out, key=lambda kv: len(kv[0]), reverse=True)


def mask_private(findings: pd.DataFrame, private: Iterable[str],
                 runs: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """A copy of a findings table with private parameter values shown as
    ``[private <digest>]`` in its ``parameters`` column (dicts or JSON text) and scrubbed
    from its text. ``runs`` gives the parameters of each run (by ``run_id``), so that a
    finding that records none is scrubbed of its run's private values too.

    >>> import pandas as pd
    >>> os.environ[KEY_ENV] = "k"
    >>> t = pd.DataFrame({"run_id": ["r"], "id": ["x@RX1 Example"], "parameters": [""]})
    >>> mask_private(t, ["trust"], runs={"r": {"trust": "RX1 Example"}})["id"].tolist()
    ['x@[private d4a91e14]']
    >>> del os.environ[KEY_ENV]
    """
    private = list(private)
    if not private:
        return findings.copy()
    out = findings.copy()
    repl: list[tuple[str, str]] = []
    for params in (runs or {}).values():
        repl += private_replacements(params, private)
    if "parameters" in out.columns:
        masked = []
        for value in out["parameters"]:
            params = json.loads(value) if isinstance(value, str) and value.startswith("{") \
                else value
            if isinstance(params, dict):
                repl += private_replacements(params, private)
                params = {k: private_label(v) if k in private else v for k, v in params.items()}
                value = json.dumps(params, sort_keys=True) if isinstance(value, str) else params
            masked.append(value)
        out["parameters"] = masked
    repl = sorted(set(repl), key=lambda kv: len(kv[0]), reverse=True)
    for col in out.columns:
        if col != "parameters" and out[col].map(lambda v: isinstance(v, str)).any():
            out[col] = out[col].map(lambda v: scrub(v, repl) if isinstance(v, str) else v)
    return out


def scrub(text: str, replacements: list[tuple[str, str]]) -> str:
    """``text`` with each ``(old, new)`` of ``replacements`` applied in order (an ``old``
    shorter than 4 characters only where it is a whole word).

    >>> scrub("at /tmp/run/a.png", [("/tmp/run/", "")])
    'at a.png'
    >>> scrub("RX1 and RX12", [("RX1", "[private]")])
    '[private] and RX12'
    """
    for old, new in replacements:
        if len(old) < _WHOLE_WORD_BELOW:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])",
                          new.replace("\\", "\\\\"), text)
        else:
            text = text.replace(old, new)
    return text


def path_replacements(paths: Mapping[str | Path, str]) -> list[tuple[str, str]]:
    """(old, new) text replacements for absolute paths, longest first.

    Each path is replaced with its label, and ``path + "/"`` with ``label + "/"``
    (or with nothing when the label is ``"."``), so that
    ``/tmp/run/findings.json`` becomes ``findings.json``.

    >>> path_replacements({"/tmp/run": "."})
    [('/tmp/run/', ''), ('/tmp/run', '.')]
    """
    out: list[tuple[str, str]] = []
    for path, label in paths.items():
        p = str(path).rstrip("/")
        if len(p) < 2:
            continue
        out.append((p + "/", "" if label == "." else label + "/"))
        out.append((p, label))
    return sorted(out, key=lambda kv: len(kv[0]), reverse=True)
