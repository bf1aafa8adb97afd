"""Word lists of the scope parser (`classifiers.scope_parser`): edit here to teach it a word.

Plain data, one list per role: verbs and their activity kinds, verbs that also start product names,
head nouns, connectors, objects that say nothing about the industry. The grammar that uses them
(regexes, peeling rules) stays in `scope_parser`, which compiles these lists once at import.
Order matters in two lists only: `VERBS` (of two verbs of the same length the one added first is
tried first) and `CONNECTORS` (the longer "以及" before "及").
"""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text`, in order: long lists stay short to read and edit."""
    return tuple(text.split())


# ---------------------------------------------------------------------------
# Verbs: word -> activity kind (the kinds are listed in the `scope_parser` docstring)
# ---------------------------------------------------------------------------

VERBS: dict[str, str] = {}


def _add(kind: str, text: str) -> None:
    for word in text.split():
        VERBS[word] = kind


_add(
    "make",
    "生产 制造 加工 生产加工 加工制造 生产制造 制作 制备 组装 装配 组配 冶炼 铸造 锻造 酿造 提炼 精炼 "
    "屠宰 印刷 研制 合成 织造 纺纱 提取 灌装 分装 复制 再制造 精制 烘焙 焙烤 锻压 冲压 压延 轧制 "
    "委托加工 来料加工 生产经营 深加工 初加工 粗加工 精加工 炼制 制取 制造加工 开发生产 研发生产 "
    "设计制造 生产研发 封装 封测 封装测试",
)
_add("farm", "种植 养殖 培育 育种 繁育 栽培 饲养 育苗 种养 捕捞 繁殖 培植 养护 造林 采伐 育肥")
_add("mine", "开采 采选 洗选 采矿 选矿 采掘 开采销售 勘探开采")
_add("supply", "发电 输电 配电 供电 售电 供热 供水 供气 供暖 供冷 供应 输配 生产和供应 生产供应 热电联产")
_add(
    "sell",
    "销售 批发 零售 经销 代销 购销 批零兼营 批发兼零售 批发零售 零售批发 贸易 进出口 进口 出口 "
    "分销 直销 采购 收购 供销 销售代理 网上销售 网络销售 在线销售 网上贸易 经营销售 商贸 "
    "进出口业务 货物进出口 技术进出口 代理进出口 自营进出口 营销 购进 内销 外销 寄售 回收 "
    "批发和零售 批发及零售 批发与零售 零售和批发 销售服务 进出口贸易 国内贸易 外贸 内贸 线上线下销售 线上销售 "
    "线下销售 线上零售 网上零售 网络零售 电子商务销售 批发兼零售",
)
_add(
    "rnd",
    "研发 研究 开发 技术开发 研究开发 设计 设计开发 开发设计 研究与开发 研究和开发 试验发展 "
    "研究和试验发展 研究与试验发展 研制开发 技术研发 研究试验 设计研发 研发设计 科研 技术研究 试制",
)
_add(
    "service",
    "咨询 服务 技术服务 技术咨询 技术转让 技术推广 技术交流 检测 检验 测试 认证 培训 管理 中介 "
    "代理 策划 运营 运维 集成 外包 监理 评估 鉴定 勘察 测绘 托管 推广 转让 交流 经纪 孵化 "
    "技术支持 咨询服务 技术咨询服务 配套服务 相关服务 综合服务 运营管理 管理服务 信息服务 "
    "技术培训 检验检测 检测服务 经营管理 代理服务 设计服务 工程设计 技术推广服务 "
    "技术开发服务 技术转让服务 技术服务 开发服务 软件服务 承办 组织 制作发布 发布 出版 "
    "代理记账 评价 规划 业务 技术",
)
_add("sell", "经营")
_add(
    "repair",
    "安装 维修 修理 维护 保养 调试 检修 改装 售后服务 安装调试 维修保养 技术改造 翻新 维保 "
    "修复 安装维修 维修维护 安装服务 维修服务 售后 大修",
)
_add("lease", "租赁 出租 租用 融资租赁 经营租赁 出租服务 租赁服务")
_add(
    "transport",
    "运输 仓储 物流 配送 装卸 搬运 货运 客运 快递 储存 储运 寄递 货物运输 道路运输 中转 联运 "
    "运输服务 仓储服务 货运代理 物流服务 运送 水运 空运 海运 转运 仓库",
)
_add(
    "construct",
    "施工 建设 承包 总承包 工程总承包 装修 装饰 安装工程 拆除 建造 施工总承包 专业承包 "
    "工程施工 设计施工 设计与施工 承建 装潢 修建 铺设",
)
_add("invest", "投资 投资管理 资产管理 股权投资 实业投资 投资咨询 项目投资 对外投资 投资控股 控股")

# "经营", "业务", "技术" only count as verbs when nothing else is left: they are
# filler in "经营本企业…", "…业务".
WEAK_VERBS = frozenset(words("经营 业务 技术"))

# Selling verbs that name one channel: 零售 → retail (52), 批发/分销 → wholesale (51).
RETAIL_VERBS = frozenset(words("零售 网上零售 线上零售 网络零售"))
WHOLESALE_VERBS = frozenset(words("批发 分销"))
AMBIGUOUS_SELL_VERBS = frozenset(
    words("销售 经销 购销 批零兼营 批发兼零售 批发零售 零售批发 批发和零售 批发及零售 批发与零售 零售和批发 经营 贸易")
)

ACTIVITY_KINDS = words("make farm mine supply sell rnd service repair lease transport construct invest product")
ACTIVITY_NAMES = {
    "make": "生产制造",
    "farm": "种植养殖",
    "mine": "开采洗选",
    "supply": "生产供应",
    "sell": "销售",
    "rnd": "研发设计",
    "service": "服务",
    "repair": "安装维修",
    "lease": "租赁",
    "transport": "运输仓储",
    "construct": "施工",
    "invest": "投资",
    "product": "主要产品",
}

# ---------------------------------------------------------------------------
# Where a verb ends and an object begins
# ---------------------------------------------------------------------------

# Verbs that also start product names: "运输设备", "检测仪器", "生产线", "加工中心".
MODIFIER_VERBS = frozenset(
    words(
        "生产 加工 运输 检测 测试 试验 包装 印刷 管理 服务 安装 维修 设计 制造 养殖 种植 仓储 物流 配送 "
        "建设 施工 监理 培训 供水 供热 发电 输电 配电 供电 开采 采矿 选矿 冶炼 铸造 锻造 开发 研究 科研 "
        "组装 检验 认证 咨询 装卸 搬运 储存 租赁 修理 维护 保养 调试 检修 改装 装饰 装修 复制 合成 提取 "
        "灌装 冲压 货运 客运 快递 运营 推广 集成 代理 中介 外包 采购 营销 育种 育苗 造林 捕捞 繁育 栽培 "
        "拆除 回收 出版 发布 评估 鉴定 勘察 测绘 托管 贸易 进口 出口 进出口 供应 封装"
    )
)
# ... when the word after the verb starts with one of these nouns ("生产线", "运输设备").
HEAD_NOUNS = words(
    "设备 仪器 仪表 机械 装备 工具 线 中心 系统 软件 用品 器材 车 船 机 器 材料 装置 平台 用 剂 "
    "件 品 箱 台 站 塔 业 行业 企业 公司 单位 基地 园 区 室 场 所 厂 产业 模具 配件 零件 部件 "
    "电源 电缆 网 技术 服务 方案 材 纸 药 包 袋 膜 板 管 桶 瓶 罐 盒 油 液 粉 胶 电路 仪"
)
# Words that join verbs ("生产和销售", "研发、生产及销售").
CONNECTORS = ("以及", "和", "及", "与", "兼", "并", "/", "或", "暨", "、", "&")

# Objects that "制作" makes as a service, not in a factory ("广告制作", "影视节目制作").
MADE_AS_SERVICE = words(
    "广告 影视 节目 动画 动漫 视频 短视频 宣传片 专题片 网页 网站 课件 多媒体 影视剧 电影 电视剧 演出 舞台"
)

# Objects that are only a modifier once the verb is peeled off ("普通货运" → 普通, "国内货物运输代理" →
# 国内, "专业设计服务" → 专业): the item is matched on its whole text instead.
MODIFIER_OBJECTS = frozenset(words("普通 国内 国际 专业 基础 一般 综合 公共 对外 道路普通 普通道路 国内外 境内 境外"))

# ---------------------------------------------------------------------------
# Objects that say nothing about the industry
# ---------------------------------------------------------------------------

# Generic for sell/service/rnd/lease/invest verbs only ("软件开发" is generic for a manufacturer, but
# "软件" with rnd still carries I65 weight in the model).
GENERIC_OBJECTS = frozenset(
    words(
        "货物 技术 货物和技术 货物及技术 技术和货物 商品和技术 商品及技术 各类商品和技术 各类商品及技术 商品 "
        "各类商品 产品 自产产品 相关产品 相关技术 信息 企业管理 企业 经济 经济信息 经济贸易 商务信息 商务 "
        "贸易 国内贸易 房屋 厂房 场地 资产 实业 项目 股权 原材料 原辅材料 零配件 仪器仪表和零配件 进出口 "
        "外贸 相关 服务 咨询 企业形象 市场营销 会务 会议 营销 品牌 以自有资金 资金 社会经济 投资 财务 "
        "人力资源 市场调查 办公用品 日用品 日用百货 百货 一般商品 非许可类 机械设备 设备 物资 物品 五金交电 "
        "五金 电子产品 计算机软硬件 计算机软硬件及辅助设备 软硬件 计算机 电脑 劳保用品 文化用品 办公设备 "
        "建筑材料 建材 金属材料 化工产品 新材料 新技术 高新技术 科技 科学技术 商标 专利 节能 环保 新能源 "
        "会议及展览 展览展示 技术进出口 货物进出口 代理进出口"
    )
)
# Generic whatever the verb ("货物进出口").
ALWAYS_GENERIC = frozenset(
    words(
        "货物 技术 货物和技术 货物及技术 技术和货物 商品和技术 商品及技术 各类商品和技术 各类商品及技术 商品 "
        "各类商品 产品 自产产品 相关产品 相关技术 信息 企业管理 经济 经济信息 经济贸易 商务信息 商务 贸易 "
        "国内贸易 无 国家 资产 实业 项目 股权 进出口 外贸 相关 服务 咨询 以自有资金 资金 社会经济 投资 "
        "物资 物品 一般商品 非许可类 技术进出口 货物进出口 代理进出口 企业形象 品牌 财务 新技术 高新技术 科技 "
        "科学技术"
    )
)
