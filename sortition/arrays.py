"""Names for the numpy arrays the pure packages pass around (for the type checker only).

`Ints` covers both int64 and the platform's index type (intp): the same type at run time on the
64-bit machines we run on, but numpy's stubs tell them apart.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

Floats: TypeAlias = NDArray[np.float64]
Ints: TypeAlias = NDArray[np.signedinteger[Any]]
Bools: TypeAlias = NDArray[np.bool_]
