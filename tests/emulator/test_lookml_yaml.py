"""The YAML subset dashboard LookML is written in: what `dump` writes `load` reads back,
Looker's own shapes included, and anything else is refused with its line."""

import json

import pytest

from restoration.emulator.lookml_yaml import YamlError, dump, load
from tests.emulator.spec import SPEC_PATH


def _sample(name: str):
    """A real Looker object from ../shared/looker-api/samples/ (beside the spec)."""
    path = SPEC_PATH.parent / "samples" / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return json.loads(path.read_text())


def test_real_looker_objects_survive_a_round_trip():
    dashboard = _sample("gzr-dashboard-export.json")
    assert load(dump([dashboard])) == [dashboard]
    for key, value in _sample("sdk-codegen-test-data.json").items():
        value = value if isinstance(value, list | dict) else [value]
        assert load(dump(value)) == value, key


def test_texts_that_look_like_other_things_stay_texts():
    tricky = {
        "colon": "a: b",
        "hash": "#ffffff",
        "comment": "a #b",
        "apostrophe": "it's",
        "lines": "one\ntwo",
        "numbers": ["2026", "1.5", "1e5", "0x1", 1.5, -3],
        "words": ["true", "null", "~", "", None, True],
        "flow": ["a,b", "[x]"],
        "dash": "-Unknown",
        "wildcard": "%ship",
        "trailing": "space ",
        "nested": {"empty": {}, "list": [], "deep": {"k": [{"a": 1}, [1, 2]]}},
        "unicode": "Zürich ñ",
    }
    assert load(dump(tricky)) == tricky


def test_block_texts_and_flow_maps_as_people_write_them():
    text = (
        "---\n- dashboard: launch  # a comment\n  title: 'It''s live'\n  elements:\n"
        "  - name: ''\n    type: text\n    body_text: |-\n      # Heading\n\n      Body\n"
        '    row: 0\n  - name: tile\n    listen: {Date: users.created_date, Brand: "a,b"}\n'
        "    note_text: >\n      folded\n      text\n"
    )
    [doc] = load(text)
    assert doc["title"] == "It's live"
    assert doc["elements"][0] == {
        "name": "",
        "type": "text",
        "body_text": "# Heading\n\nBody",
        "row": 0,
    }
    assert doc["elements"][1]["listen"] == {"Date": "users.created_date", "Brand": "a,b"}
    assert doc["elements"][1]["note_text"] == "folded text\n"


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\n  b: 2\n", 2),
        ("a: [1, 2\n", 1),
        ('a: "open\n', 1),
        ("a: 1\na: 2\n", 2),
        ("a: *anchor\n", 1),
        ("- a\nb: 1\n", 2),
    ],
)
def test_anything_else_is_refused_with_its_line(text, line):
    with pytest.raises(YamlError) as exc:
        load(text)
    assert exc.value.line == line
    assert str(exc.value).startswith(f"line {line}: ")
