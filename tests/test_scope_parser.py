"""The business-scope parser: normalisation, boilerplate, sections, items, verbs, brackets."""

from __future__ import annotations

import pytest

from classifiers.scope_parser import clean_scope, parse_scope
from classifiers.text import normalize_text, split_top_level


def objects(text):
    return [(i.object, i.activities) for i in parse_scope(text).items]


def test_normalises_width_brackets_and_case():
    assert normalize_text("ＡＢＣ（１２３）；【测试】") == "abc(123);(测试)"
    assert normalize_text("  食品 生产 ") == "食品生产"
    assert normalize_text(None) == ""
    assert normalize_text(float("nan")) == ""


@pytest.mark.parametrize(
    "boilerplate",
    [
        "（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "（依法须经批准的项目,经相关部门批准后方可开展经营活动,具体经营项目以相关部门批准文件或许可证件为准）",
        "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        "具体经营项目以审批结果为准",
        "（市场主体依法自主选择经营项目，开展经营活动；依法须经批准的项目，经相关部门批准后依批准的内容开展经营活动；"
        "不得从事国家和本市产业政策禁止和限制类项目的经营活动。）",
    ],
)
def test_boilerplate_is_removed(boilerplate):
    parsed = parse_scope("塑料制品制造；" + boilerplate)
    assert [i.object for i in parsed.items] == ["塑料制品"]
    assert "批准" not in clean_scope("塑料制品制造；" + boilerplate)


def test_sections_are_split_and_labelled():
    parsed = parse_scope("许可项目：食品生产；药品批发。一般项目：货物进出口；技术服务、技术开发。")
    sections = [(i.object, i.section) for i in parsed.items]
    assert sections[0] == ("食品", "licensed")
    assert sections[1] == ("药品", "licensed")
    assert all(sec == "general" for _, sec in sections[2:])


def test_order_is_kept():
    parsed = parse_scope("汽车零部件制造；五金产品批发；物业管理")
    assert [i.position for i in parsed.items] == [0, 1, 2]
    assert parsed.items[0].object == "汽车零部件"


def test_trailing_verbs_are_shared_by_the_objects_before_them():
    assert objects("低压断路器、变压器等电器元器件的研发、生产和销售") == [
        ("低压断路器", ("rnd", "make", "sell")),
        ("变压器等电器元器件", ("rnd", "make", "sell")),
    ]


def test_leading_verbs_and_colon_govern_the_following_objects():
    assert objects("生产、销售：氢化酸酐、封装材料") == [("氢化酸酐", ("make", "sell")), ("封装材料", ("make", "sell"))]
    assert objects("销售计算机、通讯设备") == [("计算机", ("sell",)), ("通讯设备", ("sell",))]


def test_verbs_joined_by_he_ji_yu_are_split_but_objects_are_not():
    items = parse_scope("软件及辅助设备的生产及销售").items
    assert [i.object for i in items] == ["软件及辅助设备"]
    assert items[0].verbs == ("生产", "销售")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("塑料制品制造", "make"),
        ("铁矿石开采", "mine"),
        ("钢铁冶炼", "make"),
        ("火力发电", "supply"),
        ("生猪养殖", "farm"),
        ("蔬菜种植", "farm"),
        ("五金产品零售", "sell"),
        ("钢材批发", "sell"),
        ("货物进出口", "sell"),
        ("新材料技术研发", "rnd"),
        ("信息技术咨询服务", "service"),
        ("空调安装", "repair"),
        ("汽车修理", "repair"),
        ("机械设备租赁", "lease"),
        ("道路货物运输", "transport"),
        ("普通货物仓储", "transport"),
        ("建筑工程施工", "construct"),
    ],
)
def test_activity_kind_from_the_verb(text, kind):
    items = parse_scope(text).items
    assert items and kind in items[0].activities, (text, items)


def test_a_make_and_sell_item_is_a_manufacturing_item():
    [item] = parse_scope("焊割设备的技术咨询、技术开发、生产、加工及销售").items
    assert item.object == "焊割设备"
    assert "make" in item.activities and "sell" in item.activities


@pytest.mark.parametrize(
    "text, obj",
    [
        ("电子类产品的生产、销售", "电子产品"),
        ("安防类设备制造", "安防设备"),
        ("通讯类器材销售", "通讯器材"),
        ("仪表系列元件制造", "仪表元件"),
        ("人类产品销售", "人类产品"),
    ],
)
def test_a_category_word_before_the_product_is_dropped(text, obj):
    [item] = parse_scope(text).items
    assert item.object == obj


@pytest.mark.parametrize(
    "text, objects",
    [
        ("生产Ⅱ类、Ⅲ类医疗器械", ["ii类医疗器械", "iii类医疗器械"]),
        ("第一类、第二类医疗器械的销售", ["第一类医疗器械", "第二类医疗器械"]),
        ("第一产业投资", ["第一产业"]),
    ],
)
def test_coordinated_ordinal_classes_share_the_head_noun(text, objects):
    assert [i.object for i in parse_scope(text).items] == objects


@pytest.mark.parametrize(
    "text, obj, kind",
    [
        ("普通货运", "普通货运", "transport"),
        ("国内货物运输代理", "国内货物运输代理", "transport"),
        ("专业设计服务", "专业设计服务", "service"),
        ("汽车零部件制造", "汽车零部件", "make"),
    ],
)
def test_an_object_that_is_only_a_modifier_keeps_the_whole_item(text, obj, kind):
    """Peeling the verb off "普通货运" leaves 普通, which says nothing: the item keeps its whole text."""
    [item] = parse_scope(text).items
    assert item.object == obj and kind in item.activities


def test_nested_brackets_do_not_split_items():
    text = "化工产品（不含危险化学品（含易制毒化学品）、监控化学品）销售，电子元件（电阻、电容）制造"
    parsed = parse_scope(text)
    assert [i.object for i in parsed.items] == ["化工产品", "电子元件(电阻、电容)"]
    assert split_top_level("a(b,c(d,e)),f", ",") == ["a(b,c(d,e))", "f"]


def test_legal_qualifiers_in_brackets_are_dropped_but_content_kept():
    parsed = parse_scope("医护人员防护用品生产（Ⅰ类医疗器械）；化工产品销售（不含许可类化工产品）")
    assert parsed.items[0].object == "医护人员防护用品(i类医疗器械)"
    assert parsed.items[1].object == "化工产品"


def test_generic_items_are_flagged():
    parsed = parse_scope(
        "汽车零部件制造；货物进出口；技术服务、技术开发、技术咨询；自有房屋租赁；经营本企业自产产品的出口业务"
    )
    flags = [(i.text, i.generic) for i in parsed.items]
    assert flags[0] == ("汽车零部件制造", False)
    assert all(generic for _, generic in flags[1:])


@pytest.mark.parametrize("text", ["", "   ", None, float("nan"), "；；；", "（）", "123456", "asdfgh", "!!!"])
def test_empty_and_garbage_give_no_items_and_a_reason(text):
    parsed = parse_scope(text)
    assert parsed.items == []
    assert parsed.reason
