"""An entry's manifest: the sha256 and size of every file, signed with a key kept outside the registry.

`manifest.json` lists exactly the entry's files (`model.keras`, `meta.json`) with their sha256
and byte counts, and carries an HMAC-SHA256 of that list. The key never lives in a registry
folder: it is `RECEXPLORE_REGISTRY_KEY` when set (the same value on every machine that should
trust the others' models), else a random key created once in `RECEXPLORE_REGISTRY_KEY_FILE`
(default `~/.config/recexplore/registry.key`, mode 0600). An entry is trusted when its files
match the manifest and either the signature verifies or the manifest's digest is one of the
pretrained entries shipped with the code (`recexplore/store/pretrained_manifests.json`), which a
clone has without any key. Anything else (an edited `meta.json` with recomputed hashes, a
swapped model, a copy from a machine with another key) is listed as broken, with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 2
KEY_ENV = "RECEXPLORE_REGISTRY_KEY"
KEY_FILE_ENV = "RECEXPLORE_REGISTRY_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/recexplore/registry.key")
SHIPPED_FILE = Path(__file__).with_name("pretrained_manifests.json")
_SIGNATURE_PREFIX = "hmac-sha256:"


class ManifestError(ValueError):
    """A manifest that is malformed, does not match its files, or is not trusted (one line)."""


def key_file() -> Path:
    """Where this installation's signing key is kept."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def signing_key(create: bool) -> bytes | None:
    """The registry key: the environment's, else the key file's (made when `create`); None if there is none."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return configured.encode("utf-8")
    path = key_file()
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    except FileExistsError:
        pass  # another process made it first
    except OSError as err:
        raise ManifestError(
            f"cannot create the registry signing key {path} ({err.strerror or err}): set {KEY_ENV} or {KEY_FILE_ENV}"
        ) from None
    return _read_key(path)


def trust_stamp() -> tuple[Any, ...]:
    """What the verdict on a signature depends on, cheaply: the key setting, the key file's and
    the pinned digests' stat (a listing cache is keyed on it, so a new key re-verifies)."""
    stamps = []
    for path in (key_file(), SHIPPED_FILE):
        try:
            s = path.stat()
            stamps.append((str(path), s.st_ino, s.st_size, s.st_mtime_ns))
        except OSError:
            stamps.append((str(path), None))
    configured = os.environ.get(KEY_ENV)
    return (hashlib.sha256(configured.encode("utf-8")).hexdigest() if configured else None, *stamps)


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) < 32:
        raise ManifestError(f"the registry signing key {path} is too short: delete it to make a new one")
    return text.encode("ascii", errors="replace")


def digest(files: dict[str, dict[str, Any]]) -> str:
    """The sha256 of the canonical file list: what is signed, pinned and used as a cache key."""
    return hashlib.sha256(json.dumps(files, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def build(contents: dict[str, bytes]) -> dict[str, Any]:
    """A signed manifest for an entry's files (creates the key file if needed)."""
    files = {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in contents.items()}
    key = signing_key(create=True)
    assert key is not None
    signature = hmac.new(key, digest(files).encode("ascii"), hashlib.sha256).hexdigest()
    return {"format": MANIFEST_FORMAT, "files": files, "signature": _SIGNATURE_PREFIX + signature}


def shipped_digests() -> frozenset[str]:
    """Digests of the pretrained entries shipped with the code (trusted without a key)."""
    try:
        payload = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    return frozenset(v for v in payload.values() if isinstance(v, str)) if isinstance(payload, dict) else frozenset()


def pin_shipped(digests: dict[str, str], keep_others: bool = False) -> None:
    """Record the digests of freshly pretrained shipped entries (`python -m recexplore pretrain`);
    with `keep_others` the entries not retrained keep their pinned digests (`pretrain --only`)."""
    pinned = json.loads(SHIPPED_FILE.read_text(encoding="utf-8")) if keep_others and SHIPPED_FILE.is_file() else {}
    pinned.update(digests)
    SHIPPED_FILE.write_text(json.dumps(dict(sorted(pinned.items())), indent=1) + "\n", encoding="utf-8")


def parse(raw: bytes, expected: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The file list of a manifest, checked for shape; ManifestError otherwise."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ManifestError("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"manifest.json is not a format-{MANIFEST_FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, dict) or sorted(files) != sorted(expected):
        raise ManifestError(f"manifest.json must list exactly {', '.join(expected)}")
    for name, record in files.items():
        if (
            not isinstance(record, dict)
            or set(record) != {"sha256", "bytes"}
            or not isinstance(record["sha256"], str)
            or len(record["sha256"]) != 64
            or isinstance(record["bytes"], bool)
            or not isinstance(record["bytes"], int)
            or record["bytes"] < 0
        ):
            raise ManifestError(f"manifest.json has a malformed record for {name}")
    signature = manifest.get("signature")
    if signature is not None and (not isinstance(signature, str) or not signature.startswith(_SIGNATURE_PREFIX)):
        raise ManifestError("manifest.json has a malformed signature")
    return {"files": files, "signature": signature}  # type: ignore[dict-item]


def verify(manifest: dict[str, Any], contents: dict[str, bytes]) -> str:
    """Check files against a parsed manifest and the manifest's trust; its digest, or ManifestError."""
    files = manifest["files"]
    for name, data in contents.items():
        record = files[name]
        if len(data) != record["bytes"] or hashlib.sha256(data).hexdigest() != record["sha256"]:
            raise ManifestError(f"{name} does not match the manifest (truncated or modified)")
    found = digest(files)
    if found in shipped_digests():
        return found
    signature = manifest.get("signature")
    if signature is None:
        raise ManifestError("the entry is not signed (not saved by RecExplore on this installation)")
    key = signing_key(create=False)
    if key is None:
        raise ManifestError(f"the entry is signed, but this installation has no signing key ({KEY_ENV})")
    expected = hmac.new(key, found.encode("ascii"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature[len(_SIGNATURE_PREFIX) :]):
        raise ManifestError("the signature does not match (edited, or saved with another registry key)")
    return found
