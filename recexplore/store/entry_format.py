"""What a models folder holds on disk: file and hidden names, read limits, Entry, and the folder checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recexplore.store.manifest import MANIFEST_FILE

MODEL_FILE = "model.keras"
META_FILE = "meta.json"
ENTRY_FILES = (META_FILE, MODEL_FILE)  # what the manifest signs
OWN_FILES = frozenset({*ENTRY_FILES, MANIFEST_FILE})  # an entry folder holds these and nothing else
MARKER_FILE = ".recexplore-registry"
WORKSPACES_FOLDER = ".workspaces"  # the app's per-workspace registries, inside the shared one by default
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FORMAT_VERSION = 2
# Read limits: a model file, its metadata and its manifest (regular files only, never more).
MAX_MODEL_BYTES = 256 << 20
MAX_META_BYTES = 8 << 20
MAX_MANIFEST_BYTES = 64 << 10
# Hidden folders of the registry. A save writes into TMP, and an overwrite parks the old entry
# as TRASH while the new one is renamed into place; a delete parks the entry as DELETED.
TMP, TRASH, DELETED = ".tmp-", ".trash-", ".deleted-"


class RegistryError(Exception):
    """A registry problem with a one-line, user-facing explanation."""


@dataclass(frozen=True)
class Entry:
    """One folder of the registry, valid or broken."""

    name: str
    path: Path
    meta: dict[str, Any]
    problem: str | None = None
    digest: str = ""  # the manifest's digest: identifies this exact save (cache key)

    @property
    def ok(self) -> bool:
        """True when the entry can be loaded."""
        return self.problem is None

    @property
    def kind(self) -> str:
        """The model family ('dlrm', 'dcn', 'towers', ...), or '?' for unreadable metadata."""
        return str(self.meta.get("kind", "?"))


def check_name(name: str) -> str:
    """Return `name` if it is a safe slug, else raise RegistryError."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise RegistryError(f"Invalid model name {name!r}: use 1-64 letters, digits, '-' or '_'.")
    return name


def hidden_name(folder: str, prefix: str) -> str | None:
    """The entry name in '<prefix><name>-<8 hex>', or None for anything else."""
    match = re.fullmatch(re.escape(prefix) + r"([A-Za-z0-9_-]{1,64})-[0-9a-f]{8}", folder)
    return match.group(1) if match else None


def is_entry_folder(path: Path, allow_partial: bool = False) -> bool:
    """True for a folder holding our entry files and nothing else: the manifest (a partial save,
    with `allow_partial`, may not have written it yet; an empty one qualifies then too)."""
    try:
        names = {p.name for p in path.iterdir()}
    except OSError:
        return False
    if not names <= OWN_FILES:
        return False
    return allow_partial or MANIFEST_FILE in names or names == set(ENTRY_FILES)  # the last: a pre-manifest save


def folder_of(root: Path, name: str) -> Path | None:
    """The folder holding entry `name`: its own, or the old entry an interrupted overwrite parked."""
    target = root / name
    if target.is_dir() and not target.is_symlink() and is_entry_folder(target):
        return target
    parked = sorted(
        p
        for p in root.glob(f"{TRASH}{name}-*")
        if hidden_name(p.name, TRASH) == name and not p.is_symlink() and is_entry_folder(p)
    )
    if parked:
        return parked[-1]
    # the overwrite may have finished meanwhile
    return target if target.is_dir() and not target.is_symlink() and is_entry_folder(target) else None
