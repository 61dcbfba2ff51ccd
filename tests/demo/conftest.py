from __future__ import annotations

from tests.demo.support import reference_data

__all__ = ["reference_data"]
