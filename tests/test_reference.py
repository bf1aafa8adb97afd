"""The project's own GB/T 4754-2017 copy and its API."""

from __future__ import annotations

from collections import Counter

import pytest

from reference import UnknownCodeError, normalize_code, standard


def test_node_counts_by_level():
    counts = Counter(node.level for node in standard().nodes.values())
    assert counts == {"section": 20, "division": 97, "group": 473, "class": 1382}


def test_industrial_counts():
    s = standard()
    assert len(s.by_level("division", industrial_only=True)) == 41
    assert len(s.by_level("group", industrial_only=True)) == 207
    assert len(s.classes(industrial_only=True)) == 666


def test_every_class_has_its_group_division_and_section():
    s = standard()
    for node in s.classes():
        lineage = s.lineage(node.code)
        assert [n.level for n in lineage] == ["section", "division", "group", "class"]
        assert lineage[0].code == node.section
        assert lineage[1].code == node.division == node.code[:2]
        assert lineage[2].code == node.group == node.code[:3]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1311", "1311"),
        ("C1311", "1311"),
        ("c13", "13"),
        ("13", "13"),
        ("C", "C"),
        ("１３１１", "1311"),
        (" C 13 11 ", "1311"),
        ("Ｃ１３", "13"),
        ("", None),
        ("13a", None),
        ("12345", None),
        ("131.0", None),
    ],
)
def test_normalize_code(text, expected):
    assert normalize_code(text) == expected


def test_lookup_and_path():
    s = standard()
    assert s.path_text("C1311") == "C 制造业 > 13 农副食品加工业 > 131 谷物磨制 > 1311 稻谷加工"
    assert s.get("13").level == "division"
    assert [c.code for c in s.children("131")] == ["1311", "1312", "1313", "1314", "1319"]
    assert s.parent("1311").code == "131"
    assert s.ancestor("1311", "division").code == "13"
    assert s.ancestor("13", "class") is None
    assert len(s.descendants("B", "class")) == 39
    with pytest.raises(UnknownCodeError):
        s.get("9999")


def test_is_industrial_boundaries():
    s = standard()
    assert not s.is_industrial("0519")  # section A, just below 06
    assert s.is_industrial("0610")
    assert s.is_industrial("4690")
    assert not s.is_industrial("4710")  # section E
    assert not s.is_industrial("not a code")


def test_map_2011_classes_divisions_and_splits():
    s = standard()
    assert s.map_2011("3511") == ["3511"]
    assert s.map_2011("80") == ["81"]  # 2011 O80 is 2017 81
    assert s.map_2011("C39")[0] == "39"
    split = s.map_2011("35")  # 2011 division 35 splits across 2017 divisions
    assert split[0] == "35" and len(split) > 1
    assert s.to_2017("1311", "2017") == ["1311"]
    with pytest.raises(UnknownCodeError):
        s.map_2011("9999")


def test_annotations_are_attached():
    node = standard().get("3511")
    assert "矿山机械" in node.name
    assert "采煤机" in node.includes
    assert "3512" in node.excludes_ref_codes
