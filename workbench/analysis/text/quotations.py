"""The check a patient's comment must pass before it is shown as a quotation.

Patient free text may name people, places, phone numbers and dates that identify a
patient or a member of staff. A quotation is shown only when a notebook parameter asks
for quotations **and** the comment passes every check below; a comment failing any check
is never shown (:func:`shown`). The checks are deliberately cautious: a comment that
trips one by accident is simply not quoted.

===========================  ================================================================
``labeller_flag``            the dataset's own ``Person identifiable info?`` flag (comments
                             table column ``person_identifiable``): marked -> fails; not
                             recorded (missing, e.g. a layout without the flag) -> fails
``email``                    an e-mail address (``name@host.tld``)
``phone``                    a UK phone number: ``+44`` or ``0`` then 9-10 more digits, with
                             spaces, dots, dashes or brackets between (``01632 960 001``,
                             ``+44 (0)20 7946 0000``, ``07700-900123``), or any run of 7 or
                             more digits (service names such as 111 and 999 pass)
``postcode``                 a UK postcode, full or outward part followed by a space and the
                             inward part (``SW1A 1AA``, ``ne1 4lp``)
``date``                     a date: numeric (``12/03/2021``, ``3-4-22``), day and month name
                             (``3rd of March``, ``March 3``), or a year (``1900``-``2099``)
``title_name``               a title followed by a capitalised word (``Dr Patel``, ``Nurse
                             Jo``, ``Mrs. Smith``) or a naming phrase (``called Sam``,
                             ``my name is Ann``)
``capitalised_word``         a capitalised word inside a sentence that is not in
                             :data:`COMMON_CAPITALISED` (a possible name or place: ``the
                             paramedic Steve``, ``at Kettering``); all-capital abbreviations
                             (``NHS``, ``A&E``, ``GP``) pass
===========================  ================================================================

Example
-------
>>> check("The crew were kind and quick.", flag=False).ok
True
>>> check("Dr Patel rang me on 07700 900123", flag=False).reasons
['phone', 'title_name', 'capitalised_word']
>>> check("Lovely staff.", flag=None).reasons
['labeller_flag']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
           r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_TITLES = (r"(?:mr|mrs|ms|miss|mx|dr|doctor|prof|professor|nurse|sister|matron|sir|dame|"
           r"lord|lady|rev|father|captain)")

#: check name -> compiled pattern (the labeller flag and capitalised words are checked apart)
PATTERNS: dict[str, re.Pattern] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "phone": re.compile(r"(?:(?:\+|\b00)\s?44\s?(?:\(0\)\s?)?|\b0)\d(?:[\s.\-()]*\d){8,9}\b"
                        r"|\b\d(?:[\s.\-]?\d){6,}\b"),
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    "date": re.compile(
        r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\b"
        rf"|\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
        r"|\b(?:19|20)\d{2}\b", re.IGNORECASE),
    "title_name": re.compile(rf"\b(?i:{_TITLES})\.?\s+[A-Z][a-z'\-]+"
                             r"|\b(?:[Cc]alled|[Nn]amed|[Nn]ame (?:is|was))\s+[A-Z][a-z'\-]+"),
}
#: capitalised words allowed inside a sentence (not names or places)
COMMON_CAPITALISED = frozenset({
    "I", "I'm", "I've", "I'd", "I'll", "Ok", "Okay", "Covid", "Christmas", "English",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Mum", "Dad", "Thank", "Thanks", "Please", "Very", "Good", "Great",
})
CHECKS = ("labeller_flag", "email", "phone", "postcode", "date", "title_name",
          "capitalised_word")

_WORD = re.compile(r"[A-Za-z][A-Za-z'&\-]*")
_SENTENCE_END = re.compile(r"[.!?:;\n\"()]\s*$")


@dataclass(frozen=True)
class QuotationCheck:
    """The result of :func:`check`: ``ok`` when every check passed, else the ``reasons``
    (names from :data:`CHECKS`, in that order).
    """

    ok: bool
    reasons: list[str] = field(default_factory=list)


def _capitalised_inside(text: str) -> bool:
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not word[0].isupper() or word.isupper() or word in COMMON_CAPITALISED:
            continue
        before = text[: m.start()]
        if not before.strip() or _SENTENCE_END.search(before):
            continue  # first word of a sentence
        return True
    return False


def check(text: str | None, flag: bool | None = None) -> QuotationCheck:
    """Run every check (module docstring) on one comment; ``flag`` is the labeller's
    person-identifiable flag (``True`` marked, ``False`` not marked, ``None`` not recorded).
    Empty text fails (nothing to quote).

    >>> check("Came at 3pm on the 2nd of May, postcode NN1 5BD", flag=False).reasons
    ['postcode', 'date', 'capitalised_word']
    >>> check("Contact me at a.b@example.org", flag=True).reasons
    ['labeller_flag', 'email']
    """
    reasons = []
    if flag is None or pd.isna(flag) or bool(flag):
        reasons.append("labeller_flag")
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return QuotationCheck(False, reasons + ["empty"])
    text = str(text)
    for name, rx in PATTERNS.items():
        if rx.search(text):
            reasons.append(name)
    if _capitalised_inside(text):
        reasons.append("capitalised_word")
    return QuotationCheck(not reasons, reasons)


def shown(comments: pd.DataFrame, *, text: str = "text",
          flag: str = "person_identifiable") -> pd.DataFrame:
    """The comments that pass :func:`check` (all checks), with nothing else changed.

    >>> c = pd.DataFrame({"text": ["Kind and quick.", "Ask for Dr Jones"],
    ...                   "person_identifiable": [False, False]})
    >>> shown(c)["text"].tolist()
    ['Kind and quick.']
    """
    flags = comments[flag] if flag in comments.columns else pd.Series(None, index=comments.index)
    ok = [check(t, f).ok for t, f in zip(comments[text], flags)]
    return comments[pd.Series(ok, index=comments.index, dtype=bool)]


def summary(comments: pd.DataFrame, *, text: str = "text",
            flag: str = "person_identifiable") -> pd.DataFrame:
    """How many comments each check stops (a comment may fail several) and how many pass.

    >>> c = pd.DataFrame({"text": ["Kind.", "Ring 01632 960001"], "person_identifiable": [False, None]})
    >>> summary(c).set_index("check")["comments"].to_dict()["phone"]
    1
    """
    flags = comments[flag] if flag in comments.columns else pd.Series(None, index=comments.index)
    results = [check(t, f) for t, f in zip(comments[text], flags)]
    rows = [{"check": c, "comments": sum(c in r.reasons for r in results)} for c in CHECKS]
    rows.append({"check": "passes every check", "comments": sum(r.ok for r in results)})
    return pd.DataFrame(rows)
