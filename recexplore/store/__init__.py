"""Saved models: the registry (atomic, signed, validated: `registry`, `entry_format`, `atomic`,
`reading`, `manifest`, `schema`) and students' workspaces (`workspaces`). Never imports Ray: `models
list` stays fast.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "save": "registry",
    "load": "registry",
    "list_entries": "registry",
    "delete": "registry",
    "Entry": "entry_format",
    "RegistryError": "entry_format",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
