#!/usr/bin/env python
"""Generate the synthetic sample district in `sample_data/`.

The district is modelled on an industrial district like 东胜区 (鄂尔多斯,
division code 150602): coal and coal-mining services, cashmere, mining
machinery and its repair, dairy and meat, building materials, a young
new-energy chain, and a majority of trade, construction and service firms.

Why a generator rather than hand-made files: the pipeline and its tests need
inputs that are realistic in volume and mess, *and* whose defects sit at known
places. Every deliberate defect is written to `bad_rows.csv` with its file,
row and column, and the industry class each registry firm was generated from
is written to `truth/registry_true_codes.csv` for evaluation.

Everything is synthetic: firm names, people, USCCs and amounts are drawn from
a seeded random generator; business scopes are composed from GB/T 4754-2017
annotation terms (reference tables) and our own wording.

Usage:
    python scripts/make_sample_data.py [--output DIR]

The output is byte-identical for every run (fixed seed, no set iteration,
fixed timestamps inside the .xlsx).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # allow running without the editable install
    sys.path.insert(0, str(REPO_ROOT))

from openpyxl import Workbook  # noqa: E402
from openpyxl.worksheet.worksheet import Worksheet  # noqa: E402
from openpyxl.writer.excel import ExcelWriter  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from reference import standard  # noqa: E402

SEED = 150602
DEFAULT_OUTPUT = REPO_ROOT / "sample_data"
SNAPSHOT = dt.date(2024, 6, 30)  # registry export date
REVENUE_YEAR = 2023  # 营业收入 is for this year, 上年 for the one before
REGISTRY_FIRMS = 8000  # before duplicate rows are added
INDUSTRIAL_SHARE = 0.40
ABOVE_SCALE_FIRMS = 400  # 3 of them deliberately bad
THRESHOLD_WAN = 2000  # 规上 threshold, 主营业务收入 in 万元

# --------------------------------------------------------------------------
# Reference data of the district
# --------------------------------------------------------------------------

TOWNS = [
    "交通街道",
    "公园街道",
    "林荫街道",
    "建设街道",
    "富兴街道",
    "天骄街道",
    "诃额伦街道",
    "兴胜街道",
    "幸福街道",
    "纺织街道",
    "民族街道",
    "巴音门克街道",
    "泊江海子镇",
    "罕台镇",
    "铜川镇",
]
# Industry sits in the towns (equipment base in 罕台, the auto park in 铜川) and
# the old textile quarter; services spread over the urban sub-districts.
TOWN_WEIGHTS_INDUSTRY = [3, 3, 2, 3, 3, 3, 2, 3, 3, 8, 2, 6, 8, 20, 12]
TOWN_WEIGHTS_SERVICE = [9, 9, 8, 8, 8, 7, 6, 7, 7, 6, 6, 6, 2, 3, 3]

# 登记管理机关行政区划码: mostly the district itself, some city-level or
# neighbouring registrations of firms operating here.
REGION_CODES = ["150602", "150600", "150603", "150621", "150627"]
REGION_WEIGHTS = [86, 7, 3, 2, 2]

ACTIVE_STATUSES = ["存续", "在业", "开业", "存续（在营、开业、在册）"]
ACTIVE_WEIGHTS = [60, 22, 12, 6]
CLOSED_STATUSES = ["注销", "吊销", "迁出"]
CLOSED_WEIGHTS = [55, 30, 15]
CLOSED_SHARE = 0.03

COMPANY_TYPES = [
    ("有限责任公司（自然人投资或控股）", 45),
    ("有限责任公司（自然人独资）", 28),
    ("有限责任公司（非自然人投资或控股的法人独资）", 6),
    ("其他有限责任公司", 5),
    ("股份有限公司（非上市、自然人投资或控股）", 2),
    ("有限责任公司分公司", 6),
    ("个人独资企业", 8),
]
INDIVIDUAL = "个体工商户"
COOPERATIVE = "农民专业合作社"

DEPARTMENTS_BY_DIVISION = {
    **dict.fromkeys(["06", "07", "11", "25", "44", "45"], "能源局"),
    **dict.fromkeys(
        ["08", "09", "10", "12", "20", "22", "23", "26", "28", "29", "30", "31", "32", "41"], "工信和科技局"
    ),
    **dict.fromkeys(["13", "14"], "农牧局"),
    **dict.fromkeys(["15", "16", "24"], "商务局"),
    **dict.fromkeys(["17", "18", "19", "21"], "轻纺产业园管理办公室"),
    **dict.fromkeys(["33", "34", "35", "37", "43"], "装备制造产业园管理办公室"),
    **dict.fromkeys(["27", "38", "39", "40"], "高新技术产业园管理办公室"),
    "36": "铜川汽车博览园管理办公室",
    **dict.fromkeys(["42", "46"], "发改委"),
}

LICENSE_NOTE = "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
GENERAL_NOTE = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
OLD_NOTE = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

# Items most scopes carry whatever the business ("*" = needs a licence).
GENERIC_ITEMS = [
    ("技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", 4),
    ("货物进出口", 3),
    ("信息咨询服务（不含许可类信息咨询服务）", 2),
    ("普通机械设备安装服务", 2),
    ("机械设备销售", 1.5),
    ("机械设备租赁", 1.5),
    ("五金产品零售", 1.5),
    ("建筑材料销售", 1.5),
    ("日用百货销售", 1.5),
    ("劳务服务（不含劳务派遣）", 1.5),
    ("技术进出口", 1),
    ("五金产品批发", 1),
    ("装卸搬运", 1),
    ("国内贸易代理", 1),
    ("办公用品销售", 1),
    ("非居住房地产租赁", 1),
    ("企业管理咨询", 1),
    ("电子产品销售", 1),
    ("金属材料销售", 1),
    ("劳动保护用品销售", 1),
    ("会议及展览服务", 0.7),
    ("化工产品销售（不含许可类化工产品）", 0.7),
    ("土石方工程施工", 0.7),
    ("计算机软硬件及辅助设备零售", 0.7),
    ("环境保护专用设备销售", 0.5),
    ("园林绿化工程施工", 0.5),
    ("广告设计、代理", 0.5),
    ("通讯设备销售", 0.5),
    ("*道路货物运输（不含危险货物）", 0.6),
    ("*建设工程施工", 0.4),
    ("礼仪服务", 0.3),
]

# Profiles: one line per 2017 class the generator assigns to firms.
# code | weight | share of 个体工商户 | name words | main scope items | related items | shop words
# Lists use "/"; a leading "*" marks a licensed item (许可项目). Wording is ours.
INDUSTRIAL_PROFILES = """
0610|5|0|煤业/煤炭/能源/洗煤|*煤炭开采/煤炭洗选/原煤洗选加工/选煤/洗精煤生产|煤炭及制品销售/矿山机械销售/装卸搬运/选矿|
0620|1|0|煤炭/洗选煤|褐煤洗选/褐煤筛分加工/*煤炭开采|煤炭及制品销售|
1110|8|0|矿业工程/矿山工程/煤矿服务/采掘工程|煤矿井下采掘服务/煤矿综采设备安装回撤/煤矿巷道掘进服务/露天煤矿剥离服务/煤矿开采辅助服务/矿井探放水服务|土石方工程施工/矿山机械销售/机械设备租赁/劳务服务（不含劳务派遣）|
1120|1|0|油气技术/钻采服务/能源技术|天然气井下作业服务/油气井压裂服务/钻井技术服务/试油试气服务|石油钻采专用设备销售|
1190|0.5|0|矿业服务|非金属矿山开采辅助服务/矿山爆破辅助服务/矿山地质钻探辅助服务|矿山机械销售|
1019|1|0.05|砂石/石料/建材|*砂石开采/砂石料加工/机制砂生产/建筑用砂石生产|建筑材料销售/土石方工程施工|砂石料场
1314|1|0.3|杂粮/粮油/农产品|杂粮加工/荞麦加工/小米加工/燕麦加工|粮油销售/农副产品销售|杂粮加工坊
1329|1|0|饲料|*饲料生产/配合饲料生产/牛羊饲料加工/饲草料加工|饲料原料销售/草种植|
1351|2.5|0.05|肉业/肉食品/清真食品|*牲畜屠宰/牛羊屠宰/羊肉分割加工/冷鲜肉加工|*食品销售/食用农产品批发/低温仓储（不含危险化学品等需许可审批的项目）|
1353|3|0.3|食品/肉制品/风干肉|*食品生产/风干牛肉加工/羊肉制品加工/熟肉制品加工/牛肉干生产|*食品销售/食用农产品零售/互联网销售（除销售需要许可的商品）|肉食加工店/牛肉干坊/食品加工坊
1411|3|0.5|食品/烘焙/糕点|*食品生产/糕点制作/面包生产/月饼加工/蒙式果子加工|*食品销售/*餐饮服务|糕点坊/烘焙坊/面包房
1431|2|0.4|面业/食品/粮油|*食品生产/挂面生产/莜面制品加工/馒头加工/米面制品生产|粮油销售|面食坊/馒头店
1441|1.5|0|乳业/乳品|*乳制品生产/液体乳生产/酸奶生产/巴氏杀菌乳加工/发酵乳生产|*食品销售|
1442|0.5|0|乳业/驼乳|*乳制品生产/乳粉生产/驼乳粉加工|*食品销售|
1449|3|0.4|奶食品/乳品/奶制品|*乳制品生产/奶皮子加工/奶豆腐加工/奶酪生产/民族奶食品加工/黄油加工|*食品销售/农副产品销售|奶食品店/奶食坊
1451|1|0|食品/罐头|*食品生产/牛羊肉罐头生产/肉类罐头加工|*食品销售|
1512|1|0.1|酒业/酒坊|*酒制品生产/白酒酿造/散装白酒生产/纯粮酒酿造|*酒类经营|酒坊
1522|1|0.2|水业/饮用水|*饮料生产/瓶装饮用水生产/桶装纯净水生产/矿泉水生产|*食品销售|纯净水厂
1523|2|0.1|沙棘/饮品/果业|*饮料生产/沙棘汁饮料生产/沙棘原浆加工/果蔬汁饮料生产/沙棘果汁加工|食用农产品初加工/*食品销售|
1524|0.5|0|饮品/乳业|*饮料生产/含乳饮料生产/驼奶饮品生产/植物蛋白饮料生产|*食品销售|
1529|0.5|0|饮品|*饮料生产/奶茶饮料生产/植物饮料生产/风味饮料生产|*食品销售|
1721|5|0.1|羊绒/绒毛/毛纺|羊绒分梳/无毛绒加工/羊绒纱线生产/毛纱线加工/绒毛加工/羊毛条加工|针纺织品及原料销售/货物进出口|绒毛加工厂
1722|2|0.1|羊绒/毛纺/纺织|羊绒面料织造/精纺呢绒生产/毛织物织造/粗纺呢绒生产|针纺织品销售/货物进出口|
1723|1|0|羊绒/染整|羊绒染色/毛纱染整/绒线染色加工/毛织物印染加工|针纺织品销售|
1771|0.15|0.3|家纺/布艺|驼绒被加工/羊毛被生产/床上用品制造/羊毛褥子加工|家居用品销售|被褥加工店
1819|2|0.4|服装/服饰/制衣|服装制造/工装加工/职业装定制/蒙古袍缝制/民族服饰加工|服装服饰零售/针纺织品销售|裁缝店/服装加工店/蒙古袍店
1829|4|0.3|羊绒/羊绒制品/针织服饰|羊绒衫加工/羊绒制品加工/毛衫编织/羊毛衫生产/针织服装制造|服装服饰批发/货物进出口/针纺织品销售|羊绒加工店/毛衫加工店
1830|1.5|0.3|服饰/羊绒|羊绒围巾生产/羊绒帽子加工/针织手套生产/羊绒披肩加工/袜子加工|服装服饰零售|围巾加工店
1931|0.5|0.2|皮毛/皮草|毛皮鞣制加工/羊皮鞣制/皮毛硝染加工|皮革制品销售|皮毛加工店
2032|0.15|0.3|门窗/木业|木门制造/木窗加工/实木门生产|建筑装饰材料销售|木门加工店
2110|1|0.3|家具/木业|木质家具制造/实木家具加工/橱柜制作/办公家具生产|家具销售|家具加工厂
2319|1|0.3|印务/彩印/包装|*包装装潢印刷品印刷/包装装潢印刷/不干胶标签印刷/纸箱印刷|纸制品销售/包装材料及制品销售|印刷部/图文印刷店
2421|0.4|0.4|乐器/马头琴|马头琴制作/民族乐器制造/四胡制作|乐器零售|马头琴制作坊
2431|0.7|0.4|工艺品/雕塑/艺术|雕塑工艺品制作/石雕加工/根雕制作/城市雕塑制作|工艺美术品及收藏品零售（象牙及其制品除外）|雕刻工作室
2432|0.7|0.4|银器/工艺品/金属工艺|银器加工/蒙古族银饰制作/铜艺工艺品制作/金属工艺品制造|工艺美术品及礼仪用品销售（象牙及其制品除外）|银器店/银饰工作室
2436|0.5|0.5|刺绣/民族工艺|蒙古族刺绣制作/刺绣工艺品加工/手工刺绣|工艺美术品及收藏品零售（象牙及其制品除外）|刺绣工作室
2437|0.5|0.3|地毯/毛毯|手工地毯编织/羊毛地毯生产/挂毯制作|家居用品销售|地毯加工坊
2438|0.3|0.5|首饰/珠宝|银首饰加工/珠宝首饰加工/玉石首饰制作|珠宝首饰零售|首饰加工店
2439|1|0.4|工艺品/文创/礼品|毡艺工艺品制作/皮雕工艺品制作/旅游纪念品制作/民族工艺品加工/剪纸工艺品制作|礼品花卉销售/工艺美术品及礼仪用品销售（象牙及其制品除外）|文创工作室/工艺品店
2625|1|0|生物肥/有机肥/生物科技|*肥料生产/有机肥料生产/生物有机肥加工/微生物肥料生产|肥料销售|
2669|0.5|0|化工/新材料|煤矿用高分子材料生产/注浆加固材料生产/矿用充填材料生产/专用化学产品制造（不含危险化学品）|化工产品销售（不含许可类化工产品）|
2730|0.5|0|药业/蒙药|*药品生产/中药饮片加工/蒙药材炮制/甘草饮片加工|地产中草药（不含中药饮片）购销|
2740|0.3|0|药业/蒙药|*药品生产/蒙成药生产/中成药制剂生产|*药品批发|
2912|0.5|0|橡胶/输送带|输送带生产/橡胶管带制造/橡胶板制造|橡胶制品销售|
2922|1|0|塑业/管业|塑料管材生产/PE管材制造/PVC管材加工/塑料板材生产|塑料制品销售|
2929|1|0.1|塑料制品/塑业|塑料制品制造/塑料托盘生产/矿用塑料网加工/塑料配件加工|塑料制品销售|
3011|0.3|0|水泥|水泥生产/水泥粉磨加工|建筑材料销售|
3021|3|0|建材/混凝土/水泥制品|水泥制品制造/商品混凝土生产/水泥管生产/水泥砖生产/路缘石生产/预拌混凝土生产|建筑材料销售|
3022|1|0|构件/预制/建材|砼结构构件制造/预制构件生产/装配式建筑构件生产/混凝土预制件加工|建筑材料销售|
3024|0.8|0|新型建材/建材|轻质建筑材料制造/加气混凝土砌块生产/石膏板生产/轻质隔墙板生产|建筑材料销售|
3031|2|0.1|建材/砖业/砌块|粉煤灰砖生产/页岩砖制造/建筑砌块生产/免烧砖加工|建筑材料销售|砖厂
3032|1|0.1|石材|建筑用石加工/石材加工/花岗岩板材切割|建筑装饰材料销售|石材加工厂
3033|0.5|0|防水材料|防水卷材生产/防水涂料制造/防水建筑材料制造|建筑防水卷材产品销售|
3034|1|0|保温材料/节能建材|隔热和隔音材料制造/岩棉板生产/保温材料生产/挤塑板生产|保温材料销售|
3042|0.5|0.1|玻璃/特种玻璃|钢化玻璃加工/中空玻璃生产/夹层玻璃制造/防火玻璃生产|建筑装饰材料销售|玻璃加工店
3089|1|0|耐火材料|耐火材料生产/耐火砖制造/不定形耐火材料生产/耐火浇注料生产|耐火材料销售|
3091|0.5|0|碳素/石墨|碳素制品生产/石墨电极加工/石墨制品加工|石墨及碳素制品销售|
3311|3|0|钢结构/钢构/金属结构|钢结构制造/钢结构件加工/网架生产/彩钢板房制作|金属结构销售/金属材料销售|
3312|1.5|0.4|门窗/铝业|金属门窗制造/断桥铝门窗加工/铝合金门窗制作/防盗门制作|门窗销售|门窗加工店
3332|0.5|0|压力容器/储罐|*特种设备制造/金属压力容器制造/储气罐生产/LNG储罐制造|*特种设备安装改造修理|
3360|0.5|0.1|热处理/表面处理|金属表面处理及热处理加工/镀锌加工/液压支架立柱镀层加工/喷涂加工|金属材料销售|
3391|0.5|0|铸造|黑色金属铸造/铸钢件生产/铸铁件加工|金属材料销售|
3399|0.5|0.2|金属制品|焊条生产/矿用圆环链生产/金属链条制造|金属制品销售|
3411|0.3|0|锅炉|*特种设备制造/锅炉制造/锅炉辅机生产|*特种设备安装改造修理|
3415|0.3|0|风电设备/新能源装备|风力发电机组零部件制造/风电变流器生产/风电偏航系统制造/风电机组叶片维护装备生产|风力发电机组及零部件销售|
3441|0.5|0|泵业|矿用泵制造/水泵生产/渣浆泵制造/泵及真空设备制造|泵及真空设备销售|
3444|1|0|液压/液压设备|液压油缸制造/液压支架千斤顶生产/液压元件加工/液压泵站制造|液压动力机械及元件销售|
3453|0.3|0|减速机/齿轮|减速机制造/齿轮加工/齿轮箱生产|齿轮及齿轮减、变速箱销售|
3462|0.3|0|风机|矿用通风机制造/风机生产/局部通风机制造|风机、风扇销售|
3482|0.3|0|紧固件|紧固件制造/锚杆螺母生产/高强度螺栓加工|紧固件销售|
3484|2|0.2|机械加工/机械/精工|机械零部件加工/机械配件加工/数控车床加工/非标件加工|机械零件、零部件销售|机加工部
3491|0.4|0|机器人/智能装备|工业机器人制造/焊接机器人生产/搬运机器人制造|工业机器人销售/工业机器人安装、维修|
3492|0.2|0|机器人/智能装备|特殊作业机器人制造/煤矿巡检机器人生产/矿用救援机器人制造|智能机器人销售|
3511|5|0|煤矿机械/矿山机械/矿用设备/矿机|矿山机械制造/煤矿机械设备制造/刮板输送机制造/液压支架制造/掘进机配件制造/采煤机配件生产/掘进机再制造|矿山机械销售/机械设备租赁|
3514|0.5|0|工程机械|建筑工程用机械制造/挖掘机属具制造/破碎锤生产|建筑工程用机械销售|
3551|0.15|0|纺机|纺织专用设备制造/羊绒分梳机制造/梳绒机配件生产|纺织专用设备销售|
3574|0.2|0|农牧机械/畜牧机械|畜牧机械制造/饲草料加工机械制造/剪毛机生产/牧草收割机械制造|农业机械销售|
3591|1|0|环保设备/环保科技|环境保护专用设备制造/除尘设备制造/污水处理设备生产/脱硫脱硝设备制造|环境保护专用设备销售|
3612|0.2|0|新能源汽车/新能源重卡|新能源车整车制造/新能源重卡整车生产/换电重卡组装|新能源汽车整车销售|
3630|1|0|专用车/改装车|改装汽车制造/专用车改装/矿用运输车改装/洒水车改装|汽车销售|
3660|0.5|0|挂车/车厢|挂车制造/自卸车厢制作/半挂车生产|汽车零配件批发|
3670|1.5|0.1|汽车配件/汽配|汽车零部件及配件制造/重卡配件生产/新能源汽车零部件制造/汽车线束生产|汽车零配件批发|
3811|0.3|0|电机/动力设备|发电机组制造/柴油发电机组组装|发电机及发电机组销售|
3812|0.5|0|电机|电动机制造/矿用防爆电机制造/电机配件加工|机械电气设备销售|
3821|0.5|0|变压器/电气|变压器制造/箱式变电站组装/整流器生产|电力设施器材销售|
3823|1.5|0|电气/开关/电力设备|配电开关控制设备制造/高低压开关柜生产/矿用防爆开关制造/配电箱组装/成套电气设备生产|配电开关控制设备销售/电气设备销售|
3825|0.8|0|光伏/新能源|光伏组件生产/太阳能电池片制造/光伏设备及元器件制造/太阳能控制设备生产|光伏设备及元器件销售/太阳能发电技术服务|
3831|1|0|电缆/线缆|电线电缆制造/矿用电缆生产/电力电缆加工|电线、电缆经营|
3841|0.8|0|储能/锂电/电池|锂离子电池制造/储能电池组装/动力电池生产/电池包组装|电池销售/储能技术服务|
3849|0.2|0|储能/电池|钠离子电池制造/全钒液流电池生产/电池制造|电池销售/储能技术服务|
3862|0.15|0.1|太阳能|太阳能热水器制造/太阳能器具生产/太阳能灶生产|太阳能热利用产品销售|
3872|0.5|0.2|照明/灯具|照明灯具制造/矿灯生产/LED灯具组装/路灯制造|照明器具销售|灯具加工店
3914|0.3|0|工控/自动化|工业控制计算机及系统制造/矿用工控机生产|工业控制计算机及系统销售|
3921|0.3|0|通信设备|通信设备制造/矿用通信设备生产/基站设备组装|通信设备销售|
3963|0.3|0|无人机|智能无人飞行器制造/无人机组装/植保无人机生产|智能无人飞行器销售|
3982|0.4|0|电子|电子电路制造/印制电路板组装/电路板焊接加工|电子元器件批发|
3983|0.5|0|传感器/电子科技|敏感元件及传感器制造/矿用传感器生产/瓦斯传感器制造/压力传感器制造|电子元器件批发|
4011|0.5|0|自动化/控制设备|工业自动控制系统装置制造/自动化控制柜制造/煤矿综采自动化控制装置生产|工业自动控制系统装置销售|
4012|0.3|0|仪表|电工仪器仪表制造/电能表生产|电工仪器仪表销售|
4014|0.3|0|分析仪器|实验分析仪器制造/煤质分析仪器生产/化验设备制造|实验分析仪器销售|
4016|0.5|0|仪表/计量|供应用仪器仪表制造/智能水表生产/热量表制造/燃气表生产|供应用仪器仪表销售|
4021|0.3|0|环境监测|环境监测专用仪器仪表制造/粉尘检测仪生产/在线监测设备制造|环境监测专用仪器仪表销售|
4029|0.3|0|安全仪器|矿用安全监测仪器制造/瓦斯检测仪生产/专用仪器制造|仪器仪表销售|
4050|0.2|0|衡器|衡器制造/汽车衡生产/电子秤组装|衡器销售|
4210|1|0.1|再生资源/金属回收|废旧金属加工/金属废料和碎屑加工处理/废钢破碎加工|再生资源回收（除生产性废旧金属）/再生资源销售|
4220|1|0|固废/环保/资源利用|煤矸石综合利用/粉煤灰加工/建筑垃圾资源化利用/废旧轮胎加工/非金属废料和碎屑加工处理|固体废物治理/*城市建筑垃圾处置（清运）|
4310|1|0.2|金属修理|金属制品修理/钢结构维修/储罐维修|金属材料销售|
4320|1|0.2|设备维修/机电|通用设备修理/泵类设备维修/减速机维修/电动葫芦维修|机械零件、零部件销售|
4330|6|0.1|煤机维修/矿山设备维修/设备修理/机电设备|煤矿机械设备维修/采煤机大修/液压支架维修/刮板输送机修理/矿山设备维修/综采设备检修|矿山机械销售/机械零件、零部件销售|机修部
4350|1.5|0.1|电机维修/电气|电气设备修理/电机维修/变压器维修/防爆电器检修|电气设备销售|电机维修部
4360|0.5|0.1|仪表维修|仪器仪表修理/计量器具维修|仪器仪表销售|
4415|0.5|0|新能源/风电|*发电业务、输电业务、供（配）电业务/风力发电/风电场运营|风力发电技术服务|
4416|2|0|光伏/新能源/光电|*发电业务、输电业务、供（配）电业务/光伏发电/分布式光伏发电/太阳能发电|太阳能发电技术服务/合同能源管理|
4420|0.5|0|电力/售电|*供电业务/售电业务/电力供应|*输电、供电、受电电力设施的安装、维修和试验|
4430|1|0|热力/供热|热力生产和供应/集中供热/供暖服务/换热站运营|合同能源管理|
4511|0.5|0|燃气/天然气|*燃气经营/天然气供应/城镇燃气管网运营|燃气器具销售|
4610|0.3|0|水务/供水|*自来水生产与供应/集中供水/供水设施运营|水污染治理|
4620|0.5|0|水处理/水务/环保|污水处理及其再生利用/中水回用/矿井水处理|水环境污染防治服务|
"""

SERVICE_PROFILES = """
0314|2.5|0.5|牧业/养殖|羊的饲养/肉羊养殖/绒山羊养殖/*动物饲养|牲畜销售/草种植|养殖场/家庭牧场
0311|1|0.4|牧业/养殖|肉牛养殖/奶牛养殖/*动物饲养|牲畜销售|养殖场
0141|1|0.4|农业/种植|蔬菜种植/设施农业蔬菜种植/温室大棚种植|农副产品销售|种植园/家庭农场
4710|2|0|建筑/建设/建工|*建设工程施工/房屋建筑工程施工/住宅楼建设|建筑材料销售/劳务服务（不含劳务派遣）|
4813|1|0|市政/路桥|*建设工程施工/市政道路工程施工/城市道路维修|建筑材料销售|
4840|1.5|0|矿山工程/工矿建设|*建设工程施工/工矿工程施工/煤矿地面设施建设/选煤厂土建施工|土石方工程施工|
4875|0.5|0|光伏工程/新能源工程|*建设工程施工/太阳能发电工程施工/光伏电站建设施工|太阳能发电技术服务|
4891|1.5|0|园林/绿化|园林绿化工程施工/城市绿化管理/花卉种植|礼品花卉销售|
4899|1|0|土石方/工程|土石方工程施工/*建设工程施工/场地平整|机械设备租赁|
4910|1|0|电力工程/电气安装|电气安装服务/*输电、供电、受电电力设施的安装、维修和试验|电气设备销售|
4920|1|0|机电安装/设备安装|普通机械设备安装服务/管道安装/工业设备安装|机械设备销售|
5011|1|0|装饰工程|建筑装饰工程施工/公共建筑装修|建筑装饰材料销售|
5012|2|0.3|装饰/装修|*住宅室内装饰装修/家装施工/住宅装饰和装修|建筑装饰材料销售|装饰部/装修工作室
5124|1|0.4|肉食/奶业|食用农产品批发/牛羊肉批发/乳制品批发|*食品销售|肉食批发部
5127|1|0.3|酒业/商贸|*酒类经营/饮料销售/茶叶批发|*食品销售|酒水批发部
5131|1|0.2|羊绒/绒毛|针纺织品及原料销售/羊绒原料购销/绒毛收购|货物进出口|绒毛收购站
5132|1.5|0.3|服饰/羊绒|服装服饰批发/羊绒制品销售|针纺织品销售|羊绒店
5161|4|0.1|煤炭/能源/煤业|煤炭及制品销售/煤炭批发/焦炭销售/煤炭经销|装卸搬运|煤炭经销部
5162|1|0|石油/油品|石油制品销售（不含危险化学品）/润滑油销售|化工产品销售（不含许可类化工产品）|
5165|2|0.2|建材|建筑材料销售/建筑用钢筋产品销售/水泥制品销售|五金产品零售|建材经销部
5172|1|0.1|汽车/汽贸|汽车销售/汽车零配件批发/新能源汽车整车销售|二手车经纪|
5174|1.5|0.2|五金/机电|五金产品批发/机电设备销售|电线、电缆经营|五金批发部
5179|3|0.1|机械设备/矿山设备/机电|机械设备销售/矿山机械销售/煤矿机械配件销售/机械零件、零部件销售|机械设备租赁|机电设备经销部
5191|1|0.3|再生资源|再生资源回收（除生产性废旧金属）/废旧物资回收|再生资源销售|废品收购站
5212|3|0.7|超市/百货|*食品销售/日用百货销售/超市经营|烟草制品零售|超市/便利店/百货店
5226|1|0.9|烟酒|*酒类经营/*烟草制品零售/茶叶零售|*食品销售|烟酒店/烟酒商行
5232|2|0.8|服装|服装服饰零售/鞋帽零售|针纺织品销售|服装店/服饰店
5246|0.5|0.6|工艺品|工艺美术品及收藏品零售（象牙及其制品除外）/民族工艺品销售|礼品花卉销售|工艺品店
5251|1|0.3|药房/医药|*药品零售/第二类医疗器械销售|保健食品（预包装）销售|药店/大药房
5263|1|0.6|汽配|汽车零配件零售/轮胎销售|汽车装饰用品销售|汽配店/轮胎店
5265|0.5|0|石化/能源|*成品油零售/机动车充电销售|润滑油销售|
5273|1|0.6|电脑/数码|计算机软硬件及辅助设备零售/电子产品销售|通讯设备销售|电脑店/数码店
5281|2|0.8|五金|五金产品零售/建筑材料销售/电线、电缆经营|日用百货销售|五金店/五金建材店
5292|1|0.5|电子商务/电商|互联网销售（除销售需要许可的商品）/*食品销售|日用百货销售|网店
5431|4|0.4|物流/运输|*道路货物运输（不含危险货物）/普通货物道路运输/煤炭运输|装卸搬运/国内货物运输代理|货运部/运输队
5435|0.5|0|危险品运输|*道路危险货物运输|装卸搬运|
5821|1|0|物流/供应链|国内货物运输代理/物流信息咨询/货物运输代理|装卸搬运|
5910|0.5|0.3|装卸|装卸搬运|劳务服务（不含劳务派遣）|装卸队
5920|0.5|0|仓储|普通货物仓储服务（不含危险化学品等需许可审批的项目）|装卸搬运|
6121|1.5|0.6|宾馆/酒店|*住宿服务|*餐饮服务/会议及展览服务|宾馆/旅馆/快捷宾馆
6210|4|0.7|餐饮/饭店/酒楼|*餐饮服务/正餐服务/蒙餐服务|*食品销售|饭店/蒙餐馆/手把肉馆/羊肉馆/火锅店
6220|2|0.7|快餐/餐饮|*餐饮服务/快餐服务/团餐配送|*食品销售|快餐店
6291|2|0.9|小吃/面馆|*小餐饮/*餐饮服务/小吃服务|*食品销售|面馆/小吃店/烧烤店/烧麦馆
6513|2|0|软件/信息技术/网络科技|软件开发/应用软件开发/信息技术咨询服务|信息系统集成服务|
6531|1.5|0|信息技术/智能科技|信息系统集成服务/智能控制系统集成/安全技术防范系统设计施工服务|软件开发|
6532|0.5|0|物联网|物联网技术服务/物联网应用服务|软件开发|
7020|1|0|物业|物业管理|家政服务|
7040|1|0.3|置业/房产|住房租赁/非居住房地产租赁|物业管理|
7111|1|0.2|汽车租赁|小微型客车租赁经营服务/汽车租赁|二手车经纪|
7113|2|0.2|机械租赁/工程机械|建筑工程机械与设备租赁/挖掘机租赁/矿山机械设备租赁|机械设备销售|
7212|1|0|投资/资产管理|以自有资金从事投资活动/自有资金投资的资产管理服务|企业管理咨询|
7224|1|0|供应链|供应链管理服务|国内贸易代理|
7243|1|0|咨询|社会经济咨询服务/企业管理咨询|市场调查（不含涉外调查）|
7249|1|0|安全咨询|安全咨询服务/*安全评价业务|企业管理咨询|
7259|1.5|0.3|广告/传媒/文化传媒|广告设计、代理/广告制作/平面设计|图文设计制作|广告部/图文店
7269|0.5|0|人力资源|*劳务派遣服务/人力资源服务（不含职业中介活动、劳务派遣服务）|劳务服务（不含劳务派遣）|
7289|0.5|0|会展|会议及展览服务|礼仪服务|
7452|0.5|0|检测|*检验检测服务/煤质检测/煤炭化验服务|技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广|
7484|0.5|0|设计/规划设计|*建设工程设计/工程设计咨询|工程管理服务|
7320|0.5|0|科技|工程和技术研究和试验发展|技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广|
7515|0.5|0|新能源科技|新兴能源技术研发/太阳能发电技术服务|合同能源管理|
7723|0.5|0|环保|固体废物治理/环境保护监测|环境保护专用设备销售|
8040|2|0.9|美发/美容|*生活美容服务/理发服务|化妆品零售|美发店/理发店/美容院
8051|0.5|0.6|洗浴|洗浴服务/*公共浴室|日用百货销售|洗浴中心
8111|2|0.6|汽修/汽车维修|机动车修理和维护/汽车维修|汽车零配件零售|汽修厂/汽车修理部
8112|1|0.3|重卡维修|大型车辆装备修理与维护/重型卡车维修|汽车零配件零售|重卡修理厂
8391|0.5|0|培训|业务培训（不含教育培训、职业技能培训等需取得许可的培训）|信息咨询服务（不含许可类信息咨询服务）|
8930|0.5|0.3|健身|健身休闲活动|体育用品及器材零售|健身房
"""

# The previous year's 规上 list: concentrated in ~20 divisions.
# code | weight | median 主营业务收入（万元） | name words (when there is no registry profile)
ABOVE_SCALE_CLASSES = """
0610|30|60000|
0620|3|15000|
0690|1|8000|煤炭
1110|10|12000|
1120|3|9000|
1019|2|4000|
1314|1|3500|
1329|2|5000|
1351|4|9000|
1352|2|6000|禽业/食品
1353|3|6000|
1411|1|3000|
1431|1|3000|
1441|3|15000|
1442|1|8000|
1449|2|4500|
1512|1|4000|
1522|2|3500|
1524|1|4000|
1721|8|12000|
1722|3|8000|
1723|2|6000|
1819|3|5000|
1829|6|15000|
2319|1|3000|
2521|3|80000|焦化/煤化工
2522|1|60000|煤化工/能源化工
2523|2|120000|煤制油/能源化工
2614|3|40000|化工/煤化工
2619|1|15000|化工
2621|2|30000|化肥/化工
2625|1|4000|
2651|2|50000|新材料/化工
2662|1|8000|化工/新材料
2669|1|6000|
2922|1|4000|
3011|2|20000|
3021|6|6000|
3022|2|5000|
3031|2|3500|
3034|1|4000|
3091|1|9000|
3140|2|30000|铁合金/冶金
3311|4|8000|
3360|1|3000|
3444|2|5000|
3484|2|4000|
3511|8|10000|
3514|1|5000|
3591|1|4000|
3630|1|8000|
3670|2|6000|
3812|1|5000|
3823|2|7000|
3831|1|9000|
4320|2|3500|
4330|8|5000|
4350|2|3500|
4411|4|90000|电力/发电
4412|3|60000|热电/能源
4413|1|5000|水电/电力
4415|2|20000|
4416|3|15000|
4420|2|40000|
4430|6|12000|
4511|3|15000|
4610|2|8000|
4620|2|5000|
"""

# 规上口径 大类 targets (hand-picked: none of them has a 规上 firm).
ABOVE_SCALE_DIVISION_TARGETS = ["19", "21", "24", "27", "39", "40", "42"]
# Plan chains that must appear as 规上口径 小类 targets.
THEME_CLASS_TARGETS = ["3841", "3825", "3415", "3332", "3042", "3089", "3491", "1451", "1523", "1830"]
# 全口径 小类 targets that nevertheless have a few young registry firms.
FULL_SCOPE_SEEDED = ["3612", "3492", "3849", "3551", "3574", "3862", "2032", "1771"]
# Categories a plan for an inland district would never list.
IMPLAUSIBLE_WORDS = (
    "海洋",
    "海水",
    "深海",
    "船",
    "核",
    "烟草",
    "卷烟",
    "烟叶",
    "水产",
    "鱼",
    "棉",
    "稻",
    "机车",
    "蚕",
    "丝",
    "麻",
    "糖",
    "竹",
    "藤",
    "棕",
    "航天",
    "飞机",
    "航空",
    "铁路",
    "高铁",
    "潜水",
    "救捞",
    "枪",
    "炸药",
    "鞭炮",
    "稀土",
    "放射",
    "锡",
    "锑",
    "钨",
    "盐",
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文包奇云鲍乌"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文斌晓东海波燕鹏辉宇"
    "浩凯俊峰鑫晨欣雪梅兰凤亮飞林宏瑞龙春生荣丹慧慧婷雅琳博旭帅振福德胜利永新"
)
MONGOLIAN_NAMES = (
    "巴特尔",
    "其其格",
    "乌云",
    "斯琴",
    "那仁",
    "苏和",
    "额尔敦",
    "宝音",
    "朝鲁",
    "图雅",
    "萨仁",
    "阿拉坦",
    "巴图",
    "格日勒",
    "乌兰",
    "哈斯",
    "孟和",
    "呼和",
    "达来",
    "敖日格乐",
    "塔娜",
    "其木格",
    "布和",
    "特日格乐",
    "吉日嘎拉",
)
BRAND_CHARS = (
    "恒泰鑫盛宏达华昌隆源博瑞通远金鼎兴旺丰润祥荣嘉德凯骏驰弘锦晟天骄晶辉煌泽浩宇航"
    "众信诚正元亨利安康宁福禄聚汇铭远翔坤乾峰岳川河星辰阳光明亿万千百顺合力拓展赛罕"
    "阿吉泰格恩和硕蓝青绿"
)
BRAND_BLACKLIST = ("伊泰", "伊利", "蒙牛", "东胜", "鄂尔", "万达", "华为", "恒大")

# Projects (附件4 style): name, 建设内容, 拟扩增门类代码 as written ("" = to be classified), stage.
# 责任单位 follows the intended code's division; projects without a code name theirs here.
PROJECTS = [
    (
        "年产5000辆新能源重卡整车制造项目",
        "建设新能源重卡总装、涂装、检测线及配套换电站，形成年产新能源重卡5000辆能力",
        "C3612",
        "开工在建",
    ),
    ("新能源重卡换电设备及电池包配套项目", "建设重卡换电站设备及动力电池包组装生产线，配套本地重卡运输", "", "签约"),
    ("2GWh储能电池生产基地项目", "建设磷酸铁锂储能电芯及电池模组生产线，年产储能电池2GWh", "3841", "开工在建"),
    ("钠离子储能电池中试线项目", "建设钠离子电池中试生产线及检测中心", "3849", "签约"),
    ("高效光伏组件生产线项目", "建设高效单晶光伏组件封装生产线，年产光伏组件1GW", "C3825", "建成投产"),
    ("光伏控制设备及接线盒配套项目", "生产光伏接线盒、太阳能控制设备等光伏配套元器件", "", "签约"),
    ("风电装备制造项目", "建设风电整机控制系统、风电变流器及偏航系统生产线", "3415", "开工在建"),
    ("风电叶片维护装备制造项目", "生产风电机组叶片维护装备及相关零部件", "C3415", "签约"),
    ("煤机装备大修再制造中心项目", "建设液压支架、采煤机、刮板输送机大修及再制造车间", "", "开工在建"),
    ("煤矿智能巡检机器人生产项目", "建设矿用巡检机器人、救援机器人组装调试线", "3492", "签约"),
    ("金属压力容器制造项目", "建设LNG储罐、压力容器生产车间，取得特种设备制造许可", "C3332", "开工在建"),
    ("压力容器及储气罐扩产项目", "扩建储气罐、压力容器焊接及探伤车间", "3332", "纳入规上"),
    ("智能仪器仪表产业园项目", "建设智能水表、热量表、燃气表生产线", "4016", "建成投产"),
    ("煤质分析仪器生产项目", "生产煤质分析仪器、化验设备", "C4014", "签约"),
    ("煤矸石综合利用项目", "利用煤矸石、粉煤灰生产建材原料，年处理固废100万吨", "4220", "开工在建"),
    ("建筑垃圾资源化利用项目", "建设建筑垃圾破碎、分选及再生骨料生产线", "C4220", "纳入规上"),
    ("光伏超白玻璃深加工项目", "生产超白太阳能压延玻璃及光伏背板玻璃", "3042", "签约"),
    ("节能中空玻璃深加工项目", "建设钢化玻璃、中空玻璃、夹层玻璃生产线", "C3042", "建成投产"),
    ("新型耐火材料项目", "生产不定形耐火材料、耐火浇注料", "3089", "开工在建"),
    ("高铝耐火砖生产线项目", "建设高铝质耐火砖及隔热耐火制品生产线", "C3089", "签约"),
    ("工业机器人集成制造项目", "建设焊接机器人、搬运机器人本体组装及系统集成车间", "3491", "签约"),
    ("机器人减速器及关节部件项目", "生产机器人用精密减速器、齿轮箱等关节部件", "", "签约"),
    ("牛羊肉精深加工项目", "建设牛羊肉分割、熟肉制品及肉类罐头生产线", "1451", "开工在建"),
    ("风干牛肉及肉类罐头项目", "生产风干牛肉、牛羊肉罐头", "C1451", "建成投产"),
    ("沙棘饮品生产线项目", "建设沙棘原浆、沙棘果汁饮料灌装生产线", "C1523", "建成投产"),
    ("沙棘果汁饮料扩产项目", "扩建沙棘果汁饮料生产线及冷库", "1523", "纳入规上"),
    ("羊绒围巾及服饰品项目", "建设羊绒围巾、披肩、针织手套生产线", "1830", "开工在建"),
    ("羊绒服饰智能工厂项目", "建设羊绒围巾、帽子智能织造车间", "C1830", "签约"),
    ("民族工艺美术品产业园项目", "集中生产蒙古族银饰、毡艺、皮雕等工艺美术品", "24", "建成投产"),
    ("马头琴及民族乐器制作项目", "建设马头琴、四胡等民族乐器制作车间", "2421", "签约"),
]
# (责任单位, name word of a new builder)
PROJECTS_WITHOUT_CODE = {
    "新能源重卡换电设备及电池包配套项目": ("铜川汽车博览园管理办公室", "新能源科技"),
    "光伏控制设备及接线盒配套项目": ("高新技术产业园管理办公室", "光伏科技"),
    "煤机装备大修再制造中心项目": ("装备制造产业园管理办公室", "煤矿机械"),
    "机器人减速器及关节部件项目": ("装备制造产业园管理办公室", "智能传动"),
}
# Stage -> (earliest signing, latest signing, months to production: min, max)
STAGE_DATES = {
    "签约": (dt.date(2023, 6, 1), dt.date(2024, 10, 31), 9, 24),
    "开工在建": (dt.date(2022, 6, 1), dt.date(2024, 3, 31), 12, 30),
    "建成投产": (dt.date(2022, 3, 1), dt.date(2023, 6, 30), 6, 12),
    "纳入规上": (dt.date(2022, 3, 1), dt.date(2023, 3, 31), 6, 12),
}
PROJECT_INVESTMENTS = [150, 200, 200, 2000, 2000, 50000]  # boundary values, the rest are drawn
BAD_PROJECT_ROWS = {7: "bad_amount", 19: "bad_code"}  # 0-based data rows

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

STD = standard()


def stream(label: str) -> random.Random:
    """A random stream per part, so changing one file does not reshuffle the others."""
    return random.Random(f"{SEED}:{label}")


def weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


@dataclass(frozen=True)
class Profile:
    code: str
    weight: float
    individual_share: float
    name_words: tuple[str, ...]
    main_items: tuple[str, ...]
    related_items: tuple[str, ...]
    shop_words: tuple[str, ...]

    @property
    def industrial(self) -> bool:
        return STD.is_industrial(self.code)


def parse_profiles(text: str) -> list[Profile]:
    """Read a profile table and check every code is a 2017 class."""
    profiles = []
    for line in text.strip().splitlines():
        code, weight, share, names, main, related, shops = line.split("|")
        assert STD.get(code).level == "class", code
        split = lambda s: tuple(x for x in s.split("/") if x)  # noqa: E731
        profiles.append(
            Profile(code, float(weight), float(share), split(names), split(main), split(related), split(shops))
        )
    return profiles


INDUSTRY = parse_profiles(INDUSTRIAL_PROFILES)
SERVICES = parse_profiles(SERVICE_PROFILES)
PROFILE_BY_CODE = {p.code: p for p in INDUSTRY + SERVICES}
assert all(p.industrial for p in INDUSTRY) and not any(p.industrial for p in SERVICES)


def person_name(rng: random.Random) -> str:
    """Synthetic 法定代表人: Han names, some Mongolian names (with or without a surname)."""
    if rng.random() < 0.1:
        name = rng.choice(MONGOLIAN_NAMES)
        return (rng.choice("包奇鲍云韩") + name) if rng.random() < 0.3 else name
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def brand(rng: random.Random) -> str:
    """A two-character 字号 that is not an obvious real brand."""
    while True:
        value = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        if value[0] != value[1] and value not in BRAND_BLACKLIST:
            return value


def format_number(rng: random.Random, value: float) -> str:
    """Amounts as offices type them: integers, one or two decimals."""
    roll = rng.random()
    if roll < 0.2:
        return str(int(round(value)))
    if roll < 0.8:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_date(rng: random.Random, day: dt.date) -> str:
    """Mixed but valid date spellings seen in registry exports."""
    style = weighted(rng, range(4), [50, 20, 15, 15])
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.year}/{day.month}/{day.day}"
    if style == 2:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%Y%m%d")


# --------------------------------------------------------------------------
# USCC
# --------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character 组织机构代码 body."""
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def new_uscc(rng: random.Random, used: set[str], kind_digit: str, region: str, modern: bool) -> str:
    """A valid, unused 统一社会信用代码.

    Firms registered after the 2015 reform get "MA…" organisation codes,
    older ones a numeric code that was carried over.
    """
    while True:
        if modern:
            body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        base = "9" + kind_digit + region + body + org_check_char(body)
        code = base + uscc.calc_check_digit(base)
        if code not in used:
            used.add(code)
            assert uscc.is_valid(code)
            return code


def break_check_digit(rng: random.Random, code: str) -> str:
    return code[:-1] + rng.choice([c for c in USCC_ALPHABET if c != code[-1]])


# --------------------------------------------------------------------------
# Business scope composition
# --------------------------------------------------------------------------

ACTIVITY_ENDINGS = (
    "制造",
    "生产",
    "加工",
    "修理",
    "维修",
    "服务",
    "开采",
    "洗选",
    "销售",
    "安装",
    "印刷",
    "处理",
    "利用",
    "供应",
    "制作",
    "编织",
    "组装",
    "织造",
)
BAD_TERM = re.compile(r"其他|相关|部分|如|等|列入|未列明|象牙|[（）()\d]")
_annotation_cache: dict[str, list[str]] = {}


def annotation_terms(code: str) -> list[str]:
    """Product terms from the class's NBS annotation ("— item：sub、sub" lines)."""
    if code not in _annotation_cache:
        terms: list[str] = []
        for line in STD.get(code).includes.splitlines():
            if not line.startswith("— "):
                continue
            head, _, tail = line[2:].rstrip("；。;").partition("：")
            # "a、b" lists; when commas structure the tail, its "、" pieces are fragments.
            pieces = head.split("，")[0].split("、")
            if "，" in tail:
                pieces += [t for t in tail.split("，") if "、" not in t]
            elif tail:
                pieces += tail.split("、")
            for term in pieces:
                term = term.strip()
                if 3 <= len(term) <= 12 and not BAD_TERM.search(term) and not term.endswith("类") and term not in terms:
                    terms.append(term)
        _annotation_cache[code] = terms
    return _annotation_cache[code]


def annotation_item(rng: random.Random, code: str) -> str | None:
    terms = annotation_terms(code)
    if not terms:
        return None
    term = rng.choice(terms)
    return term if term.endswith(ACTIVITY_ENDINGS) else term + rng.choice(["生产", "制造", "加工"])


def pick(rng: random.Random, items, low: int, high: int) -> list[str]:
    count = min(len(items), rng.randint(low, high))
    return rng.sample(list(items), count)


def scope_items(rng: random.Random, profile: Profile, individual: bool, gap_classes: list[str]) -> list[str]:
    """Items of one scope: main business, maybe a side line, related trade, generic items.

    Side lines make the main business ambiguous on purpose; a few firms also
    mention a product of a target (gap) category they do not mainly make,
    which is what a gap search will trip over.
    """
    main = pick(rng, profile.main_items, 1, 2 if individual else 3)
    if profile.industrial and rng.random() < 0.35:
        extra = annotation_item(rng, profile.code)
        if extra:
            main.append(extra)
    side = []
    if not individual and STD.get(profile.code).section != "H":
        if rng.random() < 0.12:
            same_kind = INDUSTRY if profile.industrial else SERVICES
            other_kind = SERVICES if profile.industrial else INDUSTRY
            other = rng.choice(same_kind if rng.random() < 0.7 else other_kind)
            side = pick(rng, other.main_items, 1, 1)
        elif rng.random() < 0.03:
            gap_item = annotation_item(rng, rng.choice(gap_classes))
            side = [gap_item] if gap_item else []
    related = pick(rng, profile.related_items, 0, 1 if individual else 2)
    generic_count = rng.randint(0, 1) if individual else rng.randint(0, 4)
    generic = rng.choices([g for g, _ in GENERIC_ITEMS], weights=[w for _, w in GENERIC_ITEMS], k=generic_count)
    items: list[str] = []
    for item in main + side + related + generic:
        if item.lstrip("*") not in [i.lstrip("*") for i in items]:
            items.append(item)
    if len(items) > 2 and rng.random() < 0.15:  # main business not listed first
        items.insert(0, items.pop(rng.randrange(1, len(items))))
    return items


def render_modern(rng: random.Random, items: list[str]) -> str:
    """Post-2021 "规范表述" style: 许可项目 … 一般项目 … with the standard notes."""
    sep = ";" if rng.random() < 0.04 else "；"
    licensed = [i[1:] for i in items if i.startswith("*")]
    general = [i for i in items if not i.startswith("*")]
    parts = []
    if licensed:
        parts.append("许可项目：" + sep.join(licensed) + "。" + LICENSE_NOTE)
    if general:
        parts.append("一般项目：" + sep.join(general) + "。" + GENERAL_NOTE)
    text = "".join(parts)
    if rng.random() < 0.05:
        text = text.replace("（", "(").replace("）", ")")
    return text


def old_phrase(rng: random.Random, item: str) -> str:
    """Free-form wording of older licences ("X的生产、销售", "X的维修、销售")."""
    licensed = item.startswith("*")
    item = item.lstrip("*")
    for ending, verbs in (
        ("制造", "的生产、销售"),
        ("生产", "的生产、销售"),
        ("加工", "的加工、销售"),
        ("维修", "的维修、销售"),
        ("修理", "的修理、销售"),
    ):
        if item.endswith(ending) and len(item) > len(ending) + 1 and rng.random() < 0.35:
            item = item[: -len(ending)] + verbs
            break
    if licensed and rng.random() < 0.3:
        item += "（凭许可证经营）"
    return item


def render_old(rng: random.Random, items: list[str], year: int) -> str:
    """Pre-reform free text; before 2014 often split into 许可/一般经营项目."""
    if year < 2014 and rng.random() < 0.5:
        licensed = "、".join(i[1:] for i in items if i.startswith("*")) or "无"
        general = "、".join(old_phrase(rng, i) for i in items if not i.startswith("*")) or "无"
        return f"许可经营项目：{licensed}。一般经营项目：{general}。"
    text = rng.choice(["；", "、", "；"]).join(old_phrase(rng, i) for i in items) + "。"
    if rng.random() < 0.45:
        text += OLD_NOTE
    return text


def compose_scope(rng: random.Random, profile: Profile, individual: bool, year: int, gap_classes: list[str]) -> str:
    items = scope_items(rng, profile, individual, gap_classes)
    modern = year >= 2021 or (year >= 2015 and rng.random() < 0.5) or rng.random() < 0.25
    return render_modern(rng, items) if modern else render_old(rng, items, year)


# --------------------------------------------------------------------------
# Firm names
# --------------------------------------------------------------------------

DEFAULT_SHOPS = {
    "A": ("养殖场", "家庭农场"),
    "B": ("加工厂",),
    "C": ("加工店", "加工厂", "加工部"),
    "D": ("服务部",),
    "G": ("商店", "经销部", "门市部"),
    "other": ("服务部", "工作室", "店"),
}


def shop_words(profile: Profile) -> tuple[str, ...]:
    if profile.shop_words:
        return profile.shop_words
    section = STD.get(profile.code).section
    return DEFAULT_SHOPS.get(section, DEFAULT_SHOPS["other"])


def firm_name(rng: random.Random, profile: Profile, etype: str) -> str:
    """Names follow 行政区划 + 字号 + 行业 + 组织形式."""
    word = rng.choice(profile.name_words)
    if etype == INDIVIDUAL:
        place = weighted(rng, ["东胜区", "鄂尔多斯市东胜区", ""], [70, 20, 10])
        mark = (rng.choice(SURNAMES) + "记") if rng.random() < 0.08 else brand(rng)
        if profile.shop_words:  # e.g. 手把肉馆, 羊绒加工店: already says what the shop does
            return place + mark + rng.choice(profile.shop_words)
        return place + mark + word + rng.choice(shop_words(profile))
    if etype == COOPERATIVE:
        return "鄂尔多斯市东胜区" + brand(rng) + rng.choice(["养殖", "种植", "农牧业"]) + "专业合作社"
    if rng.random() < 0.08:
        word = rng.choice(["实业", "科技", "商贸", "工贸", "发展"])
    if etype == "个人独资企业":
        tail = rng.choice(["加工厂", "经销部"] if profile.industrial else ["经销部", "服务中心", "商贸中心"])
        return rng.choice(["鄂尔多斯市东胜区", "东胜区"]) + brand(rng) + word + tail
    if etype.startswith("有限责任公司分公司"):
        parent = weighted(
            rng, ["内蒙古", "鄂尔多斯市", "包头市", "呼和浩特市", "陕西", "榆林市"], [35, 25, 12, 10, 10, 8]
        )
        return parent + brand(rng) + word + "有限公司" + rng.choice(["东胜分公司", "鄂尔多斯分公司", "东胜区分公司"])
    prefix = weighted(rng, ["鄂尔多斯市", "内蒙古", "鄂尔多斯市东胜区", ""], [55, 22, 18, 5])
    suffix = "股份有限公司" if etype.startswith("股份") else rng.choice(["有限公司", "有限责任公司"])
    return prefix + brand(rng) + word + suffix


def unique_name(rng: random.Random, used: set[str], make: Callable[[], str]) -> str:
    for _ in range(100):
        name = make()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not draw a unique firm name")


# --------------------------------------------------------------------------
# Registry (规下名录)
# --------------------------------------------------------------------------

REGISTRY_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "经营范围",
    "登记状态",
    "企业类型",
    "成立日期",
    "注册资本",
    "营业收入（万元）",
    "上年营业收入（万元）",
    "从业人员",
    "所属镇街",
    "行业代码",
    "法定代表人",
]


@dataclass
class Firm:
    """One registry row plus what the generator knows about it."""

    uscc: str
    name: str
    scope: str
    status: str
    etype: str
    established: str
    capital: str
    revenue: str
    revenue_prev: str
    employees: str
    town: str
    code: str
    legal: str
    true_code: str
    canonical_uscc: str
    near_threshold: bool = False
    founded: dt.date | None = None  # the true date behind `established` (which is written in a noisy format)

    def row(self) -> list[str]:
        return [
            self.uscc,
            self.name,
            self.scope,
            self.status,
            self.etype,
            self.established,
            self.capital,
            self.revenue,
            self.revenue_prev,
            self.employees,
            self.town,
            self.code,
            self.legal,
        ]


def establishment_date(rng: random.Random, industrial: bool) -> dt.date:
    """Years weighted towards the 2015-2021 registration boom; industry a bit older."""
    years = list(range(1996, SNAPSHOT.year + 1))
    weights = [
        1 + 0.3 * (y - 1996) + (4 if 2015 <= y <= 2021 else 0) - (2 if industrial and y > 2020 else 0) for y in years
    ]
    year = weighted(rng, years, weights)
    last = SNAPSHOT if year == SNAPSHOT.year else dt.date(year, 12, 31)
    start = dt.date(year, 1, 1)
    return start + dt.timedelta(days=rng.randrange((last - start).days + 1))


def revenue_value(rng: random.Random, profile: Profile, individual: bool, boost: float) -> tuple[float, bool]:
    """Heavy-tailed revenue (万元); industrial firms get a band near and above the threshold."""
    if individual:
        return min(rng.lognormvariate(math.log(25), 1.0), 400), False
    if not profile.industrial:
        return min(rng.lognormvariate(math.log(150), 1.3), 30000), False
    roll = rng.random()
    if roll < 0.015 * boost:
        return rng.uniform(THRESHOLD_WAN, 4000), True  # 已达标待入库
    if roll < 0.07 * boost:
        return rng.uniform(1000, 1999.4), True  # close to the threshold
    value = rng.lognormvariate(math.log(180), 1.1)
    return (value if value < 990 else rng.uniform(500, 990)), False


def capital_text(rng: random.Random, etype: str) -> str:
    if etype.startswith("有限责任公司分公司"):
        return ""
    if etype == INDIVIDUAL:
        if rng.random() < 0.4:
            return ""
        return f"{rng.choice([1, 2, 3, 5, 10, 20])}万元"
    if etype == "个人独资企业":
        return f"{rng.choice([3, 5, 10, 20, 30, 50, 100])}万元"
    amount = weighted(
        rng, [10, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 5000], [6, 6, 10, 18, 12, 9, 14, 3, 10, 5, 2]
    )
    style = weighted(rng, range(4), [45, 20, 25, 10])
    return [f"{amount}万元人民币", f"{amount}", f"{amount}万元", f"{amount}万人民币"][style]


def choose_etype(rng: random.Random, profile: Profile) -> str:
    if STD.get(profile.code).section == "A" and rng.random() < 0.35:
        return COOPERATIVE
    if rng.random() < profile.individual_share:
        return INDIVIDUAL
    return weighted(rng, [t for t, _ in COMPANY_TYPES], [w for _, w in COMPANY_TYPES])


def registered_code(rng: random.Random, true_code: str) -> str:
    """行业代码 as the registry holds it: mostly right, mixed spellings, some wrong."""
    code = true_code
    if rng.random() < 0.12:  # the registrar picked a neighbouring class
        siblings = [n.code for n in STD.children(STD.get(true_code).parent) if n.code != true_code]
        code = rng.choice(siblings) if siblings else true_code
    roll = rng.random()
    if roll < 0.05:
        return code[:3]
    if roll < 0.5:
        return STD.get(code).section + code
    return code


def make_firm(
    rng: random.Random,
    profile: Profile,
    used_uscc: set[str],
    used_names: set[str],
    boost: float,
    gap_classes: list[str],
) -> Firm:
    etype = choose_etype(rng, profile)
    individual = etype == INDIVIDUAL
    founded = establishment_date(rng, profile.industrial)
    kind_digit = {INDIVIDUAL: "2", COOPERATIVE: "3"}.get(etype, "1")
    region = weighted(rng, REGION_CODES, REGION_WEIGHTS)
    code = new_uscc(rng, used_uscc, kind_digit, region, modern=founded >= dt.date(2015, 10, 1))
    revenue, near = revenue_value(rng, profile, individual, boost)
    revenue_text = prev_text = ""
    if founded.year <= REVENUE_YEAR and rng.random() < 0.88:
        revenue_text = format_number(rng, revenue)
        if founded.year < REVENUE_YEAR and rng.random() < 0.65:
            growth = rng.lognormvariate(math.log(1.08), 0.25)
            prev_text = format_number(rng, revenue / growth)
    employees = rng.randint(1, 8) if individual else max(1, round(revenue / rng.uniform(25, 70) + rng.gauss(3, 2)))
    weights = TOWN_WEIGHTS_INDUSTRY if profile.industrial else TOWN_WEIGHTS_SERVICE
    return Firm(
        uscc=code,
        name=unique_name(rng, used_names, lambda: firm_name(rng, profile, etype)),
        scope=compose_scope(rng, profile, individual, founded.year, gap_classes),
        status=weighted(rng, ACTIVE_STATUSES, ACTIVE_WEIGHTS),
        etype=etype,
        established=format_date(rng, founded),
        capital=capital_text(rng, etype),
        revenue=revenue_text,
        revenue_prev=prev_text,
        employees=str(employees) if rng.random() < 0.9 else "",
        town=weighted(rng, TOWNS, weights) if rng.random() < 0.99 else "",
        code=registered_code(rng, profile.code) if rng.random() < 0.35 else "",
        legal=person_name(rng),
        true_code=profile.code,
        canonical_uscc=code,
        near_threshold=near and bool(revenue_text),
        founded=founded,
    )


@dataclass
class Defect:
    file: str
    row: int
    column: str
    kind: str
    note: str


def build_registry(
    rng: random.Random, used_uscc: set[str], used_names: set[str], target_classes: set[str]
) -> tuple[list[Firm], list[Defect]]:
    """About 8,000 规下 firms with deliberate defects; returns rows and the manifest entries.

    `target_classes` are the classes under the 规上口径 targets: firms there get
    more revenue near the threshold, so the ranking has candidates to find.
    """
    firms: list[Firm] = []
    gap_classes = sorted(c for c in target_classes if annotation_terms(c))
    for _ in range(REGISTRY_FIRMS):
        pool = INDUSTRY if rng.random() < INDUSTRIAL_SHARE else SERVICES
        profile = weighted(rng, pool, [p.weight for p in pool])
        boost = 2.0 if profile.code in target_classes else 1.0  # give the ranking candidates to find
        firms.append(make_firm(rng, profile, used_uscc, used_names, boost, gap_classes))
    pin_threshold_boundaries(rng, firms)
    add_mild_uscc_noise(rng, firms)
    return inject_registry_defects(rng, firms)


def pin_threshold_boundaries(rng: random.Random, firms: list[Firm]) -> None:
    """Exact boundary values of the 2,000 万元 rule."""
    companies = [
        f
        for f in firms
        if STD.is_industrial(f.true_code) and f.etype != INDIVIDUAL and f.revenue and not f.near_threshold
    ]
    for firm, value in zip(rng.sample(companies, 3), ["2000", "2000.00", "1999.99"]):
        firm.revenue = value
        firm.revenue_prev = format_number(rng, float(value) / rng.uniform(1.05, 1.3))
        firm.near_threshold = True


def add_mild_uscc_noise(rng: random.Random, firms: list[Firm]) -> None:
    """Valid codes typed carelessly (lower case, stray spaces): must be accepted, not rejected."""
    for firm in rng.sample(firms, 10):
        firm.uscc = firm.uscc.lower() if rng.random() < 0.5 else f" {firm.uscc} "


def inject_registry_defects(rng: random.Random, firms: list[Firm]) -> tuple[list[Firm], list[Defect]]:
    clean = [i for i, f in enumerate(firms) if f.uscc == f.canonical_uscc and not f.near_threshold]
    chosen = rng.sample(clean, 8 + 4 + 6 + 8 + 6 + 4 + 3)
    pending: list[tuple[Firm, str, str, str]] = []  # (firm, column, kind, note)
    take = iter(chosen)

    for _ in range(8):
        firm = firms[next(take)]
        firm.uscc = break_check_digit(rng, firm.uscc)
        pending.append((firm, "统一社会信用代码", "bad_uscc", "check digit altered"))
    for n in range(4):
        firm = firms[next(take)]
        firm.uscc = firm.uscc[:-1] if n % 2 == 0 else firm.uscc + rng.choice("0123456789")
        pending.append((firm, "统一社会信用代码", "bad_uscc", f"length {len(firm.uscc)} instead of 18"))
    for n in range(6):
        firm = firms[next(take)]
        firm.scope = "  " if n == 0 else ""
        pending.append((firm, "经营范围", "empty_scope", "blank business scope"))
    duplicate_sources = [next(take) for _ in range(8)]
    for value, column in (
        ("壹佰万", "注册资本"),
        ("约300万", "注册资本"),
        ("伍拾万元", "注册资本"),
        ("约300万", "营业收入（万元）"),
        ("壹佰万", "营业收入（万元）"),
        ("二百", "上年营业收入（万元）"),
    ):
        firm = firms[next(take)]
        setattr(
            firm,
            {"注册资本": "capital", "营业收入（万元）": "revenue", "上年营业收入（万元）": "revenue_prev"}[column],
            value,
        )
        pending.append((firm, column, "bad_amount", f"amount written as text: {value}"))
    for value in ("2019-13-45", "不详", "2020-02-30", "0000-00-00"):
        firm = firms[next(take)]
        firm.established = value
        pending.append((firm, "成立日期", "bad_date", f"not a date: {value}"))
    for value, column in (("-5", "营业收入（万元）"), ("-12.5", "营业收入（万元）"), ("-5", "上年营业收入（万元）")):
        firm = firms[next(take)]
        setattr(firm, "revenue" if column == "营业收入（万元）" else "revenue_prev", value)
        pending.append((firm, column, "negative_amount", f"negative amount {value}"))

    # Closed firms (set aside, not quarantined), drawn from untouched rows.
    touched = set(chosen)
    for i, firm in enumerate(firms):
        if (
            i not in touched
            and firm.uscc == firm.canonical_uscc
            and not firm.near_threshold
            and rng.random() < CLOSED_SHARE
        ):
            firm.status = weighted(rng, CLOSED_STATUSES, CLOSED_WEIGHTS)
            pending.append((firm, "", "closed_status", f"登记状态 {firm.status}: not an active firm"))

    # Duplicates: a stale copy is placed *before* the current row; the later row wins.
    stale_copies = []
    for index in duplicate_sources:
        current = firms[index]
        stale = replace(current)
        change = rng.randrange(3)
        if change == 0:
            stale.established = (
                current.established.replace("-", "/") if "-" in current.established else current.established + " "
            )
            stale.revenue = format_number(rng, float(current.revenue or 100) * rng.uniform(0.6, 0.9))
            what = "older revenue and date spelling"
        elif change == 1:
            stale.status = "开业" if current.status != "开业" else "在业"
            stale.revenue = current.revenue_prev
            stale.revenue_prev = ""
            what = "older status and last year's revenue"
        else:
            stale.name = (
                current.name.replace("有限公司", "商贸有限公司")
                if "有限公司" in current.name
                else current.name + "（原）"
            )
            what = "former firm name"
        stale_copies.append((index, stale, what))
    rows = list(firms)
    for index, stale, what in sorted(stale_copies, key=lambda x: -x[0]):
        position = rng.randint(max(0, index - 3000), index)
        rows.insert(position, stale)
        pending.append((stale, "", "duplicate", f"stale copy ({what}); the later row with the same USCC wins"))

    row_of = {id(f): i + 2 for i, f in enumerate(rows)}
    defects = []
    for firm, column, kind, note in pending:
        if kind == "duplicate":
            winner = next(i + 2 for i, f in enumerate(rows) if f.uscc == firm.uscc and f is not firm)
            note = f"{note} (row {winner})"
            assert winner > row_of[id(firm)]
        defects.append(Defect("registry.csv", row_of[id(firm)], column, kind, note))
    defects.sort(key=lambda d: d.row)
    return rows, defects


# --------------------------------------------------------------------------
# 规上 list
# --------------------------------------------------------------------------

ABOVE_SCALE_HEADERS = ["统一社会信用代码", "单位名称", "行业代码", "主营业务收入（万元）", "所属镇街"]


def above_scale_spec() -> list[tuple[str, float, float, tuple[str, ...]]]:
    spec = []
    for line in ABOVE_SCALE_CLASSES.strip().splitlines():
        code, weight, median, names = line.split("|")
        assert STD.get(code).level == "class" and STD.is_industrial(code), code
        words = tuple(names.split("/")) if names else PROFILE_BY_CODE[code].name_words
        spec.append((code, float(weight), float(median), words))
    return spec


def above_scale_code_text(rng: random.Random, code: str) -> str:
    """Mostly "C3511" or "3511"; a few typed loosely."""
    section = STD.get(code).section
    roll = rng.random()
    if roll < 0.55:
        return section + code
    if roll < 0.95:
        return code
    return rng.choice([section.lower() + code, f" {code} "])


def build_above_scale(
    rng: random.Random, used_uscc: set[str], used_names: set[str]
) -> tuple[list[list[str]], list[Defect]]:
    spec = above_scale_spec()
    codes = [c for c, *_ in spec]
    codes += rng.choices(codes, weights=[w for _, w, _, _ in spec], k=ABOVE_SCALE_FIRMS - len(codes))
    rng.shuffle(codes)
    info = {c: (m, words) for c, _, m, words in spec}
    rows = []
    for code in codes:
        median, words = info[code]
        revenue = min(rng.lognormvariate(math.log(median), 0.8), 500000)
        if revenue < THRESHOLD_WAN:  # small firms of the list sit just above the threshold
            revenue = rng.uniform(THRESHOLD_WAN, 1.8 * THRESHOLD_WAN)
        prefix = weighted(rng, ["内蒙古", "鄂尔多斯市", "鄂尔多斯市东胜区", ""], [40, 40, 12, 8])
        suffix = weighted(rng, ["有限责任公司", "有限公司", "股份有限公司"], [50, 38, 12])
        region = weighted(rng, ["150602", "150600"], [80, 20])
        founded_before_reform = rng.random() < 0.6
        rows.append(
            [
                new_uscc(rng, used_uscc, "1", region, modern=not founded_before_reform),
                unique_name(rng, used_names, lambda: prefix + brand(rng) + rng.choice(words) + suffix),  # noqa: B023  (called at once)
                above_scale_code_text(rng, code),
                format_number(rng, revenue),
                weighted(rng, TOWNS, TOWN_WEIGHTS_INDUSTRY),
            ]
        )
    # Three bad rows spread through the file, each in a class that keeps other
    # firms, so the valid list still covers every class of the spec.
    defects = []
    for start, kind in ((57, "bad_uscc"), (188, "missing_code"), (331, "bad_code")):
        position = next(i for i in range(start, len(rows)) if codes.count(codes[i]) > 1)
        codes[position] = ""  # do not reuse this class for the next bad row check
        row = rows[position]
        if kind == "bad_uscc":
            row[0] = break_check_digit(rng, row[0])
            defects.append(Defect("above_scale.csv", position + 2, "统一社会信用代码", kind, "check digit altered"))
        elif kind == "missing_code":
            row[2] = ""
            defects.append(Defect("above_scale.csv", position + 2, "行业代码", kind, "行业代码 empty"))
        else:
            row[2] = "9999"
            defects.append(
                Defect("above_scale.csv", position + 2, "行业代码", kind, "code 9999 is not in GB/T 4754-2017")
            )
    return rows, defects


# --------------------------------------------------------------------------
# Target lists (附件2 全口径, 附件3 规上口径)
# --------------------------------------------------------------------------

TARGET_HEADERS = ["口径", "行业代码", "行业名称", "责任单位", "目标年份"]


def covers(target: str, code: str) -> bool:
    return code.startswith(target)


def plausible(code: str) -> bool:
    return not any(word in STD.get(code).name for word in IMPLAUSIBLE_WORDS)


def select_targets(rng: random.Random) -> dict[str, list[str]]:
    """Pick the plan's targets from the sample's own coverage.

    规上口径: categories without a 规上 firm (many of them with 规下 firms that
    could grow into one). 全口径: categories without any firm, except a few
    seeded ones where young registry firms have appeared since the plan.
    Targets never nest inside one another, within or across the two lists.
    """
    above = sorted({c for c, *_ in above_scale_spec()})
    registry = sorted(p.code for p in INDUSTRY)
    firms_anywhere = set(above) | set(registry)
    chosen: list[str] = []

    def free(code: str) -> bool:
        return not any(covers(t, code) or covers(code, t) for t in chosen)

    def has_above(code: str) -> bool:
        return any(covers(code, c) for c in above)

    def has_any_firm(code: str) -> bool:
        return any(covers(code, c) for c in firms_anywhere)

    divisions = list(ABOVE_SCALE_DIVISION_TARGETS)
    assert not any(has_above(d) for d in divisions)
    chosen += divisions

    reserved = THEME_CLASS_TARGETS + FULL_SCOPE_SEEDED
    for code in reserved:
        assert not has_above(code) and free(code), code
    chosen += reserved

    groups = [n.code for n in STD.by_level("group", industrial_only=True)]
    # 全口径 groups first: groups without any firm are the scarcer kind.
    full_groups = rng.sample([g for g in groups if free(g) and not has_any_firm(g) and plausible(g)], 8)
    chosen += full_groups

    eligible_groups = [g for g in groups if not has_above(g) and free(g) and plausible(g)]
    with_firms = [g for g in eligible_groups if any(covers(g, c) for c in registry)]
    without = [g for g in eligible_groups if g not in with_firms]
    above_groups = rng.sample(with_firms, min(14, len(with_firms)))
    above_groups += rng.sample(without, 46 - len(above_groups))
    chosen += above_groups

    classes = [n.code for n in STD.classes(industrial_only=True)]
    # Most (not all) registry classes without a 规上 firm become targets.
    registry_left = [c for c in registry if not has_above(c) and free(c) and plausible(c)]
    registry_left = sorted(rng.sample(registry_left, round(0.75 * len(registry_left))))
    above_classes = list(THEME_CLASS_TARGETS) + registry_left
    chosen += registry_left
    fill = [c for c in classes if not has_above(c) and free(c) and plausible(c) and c not in registry]
    extra = rng.sample(fill, 107 - len(above_classes))
    above_classes += extra
    chosen += extra

    empty_classes = [c for c in classes if free(c) and not has_any_firm(c) and plausible(c)]
    full_classes = list(FULL_SCOPE_SEEDED) + rng.sample(empty_classes, 48 - len(FULL_SCOPE_SEEDED))

    return {
        "全口径": sorted(full_groups) + sorted(full_classes),
        "规上口径": sorted(divisions) + sorted(above_groups) + sorted(above_classes),
    }


def department(code: str) -> str:
    return DEPARTMENTS_BY_DIVISION[code[:2]]


def target_rows(rng: random.Random, targets: dict[str, list[str]]) -> list[list[str]]:
    """One row per target; 附件3 writes codes with the section letter, 附件2 without."""
    rows = []
    for scope_name, codes in targets.items():
        for code in sorted(codes, key=lambda c: (len(c), c)):
            node = STD.get(code)
            text = node.section + code if scope_name == "规上口径" else code
            themed = code in THEME_CLASS_TARGETS or code in FULL_SCOPE_SEEDED
            year = "2023" if themed and rng.random() < 0.5 else weighted(rng, ["2023", "2024", "2025"], [25, 35, 40])
            rows.append([scope_name, text, node.name, department(code), year])
    return rows


# --------------------------------------------------------------------------
# Projects (附件4)
# --------------------------------------------------------------------------

PROJECT_HEADERS = [
    "项目名称",
    "建设单位",
    "统一社会信用代码",
    "总投资（万元）",
    "建设阶段",
    "签约日期",
    "计划投产时间",
    "拟扩增门类代码",
    "建设内容",
    "责任单位",
]
BAD_PROJECT_CODE = "3088"  # looks like 308x 耐火材料 but does not exist


def project_rows(
    rng: random.Random,
    firms: list[Firm],
    clean_rows: set[int],
    used_uscc: set[str],
    used_names: set[str],
    all_targets: list[str],
) -> tuple[list[list], list[Defect]]:
    """~30 projects on the plan's chains; builders link to registry firms where one fits."""
    assert STD.find(BAD_PROJECT_CODE) is None
    by_class: dict[str, list[Firm]] = {}
    for i, firm in enumerate(firms):
        if i in clean_rows:
            by_class.setdefault(firm.true_code, []).append(firm)
    drawn = len(PROJECTS) - len(PROJECT_INVESTMENTS) - 1  # one row gets 待定
    amounts: list[float | None] = list(PROJECT_INVESTMENTS) + [
        min(max(round(rng.lognormvariate(math.log(5000), 1.0), -1), 300), 30000) for _ in range(drawn)
    ]
    rng.shuffle(amounts)
    bad_amount_row = next(i for i, kind in BAD_PROJECT_ROWS.items() if kind == "bad_amount")
    amounts.insert(bad_amount_row, None)
    rows, defects = [], []
    for (name, content, code_text, stage), amount in zip(PROJECTS, amounts):
        code = code_text.lstrip("C")
        if code:
            assert any(covers(t, code) for t in all_targets), code
        unit, word = (department(code), None) if code else PROJECTS_WITHOUT_CODE[name]
        builder, builder_uscc = project_builder(rng, stage, code, word, by_class, used_uscc, used_names)
        first, last, low, high = STAGE_DATES[stage]
        signed = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        planned = signed + dt.timedelta(days=rng.randrange(30 * low, 30 * high))
        signed_cell = signed if rng.random() < 0.85 else signed.isoformat()
        rows.append([name, builder, builder_uscc, amount, stage, signed_cell, planned, code_text, content, unit])
    for position, kind in sorted(BAD_PROJECT_ROWS.items()):
        if kind == "bad_amount":
            column, value, note = "总投资（万元）", "待定", "investment not yet fixed: 待定"
        else:
            column, value, note = "拟扩增门类代码", BAD_PROJECT_CODE, f"{BAD_PROJECT_CODE} is not in GB/T 4754-2017"
        rows[position][PROJECT_HEADERS.index(column)] = value
        defects.append(Defect("projects.xlsx", position + 2, column, kind, note))
    return rows, defects


def project_builder(
    rng: random.Random,
    stage: str,
    code: str,
    word: str | None,
    by_class: dict[str, list[Firm]],
    used_uscc: set[str],
    used_names: set[str],
) -> tuple[str, str]:
    """A registry firm of the intended class when one exists, otherwise a new company.

    Firms only signed up may not be registered yet ("（筹）", no USCC).
    """
    local = sorted(
        (
            f
            for c, fs in by_class.items()
            if code and covers(code, c)
            for f in fs
            if f.etype.startswith(("有限责任公司（", "股份", "其他有限"))
        ),
        key=lambda f: f.canonical_uscc,
    )
    if local and stage in ("开工在建", "签约") and rng.random() < 0.6:
        firm = rng.choice(local)
        return firm.name, firm.canonical_uscc
    words = [word] if word else PROFILE_BY_CODE[code].name_words if code in PROFILE_BY_CODE else ["科技"]
    name = unique_name(
        rng,
        used_names,
        lambda: weighted(rng, ["内蒙古", "鄂尔多斯市"], [50, 50]) + brand(rng) + rng.choice(words) + "有限公司",
    )
    if stage == "签约" and rng.random() < 0.5:
        return name + "（筹）", ""
    return name, new_uscc(rng, used_uscc, "1", weighted(rng, ["150602", "150600"], [70, 30]), modern=True)


# --------------------------------------------------------------------------
# Writers (deterministic bytes)
# --------------------------------------------------------------------------


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))  # strict: fails on a non-GBK character


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list]) -> None:
    """Write with openpyxl, then re-pack the zip with fixed timestamps so bytes repeat."""
    workbook = Workbook()
    sheet_obj = workbook.active
    assert isinstance(sheet_obj, Worksheet)  # a new workbook starts with one worksheet
    sheet_obj.title = sheet
    sheet_obj.append(headers)
    for row in rows:
        sheet_obj.append(row)
    for cell in sheet_obj["F"][1:] + sheet_obj["G"][1:]:
        if isinstance(cell.value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJ", (34, 34, 22, 14, 10, 12, 12, 14, 60, 26)):
        sheet_obj.column_dimensions[letter].width = width
    fixed = dt.datetime(2024, 7, 1, 8, 0, 0)
    workbook.properties.creator = "industry-gap sample generator"
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2024, 7, 1, 8, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    path.write_bytes(out.getvalue())


README = """# Sample district (synthetic)

Synthetic inputs for an industrial district modelled on 东胜区 (鄂尔多斯, division
code 150602). **Everything here is made up**: firm names, people, 统一社会信用代码,
amounts and business scopes are generated; scopes are composed from the GB/T
4754-2017 annotation terms in `reference/data/` and our own wording.

Regenerate (byte-identical, seed {seed}):

    python scripts/make_sample_data.py            # writes sample_data/
    python scripts/make_sample_data.py --output DIR

| file | what |
|---|---|
| `registry.csv` | 规下 registry (UTF-8 with BOM), {registry_rows} rows: business scopes in the modern 许可项目/一般项目 form and older free forms, mixed date and capital spellings, 行业代码 for about a third of the rows (mixed spellings, some wrong). |
| `above_scale.csv` | last year's 规上 industrial list, **GBK-encoded**, {above_rows} rows. |
| `targets.csv` | the plan's target lists (附件2 全口径: 8 中类 + 48 小类; 附件3 规上口径: 7 大类 + 46 中类 + 107 小类). 附件3 writes codes with the section letter. |
| `projects.xlsx` | sheet 项目清单, {project_rows} projects (附件4 style); some without 拟扩增门类代码, to be classified from 建设内容. Builders marked （筹） are not registered yet. Projects marked 纳入规上 entered the list this year, so they are not in `above_scale.csv`. |
| `baseline.csv` | the plan's 基期 (the industrial 小类 the district had when the plan was issued, 2023-01-12; columns 行业代码, 规上已有, 全口径已有): 全口径 = classes of registry firms founded before the plan and of the 规上 list, 规上 = the 规上 list less a seeded fifth of its classes (firms that entered after the plan). A run on the sample data uses it when neither `--baseline` nor the policy names a 基期 file. |
| `truth/registry_true_codes.csv` | evaluation only, not a pipeline input: the 2017 class each registry firm was generated from, for every registry row not listed in `bad_rows.csv` (USCC in canonical upper case). |
| `bad_rows.csv` | manifest of every deliberate defect: file, row (spreadsheet row, header = 1), column, kind, note. `duplicate` lists the stale, earlier row: the later row with the same USCC is the current one and wins. `closed_status` rows (注销/吊销/迁出) are valid but must be set aside. |

Deliberate mess that is *not* a defect and must be accepted: ten registry USCCs in
lower case or with surrounding spaces; 登记状态 `存续（在营、开业、在册）`; dates as
`2015-03-02`, `2015/3/2`, `2015年3月2日`, `20150302`; 注册资本 as `500万元人民币`,
`100`, `50万元`, `30万人民币`; a few 规上 codes as `c3511` or ` 3511 `; empty
revenue cells (firms founded in 2024 have none).
"""


# --------------------------------------------------------------------------
# The plan's 基期
# --------------------------------------------------------------------------

PLAN_ISSUED = dt.date(2023, 1, 12)  # 东政发〔2023〕2号, the plan the sample runs under
ENTERED_AFTER_PLAN = 0.2  # share of the 规上 list's classes whose firms entered 规上 after the plan
BASELINE_HEADERS = ["行业代码", "规上已有", "全口径已有"]


def _class_code(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    node = STD.nodes.get(digits) if len(digits) == 4 else None
    return digits if node is not None and node.section in "BCD" else None


def baseline_rows(rng: random.Random, firms: list[Firm], above_rows: list[list[str]]) -> list[list[str]]:
    """The industrial 小类 the district had when the plan was issued (the plan's 基期, 是/否 per scope).

    全口径: the classes of registry firms founded before the plan and of the 规上 list. 规上: the 规上
    list's classes less a seeded share whose firms entered 规上 after the plan. So the sample's first
    run reports progress since the plan, as a district's does with its own 基期 file."""
    above = sorted({c for row in above_rows if (c := _class_code(row[2]))})
    entered = set(rng.sample(above, round(ENTERED_AFTER_PLAN * len(above))))
    founded_before = {
        c for f in firms if f.founded is not None and f.founded < PLAN_ISSUED and (c := _class_code(f.true_code))
    }
    present_all = founded_before | set(above)
    present_above = set(above) - entered
    return [[code, "是" if code in present_above else "否", "是"] for code in sorted(present_all)]


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def generate(output: Path) -> dict[str, int]:
    """Write all sample files into `output`; returns row counts."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "truth").mkdir(exist_ok=True)
    used_uscc: set[str] = set()
    used_names: set[str] = set()

    targets = select_targets(stream("targets"))
    all_targets = [c for codes in targets.values() for c in codes]
    above_targets = {c.code for t in targets["规上口径"] for c in STD.descendants(t)}

    firms, registry_defects = build_registry(stream("registry"), used_uscc, used_names, above_targets)
    above_rows, above_defects = build_above_scale(stream("above_scale"), used_uscc, used_names)
    flagged = {d.row for d in registry_defects}
    clean_rows = {i for i in range(len(firms)) if i + 2 not in flagged}
    projects, project_defects = project_rows(stream("projects"), firms, clean_rows, used_uscc, used_names, all_targets)

    write_csv(output / "registry.csv", REGISTRY_HEADERS, [f.row() for f in firms], "utf-8-sig")
    write_csv(output / "above_scale.csv", ABOVE_SCALE_HEADERS, above_rows, "gbk")
    write_csv(output / "targets.csv", TARGET_HEADERS, target_rows(stream("target_rows"), targets), "utf-8")
    write_xlsx(output / "projects.xlsx", "项目清单", PROJECT_HEADERS, projects)
    baseline = baseline_rows(stream("baseline"), firms, above_rows)
    write_csv(output / "baseline.csv", BASELINE_HEADERS, baseline, "utf-8-sig")
    truth = [[firms[i].canonical_uscc, firms[i].name, firms[i].true_code] for i in sorted(clean_rows)]
    write_csv(
        output / "truth" / "registry_true_codes.csv", ["统一社会信用代码", "企业名称", "true_code"], truth, "utf-8"
    )
    defects = registry_defects + above_defects + project_defects
    write_csv(
        output / "bad_rows.csv",
        ["file", "row", "column", "kind", "note"],
        [[d.file, d.row, d.column, d.kind, d.note] for d in defects],
        "utf-8",
    )
    counts = {
        "registry": len(firms),
        "above_scale": len(above_rows),
        "projects": len(projects),
        "targets": len(all_targets),
        "truth": len(truth),
        "bad_rows": len(defects),
        "baseline": len(baseline),
    }
    (output / "README.md").write_text(
        README.format(
            seed=SEED,
            registry_rows=counts["registry"],
            above_rows=counts["above_scale"],
            project_rows=counts["projects"],
        ),
        encoding="utf-8",
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic sample district (sample_data/).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="output directory (default: sample_data/)")
    args = parser.parse_args(argv)
    counts = generate(args.output)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
