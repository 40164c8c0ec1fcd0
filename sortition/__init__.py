"""Fair selection of a citizens' panel by lot: pure numpy/scipy, no web or database imports."""

from sortition.model import (
    ALGORITHMS,
    Category,
    Distribution,
    InfeasibleQuotas,
    InputError,
    Instance,
    Pool,
    Problem,
    Progress,
    Quotas,
    Relaxation,
    SelectionError,
    SelectionOptions,
)

__all__ = [
    "ALGORITHMS",
    "Category",
    "Distribution",
    "InfeasibleQuotas",
    "InputError",
    "Instance",
    "Pool",
    "Problem",
    "Progress",
    "Quotas",
    "Relaxation",
    "SelectionError",
    "SelectionOptions",
]

__version__ = "0.1.0"
