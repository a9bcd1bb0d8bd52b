"""The identifiability check of quotations (workbench.analysis.text.quotations), on crafted text."""

import pandas as pd
import pytest

from workbench.analysis.text import quotations as q

CLEAN = ["The crew were kind and arrived quickly.",
         "I rang 111 and the call handler was calm. Staff were lovely!",
         "Waited four hours in A&E but the NHS staff did their best.",
         "Very good. Thank you all."]


@pytest.mark.parametrize("text", CLEAN)
def test_plain_comments_pass(text):
    assert q.check(text, flag=False).ok


@pytest.mark.parametrize("text, reason", [
    ("Call me on 01632 960001 please", "phone"),
    ("my mobile is 07700-900123", "phone"),
    ("ring +44 (0)20 7946 0000 any time", "phone"),
    ("reference 12345678 was lost", "phone"),
    ("write to jo.bloggs@example.co.uk", "email"),
    ("we live near ne1 4lp so it was quick", "postcode"),
    ("home is at SW1A 1AA", "postcode"),
    ("seen on 12/03/2021 at night", "date"),
    ("it was the 3rd of march when they came", "date"),
    ("since march 14th nobody came", "date"),
    ("back in 2019 it was better", "date"),
    ("dr patel was fine but Dr Patel's nurse was better", "title_name"),
    ("the nurse called Sam was lovely", "title_name"),
    ("thanks to mrs. Jones", "title_name"),
    ("the paramedic Steve was brilliant", "capitalised_word"),
    ("they took me to Kettering instead", "capitalised_word"),
])
def test_identifying_details_fail(text, reason):
    result = q.check(text, flag=False)
    assert not result.ok and reason in result.reasons


def test_labeller_flag_marked_or_missing_fails():
    assert q.check("Kind staff.", flag=True).reasons == ["labeller_flag"]
    assert q.check("Kind staff.", flag=None).reasons == ["labeller_flag"]
    assert q.check("Kind staff.", flag=float("nan")).reasons == ["labeller_flag"]
    assert not q.check("", flag=False).ok


def test_shown_keeps_only_passing_comments_and_summary_counts():
    c = pd.DataFrame({"text": [CLEAN[0], "Ask for Dr Jones", CLEAN[1], CLEAN[2]],
                      "person_identifiable": [False, False, True, None]})
    assert q.shown(c)["text"].tolist() == [CLEAN[0]]
    s = q.summary(c).set_index("check")["comments"]
    assert s["labeller_flag"] == 2 and s["title_name"] == 1 and s["passes every check"] == 1
    # without the flag column nothing passes
    assert q.shown(c.drop(columns="person_identifiable")).empty
