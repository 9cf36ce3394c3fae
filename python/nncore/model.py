"""The name `nncore.model.Sequential`, kept for pickles written before the native model
moved to `nncore.native` (a pickle names the class by module and name, so without this
module those files would no longer load). New code: `nncore.Sequential`."""
from __future__ import annotations

from .native.model import Sequential

__all__ = ["Sequential"]
