"""What patients write: themes of Friends and Family Test comments by satisfaction.

The labelled comments (the ``comments`` and ``comment_themes`` tables beside the panel,
which a notebook gets from its session, ``s.data("comments")``; see
:mod:`workbench.data.sources.patient_comments`) carry each respondent's FFT score (1 very
good ... 5 very poor) and the themes labellers found in each comment, mapped to five
groups (``staff_numbers``, ``staff_attitude``, ``timeliness_of_care``, ``appointments``,
``communication``).

The unit is the **respondent**, not the comment: one respondent may answer two or three
questions ("What was good?", "What could we do better?"), all with the same score, so a
respondent *mentions* a theme when any of their comments has it. Respondents with a
score and at least one comment with text are counted; scores 6 and 7 (don't know, other)
and layouts without scores (the phase 1 file) are left out.

* **Groups:** dissatisfied = FFT 4-5 (poor, very poor); satisfied = FFT 1-3 (very good,
  good, neither; "neither" is put with the satisfied as the FFT's own "positive" share
  does not, so the satisfied group is the not-dissatisfied).
* **Shares** (:func:`shares`): % of respondents in a group mentioning each theme group,
  with Wilson 95% intervals, overall and by trust and service.
* **Differences** (:func:`differences`): dissatisfied minus satisfied share per theme,
  with Newcombe's hybrid score 95% interval (from the two Wilson intervals); overall
  (the headline; it pools trusts and services with different mixes) and per trust
  (robustness).
* **Ordinal model** (:func:`ordinal`): proportional-odds logit of the FFT score (1-5) on
  the five theme indicators with service fixed effects (statsmodels ``OrderedModel``):
  the odds ratio of a worse score when a theme is mentioned, holding the other themes and
  the service fixed. Model-based standard errors (respondents are independent units; no
  clustering within services).

Limits: two NHS trusts (an ambulance service, a community and mental health trust) in
2021-22; labels are one labelling team's; comments are what respondents chose to write.
Associations, not causes.

Example
-------
>>> c, t = example_data()
>>> r = respondents(c, t)
>>> d = differences(r)
>>> d.set_index("theme_group").loc["staff_numbers", "difference"] > 0
np.True_
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.findings import formatting
from workbench.analysis.findings import kinds as K
from workbench.analysis.findings.record import Finding
from workbench.errors import AnalysisInputError
from workbench.finding_id import FindingId

GROUPS = ("staff_numbers", "staff_attitude", "timeliness_of_care", "appointments",
          "communication")
GROUP_WORDS = {"staff_numbers": "staff numbers", "staff_attitude": "staff attitude",
               "timeliness_of_care": "timeliness of care", "appointments": "appointments",
               "communication": "communication"}
DISSATISFIED = (4, 5)
SATISFIED = (1, 2, 3)
MIN_RESPONDENTS = 30   # fewer in a group: the finding is a diagnostic
Z = stats.norm.ppf(0.975)


def wilson(k, n, z: float = Z):
    """Wilson score interval (low, high) for ``k`` successes of ``n``, as proportions;
    arrays broadcast. ``n = 0`` gives missing values.

    >>> [round(float(v), 4) for v in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def newcombe(k1, n1, k2, n2, z: float = Z) -> tuple[float, float, float]:
    """Difference ``k1/n1 - k2/n2`` and Newcombe's hybrid score interval (method 10).

    >>> [round(v, 4) for v in newcombe(56, 70, 48, 80)]
    [0.2, 0.0524, 0.3339]
    """
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (float(v) for v in wilson(k1, n1, z))
    l2, u2 = (float(v) for v in wilson(k2, n2, z))
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def respondents(comments: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent with a score 1-5 and some comment text: ``trust``,
    ``respondent``, ``service``, ``fft_score``, ``group`` (``dissatisfied`` /
    ``satisfied``), ``comments`` (how many) and one 0/1 column per theme group.

    >>> c, t = example_data()
    >>> respondents(c, t)["group"].value_counts().to_dict()
    {'satisfied': 300, 'dissatisfied': 100}
    """
    need = ["comment_id", "trust", "fft_score", "text"]
    miss = [x for x in need if x not in comments.columns]
    if miss:
        raise AnalysisInputError("respondents", "comments", f"lacks columns {miss}",
                                 expected="the comments table beside the panel")
    c = comments[comments["fft_score"].isin(list(SATISFIED + DISSATISFIED))
                 & comments["text"].notna()].copy()
    rid = c["respondent_id"] if "respondent_id" in c.columns else pd.Series(None, index=c.index)
    c["respondent"] = c["trust"].astype(str) + ":" + rid.where(rid.notna(), c["comment_id"]
                                                              ).astype(str)
    th = themes[themes["theme_group"].isin(GROUPS)][["comment_id", "theme_group"]]
    hits = c[["comment_id", "respondent"]].merge(th, on="comment_id")
    flags = (hits.assign(v=1).pivot_table(index="respondent", columns="theme_group",
                                          values="v", aggfunc="max", fill_value=0)
             .reindex(columns=list(GROUPS), fill_value=0))
    service = c["service"] if "service" in c.columns else pd.Series(None, index=c.index)
    c["service"] = service.where(service.notna(), "unknown")
    r = c.groupby("respondent").agg(trust=("trust", "first"), service=("service", "first"),
                                    fft_score=("fft_score", "max"),
                                    comments=("comment_id", "size"))
    r = r.join(flags).fillna({g: 0 for g in GROUPS})
    for g in GROUPS:
        r[g] = r[g].astype(int)
    r["group"] = np.where(r["fft_score"].isin(list(DISSATISFIED)), "dissatisfied", "satisfied")
    return r.reset_index()


def shares(r: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """% of respondents mentioning each theme group, by satisfaction group (and ``by``),
    with Wilson 95% intervals: ``respondents`` (in the group) and ``mentioning`` are
    counts of people.

    >>> c, t = example_data()
    >>> s = shares(respondents(c, t))
    >>> s.columns.tolist()
    ['group', 'theme_group', 'respondents', 'mentioning', 'share_pct', 'ci_low', 'ci_high']
    """
    keys = [*by, "group"]
    long = r.melt(id_vars=keys, value_vars=list(GROUPS), var_name="theme_group",
                  value_name="mentions")
    s = long.groupby([*keys, "theme_group"], sort=False).agg(
        respondents=("mentions", "size"), mentioning=("mentions", "sum")).reset_index()
    lo, hi = wilson(s["mentioning"], s["respondents"])
    s["share_pct"] = 100 * s["mentioning"] / s["respondents"]
    s["ci_low"], s["ci_high"] = 100 * lo, 100 * hi
    order = {g: i for i, g in enumerate(GROUPS)}
    s = s.sort_values([*by, "theme_group", "group"], key=lambda x: x.map(order)
                      if x.name == "theme_group" else x, kind="stable")
    return s.reset_index(drop=True)


def differences(r: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Dissatisfied minus satisfied share (percentage points) per theme group (and ``by``),
    with Newcombe 95% intervals and both groups' counts.

    >>> c, t = example_data()
    >>> differences(respondents(c, t)).columns.tolist()[:4]
    ['theme_group', 'difference', 'ci_low', 'ci_high']
    """
    rows = []
    for key, g in (r.groupby(list(by)) if by else [((), r)]):
        key = key if isinstance(key, tuple) else (key,)
        dis, sat = g[g["group"] == "dissatisfied"], g[g["group"] == "satisfied"]
        for theme in GROUPS:
            k1, n1, k2, n2 = int(dis[theme].sum()), len(dis), int(sat[theme].sum()), len(sat)
            d, lo, hi = newcombe(k1, n1, k2, n2) if n1 and n2 else (math.nan,) * 3
            rows.append({**dict(zip(by, key)), "theme_group": theme, "difference": 100 * d,
                         "ci_low": 100 * lo, "ci_high": 100 * hi,
                         "dissatisfied_respondents": n1, "dissatisfied_mentioning": k1,
                         "satisfied_respondents": n2, "satisfied_mentioning": k2})
    out = pd.DataFrame(rows)
    return out[["theme_group", "difference", "ci_low", "ci_high", *by,
                *[c for c in out.columns if c.endswith(("_respondents", "_mentioning"))]]]


def difference_findings(r: pd.DataFrame) -> list[Finding]:
    """One finding per theme group: the dissatisfied-minus-satisfied share overall
    (headline) and per trust (robustness; ``@<trust>``). A group with fewer than
    :data:`MIN_RESPONDENTS` respondents makes the finding a diagnostic.

    >>> c, t = example_data()
    >>> f = difference_findings(respondents(c, t))
    >>> f[0].id, f[0].role
    ('theme_gap:dissatisfied_vs_satisfied->staff_numbers@all', 'headline')
    """
    out = []
    parts = [("all", differences(r))]
    parts += [(str(t), differences(g)) for t, g in r.groupby("trust")]
    for subset, d in parts:
        for rec in d.itertuples(index=False):
            words = GROUP_WORDS[rec.theme_group]
            warns = []
            small = min(rec.dissatisfied_respondents, rec.satisfied_respondents)
            if small < MIN_RESPONDENTS:
                warns.append(f"only {small} respondents in the smaller group: not reliable")
            if not np.isfinite(rec.difference):
                continue
            unclear = "; the interval includes no difference" if rec.ci_low < 0 < rec.ci_high \
                else ""
            where = "all trusts pooled" if subset == "all" else f"trust {subset}"
            p1 = 100 * rec.dissatisfied_mentioning / rec.dissatisfied_respondents
            p2 = 100 * rec.satisfied_mentioning / rec.satisfied_respondents
            # typed: the two shares are rates on counts of respondents, the gap and its
            # interval model values (workbench.analysis.findings.kinds)
            wording = K.phrase(
                "Comments of dissatisfied respondents (FFT poor or very poor) mentioned "
                "{words} {gap} percentage points " + ("more" if rec.difference >= 0 else "less")
                + " often than those of satisfied respondents ({p1} vs {p2}; 95% CI {lo} to "
                "{hi}{unclear}; {where}).", words=words,
                gap=K.estimate(abs(rec.difference)),
                p1=K.rate(p1, rec.dissatisfied_mentioning, rec.dissatisfied_respondents),
                p2=K.rate(p2, rec.satisfied_mentioning, rec.satisfied_respondents),
                lo=K.estimate(rec.ci_low), hi=K.estimate(rec.ci_high), unclear=unclear,
                where=where)
            sentence = wording.text()
            role = "diagnostic" if warns else ("headline" if subset == "all" else "robustness")
            out.append(Finding(
                id=str(FindingId("theme_gap", rec.theme_group, "dissatisfied_vs_satisfied",
                                 subset=subset)),
                question=(f"Do dissatisfied patients write about {words} more often than "
                          f"satisfied ones ({where})?"),
                estimate=float(rec.difference), ci_low=float(rec.ci_low),
                ci_high=float(rec.ci_high), p_value=_two_prop_p(
                    rec.dissatisfied_mentioning, rec.dissatisfied_respondents,
                    rec.satisfied_mentioning, rec.satisfied_respondents),
                n=int(rec.dissatisfied_respondents + rec.satisfied_respondents),
                unit="percentage points of respondents",
                model=("difference of proportions of respondents (FFT 4-5 minus FFT 1-3), "
                       "Newcombe hybrid score 95% interval; p from the two-proportion z test"),
                formula=f"P({rec.theme_group} | FFT 4-5) - P({rec.theme_group} | FFT 1-3)",
                sector="nhs", warning="; ".join(warns), sentence=sentence, role=role,
                estimate_kind=K.ESTIMATE, wording=wording.to_dict()))
    return out


def _two_prop_p(k1, n1, k2, n2) -> float | None:
    if not n1 or not n2:
        return None
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(k1 / n1 - k2 / n2) / se)) if se > 0 else None


def ordinal(r: pd.DataFrame, *, service_effects: bool = True):
    """Proportional-odds logit of ``fft_score`` (1-5) on the five theme indicators (and
    service fixed effects): the fitted statsmodels result and the data it used.

    >>> c, t = example_data()
    >>> res, d = ordinal(respondents(c, t))
    >>> bool(res.params["staff_numbers"] > 0)
    True
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    d = r.dropna(subset=["fft_score"]).copy()
    x = d[list(GROUPS)].astype(float)
    if service_effects and d["service"].nunique() > 1:
        dummies = pd.get_dummies(d["service"], prefix="service", drop_first=True, dtype=float)
        dummies = dummies.loc[:, dummies.sum() > 0]
        x = pd.concat([x, dummies], axis=1)
    x = x.loc[:, x.std() > 0]
    y = pd.Series(pd.Categorical(d["fft_score"].astype(int), categories=[1, 2, 3, 4, 5],
                                 ordered=True), index=d.index)
    res = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    return res, d


def ordinal_findings(r: pd.DataFrame, *, service_effects: bool = True) -> list[Finding]:
    """One finding per theme group: the odds ratio of a worse FFT score when a respondent
    mentions the theme (:func:`ordinal`), with its 95% Wald interval.

    >>> c, t = example_data()
    >>> f = ordinal_findings(respondents(c, t))
    >>> f[0].id, f[0].estimate > 1
    ('ordinal:staff_numbers->fft_score@all', True)
    """
    res, d = ordinal(r, service_effects=service_effects)
    ci = res.conf_int()
    out = []
    services = d["service"].nunique()
    for theme in GROUPS:
        if theme not in res.params.index:
            continue
        b = float(res.params[theme])
        lo, hi = (float(v) for v in ci.loc[theme])
        orr, olo, ohi = math.exp(b), math.exp(lo), math.exp(hi)
        words = GROUP_WORDS[theme]
        mentioning = int(d[theme].sum())
        warns = [f"only {mentioning} respondents mention it: not reliable"] \
            if mentioning < MIN_RESPONDENTS else []
        unclear = ": no clear difference" if olo < 1 < ohi else ""
        o_text, o_ci = formatting.estimate_interval(orr, olo, ohi)
        sentence = (f"Respondents whose comments mention {words} had {o_text} "
                    f"times the odds of a worse FFT score (95% CI "
                    f"{o_ci}{unclear}), holding "
                    f"the other themes{' and the service' if service_effects else ''} fixed "
                    "(proportional-odds model).")
        out.append(Finding(
            id=str(FindingId("ordinal", "fft_score", theme, subset="all")),
            question=f"Does writing about {words} go with worse FFT scores?",
            estimate=orr, ci_low=olo, ci_high=ohi, p_value=float(res.pvalues[theme]),
            n=int(res.nobs), unit="odds ratio (worse score)",
            model=("proportional-odds logit (statsmodels OrderedModel), FFT score 1-5 on the "
                   f"five theme indicators{f' + {services - 1} service effects' if service_effects and services > 1 else ''}; "
                   "Wald 95% interval, model-based SEs"),
            formula="fft_score ~ " + " + ".join(GROUPS) + (" + C(service)" if service_effects
                                                             else ""),
            sector="nhs", warning="; ".join(warns), sentence=sentence,
            role="diagnostic" if warns else "headline", estimate_kind=K.ESTIMATE))
    return out


def limits(comments: pd.DataFrame, r: pd.DataFrame) -> list[str]:
    """Plain sentences on what the comments can and cannot show.

    >>> c, t = example_data()
    >>> limits(c, respondents(c, t))[0][:24]
    'Respondents counted: 400'
    """
    n_dis = int((r["group"] == "dissatisfied").sum())
    trusts = ", ".join(sorted(r["trust"].astype(str).unique()))
    no_score = comments[comments["fft_score"].isna() & comments["text"].notna()]
    dates = comments.loc[comments["trust"].isin(r["trust"].unique()), "date"].dropna() \
        if "date" in comments.columns else pd.Series(dtype="datetime64[ns]")
    span = f" ({dates.min():%B %Y} to {dates.max():%B %Y})" if len(dates) else ""
    return [
        (f"Respondents counted: {formatting.count(len(r))} ({formatting.count(n_dis)} "
         f"dissatisfied, FFT 4-5; {formatting.count(len(r) - n_dis)} satisfied, FFT 1-3), from "
         f"{trusts}{span}; each respondent counts "
         "once however many questions they answered."),
        (f"{formatting.count(len(no_score))} comments without an FFT score 1-5 (don't know, "
         "other, or a file "
         "with no scores) are left out."),
        ("Themes are those labellers assigned; a comment can have several. Comments are what "
         "respondents chose to write, so shares describe the comments, not all patients."),
        ("The trusts are few and not a sample of the NHS; pooled shares mix their services. "
         "These are associations between what respondents wrote and how they scored, not "
         "causes."),
        ("No quotations are shown unless the notebook is asked for them, and then only "
         "comments that pass every check of workbench.analysis.text.quotations (names, places, "
         "phone numbers, e-mail and postal addresses, dates, the labellers' own flag)."),
    ]


def example_data(seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small comments table and its themes: 400 respondents, a quarter dissatisfied,
    who mention staff numbers far more often, for examples and tests.

    >>> c, t = example_data()
    >>> len(c), sorted(t["theme_group"].unique())[:2]
    (400, ['appointments', 'communication'])
    """
    rng = np.random.default_rng(seed)
    n = 400
    score = np.where(np.arange(n) < 100, rng.choice([4, 5], n), rng.choice([1, 2, 3], n))
    c = pd.DataFrame({"comment_id": [f"c{i}" for i in range(n)], "trust": "T1",
                      "respondent_id": [f"r{i}" for i in range(n)],
                      "service": np.where(np.arange(n) % 2 == 0, "A", "B"),
                      "fft_score": score.astype(float), "text": "A comment.",
                      "person_identifiable": False,
                      "date": pd.Timestamp("2021-06-01")})
    rows = []
    for i in range(n):
        dis = score[i] >= 4
        for g, p_dis, p_sat in (("staff_numbers", 0.5, 0.1), ("staff_attitude", 0.3, 0.3),
                                ("timeliness_of_care", 0.4, 0.2), ("appointments", 0.1, 0.1),
                                ("communication", 0.2, 0.15)):
            if rng.random() < (p_dis if dis else p_sat):
                rows.append({"comment_id": f"c{i}", "theme": g, "theme_group": g})
    return c, pd.DataFrame(rows)


def quotations(comments: pd.DataFrame, themes: pd.DataFrame, *, per_theme: int = 2
               ) -> pd.DataFrame:
    """Up to ``per_theme`` quotations per theme group from scored comments that pass every
    check of :mod:`workbench.analysis.text.quotations` (first by comment id, so the same data
    give the same quotations): ``theme_group, group, text``. Nothing else of a comment is
    returned (no trust, service, date or id).

    >>> c, t = example_data()
    >>> c.loc[0, "text"] = "Dr Who was late"
    >>> q = quotations(c, t, per_theme=1)
    >>> "Dr Who was late" in q["text"].tolist(), len(q) <= 5
    (False, True)
    """
    from workbench.analysis.text import quotations as qc

    c = comments[comments["fft_score"].isin(list(SATISFIED + DISSATISFIED))
                 & comments["text"].notna()]
    c = qc.shown(c).sort_values("comment_id")
    th = themes[themes["theme_group"].isin(GROUPS)][["comment_id", "theme_group"]]
    th = th.drop_duplicates()
    m = c.merge(th, on="comment_id")
    m["group"] = np.where(m["fft_score"].isin(list(DISSATISFIED)), "dissatisfied",
                          "satisfied")
    order = {g: i for i, g in enumerate(GROUPS)}
    out = (m.sort_values(["theme_group", "comment_id"], key=lambda s: s.map(order)
                         if s.name == "theme_group" else s, kind="stable")
           .groupby("theme_group", sort=False).head(per_theme))
    return out[["theme_group", "group", "text"]].reset_index(drop=True)
