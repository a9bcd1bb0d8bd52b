"""environment.yml (conda) and pyproject.toml name the same dependencies and versions."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip extras that conda ships as separate packages
SPLIT = {"dask[distributed]": ["dask", "distributed"]}


def _norm(spec: str) -> list[tuple[str, str]]:
    spec = spec.replace(" ", "")
    m = re.match(r"^([A-Za-z0-9_.\-]+(?:\[[a-z,]+\])?)(.*)$", spec)
    name, version = m.group(1).lower(), m.group(2)
    names = SPLIT.get(name, [name])
    return [(n.replace("_", "-"), version) for n in names]


def test_environment_yml_matches_pyproject():
    """environment.yml holds the dependencies and every optional extra (dev, slurm, ...),
    each extra under a ``# NAME extra`` comment."""
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = py["optional-dependencies"]
    wanted = {n for d in py["dependencies"] + [d for deps in extras.values() for d in deps]
              for n in _norm(d)}
    text = (ROOT / "environment.yml").read_text()
    unmarked = [name for name in extras
                if not re.search(rf"^\s*# {re.escape(name)} extra\b", text, re.MULTILINE)]
    assert not unmarked, f"environment.yml has no '# NAME extra' comment for: {unmarked}"
    env = yaml.safe_load(text)
    got = set()
    pythons = []
    for d in env["dependencies"]:
        if isinstance(d, dict):
            got |= {n for p in d["pip"] if not p.startswith("-e") for n in _norm(p)}
        elif d.startswith("python"):
            pythons.append(d)
        elif d != "pip":
            got |= set(_norm(d))
    assert pythons == ["python=3.11"]
    assert got == wanted, (f"only in pyproject: {sorted(wanted - got)}; "
                           f"only in environment.yml: {sorted(got - wanted)}")
