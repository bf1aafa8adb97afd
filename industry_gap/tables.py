"""The one specification of every warehouse table: columns, types, natural keys, Chinese descriptions.

Everything else reads this module: the warehouse creates, migrates, writes and
reads its tables from it (SQL types, NOT NULL, unique keys, ``COMMENT ON``),
`industry_gap.schema` takes the column lists of the clean input tables from it,
and ``docs/tables.md`` is generated from it (``python scripts/build_table_docs.py``;
a test fails when the committed file differs). A column's type is declared here
and nowhere else: there are no name rules, and a frame column the spec does not
know stops the warehouse write instead of being stored as text.

Adding a column: add a `Column` (type, Chinese description) to its `TableSpec`,
in the order the DataFrame has it, then regenerate the docs. The warehouse
creates a new table by itself; a new column of an existing table is not added
to a warehouse that already has the table (that needs a migration).

Every table also has ``id`` (surrogate key, keeps the write order) and
``run_date``; ``(run_date, *natural_key)`` is unique and its columns NOT NULL.
A table without a natural key gets an index on ``run_date`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MONEY_PRECISION = 18
MONEY_SCALE = 4  # 万元 with 4 decimals = exact to 1 元


@dataclass(frozen=True)
class ColumnType:
    """A column's type, the same on SQLite and PostgreSQL (the warehouse maps it to SQLAlchemy)."""

    kind: str  # one of KINDS
    length: int | None = None  # VARCHAR length ("string" only)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column type {self.kind!r}; known: {sorted(KINDS)}")
        if (self.kind == "string") != (self.length is not None):
            raise ValueError("a string column needs a length, no other type takes one")

    @property
    def sql(self) -> str:
        """The type as the documentation shows it (PostgreSQL spelling)."""
        return f"VARCHAR({self.length})" if self.kind == "string" else KINDS[self.kind][0]

    @property
    def label_zh(self) -> str:
        """What the type holds, in Chinese (the legend of docs/tables.md)."""
        return KINDS[self.kind][1]


# kind: (SQL spelling, what it holds and how `Warehouse.read` gives it back)
KINDS: dict[str, tuple[str, str]] = {
    "text": ("TEXT", "文本，不限长度"),
    "string": ("VARCHAR(n)", "代码或短文本，最长 n 个字符"),
    "integer": ("INTEGER", "整数"),
    "bigint": ("BIGINT", "大整数（如文件字节数）"),
    "float": ("FLOAT", "小数（浮点数，PostgreSQL 中为 double precision），用于比例、置信度"),
    "money": (
        f"NUMERIC({MONEY_PRECISION},{MONEY_SCALE})",
        f"金额（万元），保留 {MONEY_SCALE} 位小数即精确到元（四舍五入）；读回为浮点数",
    ),
    "boolean": ("BOOLEAN", "是 / 否"),
    "date": ("DATE", "日期；读回为 “YYYY-MM-DD” 文本，空值读回为空文本"),
    "timestamp": ("TIMESTAMP WITH TIME ZONE", "时间，按 UTC 保存（SQLite 中为 DATETIME）；读回为 ISO 文本"),
}

TEXT = ColumnType("text")
INTEGER = ColumnType("integer")
BIGINT = ColumnType("bigint")
FLOAT = ColumnType("float")
MONEY = ColumnType("money")
BOOLEAN = ColumnType("boolean")
DATE = ColumnType("date")
TIMESTAMP = ColumnType("timestamp")


def string(length: int) -> ColumnType:
    return ColumnType("string", length)


USCC = string(18)  # 统一社会信用代码
CODE = string(8)  # an industry code as entered (2–4 digits once canonical)
SHORT = string(64)  # a word from a short list (status, stage, scope, level, dataset)


@dataclass(frozen=True)
class Column:
    """One column of a table; `stored=False` marks a frame column the warehouse deliberately leaves out."""

    name: str
    type: ColumnType
    description_zh: str
    nullable: bool = True  # the natural key's columns are made NOT NULL by their TableSpec
    stored: bool = True
    note: str = ""  # English: the DataFrame contract beyond the type (format, what is left out)
    stored_as: str = ""  # the database column's name when it differs from the frame's (no SQL reserved words)

    @property
    def db_name(self) -> str:
        """The column's name in the database (and in docs/tables.md)."""
        return self.stored_as or self.name


@dataclass(frozen=True)
class TableSpec:
    """One warehouse table: its columns in DataFrame order, natural key and Chinese name and description."""

    name: str
    label_zh: str  # short Chinese name (headings, dataset labels)
    description_zh: str  # the table's COMMENT ON TABLE
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = ()  # unique per run date; () = the surrogate id is the only key
    input_dataset: bool = False  # a clean input table (规下/规上名录, 目标清单, 项目清单)
    by_run_date: bool = True  # has the id and run_date columns every run's table has
    _index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"table {self.name}: columns {duplicates} are declared twice")
        if self.by_run_date and {"id", "run_date"} & set(names):
            raise ValueError(f"table {self.name}: id and run_date are added to every table, do not declare them")
        stored = {column.name for column in self.columns if column.stored}
        if not set(self.natural_key) <= stored:
            raise ValueError(f"table {self.name}: natural key {self.natural_key} names a column it does not store")
        columns = tuple(
            replace(column, nullable=False) if column.name in self.natural_key else column for column in self.columns
        )
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "_index", {column.name: column for column in columns})

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """The columns the warehouse table has besides id and run_date, in order."""
        return tuple(column for column in self.columns if column.stored)

    @property
    def column_names(self) -> list[str]:
        """Names of the stored columns, in order."""
        return [column.name for column in self.stored_columns]

    @property
    def frame_columns(self) -> list[str]:
        """Names of every column the table's DataFrame has, stored or not, in order."""
        return [column.name for column in self.columns]

    @property
    def table_columns(self) -> tuple[Column, ...]:
        """Every column of the database table: id and run_date first (when by run date), then the stored ones."""
        return (*RUN_COLUMNS, *self.stored_columns) if self.by_run_date else self.stored_columns

    def column(self, name: str) -> Column:
        """A column by name, id and run_date included; KeyError when the spec does not have it."""
        if self.by_run_date and name in RUN_COLUMN_NAMES:
            return RUN_COLUMN_NAMES[name]
        return self._index[name]


RUN_COLUMNS = (
    Column("id", INTEGER, "自增编号（代理键，保持写入顺序）", nullable=False),
    Column("run_date", DATE, "运行日期（本次结果按此日期保存；同日重跑整体替换）", nullable=False),
)
RUN_COLUMN_NAMES = {column.name: column for column in RUN_COLUMNS}

C = Column  # the table list below reads as one line per column

# Columns that mean the same in every table that has them: declared once, named by `shared`.
SHARED_COLUMNS = {
    column.name: column
    for column in (
        C("town", TEXT, "乡镇（街道）"),
        C("department", TEXT, "责任单位"),
        C("project_name", TEXT, "项目名称"),
        C("builder", TEXT, "建设单位"),
        C("investment_wan", MONEY, "总投资（万元）"),
        C("row", INTEGER, "来源行号（表头为第 1 行）", stored_as="source_row"),
        C("pred_code_1", TEXT, "候选1代码"),
        C("pred_name_1", TEXT, "候选1名称"),
        C("pred_score_1", FLOAT, "候选1置信度"),
        C("pred_code_2", TEXT, "候选2代码"),
        C("pred_name_2", TEXT, "候选2名称"),
        C("pred_score_2", FLOAT, "候选2置信度"),
        C("pred_code_3", TEXT, "候选3代码"),
        C("pred_name_3", TEXT, "候选3名称"),
        C("pred_score_3", FLOAT, "候选3置信度"),
        C("is_industrial", BOOLEAN, "是否工业"),
        C("evidence", TEXT, "判定依据（经营范围中的关键词）"),
        C("code_level", TEXT, "行业代码层级（大类/中类/小类）"),
        C("code_source", TEXT, "行业代码来源（规上名录、登记代码、人工核定或经营范围分类）"),
        C("confidence", FLOAT, "置信度（0–1）"),
        C("counted_in_all", BOOLEAN, "是否计入全口径门类"),
        C("needs_review", BOOLEAN, "是否需要人工复核"),
        C("in_above_scale", BOOLEAN, "是否在规上名录中"),
        C("active", BOOLEAN, "是否存续"),
        C("decision", TEXT, "计入与否的说明"),
        C("level_name", TEXT, "层级名称"),
        C("present_above", BOOLEAN, "规上口径是否已有企业"),
        C("present_all", BOOLEAN, "全口径是否已有企业"),
        C("baseline_date", DATE, "基期日期"),
        C("note", TEXT, "说明"),
        C("gap_level_above", TEXT, "填补的规上空白层级"),
        C("gap_code_above", TEXT, "填补的规上空白代码"),
        C("gap_level_all", TEXT, "填补的全口径空白层级"),
        C("gap_code_all", TEXT, "填补的全口径空白代码"),
        C("potential_gap_level_above", TEXT, "入规后可填补的规上空白层级"),
        C("on_target_above", BOOLEAN, "是否在规上口径目标清单内"),
        C("on_target_all", BOOLEAN, "是否在全口径目标清单内"),
        C("target_code", TEXT, "对应的目标门类代码"),
        C("target_scope", TEXT, "对应目标的口径"),
        C("department_source", TEXT, "责任单位来源"),
        C("flagged", BOOLEAN, "是否标记为填补空白"),
        C("basis", TEXT, "判断依据"),
        C("entity_kind", TEXT, "对象类型（企业 / 项目）"),
        C("entity_id", TEXT, "对象编号（企业为信用代码，项目为项目编号）"),
    )
}


def shared(*names: str) -> tuple[Column, ...]:
    """The shared columns `names`, in that order."""
    return tuple(SHARED_COLUMNS[name] for name in names)


_SPECS = [
    # -- clean inputs ----------------------------------------------------------------------------------------
    TableSpec(
        "registry",
        "规下企业名录",
        "规下企业名录（清洁行）：每次运行一份，按运行日期 + 统一社会信用代码唯一；重复企业在接入时已剔除（见 set_aside）",
        natural_key=("uscc",),
        input_dataset=True,
        columns=(
            C("uscc", USCC, "统一社会信用代码（18 位）", note="18 characters, upper case, check digit valid"),
            C("name", TEXT, "企业名称"),
            C("scope", TEXT, "经营范围（原文）", note="raw text, never empty"),
            C(
                "main_activity",
                TEXT,
                "主要业务活动（统计名录原文，可为空）",
                stored=False,
                note="statistical register text, may be empty; classified with the scope",
            ),
            C("status", SHORT, "登记状态", note="active ones only: 存续/在业/开业/..."),
            C("enterprise_type", TEXT, "企业类型", note="有限责任公司, 个体工商户, 分公司 ..., may be empty"),
            C("established", DATE, "成立日期", note='ISO "YYYY-MM-DD" or empty'),
            C("registered_capital_wan", MONEY, "注册资本（万元）", note="float or NaN"),
            C("revenue_wan", MONEY, "营业收入（最近一年，万元）", note="float or NaN"),
            C("revenue_prev_wan", MONEY, "上年营业收入（万元）", note="the year before; float or NaN"),
            C("employees", INTEGER, "从业人员（人）", note="float or NaN in the frame"),
            *shared("town"),
            C("industry_code", CODE, "登记的行业代码（2017 版）", note="canonical 2017 code or empty"),
            C(
                "legal_representative",
                TEXT,
                "法定代表人（个人信息）",
                stored=False,
                note="personal data: never stored, never exported",
            ),
            C("source_file", TEXT, "来源文件"),
            C("source_row", INTEGER, "来源行号（表头为第 1 行）", note="1-based spreadsheet row, header = row 1"),
        ),
    ),
    TableSpec(
        "above_scale",
        "规上工业企业名录",
        "规上工业企业名录（清洁行）：按运行日期 + 统一社会信用代码唯一",
        natural_key=("uscc",),
        input_dataset=True,
        columns=(
            C("uscc", USCC, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            C("industry_code", CODE, "登记的行业代码（2017 版）"),
            C("revenue_wan", MONEY, "营业收入（最近一年，万元）"),
            *shared("town"),
            C("source_file", TEXT, "来源文件"),
            C("source_row", INTEGER, "来源行号（表头为第 1 行）"),
        ),
    ),
    TableSpec(
        "targets",
        "扩增门类目标清单",
        "扩增门类目标清单（附件2 全口径 / 附件3 规上口径）：按运行日期 + 口径 + 行业代码唯一",
        natural_key=("scope", "code"),
        input_dataset=True,
        columns=(
            C("scope", SHORT, "口径（全口径 / 规上口径）", note='"全口径" or "规上口径"'),
            C("code", CODE, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）", note="canonical 2017 code"),
            C("level", SHORT, "层级（division 大类 / group 中类 / class 小类）"),
            C("name", TEXT, "门类名称（标准名称）", note="standard name of the code"),
            *shared("department"),
            C("target_year", INTEGER, "目标年份"),
            C("source_file", TEXT, "来源文件"),
            C("source_row", INTEGER, "来源行号（表头为第 1 行）"),
        ),
    ),
    TableSpec(
        "projects",
        "项目清单",
        "项目清单（附件4 样式，清洁行）：建设单位可无信用代码，按运行日期 + 来源文件 + 来源行号唯一",
        natural_key=("source_file", "source_row"),
        input_dataset=True,
        columns=(
            *shared("project_name", "builder"),
            C("uscc", USCC, "建设单位统一社会信用代码（可为空）"),
            *shared("investment_wan"),
            C("stage", SHORT, "建设阶段", note="签约/在建/建成投产/..."),
            C("signed_date", DATE, "签约日期", note="ISO or empty"),
            C("planned_production", DATE, "计划投产时间", note="ISO or empty"),
            C("intended_code", CODE, "拟扩增门类代码", note="canonical 2017 code or empty"),
            C("content", TEXT, "建设内容", note="classified when intended_code is empty"),
            *shared("department"),
            C("source_file", TEXT, "来源文件"),
            C("source_row", INTEGER, "来源行号（表头为第 1 行）"),
        ),
    ),
    # -- ingestion accounting: nothing is ever dropped silently ------------------------------------------------
    TableSpec(
        "quarantine",
        "隔离行",
        "隔离行：输入中无法使用的行及原因；同一行可因多个原因被隔离，无自然键，以自增 id 区分",
        columns=(
            C(
                "dataset",
                SHORT,
                "数据集（registry 规下名录 / above_scale 规上名录 / targets 目标清单 / projects 项目清单 / "
                "overrides 人工核定）",
            ),
            C("file", TEXT, "来源文件", stored_as="source_file"),
            *shared("row"),
            C("column", TEXT, "出问题的列", stored_as="column_name"),
            C("value", TEXT, "出问题的值"),
            C("reason", TEXT, "原因"),
        ),
    ),
    TableSpec(
        "set_aside",
        "剔除行",
        "剔除行：有效但未采用的行（注销企业、较早的重复行等），按运行日期 + 数据集 + 文件 + 行号唯一",
        natural_key=("dataset", "file", "row"),
        columns=(
            C(
                "dataset",
                SHORT,
                "数据集（registry 规下名录 / above_scale 规上名录 / targets 目标清单 / projects 项目清单 / "
                "overrides 人工核定）",
            ),
            C("file", TEXT, "来源文件", stored_as="source_file"),
            *shared("row"),
            C("uscc", USCC, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            C("reason", TEXT, "剔除原因"),
        ),
    ),
    TableSpec(
        "row_accounting",
        "行数核对",
        "行数核对：每个输入数据集 读入 = 清洁 + 隔离 + 剔除，按运行日期 + 数据集唯一",
        natural_key=("dataset",),
        columns=(
            C(
                "dataset",
                SHORT,
                "数据集（registry 规下名录 / above_scale 规上名录 / targets 目标清单 / projects 项目清单 / "
                "overrides 人工核定）",
            ),
            C("file", TEXT, "来源文件", stored_as="source_file"),
            C("rows_in", INTEGER, "读入行数"),
            C("clean", INTEGER, "清洁行数"),
            C("quarantined", INTEGER, "隔离行数"),
            C("set_aside", INTEGER, "剔除行数"),
        ),
    ),
    # -- the month's workbooks this run's rows go with (industry_gap.exports.publishing) --------------------------
    TableSpec(
        "export_manifest",
        "本月报送工作簿清单",
        "本月报送工作簿清单：与本次运行数据一同提交的文件名、大小与 SHA-256，按运行日期 + 文件唯一",
        natural_key=("file",),
        columns=(
            C("month", string(7), "报送月份（YYYY-MM）"),
            C("token", string(32), "本次工作簿暂存批次标识"),
            C("file", TEXT, "文件名（相对于 exports/YYYY-MM/）"),
            C("bytes", BIGINT, "文件大小（字节）"),
            C("sha256", string(64), "文件 SHA-256 校验值"),
            C("committed_at", TIMESTAMP, "提交时间（UTC）"),
        ),
    ),
    # -- analysis ------------------------------------------------------------------------------------------------
    TableSpec(
        "classifications",
        "经营范围分类结果",
        "经营范围分类结果：每户规下企业的前三个候选行业代码及置信度，按运行日期 + 统一社会信用代码唯一",
        natural_key=("uscc",),
        columns=(
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            *shared(
                "pred_code_1",
                "pred_name_1",
                "pred_score_1",
                "pred_code_2",
                "pred_name_2",
                "pred_score_2",
                "pred_code_3",
                "pred_name_3",
                "pred_score_3",
            ),
            C("pred_division", TEXT, "预测所属大类"),
            C("pred_section", TEXT, "预测所属门类（A–T）"),
            *shared("is_industrial", "evidence"),
            C("reason", TEXT, "分类说明"),
            C("manual_review", TEXT, "人工核定说明"),
        ),
    ),
    TableSpec(
        "enterprise_codes",
        "企业计入门类所用的行业代码",
        "企业计入门类所用的行业代码：规上、规下各一行（同时在规上名录的规下企业两行都有），按运行日期 + 规模 + 信用代码唯一",
        natural_key=("scale", "uscc"),  # a 规下 firm also on the 规上 list has one row of each
        columns=(
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            C("scale", TEXT, "规模（above 规上 / below 规下）"),
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            *shared("code_level"),
            C("code_name", TEXT, "行业名称"),
            *shared(
                "is_industrial",
                "code_source",
                "confidence",
                "counted_in_all",
                "needs_review",
                "in_above_scale",
                "active",
                "decision",
            ),
        ),
    ),
    TableSpec(
        "coverage",
        "门类覆盖",
        "门类覆盖：大类、中类、小类在规上口径与全口径下是否已有企业，按运行日期 + 行业代码唯一",
        natural_key=("code",),
        columns=(
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            C("level", TEXT, "层级（division 大类 / group 中类 / class 小类）"),
            *shared("level_name"),
            C("name", TEXT, "门类名称"),
            C("section", TEXT, "所属门类"),
            C("division", TEXT, "所属大类"),
            C("group", TEXT, "所属中类", stored_as="group_code"),
            C("parent", TEXT, "上级代码"),
            *shared("present_above", "present_all"),
            C("n_above", INTEGER, "规上企业数"),
            C("n_below_registry", INTEGER, "规下企业数（按登记行业代码）"),
            C("n_below_classified", INTEGER, "规下企业数（按经营范围分类）"),
            C("n_all", INTEGER, "全口径企业数"),
            C("present_all_source", TEXT, "全口径已有的依据"),
        ),
    ),
    TableSpec(
        "baseline",
        "基期门类快照",
        "基期门类快照：计算“较基期新增”所用的基期覆盖，按运行日期 + 行业代码唯一",
        natural_key=("code",),
        columns=(
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            C("level", TEXT, "层级（division 大类 / group 中类 / class 小类）"),
            C("name", TEXT, "门类名称"),
            *shared("present_above", "present_all", "baseline_date"),
            C("baseline_source", TEXT, "基期来源"),
            *shared("note"),
        ),
    ),
    TableSpec(
        "progress",
        "目标进展",
        "目标进展：各口径、各层级较基期新增门类数与目标、截止日期，按运行日期 + 口径 + 层级唯一",
        natural_key=("scope", "level"),
        columns=(
            C("scope", TEXT, "口径（all 全口径 / above 规上口径）"),
            C("scope_name", TEXT, "口径名称"),
            C("level", TEXT, "层级（division 大类 / group 中类 / class 小类）"),
            *shared("level_name"),
            C("standard_nodes", INTEGER, "标准门类数"),
            C("baseline_present", INTEGER, "基期已有门类数"),
            C("current_present", INTEGER, "当前已有门类数"),
            C("new_nodes", INTEGER, "较基期新增门类数"),
            C("lost_nodes", INTEGER, "较基期减少门类数"),
            C("goal", INTEGER, "目标新增门类数"),
            C("remaining", INTEGER, "尚差门类数"),
            C("completion_ratio", FLOAT, "完成比例（0–1）"),
            C("deadline", DATE, "截止日期"),
            C("days_left", INTEGER, "距截止天数（负数为已过期）"),
            *shared("baseline_date"),
            C("new_codes", TEXT, "新增门类代码（顿号分隔）"),
        ),
    ),
    TableSpec(
        "gaps",
        "门类缺口标记",
        "门类缺口标记：每户规下企业是否填补规上/全口径空白门类，按运行日期 + 统一社会信用代码唯一",
        natural_key=("uscc",),
        columns=(
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            *shared("town"),
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            *shared("code_level"),
            C("code_name", TEXT, "行业名称"),
            *shared(
                "code_source",
                "confidence",
                "counted_in_all",
                "decision",
                "is_industrial",
                "active",
                "in_above_scale",
                "needs_review",
                "gap_level_above",
                "gap_code_above",
                "gap_level_all",
                "gap_code_all",
                "potential_gap_level_above",
                "on_target_above",
                "on_target_all",
                "target_code",
                "target_scope",
                "department",
                "department_source",
                "flagged",
                "basis",
            ),
        ),
    ),
    TableSpec(
        "project_assessment",
        "项目评估",
        "项目评估：项目所属门类、是否填补空白、责任单位，按运行日期 + 项目编号唯一",
        natural_key=("project_id",),
        columns=(
            C("project_id", TEXT, "项目编号"),
            *shared("project_name", "builder"),
            C("uscc", TEXT, "建设单位统一社会信用代码（可为空）"),
            *shared("investment_wan"),
            C("stage", TEXT, "建设阶段"),
            C("signed_date", DATE, "签约日期"),
            C("planned_production", DATE, "计划投产时间"),
            C("parent_uscc", TEXT, "母公司统一社会信用代码"),
            C("parent_name", TEXT, "母公司名称"),
            C("content", TEXT, "建设内容"),
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            *shared("code_level"),
            C("code_name", TEXT, "行业名称"),
            *shared(
                "code_source",
                "confidence",
                "needs_review",
                "gap_level_above",
                "gap_code_above",
                "gap_level_all",
                "gap_code_all",
                "potential_gap_level_above",
                "on_target_above",
                "on_target_all",
                "target_code",
                "target_scope",
                "department",
                "department_source",
                "flagged",
                "basis",
            ),
            C("source_file", TEXT, "来源文件"),
            C("source_row", TEXT, "来源行号"),
        ),
    ),
    TableSpec(
        "candidates",
        "入规培育清单",
        "入规培育清单：规下企业的培育阶段、排序与不纳入原因，按运行日期 + 统一社会信用代码唯一",
        natural_key=("uscc",),
        columns=(
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("name", TEXT, "企业名称"),
            *shared("town"),
            C("enterprise_type", TEXT, "企业类型"),
            C("scope_summary", TEXT, "经营范围摘要"),
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            C("code_name", TEXT, "行业名称"),
            *shared(
                "code_source",
                "confidence",
                "gap_level_above",
                "gap_code_above",
                "gap_level_all",
                "on_target_above",
                "on_target_all",
                "target_code",
                "department",
            ),
            C("revenue_wan", MONEY, "营业收入（最近一年，万元）"),
            C("revenue_prev_wan", MONEY, "上年营业收入（万元）"),
            C("revenue_ratio", FLOAT, "营业收入与入规标准之比"),
            C("revenue_growth", FLOAT, "营业收入增长率"),
            C("stage", TEXT, "培育阶段"),
            C("stage_name", TEXT, "培育阶段名称"),
            C("included", BOOLEAN, "是否纳入入规培育清单"),
            C("exclusion_reason", TEXT, "不纳入原因"),
            C("rank", INTEGER, "排序（1 为最优先跟进）"),
            *shared("basis"),
        ),
    ),
    TableSpec(
        "rewards",
        "奖励测算",
        "奖励测算：按政策条款逐条测算的预计奖励（万元），按运行日期 + 奖励条目编号唯一",
        natural_key=("claim_id",),
        columns=(
            C("claim_id", TEXT, "奖励条目编号"),
            C("beneficiary_key", TEXT, "受奖对象标识"),
            C("beneficiary_uscc", TEXT, "受奖单位统一社会信用代码"),
            C("beneficiary_name", TEXT, "受奖单位名称"),
            *shared("entity_kind", "entity_id"),
            C("entity_name", TEXT, "对象名称"),
            C("rule_key", TEXT, "奖励条款标识"),
            C("rule_name", TEXT, "奖励条款名称"),
            C("article", TEXT, "政策条款"),
            C("code", TEXT, "门类代码"),
            C("code_name", TEXT, "行业名称"),
            C("gap_scope", TEXT, "空白口径"),
            C("gap_basis", TEXT, "空白判断依据"),
            C("standalone_gap_level", TEXT, "单独计算时的空白层级"),
            C("gap_level", TEXT, "空白层级"),
            C("gap_code", TEXT, "空白代码"),
            C("base_amount_wan", MONEY, "基础奖励（万元）"),
            C("bonus_ratio", FLOAT, "加奖比例"),
            C("amount_wan", MONEY, "预计奖励（万元）"),
            C("payment_schedule", TEXT, "兑现方式"),
            C("amount_due_now_wan", MONEY, "本期应兑现奖励（万元）"),
            C("status", TEXT, "测算状态"),
            C("status_name", TEXT, "状态名称"),
            C("excluded_by_rule", TEXT, "被排除的条款"),
            C("reason", TEXT, "测算说明"),
            C("conditions", TEXT, "兑现条件"),
            C("allocation_order", INTEGER, "分配顺序"),
        ),
    ),
    TableSpec(
        "review_list",
        "复核清单",
        "复核清单：需要人工核定行业代码的企业与项目，按运行日期 + 对象类型 + 对象编号唯一",
        natural_key=("entity_kind", "entity_id"),
        columns=(
            *shared("entity_kind"),
            C("entity_kind_name", TEXT, "对象类型名称"),
            *shared("entity_id"),
            C("name", TEXT, "名称（企业名称或项目名称）"),
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("text_excerpt", TEXT, "经营范围或建设内容摘录"),
            *shared(
                "pred_code_1",
                "pred_name_1",
                "pred_score_1",
                "pred_code_2",
                "pred_name_2",
                "pred_score_2",
                "pred_code_3",
                "pred_name_3",
                "pred_score_3",
                "evidence",
            ),
            C("classifier_reason", TEXT, "分类器说明"),
            *shared("potential_gap_level_above", "department"),
            C("review_reason", TEXT, "需复核原因"),
        ),
    ),
    TableSpec(
        "changes",
        "本月变化",
        "本月变化：与上次运行、上月相比的门类与企业变化说明；为派生说明，无自然键，以自增 id 区分",
        columns=(  # derived notes: the same firm or code may be told twice, so no natural key
            C("change_kind", TEXT, "变化类型"),
            C("change_kind_name", TEXT, "变化类型名称"),
            C("compared_with", TEXT, "比较对象（较上次运行 / 较上月）"),
            C("scope", TEXT, "口径"),
            C("level", TEXT, "层级（division 大类 / group 中类 / class 小类）"),
            C("code", TEXT, "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）"),
            C("name", TEXT, "名称（企业或门类）"),
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            C("detail", TEXT, "变化说明"),
        ),
    ),
    TableSpec(
        "overrides",
        "人工核定",
        "人工核定：已生效的核定行业代码（每个企业或项目一条，最新核定日期优先），按运行日期 + 对象类型 + 对象编号唯一",
        natural_key=("entity_kind", "entity_id"),
        columns=(
            C("uscc", TEXT, "统一社会信用代码（18 位）"),
            *shared("entity_id", "entity_kind"),
            C("name", TEXT, "名称（企业名称或项目名称）"),
            C("code", TEXT, "核定行业代码"),
            C("code_name", TEXT, "核定行业名称"),
            C("reviewer", TEXT, "核定人"),
            C("reviewed_on", DATE, "核定日期"),
            *shared("note"),
            C("source_file", TEXT, "核定来源文件（复核工作簿）"),
            C("source_row", TEXT, "核定来源行号"),
        ),
    ),
]

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _SPECS}

# The warehouse's own bookkeeping: one row per key, no run date.
META = TableSpec(
    "warehouse_meta",
    "仓库元数据",
    "仓库元数据：表结构版本（schema_version）及迁移记录，由 industry-gap 维护",
    natural_key=("key",),
    by_run_date=False,
    columns=(
        C("key", SHORT, "项目（schema_version 表结构版本、migrated_from 迁移来源）"),
        C("value", TEXT, "值", nullable=False),
    ),
)

# The level words the tables store (code, as computed) and the workbooks' names for them: the views join it.
LEVELS = TableSpec(
    "levels",
    "层级名称",
    "层级名称：表中 level、gap_level 等列的取值（section / division / group / class / none）与工作簿中的名称"
    "（门类 / 大类 / 中类 / 小类 / 空值）对照，由 industry-gap 维护",
    natural_key=("level",),
    by_run_date=False,
    columns=(
        C("level", SHORT, "层级取值（表中所存）"),
        C("level_name", SHORT, "层级名称（与工作簿一致；none 为空值）"),
    ),
)
LEVEL_NAMES = {"section": "门类", "division": "大类", "group": "中类", "class": "小类", "none": None}

del C


@dataclass(frozen=True)
class ViewSpec:
    """A read-only view for BI tools and Excel Power Query: each month's reported run (the month's latest
    run date), in the workbooks' words. `sql` names tables as ``{s}table`` (the schema prefix)."""

    name: str
    label_zh: str
    description_zh: str
    columns: tuple[tuple[str, str], ...]  # (name, Chinese description), in the view's order
    sql: str


# The run date each month reported with: the latest run date of the month.
_MONTHLY = "run_date IN (SELECT MAX(run_date) FROM {s}row_accounting GROUP BY SUBSTR(CAST(run_date AS TEXT), 1, 7))"
_MONTH = "SUBSTR(CAST({t}.run_date AS TEXT), 1, 7)"
_LEVEL_NAME = "(SELECT l.level_name FROM {{s}}levels l WHERE l.level = {t}.level)"

VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec(
        "v_coverage_by_month",
        "各月门类覆盖",
        "各月门类覆盖：每个报送月份（该月最后一次运行）各层级的标准门类数、规上口径与全口径已有门类数",
        (
            ("month", "报送月份（YYYY-MM）"),
            ("run_date", "该月最后一次运行的日期"),
            ("level_name", "层级（大类 / 中类 / 小类）"),
            ("standard_nodes", "标准门类数"),
            ("present_above_nodes", "规上口径已有门类数"),
            ("present_all_nodes", "全口径已有门类数"),
        ),
        f"SELECT {_MONTH.format(t='c')} AS month, c.run_date AS run_date, {_LEVEL_NAME.format(t='c')} AS level_name, "
        "COUNT(*) AS standard_nodes, "
        "SUM(CASE WHEN c.present_above THEN 1 ELSE 0 END) AS present_above_nodes, "
        "SUM(CASE WHEN c.present_all THEN 1 ELSE 0 END) AS present_all_nodes "
        f"FROM {{s}}coverage c WHERE c.{_MONTHLY} "
        "GROUP BY c.run_date, c.level",
    ),
    ViewSpec(
        "v_candidates",
        "入规培育清单及依据",
        "入规培育清单及依据：每个报送月份的规下企业培育阶段、排序、缺口层级，附经营范围分类的首选代码、置信度与判定依据",
        (
            ("month", "报送月份（YYYY-MM）"),
            ("run_date", "该月最后一次运行的日期"),
            ("uscc", "统一社会信用代码"),
            ("name", "企业名称"),
            ("town", "乡镇（街道）"),
            ("industry_code", "计入门类所用的行业代码"),
            ("industry_name", "行业名称"),
            ("code_source", "行业代码来源"),
            ("confidence", "置信度（0–1）"),
            ("stage_name", "培育阶段"),
            ("included", "是否纳入入规培育清单"),
            ("priority", "排序（1 为最优先跟进）"),
            ("gap_level_above", "填补规上口径空白的层级（大类 / 中类 / 小类，空值为不填补）"),
            ("gap_level_all", "填补全口径空白的层级（空值为不填补）"),
            ("department", "责任单位"),
            ("revenue_wan", "营业收入（最近一年，万元）"),
            ("revenue_prev_wan", "上年营业收入（万元）"),
            ("basis", "判定说明"),
            ("predicted_code", "经营范围分类首选代码"),
            ("predicted_score", "首选代码置信度"),
            ("evidence", "判定依据（经营范围中的关键词）"),
        ),
        f"SELECT {_MONTH.format(t='c')} AS month, c.run_date AS run_date, c.uscc AS uscc, c.name AS name, "
        "c.town AS town, c.code AS industry_code, c.code_name AS industry_name, c.code_source AS code_source, "
        "c.confidence AS confidence, NULLIF(c.stage_name, '') AS stage_name, c.included AS included, "
        "c.rank AS priority, "
        f"NULLIF({_LEVEL_NAME.format(t='c').replace('c.level', 'c.gap_level_above')}, '') AS gap_level_above, "
        f"NULLIF({_LEVEL_NAME.format(t='c').replace('c.level', 'c.gap_level_all')}, '') AS gap_level_all, "
        "NULLIF(c.department, '') AS department, c.revenue_wan AS revenue_wan, "
        "c.revenue_prev_wan AS revenue_prev_wan, NULLIF(c.basis, '') AS basis, "
        "NULLIF(k.pred_code_1, '') AS predicted_code, k.pred_score_1 AS predicted_score, "
        "NULLIF(k.evidence, '') AS evidence "
        "FROM {s}candidates c LEFT JOIN {s}classifications k ON k.run_date = c.run_date AND k.uscc = c.uscc "
        f"WHERE c.{_MONTHLY}",
    ),
    ViewSpec(
        "v_target_progress",
        "各目标门类进展",
        "各目标门类进展：每个报送月份，目标清单中每个门类在其口径下是否已有企业（已实现），及责任单位、目标年份",
        (
            ("month", "报送月份（YYYY-MM）"),
            ("run_date", "该月最后一次运行的日期"),
            ("scope_name", "口径（全口径 / 规上口径）"),
            ("industry_code", "目标门类代码"),
            ("industry_name", "目标门类名称"),
            ("level_name", "层级（大类 / 中类 / 小类）"),
            ("department", "责任单位"),
            ("target_year", "目标年份"),
            ("achieved", "是否已实现（该口径下已有企业）"),
            ("enterprises", "该口径下的企业数"),
        ),
        f"SELECT {_MONTH.format(t='t')} AS month, t.run_date AS run_date, t.scope AS scope_name, "
        f"t.code AS industry_code, t.name AS industry_name, {_LEVEL_NAME.format(t='t')} AS level_name, "
        "NULLIF(t.department, '') AS department, t.target_year AS target_year, "
        "CASE WHEN t.scope = '规上口径' THEN c.present_above ELSE c.present_all END AS achieved, "
        "CASE WHEN t.scope = '规上口径' THEN c.n_above ELSE c.n_all END AS enterprises "
        "FROM {s}targets t LEFT JOIN {s}coverage c ON c.run_date = t.run_date AND c.code = t.code "
        f"WHERE t.{_MONTHLY}",
    ),
)

DOCS_PATH = "docs/tables.md"  # relative to the repository root
DOCS_COMMAND = "python scripts/build_table_docs.py"

_INTRO = f"""\
# Warehouse tables

<!-- Generated from industry_gap/tables.py by `{DOCS_COMMAND}`: do not edit by hand
     (tests/test_table_spec.py fails when this file differs from what the specification generates). -->

Every run of industry-gap writes the tables below into the warehouse (SQLite in the output
folder by default, or PostgreSQL in its own schema, `industry_gap` unless `--db-schema` says
otherwise), all in one transaction, keyed by the run date: writing the same run date again
replaces that date's rows.

The single source of these definitions is `industry_gap/tables.py`: the warehouse creates and
migrates its tables from it (types, keys, the Chinese `COMMENT ON` of every table and column on
PostgreSQL), and writing a DataFrame column the specification does not know is an error.
Columns are listed in the order the tables store them; the descriptions below are the
database comments.

Every table has `id` (surrogate key, in write order) and `run_date`. The natural key is unique
per run date and its columns are NOT NULL; a table without one has an index on `run_date`.

## 类型说明

| 类型 | 含义 |
|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _key_text(spec: TableSpec) -> str:
    if not spec.natural_key:
        return "无自然键，以自增 `id` 区分（`run_date` 上建有索引）。" if spec.by_run_date else ""
    key = (("run_date",) if spec.by_run_date else ()) + spec.natural_key
    return ("唯一键：" if spec.by_run_date else "主键：") + " + ".join(f"`{name}`" for name in key) + "。"


def _table_markdown(spec: TableSpec) -> list[str]:
    lines = [f"## {spec.name}：{spec.label_zh}", "", spec.description_zh, "", _key_text(spec), ""]
    with_notes = any(column.note for column in spec.columns)
    header = "| 列 | 类型 | 可为空 | 说明 |" + (" Note (DataFrame) |" if with_notes else "")
    lines += [header, "|---|---|---|---|" + ("---|" if with_notes else "")]
    for column in spec.table_columns:
        row = (
            f"| `{column.db_name}` | {column.type.sql} | {'是' if column.nullable else '否'} "
            f"| {_cell(column.description_zh)} |"
        )
        lines.append(row + (f" {_cell(column.note)} |" if with_notes else ""))
    left_out = [column for column in spec.columns if not column.stored]
    if left_out:
        lines += ["", "DataFrame 中另有以下列，不写入数据库：", ""]
        lines += [
            f"- `{column.name}`：{column.description_zh}" + (f" — {column.note}" if column.note else "")
            for column in left_out
        ]
    return lines + [""]


def render_markdown() -> str:
    """docs/tables.md: an English introduction, the type legend, then every table's columns in Chinese."""
    lines = [_INTRO.rstrip("\n")]
    lines += [f"| {spelling} | {meaning} |" for spelling, meaning in KINDS.values()]
    lines.append("")
    for spec in (*TABLES.values(), META, LEVELS):
        lines += _table_markdown(spec)
    lines += [
        "# Read-only views (BI tools, Excel Power Query)",
        "",
        "The warehouse also has these views (in the same schema on PostgreSQL), recreated when a new version",
        "changes them. Each shows every reported month once: the month's latest run date. Level names are the",
        "workbooks' (大类 / 中类 / 小类) and a missing value is NULL. In Excel: 数据 → 获取数据 → 自数据库",
        "(PostgreSQL, or an ODBC source for the SQLite file), then choose the view.",
        "",
    ]
    for view in VIEWS:
        lines += [f"## {view.name}：{view.label_zh}", "", view.description_zh, "", "| 列 | 说明 |", "|---|---|"]
        lines += [f"| `{name}` | {_cell(description)} |" for name, description in view.columns]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
