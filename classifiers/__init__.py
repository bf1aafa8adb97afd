"""Business-scope (经营范围) classifier into GB/T 4754-2017 小类.

    from classifiers import load_default_model, train_model, ScopeClassifier
    model = load_default_model()                       # reference knowledge only
    [pred] = model.predict(["汽车零部件的研发、生产和销售"], top_k=3)
    pred.codes, pred.scores, pred.division, pred.is_industrial, pred.evidence
    out = model.classify_frame(df, "经营范围", top_k=3)   # adds pred_code_1.. columns
    trained = train_model(texts, labels, label_edition="2011")
    trained.save("models/office"); ScopeClassifier.load("models/office")

Plain Python (no Dagster). See classifiers/README.md for the approach and figures.
"""

from classifiers.model import MODEL_VERSION, Prediction, ScopeClassifier
from classifiers.scope_parser import ParsedScope, ScopeItem, parse_scope
from classifiers.training import build_reference_model, load_default_model, normalize_label, train_model

__all__ = [
    "MODEL_VERSION",
    "Prediction",
    "ScopeClassifier",
    "ParsedScope",
    "ScopeItem",
    "parse_scope",
    "build_reference_model",
    "load_default_model",
    "normalize_label",
    "train_model",
]
