"""The code registry (core/codes.py) is the one list of diagnostic codes: the README's table is
made from it, silencing follows it, and every code is exercised by some test."""
from __future__ import annotations

import re
from pathlib import Path

from obsgen.core.codes import CODES, REGISTRY, SILENCEABLE, markdown_table

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
START, END = "<!-- codes: made from src/obsgen/core/codes.py -->\n", "<!-- end of codes -->\n"


def test_the_readme_table_of_codes_is_the_registry(update_golden):
    text = README.read_text()
    assert START in text and END in text, "README.md lost the markers around the code table"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    wanted = before + START + markdown_table() + END + after
    if update_golden:
        README.write_text(wanted)
        return
    assert text == wanted, "README's code table differs from core/codes.py: run pytest tests/test_codes.py --update-golden"


def test_each_entry_is_complete_and_numbers_are_three_digits():
    for code, c in REGISTRY.items():
        assert re.fullmatch(r"OBS\d{3}", code)
        assert c.severity in ("error", "warning", "note", "either") and c.title and c.phase
    assert CODES == {code: c.title for code, c in REGISTRY.items()}


def test_only_lint_objectives_and_slo_findings_can_be_silenced():
    assert SILENCEABLE == {code for code, c in REGISTRY.items() if c.phase in ("lint", "objectives")} | {"OBS035"}


def test_every_code_is_raised_by_the_code_and_asserted_by_a_test():
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "obsgen").rglob("*.py") if p.name != "codes.py")
    tests = "\n".join(p.read_text(errors="replace") for p in (ROOT / "tests").rglob("*")
                      if p.is_file() and p.suffix in (".py", ".yaml"))
    raised = set(re.findall(r"OBS\d{3}", source))
    assert set(REGISTRY) - raised == set(), "codes in the registry that nothing reports"
    assert raised - set(REGISTRY) == set(), "codes reported that the registry does not know"
    assert set(REGISTRY) - set(re.findall(r"OBS\d{3}", tests)) == set(), "codes no test mentions"
