"""What a reader must not see: the values of private parameters and local absolute paths.

A study marks parameters ``private`` (e.g. a provider code); their values are shown as
:data:`PRIVATE` and scrubbed from every text a report, the index page or
``findings.csv`` shows. Absolute paths of the machine that ran a study are replaced by
labels (:func:`path_replacements`). Replacements are ``(old, new)`` pairs, longest
first, applied by :func:`scrub`.

>>> scrub("trust RX1 Example at /tmp/run/x.png",
...       private_replacements({"trust": "RX1 Example"}, ["trust"]) + path_replacements({"/tmp/run": "."}))
'trust [private] at x.png'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: How a private parameter's value is shown.
PRIVATE = "[private]"


def private_replacements(parameters: Mapping[str, Any],
                         private: Iterable[str]) -> list[tuple[str, str]]:
    """(old, new) replacements hiding the values of private parameters in report text.

    Text values and numbers written with at least 4 characters are replaced (shorter
    ones would match unrelated text).

    >>> private_replacements({"trust": "RX1 Example", "k": 2}, ["trust", "k"])
    [('RX1 Example', '[private]')]
    """
    out = []
    for name in private:
        value = parameters.get(name)
        texts = value if isinstance(value, (list, tuple)) else [value]
        for v in texts:
            if v is None or isinstance(v, bool):
                continue
            text = str(v)
            if len(text) >= 4:
                out.append((text, PRIVATE))
    return sorted(set(out), key=lambda kv: len(kv[0]), reverse=True)

def mask_private(findings: pd.DataFrame, private: Iterable[str]) -> pd.DataFrame:
    """A copy of a findings table with private parameter values shown as ``[private]``
    in its ``parameters`` column (dicts or JSON text) and scrubbed from its text.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"id": ["a"], "parameters": ['{"trust": "RX1 Example"}']})
    >>> mask_private(t, ["trust"])["parameters"].tolist()
    ['{"trust": "[private]"}']
    """
    private = list(private)
    if not private or "parameters" not in findings.columns:
        return findings.copy()
    out = findings.copy()
    masked, repl = [], []
    for value in out["parameters"]:
        params = json.loads(value) if isinstance(value, str) and value.startswith("{") \
            else value
        if isinstance(params, dict):
            repl += private_replacements(params, private)
            params = {k: PRIVATE if k in private else v for k, v in params.items()}
            value = json.dumps(params, sort_keys=True) if isinstance(value, str) else params
        masked.append(value)
    out["parameters"] = masked
    repl = sorted(set(repl), key=lambda kv: len(kv[0]), reverse=True)
    for col in out.columns:
        if col != "parameters" and out[col].map(lambda v: isinstance(v, str)).any():
            out[col] = out[col].map(lambda v: scrub(v, repl) if isinstance(v, str) else v)
    return out

def scrub(text: str, replacements: list[tuple[str, str]]) -> str:
    """``text`` with each ``(old, new)`` of ``replacements`` applied in order.

    >>> scrub("at /tmp/run/a.png", [("/tmp/run/", "")])
    'at a.png'
    """
    for old, new in replacements:
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
