"""docs/python.md is executed: every `>>>` example must print what the page
shows."""

import doctest

from conftest import ROOT


def test_the_tutorial_prints_what_it_shows():
    failed, attempted = doctest.testfile(
        str(ROOT / "docs" / "python.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS,
        report=True,
    )
    assert attempted >= 30, f"only {attempted} examples found in docs/python.md"
    assert failed == 0, f"{failed} of {attempted} examples of docs/python.md failed (printed above)"
