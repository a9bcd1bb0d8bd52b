"""The study's glossary: the terms a report must keep, in plain words.

Reports avoid jargon, but some terms carry meaning a board needs (a confidence interval,
a within-provider comparison, special cause variation). :data:`TERMS` explains each in a
few plain sentences, as data; :func:`render_glossary` makes the page ``glossary.html``
(:data:`GLOSSARY_PAGE`) in the look of the reports, sanitised like every page
(:func:`~workbench.report.sanitise.sanitise_page`), and :func:`write_glossary` writes it
at the top of a study's output folder, beside the index (the publishable copy in
``public/`` takes it from there: :mod:`workbench.report.publish`). Every report links
to it from its header (``../glossary.html``, the same path from a run folder of the
study's folder and of ``public/``), a term's entry by its anchor (:func:`anchor`).

>>> anchor("Special cause / common cause variation")
'special-cause-common-cause-variation'
>>> "confidence-interval" in {t.anchor for t in TERMS}
True
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.files import atomic_write_text
from workbench.report.sanitise import sanitise_page

#: The glossary's file name, at the top of a study's output folder and of ``public/``.
GLOSSARY_PAGE = "glossary.html"
#: The page's title.
TITLE = "Glossary: the terms used in the reports"


def anchor(term: str) -> str:
    """The anchor of a term's entry on the page (lower case, words joined by ``-``).

    >>> anchor("Within-provider comparison"), anchor("p'/u' chart (Laney)")
    ('within-provider-comparison', 'p-u-chart-laney')
    """
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


@dataclass(frozen=True)
class Term:
    """One entry of the glossary: the ``term``, what it means in plain words
    (``meaning``, a few sentences), and ``also``: other words a report uses for it.

    >>> Term("Case mix", "Who the patients are.").anchor
    'case-mix'
    """

    term: str
    meaning: str
    also: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """The entry's anchor on the page (:func:`anchor` of the term)."""
        return anchor(self.term)


#: The terms, in alphabetical order of ``term``.
TERMS: tuple[Term, ...] = tuple(sorted((
    Term("Confidence interval",
         "The range of values the data are consistent with, written in brackets after an "
         "estimate: \"0.43 weeks shorter (95% CI 0.31 to 0.55 weeks shorter)\". If the study "
         "were repeated many times, 95 in 100 such ranges would hold the true value. A "
         "range that runs from one direction to the other (\"from 0.03 shorter to 0.01 "
         "longer\") means the data cannot tell whether there is a difference at all.",
         ("95% CI", "interval", "95% interval")),
    Term("p-value",
         "How often a difference at least as large as the one seen would arise by chance "
         "alone if there were no real difference. Small values (below 0.05, written "
         "\"< 0.001\" when very small) mean chance is an unlikely explanation; they say "
         "nothing about how large or important the difference is.",
         ("p",)),
    Term("Adjusted p-value",
         "A p-value corrected for the number of questions a study asks at once (the "
         "Benjamini-Hochberg method), so that a few findings are not flagged by chance "
         "among many.", ("false discovery rate", "multiple testing")),
    Term("Within-provider comparison",
         "Comparing each provider with itself over time: when a provider had more nurses "
         "than usual, were its patients more satisfied than usual? Lasting differences "
         "between providers (size, buildings, local population) cannot explain such a "
         "comparison.", ("within provider", "fixed effects")),
    Term("Between-provider comparison",
         "Comparing one provider with another at the same time. Differences between "
         "providers that the data do not record (their populations, their history) may "
         "explain part of what it shows.", ("between provider",)),
    Term("Fixed effects",
         "The model that makes a within-provider comparison: each provider is compared "
         "with its own average, so anything constant about a provider drops out. The "
         "workbench's headline estimate for staffing, waits and satisfaction.",
         ("within-provider model",)),
    Term("Mixed model",
         "A model that lets each provider have its own starting level while estimating "
         "one effect for all: a middle way between comparing providers with each other "
         "and with themselves. Shown as a robustness check.", ("random effects",)),
    Term("Case mix",
         "Who the patients are: their age, how deprived their areas are, the size and kind "
         "of provider. Comparing like with like (\"adjusted for case mix\") removes "
         "differences that are due to case mix rather than to care.",
         ("adjusted for case mix", "like with like")),
    Term("Standardised",
         "Put on a common footing: a value compared with what would be expected for a "
         "provider of the same size and case mix (observed / expected), or a difference "
         "measured in standard deviations so that measures in different units can be "
         "compared.", ("observed / expected", "standardised difference")),
    Term("Mediation",
         "Splitting the link between two things into the part that runs through a third "
         "and the rest: how much of the link between staffing and satisfaction runs "
         "through shorter waits. The indirect effect is the part through the third "
         "measure (waits); the direct effect is the rest; the total effect is both "
         "together.", ("direct effect", "indirect effect", "total effect")),
    Term("Sensitivity to unmeasured confounding",
         "How strong something the data do not record would have to be to explain a "
         "finding away. A confounder is a third thing that drives both measures (for "
         "example how busy a provider is). A finding that a weak confounder would explain "
         "away is fragile.", ("confounder", "E-value", "error correlation", "rho")),
    Term("Odds ratio",
         "How many times the odds of something (a positive response, a better rating) "
         "are multiplied. 1 means no difference; 1.10 means odds 10% higher; 0.90 means "
         "odds 10% lower. Odds are the chance something happens over the chance it does "
         "not.", ("odds",)),
    Term("Ordered rating model",
         "A model of ratings that come in order (Inadequate, Requires improvement, Good, "
         "Outstanding). Its estimates are on the model's own scale: above zero, better "
         "ratings are more likely; below zero, worse ones; the further from zero, the "
         "stronger the link.", ("rating model's scale", "ordinal model")),
    Term("Rate ratio",
         "How many times a rate (complaints per episode, say) is multiplied: 1 means no "
         "difference, 1.03 means 3% more, 0.97 means 3% fewer.", ("multiplied by",)),
    Term("Bootstrap",
         "Working out an interval by re-running the analysis many times on samples drawn "
         "from the data (whole providers at a time), instead of from a formula. Used "
         "where no formula is reliable.", ("bootstrap interval",)),
    Term("Weighting to the same case mix",
         "Giving each provider a weight so that two groups (NHS and independent) look "
         "alike on case mix, then comparing them. It works only when the groups overlap: "
         "when each has providers like the other's. When they barely overlap, the result "
         "leans on a few providers and is shown only as a diagnostic.",
         ("propensity score", "inverse probability weighting", "overlap weighting",
          "balance")),
    Term("Headline, robustness check and diagnostic",
         "A headline finding is the estimate the workbench stands behind. A robustness "
         "check estimates the same thing another way: if it agrees, the headline is "
         "sturdier. A diagnostic is shown so that a reader can see why an estimate is not "
         "trusted; it is never the answer. Robustness checks and diagnostics are in each "
         "report's technical appendix.", ("robustness check", "diagnostic",
                                          "technical appendix")),
    Term("Verdict on a claim",
         "Supported, meaningful: the whole interval shows an effect in the claimed "
         "direction at least as large as the smallest that matters (the margin). Supported, "
         "size uncertain: the effect is there but may be smaller than that. Contradicted "
         "(meaningful or size uncertain): the same, the other way. No meaningful "
         "difference: any difference is smaller than the margin. Inconclusive: the data "
         "cannot tell.", ("supported, meaningful", "supported, size uncertain",
                          "contradicted", "no meaningful difference", "inconclusive",
                          "margin")),
    Term("Statistical process control (SPC)",
         "Plotting a measure month by month with its average and control limits, to tell "
         "real change from the usual ups and downs. NHS England's Making Data Count "
         "approach reads every performance measure this way.",
         ("SPC chart", "Making Data Count", "XmR chart")),
    Term("Special cause / common cause variation",
         "Common cause variation is the usual ups and downs of a stable process: no sign "
         "of change, nothing to react to. Special cause variation is a change the usual "
         "ups and downs would rarely give (a point outside the control limits, a long run "
         "on one side of the average, a steady trend): something has changed and is worth "
         "looking into, for better (improvement) or worse (concern).",
         ("special cause", "common cause", "special cause concern",
          "special cause improvement")),
    Term("Control limits",
         "The range a stable process keeps within almost always (about 99.7% of the "
         "time), drawn three standard deviations either side of the average. Also called "
         "the expected range. Limits of a percentage never go below 0% or above 100%.",
         ("expected range", "process limits")),
    Term("p'/u' chart (Laney)",
         "An SPC chart of a percentage or a rate per number of patients: its limits allow "
         "for how many patients each month counted and for the usual extra spread between "
         "months, so that they stay inside the possible range.", ("p' chart", "u' chart")),
    Term("Assurance",
         "Whether a target will be met, read from the control limits: if the target lies "
         "outside the limits on the good side it will consistently be met; on the bad "
         "side, consistently missed; inside the limits, sometimes met and sometimes missed "
         "(\"hit and miss\") until the process itself changes.", ("hit and miss",)),
    Term("Funnel plot",
         "A chart comparing many providers at once: each provider's value against its "
         "size, with limits that narrow as size grows (a funnel), because small providers "
         "vary more by chance. A provider outside the 99.8% limits differs from the others "
         "by more than chance alone would explain.", ("funnel limits",)),
    Term("Overdispersion",
         "Providers differing from one another more than chance alone would give (the "
         "factor phi says by how much: 1 is chance alone). The funnel's limits are then "
         "widened so that only providers beyond the usual spread are flagged. A very "
         "large phi means the providers are not comparable as they stand.", ("phi",)),
    Term("Interrupted time series",
         "Estimating the effect of a change by continuing the trend from before the "
         "change and comparing it with what happened after. It assumes the earlier trend "
         "would have gone on.", ("ITS", "earlier trend")),
    Term("Difference in differences",
         "Estimating the effect of a change by comparing how providers that made it "
         "changed with how providers that did not changed over the same months, so that "
         "what happened everywhere cancels out. It assumes both groups were on the same "
         "path before the change (checked by the pre-trend test).",
         ("difference-in-differences", "pre-trend", "two-way fixed effects")),
    Term("Placebo test",
         "Running an analysis where there should be no effect (a date before the change, "
         "or providers that made no change): an effect found there warns that the method "
         "picks up something other than the change.", ("placebo",)),
    Term("Lag",
         "A measure taken some months earlier: \"staff engagement one month earlier\" "
         "compares satisfaction with the engagement of the month before.", ("lagged",)),
    Term("Waiting list: clock starts, removals and completions",
         "A clock start is a new referral joining the list; a completion is a pathway that "
         "ends with treatment; removals are all pathways leaving the list (completions and "
         "those validated off, treated elsewhere or declined).",
         ("clock starts", "removals", "completions", "treatment function")),
    Term("Relief capacity",
         "The extra removals a week a waiting list needs, above what it has now, to come "
         "down to its target size by a chosen date.", ("relief plan",)),
    Term("Waiting list pressure",
         "Twice the mean wait divided by the target wait: above 1, the list is likely to "
         "miss its target.", ("pressure",)),
    Term("FFT (Friends and Family Test)",
         "The NHS question asking patients whether their experience of a service was good. "
         "\"FFT positive responses\" is the share of answers that were good or very good.",
         ("FFT", "% positive")),
    Term("RTT (referral to treatment) wait",
         "The time from a hospital referral to the start of treatment. The RTT median wait "
         "is the wait of the patient in the middle of the list; the standard is that 92% "
         "of patients waiting have waited 18 weeks or less.", ("RTT", "18 weeks")),
    Term("A&E four-hour standard",
         "The share of patients attending A&E who were admitted, transferred or discharged "
         "within four hours of arrival.", ("A&E seen within 4 hours",)),
    Term("CQC rating",
         "The Care Quality Commission's rating of a provider after inspection: Inadequate, "
         "Requires improvement, Good or Outstanding, overall and for questions such as "
         "whether it is caring and responsive.", ("CQC",)),
    Term("FTE (full-time equivalent)",
         "Staff counted by hours worked: two people on half-time contracts make one FTE. "
         "Nurse FTE per 10 occupied beds is the staffing level a ward has for its patients.",
         ("FTE", "nurse FTE per 10 occupied beds")),
    Term("SHMI and CQC methods",
         "Two ways of drawing a funnel plot of counts such as complaints: each provider's "
         "observed count over the count expected for it, with limits as NHS England's "
         "mortality indicator (SHMI) or the Care Quality Commission draw them.",
         ("SHMI", "observed / expected")),
    Term("Deprivation (IMD)",
         "How deprived the areas a provider serves are, from the Index of Multiple "
         "Deprivation: part of case mix.", ("IMD",)),
    Term("Disclosure control",
         "The rule that keeps people from being identified: counts of 1 to 7 are shown "
         "as *, other counts are rounded to the nearest 5 (the NHS hospital statistics "
         "convention), and rates built on a hidden count are hidden too.",
         ("suppressed", "*")),
    Term("Synthetic data",
         "Data made by the workbench to test its methods, with effects it knows: no real "
         "provider, patient or member of staff is described. On synthetic data a report "
         "also shows the true value and whether the interval holds it.", ("synthetic",)),
), key=lambda t: t.term.lower()))


_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #212B32; max-width: 60em;
       margin: 0 auto; padding: 0 1.5em 3em 1.5em; line-height: 1.5; }
.wb-header { border-bottom: 4px solid #005EB8; margin: 0 0 1.5em 0; padding: 1em 0 0.8em 0; }
.wb-header h1 { color: #003087; font-size: 1.7em; margin: 0 0 0.4em 0; }
.wb-note { font-size: 0.9em; color: #4C6272; }
dl.wb-glossary dt { font-weight: bold; color: #003087; margin-top: 1em; }
dl.wb-glossary dd { margin: 0.2em 0 0 0; }
.wb-also { font-size: 0.9em; color: #4C6272; }
"""


def render_glossary(terms: tuple[Term, ...] = TERMS, *, study: str = "",
                    index_href: str = "index.html") -> str:
    """The glossary page: each term with its anchor, what it means and the other words
    reports use for it, headed like a report and linking back to the study's index
    (``index_href``; '' for none); sanitised.

    >>> page = render_glossary(study="Demo")
    >>> 'id="confidence-interval"' in page, "<script" in page, "Demo" in page
    (True, False, True)
    """
    e = html.escape
    entries = []
    for t in terms:
        also = (f' <span class="wb-also">(also: {e(", ".join(t.also))})</span>'
                if t.also else "")
        entries.append(f'<dt id="{e(t.anchor)}">{e(t.term)}</dt>\n'
                       f"<dd>{e(t.meaning)}{also}</dd>")
    back = (f'<p class="wb-note"><a href="{e(index_href)}">Back to the study\'s index</a></p>'
            if index_href else "")
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(TITLE)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        '<header class="wb-header">', f"<h1>{e(TITLE)}</h1>",
        (f'<p class="wb-note">Study: {e(study)}</p>' if study else ""),
        ('<p>The words below stay in the reports because they carry meaning a reader needs; '
         "each is explained here in plain words. The reports link to this page.</p>"),
        back, "</header>", "<main>", '<dl class="wb-glossary">', *entries, "</dl>",
        "</main>", "</body>", "</html>", ""])
    return sanitise_page(page)


def write_glossary(folder: str | Path, *, study: str = "") -> Path:
    """Write :data:`GLOSSARY_PAGE` (:func:`render_glossary`) into ``folder`` (a study's
    output folder; atomic); return its path.

    >>> import tempfile
    >>> write_glossary(tempfile.mkdtemp(), study="Demo").name
    'glossary.html'
    """
    path = Path(folder) / GLOSSARY_PAGE
    atomic_write_text(path, render_glossary(study=study))
    return path
