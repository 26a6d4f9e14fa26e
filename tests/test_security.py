"""Security rules: no model uploads or free-text paths, nothing user-typed reaches a shell or eval,
models load only as validated .keras files with safe_mode, and Keras is new enough."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import keras
import pytest

from recexplore.store import entry_format, manifest, registry
from recexplore.store.entry_format import RegistryError

ROOT = Path(__file__).resolve().parent.parent
APP_SOURCES = sorted([ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "recexplore").rglob("*.py")])
SAFE_KERAS = (3, 13, 2)  # the first release with the known safe_mode bypasses fixed


def _calls(path: Path) -> list[str]:
    """Dotted names of every call in a source file ('st.file_uploader', 'os.system', 'eval', ...)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            names.append(ast.unparse(node.func))
    return names


def test_the_sources_are_scanned() -> None:
    assert len(APP_SOURCES) > 20 and any("st.selectbox" in _calls(p) for p in APP_SOURCES)


FORBIDDEN_CALLS = re.compile(
    r"^(eval|exec|compile|__import__|input|open_code)$"  # builtins that run text as code
    r"|^os\.(system|popen|exec\w*|spawn\w*|posix_spawn\w*)$|^subprocess\.\w+$"  # shells and processes
    r"|^st\.(file_uploader|camera_input|audio_input)$"  # uploads
    r"|(^|\.)(load_weights|load_model|from_config|deserialize_keras_object|enable_unsafe_deserialization)$"
    r"|^(pickle|marshal|shelve|dill|joblib)\.\w+$"
)
# The only place allowed to deserialise a model: the registry (validated .keras, safe_mode).
# The parse cache is plain arrays read with np.load(allow_pickle=False).
# The only place allowed to start processes: the set-up of `python -m recexplore app|test` (an
# argument list built from fixed words and the user's own command line; never a shell).
ALLOWED = {
    "recexplore/store/registry.py": {"keras.saving.load_model"},
    "recexplore/cli/bootstrap.py": {"subprocess.run", "os.execv"},
}


@pytest.mark.parametrize("path", APP_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_uploads_shells_eval_or_foreign_deserialisation(path: Path) -> None:
    allowed = ALLOWED.get(path.relative_to(ROOT).as_posix(), set())
    found = [name for name in _calls(path) if FORBIDDEN_CALLS.search(name) and name not in allowed]
    assert found == [], f"{path.name} calls {found}"
    source = path.read_text(encoding="utf-8")
    assert "shell=True" not in source and "safe_mode=False" not in source


def test_the_forbidden_list_catches_what_it_should() -> None:
    for name in [
        "eval",
        "os.system",
        "subprocess.run",
        "st.file_uploader",
        "keras.saving.load_model",
        "model.load_weights",
        "pickle.loads",
        "keras.models.load_model",
    ]:
        assert FORBIDDEN_CALLS.search(name), name
    for name in ["model.compile", "re.compile", "registry.load", "json.loads", "page.run", "self.call"]:
        assert not FORBIDDEN_CALLS.search(name), name


def test_numpy_loads_never_allow_pickles() -> None:
    loads = [
        (p.name, ast.unparse(node))
        for p in APP_SOURCES
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "np.load"
    ]
    assert loads and all("allow_pickle=False" in call for _, call in loads), loads


def test_keras_is_pinned_to_a_safe_release() -> None:
    requirement = next(
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("keras") and not line.startswith("keras-rs")
    )
    pinned = tuple(int(x) for x in re.fullmatch(r"keras>=(\d+)\.(\d+)\.(\d+)", requirement.strip()).groups())
    assert pinned >= SAFE_KERAS
    installed = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", keras.__version__).groups())
    assert installed >= SAFE_KERAS


def _plant(folder: Path, name: str, model: keras.Model | bytes) -> None:
    """Put a model into the registry by hand, correctly signed: a forgery by someone who holds
    the registry key (only Keras' safe mode stands in the way then)."""
    registry.open_registry(folder, create=True)
    entry = folder / name
    entry.mkdir(parents=True)
    if isinstance(model, bytes):
        (entry / entry_format.MODEL_FILE).write_bytes(model)
    else:
        model.save(entry / entry_format.MODEL_FILE)
    vocab = {
        k: []
        for k in (
            "user_ids",
            "movie_ids",
            "occupations",
            "zip_regions",
            "title_tokens",
            "genres",
            "genders",
            "age_buckets",
        )
    }
    meta = {
        "format_version": 2,
        "name": name,
        "kind": "towers",
        "config": {},
        "vocab": vocab,
        "data_fingerprint": "",
        "split": {},
        "seed": 0,
        "metrics": {},
        "history": [],
        "params": 0,
    }
    contents = {
        entry_format.META_FILE: json.dumps(meta).encode(),
        entry_format.MODEL_FILE: (entry / entry_format.MODEL_FILE).read_bytes(),
    }
    (entry / entry_format.META_FILE).write_bytes(contents[entry_format.META_FILE])
    (entry / "manifest.json").write_text(json.dumps(manifest.build(contents)))


def test_a_forged_entry_with_a_lambda_layer_is_refused_by_safe_mode(tmp_path: Path) -> None:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    _plant(tmp_path, "forged", model)
    (entry,) = registry.list_entries(tmp_path)
    assert entry.ok  # the checksum matches: only safe_mode stands between us and the lambda
    with pytest.raises(RegistryError, match="could not be loaded") as err:
        registry.load("forged", tmp_path)
    assert "\n" not in str(err.value)


def test_a_model_file_that_is_not_a_keras_archive_is_refused(tmp_path: Path) -> None:
    _plant(tmp_path, "fake", b"cos\nsystem\n(S'echo pwned'\ntR.")  # a pickle, not a zip
    with pytest.raises(RegistryError, match="could not be loaded"):
        registry.load("fake", tmp_path)


@pytest.mark.parametrize("name", ["../models", "/etc", "a/../b", "C:\\x", "~", "name.keras", "-" * 65])
def test_paths_never_pass_as_model_names(name: str, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="Invalid model name"):
        registry.load(name, tmp_path)
    with pytest.raises(RegistryError, match="Invalid model name"):
        registry.delete(name, tmp_path)
