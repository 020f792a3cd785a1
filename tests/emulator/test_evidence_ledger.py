"""restoration/emulator/EVIDENCE.md and the rule tests stay in step: every test a row names
exists, every test_rule_* has its row, and every row says evidenced, assumption or
emulator rule."""

import re
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "restoration" / "emulator" / "EVIDENCE.md"
TESTS = Path(__file__).resolve().parent


def _rows() -> list[list[str]]:
    lines = LEDGER.read_text().splitlines()
    cells = [
        [c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| ")
    ]
    return [c for c in cells if c[0] != "Rule" and not set(c[0]) <= {"-"}]


def _test_sources() -> dict[str, str]:
    """Emulator tests by file name; engine tests a row names as `engine/test_x.py`."""
    sources = {p.name: p.read_text() for p in TESTS.glob("test_*.py")}
    engine = TESTS.parent / "engine"
    sources.update({f"engine/{p.name}": p.read_text() for p in engine.glob("test_*.py")})
    return sources


def test_every_test_a_row_names_exists():
    sources = _test_sources()
    missing = []
    for row in _rows():
        for file, name in re.findall(r"`(?:([\w/]+\.py)::)?(test_\w+)`", row[3]):
            if f"def {name}(" not in sources.get(file or "test_rules.py", ""):
                missing.append(f"{file or 'test_rules.py'}::{name}")
    assert missing == []


def test_every_rule_test_has_its_row():
    named = set(re.findall(r"(test_rule_\w+)", LEDGER.read_text()))
    defined = set(re.findall(r"def (test_rule_\w+)\(", "".join(_test_sources().values())))
    assert defined - named == set()


def test_every_row_has_evidence_status_and_test():
    rows = _rows()
    assert len(rows) > 70
    for rule, evidence, status, test in rows:
        assert evidence and test, rule
        assert status.startswith(("evidenced", "assumption", "emulator rule")), rule
