"""Settings, bounds and the facts every stage shares; imports no other stage and no Keras.

- `settings`: `Bound`, `setting`, `ConfigDict` (frozen, validated configs whose fields carry their
  rules: widgets and the CLI read them), layer lists.
- `memory`: the one memory cost model: every bytes-per-unit figure, the machine's available memory
  (cgroup-aware), what a large catalogue is.
- `text`: the wording one-line messages share (sizes in bytes, an error's first line).
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "Bound": "settings",
    "ConfigDict": "settings",
    "setting": "settings",
    "parse_layers": "settings",
    "check_layers": "settings",
    "ResourceError": "memory",
    "available_bytes": "memory",
    "large_catalogue": "memory",
    "byte_size": "text",
    "one_line": "text",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
