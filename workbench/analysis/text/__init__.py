"""What patients write: the themes of free-text comments, and the check before a quotation.

:mod:`~workbench.analysis.text.themes` compares dissatisfied and satisfied respondents of
the Friends and Family Test by the themes their comments mention (shares, differences and
an ordinal model of the score); :mod:`~workbench.analysis.text.quotations` holds the
checks a comment must pass before it is shown as a quotation.
"""
