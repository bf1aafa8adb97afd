"""The review loop: export the review list to fill in, read it back as overrides, pin them.

1. `write_review_workbook` writes the review list (low-confidence or
   conflicting classifications, gap candidates before they are reported)
   with the top-3 candidates, the evidence and four highlighted columns to
   fill: 核定行业代码, 核定人, 核定日期, 备注.
2. `read_overrides` turns a filled file into accepted overrides, refused
   lines (file, row, column, value, Chinese reason) and messages.
3. `merge_overrides` combines them with the stored ones (newest wins).
4. `apply_overrides` / `apply_project_overrides` pin the codes (marked
   人工核定) and `override_labels` gives them to the model as labels.

`overrides_in_force` does 2 and 3 for a run and returns its `OverrideSet`.

No Dagster imports: the assets and the CLI call these functions.
"""

from industry_gap.review.columns import (
    FILL_HEADERS,
    MANUAL_REVIEW_LABEL,
    OVERRIDE_COLUMNS,
    RECORD_ID_HEADER,
    REJECTED_COLUMNS,
    SHEET_NAME,
    WORKBOOK_HEADERS,
)
from industry_gap.review.merging import conform_overrides, merge_overrides
from industry_gap.review.override_set import OverrideSet, overrides_in_force
from industry_gap.review.overrides import OverrideResult, check_class_code, read_overrides
from industry_gap.review.pinning import (
    LABEL_COLUMNS,
    apply_overrides,
    apply_project_overrides,
    manual_review_text,
    override_labels,
    unmatched_overrides,
)
from industry_gap.review.workbook import write_review_workbook

__all__ = [
    "FILL_HEADERS",
    "LABEL_COLUMNS",
    "MANUAL_REVIEW_LABEL",
    "OVERRIDE_COLUMNS",
    "OverrideResult",
    "OverrideSet",
    "RECORD_ID_HEADER",
    "REJECTED_COLUMNS",
    "SHEET_NAME",
    "WORKBOOK_HEADERS",
    "apply_overrides",
    "apply_project_overrides",
    "check_class_code",
    "conform_overrides",
    "manual_review_text",
    "merge_overrides",
    "override_labels",
    "overrides_in_force",
    "read_overrides",
    "unmatched_overrides",
    "write_review_workbook",
]
