"""GB/T 4754-2017 reference tables and their small Python API."""

from reference.gbt4754 import (
    INDUSTRIAL_SECTIONS,
    LEVEL_NAMES,
    LEVELS,
    Node,
    Standard,
    UnknownCodeError,
    normalize_code,
    standard,
)

__all__ = [
    "INDUSTRIAL_SECTIONS",
    "LEVEL_NAMES",
    "LEVELS",
    "Node",
    "Standard",
    "UnknownCodeError",
    "normalize_code",
    "standard",
]
