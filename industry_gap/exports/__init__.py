"""Excel exports for the office: 附件4, 附件5 and the coverage sheet (see `workbooks`)."""

from industry_gap.exports.workbooks import (
    ANNEX4_HEADERS,
    ANNEX5_HEADERS,
    ExportPaths,
    annex4_table,
    annex5_table,
    consolidated_name,
    department_file_name,
    department_file_names,
    department_row_problems,
    export_folder,
    write_exports,
)

__all__ = [
    "ANNEX4_HEADERS",
    "ANNEX5_HEADERS",
    "ExportPaths",
    "annex4_table",
    "annex5_table",
    "consolidated_name",
    "department_file_name",
    "department_file_names",
    "department_row_problems",
    "export_folder",
    "write_exports",
]
