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
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {n for d in py["dependencies"] + py["optional-dependencies"]["dev"]
              for n in _norm(d)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
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
