"""Checks shared by the tests of the official-file readers."""

from pathlib import Path

from workbench.errors import SourceFormatError


def assert_names(err: SourceFormatError, path: Path, *, column: str | None = None,
                 sheet: str | None = None) -> None:
    """The error names the file, what was expected, and the column or sheet when given."""
    msg = str(err)
    assert path.name in msg and "Expected" in msg
    if column:
        assert err.column == column and column in msg
    if sheet:
        assert err.sheet == sheet and sheet in msg
