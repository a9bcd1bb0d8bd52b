"""An attacker for the disclosure tests: everything a study publishes, and every way of
working a hidden count back out of it.

:func:`attack` reads what a stakeholder receives (``findings.csv``, the index, every
``report.html`` with its sentences and tables, the data behind every figure) and knows
the true counts (recomputed from the study's synthetic panel: the funnel's numerators
and denominators, the SPC series; and the analyst's ``findings.csv``). For every count
of 1 to 7 it tries to work it back out of the published numbers:

* a published rate times its published denominator (the denominator known to within its
  rounding, the rate to within its decimals): the numerator and the complement, in
  ``findings.csv``, in the sentences and in the report tables;
* a published p-value, interval or control limit of a hidden estimate;
* a published average of a count per month times the months (or the middle of its
  limits);
* a figure: a funnel point drawn whose counts include a hidden one, a count of people
  drawn exactly;
* subtraction: any count of people published exactly (not 0, not rounded, not hidden)
  could be subtracted from a total or from an overlapping subset's count.

It returns one line per recovery; a study that discloses nothing gives ``[]``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

SYMBOL = "*"
SMALL = range(1, 8)
ROUND = 5


def _num(text) -> float | None:
    if text is None:
        return None
    text = str(text).strip().replace(",", "").rstrip("%")
    try:
        x = float(text)
    except ValueError:
        return None
    return None if math.isnan(x) else x


def _interval(text) -> tuple[float, float] | None:
    """The values a published number may stand for, from its decimals."""
    x = _num(text)
    if x is None:
        return None
    t = str(text).strip().rstrip("%")
    d = len(t.split(".")[1]) if "." in t else 0
    h = 0.5 * 10 ** -d if d < 9 else 1e-9
    return x - h, x + h


def _count_range(text) -> list[float]:
    """The counts a published count may stand for: hidden 1-7, a multiple of 5 rounded,
    anything else exact."""
    if str(text).strip() == SYMBOL:
        return list(range(1, 8))
    x = _num(text)
    if x is None:
        return []
    if x == 0:
        return [0]
    if x.is_integer() and x % ROUND == 0:
        return list(range(max(0, int(x) - ROUND // 2), int(x) + ROUND // 2 + 1))
    return [x]


def _counts_from_rate(rate_text, den_texts, scale: float) -> tuple[set[int], set[int]]:
    """Numerators and complements consistent with a published rate (``scale``: 100 for a
    percentage) and the denominators it may have."""
    iv = _interval(rate_text)
    nums, comps = set(), set()
    if iv is None:
        return nums, comps
    lo, hi = iv[0] / scale, iv[1] / scale
    for den in den_texts:
        if den <= 0:
            continue
        for k in range(max(0, math.floor(lo * den) - 1), math.ceil(hi * den) + 2):
            if lo <= k / den <= hi:
                nums.add(k)
                comps.add(round(den - k, 6))
    return nums, comps


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _tables(html: str) -> list[pd.DataFrame]:
    """Every table of a page, its columns under the data's names where the header says
    them (``data-column``: a table whose columns are named in words)."""
    soup = BeautifulSoup(html, "html.parser")
    out = []
    for t in soup.find_all("table"):
        try:
            frame = pd.read_html(io.StringIO(str(t)), keep_default_na=False)[0].astype(str)
        except ValueError:
            continue
        raw = [th.get("data-column") for th in t.select("thead th")]
        if raw and all(raw) and len(raw) == frame.shape[1]:
            frame.columns = raw
        out.append(frame)
    return out


# ---- the truth, from the panel ---------------------------------------------------------

def truth(folder: Path, panel: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """(run folder, provider code) -> the true counts behind what the run publishes:
    ``num``, ``den``, ``base`` (``people`` or ``estimate``), ``scale`` for a funnel
    provider; ``latest``, ``total``, ``months`` for an SPC chart of a count measure.
    """
    from workbench.analysis.findings.kinds import measure_kind
    from workbench.analysis.questions.provider_funnel import funnel_view
    from workbench.analysis.questions.spc_monitoring import spc_view

    out: dict[tuple[str, str], dict] = {}
    for run in sorted(p for p in folder.iterdir() if (p / "manifest.json").exists()):
        params = json.loads((run / "manifest.json").read_text(encoding="utf-8")).get(
            "parameters", {})
        if run.name.startswith("05_provider_funnel"):
            keep = {k: v for k, v in params.items()
                    if k in ("measure", "period", "method", "setting", "stratum")}
            view = funnel_view(panel, **keep)
            sr = view.spec.kind == "SR"
            for _, r in view.result.table.iterrows():
                out[(run.name, str(r["label"]))] = {
                    "num": float(r["numerator"]), "den": float(r["denominator"]),
                    "base": "estimate" if sr else "people",
                    "scale": view.spec.multiplier}
        elif run.name.startswith("04_spc_monitoring"):
            measure = params.get("measure") or "rtt_median_weeks"
            if measure_kind(measure) != "people":
                continue
            view = spc_view(panel, measure, params.get("providers") or [],
                            chart=params.get("chart") or "auto")
            t = view.result.table
            for code in view.providers:
                s = t[t["facet"] == code]
                group = s[s["rebase_group"] == s["rebase_group"].iloc[-1]]
                out[(run.name, str(code))] = {"latest": float(s["value"].iloc[-1]),
                                              "total": float(group["value"].sum()),
                                              "months": len(group),
                                              "values": s["value"].tolist()}
    return out


# ---- attacks -----------------------------------------------------------------------------

_FUNNEL_ID = re.compile(r"^funnel:[^@]+@(?P<code>[^#]+)#")
_SPC_ID = re.compile(r"^spc:[^@]+@(?P<code>.+)$")
_PR_TEXT = re.compile(r"\((?P<code>[A-Z0-9]+)\): (?P<rate>[\d.*]+)%? \((?P<num>[\d,*]+) of "
                      r"(?P<den>[\d,*]+) ")
_SR_TEXT = re.compile(r"\((?P<code>[A-Z0-9]+)\): (?P<rate>[\d.*]+) \((?P<num>[\d,*]+) \w+ "
                      r"observed, (?P<exp>[\d.]+) expected")


def _rate_attack(where: str, t: dict, rate, dens, found: list[str]) -> None:
    """Numerator and complement of ``t`` (funnel truth) from a rate and denominators."""
    if str(rate).strip() == SYMBOL:
        return
    nums, comps = _counts_from_rate(rate, dens, t["scale"])
    num, comp = t["num"], t["den"] - t["num"]
    if num in SMALL and nums == {int(num)}:
        found.append(f"{where}: numerator {int(num)} from the rate {rate}")
    if t["base"] == "people" and comp in SMALL and comps == {round(comp, 6)}:
        found.append(f"{where}: complement {int(comp)} from the rate {rate}")


def _hidden_funnel(t: dict) -> bool:
    comp = t["den"] - t["num"]
    return t["num"] in SMALL or (t["base"] == "people" and (comp in SMALL or t["den"] in SMALL))


def attack_findings(run_of: dict, public: list[dict], raw: list[dict],
                    facts: dict) -> list[str]:
    """Recoveries from ``findings.csv`` (``raw``: the analyst's, in the same order)."""
    found = []
    for pub, r in zip(public, raw, strict=True):
        run, fid = pub["run_id"], pub["id"]
        where = f"findings.csv {run} {fid}"
        m = _FUNNEL_ID.match(fid)
        t = facts.get((run, m["code"])) if m else None
        if t:
            dens = ([t["den"] + d for d in (-0.5, 0, 0.5)] if t["base"] == "estimate"
                    else _count_range(pub.get("denominator") or pub["n"]))
            _rate_attack(where, t, pub["estimate"], dens, found)
            if _hidden_funnel(t):
                for col in ("ci_low", "ci_high", "p_value", "p_adjusted"):
                    if _num(pub.get(col)) is not None:
                        found.append(f"{where}: {col} of a rate resting on a hidden count")
        for text in (pub.get("sentence") or "",):
            for mm in _PR_TEXT.finditer(text):
                t2 = facts.get((run, mm["code"]))
                if t2:
                    _rate_attack(f"{where} sentence", t2, mm["rate"],
                                 _count_range(mm["den"]), found)
            for mm in _SR_TEXT.finditer(text):
                t2 = facts.get((run, mm["code"]))
                if t2:
                    e = float(mm["exp"])
                    _rate_attack(f"{where} sentence", t2, mm["rate"], [e - 0.05, e, e + 0.05],
                                 found)
        m = _SPC_ID.match(fid)
        t = facts.get((run, m["code"])) if m else None
        if t and t["total"] in SMALL:
            mean = pub["estimate"]
            lo, hi = _num(pub["ci_low"]), _num(pub["ci_high"])
            tries = [mean] + ([f"{(lo + hi) / 2:.9f}"] if lo and hi and lo > 0 else [])
            for value in tries:
                iv = _interval(value)
                if iv:
                    ks = {k for k in range(8) if iv[0] * t["months"] - 1e-9 <= k
                          <= iv[1] * t["months"] + 1e-9}
                    if ks == {int(t["total"])}:
                        found.append(f"{where}: total {int(t['total'])} = average x months")
        if t and t["latest"] in SMALL and re.search(
                rf"latest value \({int(t['latest'])}(\.0)? ", pub.get("sentence") or ""):
            found.append(f"{where}: latest count {int(t['latest'])} in the sentence")
        # a count of people published exactly could be subtracted from another
        base = r.get("denominator_kind") or "people"
        for col in ("n", "numerator", "denominator"):
            people = (col != "n" or (r.get("n_kind") or "people") == "people") and (
                col != "denominator" or base == "people")
            x, true = _num(pub.get(col)), _num(r.get(col))
            if people and true in SMALL and str(pub.get(col, "")).strip() not in ("", SYMBOL):
                found.append(f"{where}: {col} {int(true)} published")
            if people and x and true and x == true and x % ROUND:
                found.append(f"{where}: {col} published exactly ({pub[col]})")
    return found


def attack_reports(folder: Path, facts: dict) -> list[str]:
    """Recoveries from the sentences and tables of every report."""
    found = []
    for report in sorted(folder.glob("*/report.html")):
        run = report.parent.name
        html = report.read_text(encoding="utf-8")
        text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
        for mm in _PR_TEXT.finditer(text):
            t = facts.get((run, mm["code"]))
            if t:
                _rate_attack(f"{run} report sentence", t, mm["rate"], _count_range(mm["den"]),
                             found)
        for mm in _SR_TEXT.finditer(text):
            t = facts.get((run, mm["code"]))
            if t:
                e = float(mm["exp"])
                _rate_attack(f"{run} report sentence", t, mm["rate"], [e - 0.05, e, e + 0.05],
                             found)
        for table in _tables(html):
            if "provider_code" not in table.columns:
                continue
            for _, row in table.iterrows():
                t = facts.get((run, str(row["provider_code"])))
                if not t:
                    continue
                where = f"{run} report table {row['provider_code']}"
                if "num" in t and "value" in table.columns and "denominator" in table.columns:
                    den = row["denominator"]
                    dens = ([_num(den) + d for d in (-0.0005, 0, 0.0005)]
                            if t["base"] == "estimate" and _num(den) else _count_range(den))
                    _rate_attack(where, t, row["value"], dens, found)
                    if _hidden_funnel(t):
                        shown = [c for c in ("value", "lower", "upper", "z", "numerator")
                                 if c in table.columns and row[c].strip() != SYMBOL]
                        if shown:
                            found.append(f"{where}: {shown} beside a hidden count")
                if "total" in t:
                    if t["latest"] in SMALL and row.get("latest", SYMBOL).strip() != SYMBOL:
                        found.append(f"{where}: latest {int(t['latest'])} shown as "
                                     f"{row['latest']}")
                    if t["total"] in SMALL and "mean" in table.columns:
                        iv = _interval(row["mean"])
                        if iv and {k for k in range(8) if iv[0] * t["months"] <= k
                                   <= iv[1] * t["months"]} == {int(t["total"])}:
                            found.append(f"{where}: total {int(t['total'])} = mean x months")
    return found


def attack_figures(folder: Path, facts: dict) -> list[str]:
    """Counts of people drawn exactly, funnel points resting on a hidden count, and
    figures with no record of what they draw."""
    found = []
    for png in sorted(folder.glob("*/figures/*.png")):
        path = png.with_suffix(".json")
        if not path.exists():
            found.append(f"{png.parent.parent.name}/{png.name}: no record of what it draws")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        points = []
        for ax in data.get("axes", []):
            for group in ("lines", "points"):
                for item in ax.get(group, []):
                    gid = (str(item.get("gid") or "").split(":") + ["", "", ""])[:3]
                    if gid[1] == "people":
                        bad = [y for y in item["y"] if y is not None and y % ROUND]
                        if bad:
                            found.append(f"{path}: counts of people drawn exactly: {bad[:3]}")
                    if gid[2] == "people":
                        bad = [x for x in item["x"] if x is not None and x % ROUND]
                        if bad:
                            found.append(f"{path}: denominators drawn exactly: {bad[:3]}")
                    if group == "points":
                        points += list(zip(item["x"], item["y"]))
        run = png.parent.parent.name
        for (r, code), t in facts.items():
            if r != run or "num" not in t or not _hidden_funnel(t):
                continue
            y = t["num"] / t["den"] * t["scale"]
            tol = 0.051 if t["scale"] == 100 else 0.0051
            for px, py in points:
                close = (abs(px - t["den"]) < 0.01 if t["base"] == "estimate"
                         else abs(px - t["den"]) <= ROUND // 2)
                if close and py is not None and abs(py - y) < tol:
                    found.append(f"{run}: {code} drawn at ({px}, {py}) though its rate rests "
                                 "on a hidden count")
    return found


def attack_index(folder: Path) -> list[str]:
    """The index's table must show nothing findings.csv hid beside a hidden estimate."""
    found = []
    index = BeautifulSoup((folder / "index.html").read_text(encoding="utf-8"), "html.parser")
    hidden = {(r["run_id"], r["id"]) for r in _csv(folder / "findings.csv")
              if r["estimate"].strip() == SYMBOL}
    heads = [th.get_text(strip=True) for th in index.select("table#findings thead th")]
    beside = [heads.index(h) for h in ("Interval", "p", "p (BH)") if h in heads]
    est = heads.index("Estimate") if "Estimate" in heads else 2
    for tr in index.select("table#findings tbody tr"):
        cells = tr.find_all("td")
        if "Id" in heads:  # an index that names each finding: the ones findings.csv hid
            key = (cells[0].get_text(strip=True), cells[heads.index("Id")].get_text(strip=True))
            if key not in hidden:
                continue
        elif cells[est].get_text(strip=True) != SYMBOL:  # else: every hidden estimate's row
            continue
        else:
            key = (cells[0].get_text(strip=True), cells[1].get_text(strip=True)[:60])
        for j in beside:  # no number beside it ("* to * (control limits)" shows none)
            text = cells[j].get_text(strip=True)
            if re.search(r"\d", text):
                found.append(f"index: {key} shows {text} beside a hidden estimate")
    return found


def attack(folder: Path, panel: pd.DataFrame) -> list[str]:
    """Every recovery of a hidden count from what the study in ``folder`` publishes."""
    folder = Path(folder)
    facts = truth(folder, panel)
    found = attack_findings({}, _csv(folder / "findings.csv"),
                            _csv(folder / "analyst" / "findings.csv"), facts)
    found += attack_reports(folder, facts)
    found += attack_figures(folder, facts)
    found += attack_index(folder)
    return found
