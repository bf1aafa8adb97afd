"""The tags a run carries in Dagster: which district, run date, registry file and model (issue 26).

Plain strings, no personal data: the registry is named by its file name only (masked like every
output, a file may be named after a person's ID or phone number), never by its rows.
"""

from __future__ import annotations

from pathlib import Path

from industry_gap.privacy import mask_text
from industry_gap.settings import INPUT_DATASETS, Settings

PREFIX = "industry_gap"
DISTRICT = f"{PREFIX}/district"
RUN_DATE = f"{PREFIX}/run_date"
REGISTRY = f"{PREFIX}/registry"
MODEL_VERSION = f"{PREFIX}/model_version"
MODEL = f"{PREFIX}/model"  # the model the run classified with (its training hash), added when known
TRIGGER = f"{PREFIX}/trigger"
SAMPLE_DATA = "样例数据"
MAX_VALUE = 200


def registry_label(settings: Settings) -> str:
    """The registry file's name, 样例数据 for the bundled sample, 未提供 when none was given."""
    given = settings.input_paths()["registry"]
    if not given:
        return "未提供"
    name = Path(given).name
    if not any(getattr(settings, dataset) for dataset in INPUT_DATASETS):
        return f"{SAMPLE_DATA}（{name}）"
    return mask_text(name)[:MAX_VALUE]


def run_tags(
    settings: Settings, trigger: str, district: str | None = None, registry: str | None = None
) -> dict[str, str]:
    """District, run date, registry file name, classifier version and what started the run."""
    from classifiers.model import MODEL_VERSION as VERSION

    return {
        DISTRICT: (district or settings.policy().district)[:MAX_VALUE],
        RUN_DATE: settings.resolved_run_date().isoformat(),
        REGISTRY: registry or registry_label(settings),
        MODEL_VERSION: VERSION,
        TRIGGER: trigger,
    }
