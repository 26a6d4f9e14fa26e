"""The CLI contract: JSON last lines, one-line errors with exit code 2, registry commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from recexplore.cli.main import main
from recexplore.config.metrics import RATING_BASELINES
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.list_metrics import LIST_METRICS
from recexplore.evaluation.rating_peers import rating_baselines
from recexplore.evaluation.sampled import DEFAULT_SAMPLINGS

ROOT = Path(__file__).resolve().parent.parent

FAST = ["--epochs", "1", "--batch-size", "256", "--embedding-dim", "8"]


def _json_tail(capsys: pytest.CaptureFixture[str]) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["train"],
        ["train", "svd"],
        ["train", "dlrm", "--epochs", "0"],
        ["train", "dlrm", "--epochs", "-3"],
        ["train", "dlrm", "--epochs", "two"],
        ["train", "dlrm", "--batch-size", "0"],
        ["train", "dlrm", "--learning-rate", "-1"],
        ["train", "dlrm", "--learning-rate", "nan"],
        ["train", "towers", "--layers", ""],
        ["train", "towers", "--layers", "64,abc"],
        ["train", "towers", "--layers", "0"],
        ["train", "towers", "--objective", "hinge"],
        ["train", "dlrm", "--save", "../escape"],
        ["recommend"],
        ["recommend", "--user", "1", "--k", "0"],
        ["models"],
        ["models", "delete"],
        ["models", "delete", "../x"],
        ["recommend", "--user", "1", "--model", "/etc/passwd"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("recexplore: error:")


def test_module_entry_point_reports_bad_arguments_on_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "recexplore", "train", "dlrm", "--epochs", "0"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "epochs" in proc.stderr
    assert proc.stdout == ""


def test_missing_data_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--data", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]


def test_unknown_split_is_reported(ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--data", str(ml_folder), "--split", "u9"]) == 1
    assert "Unknown split" in capsys.readouterr().err


def test_data_json(ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--data", str(ml_folder), "--split", "u1", "--json"]) == 0
    payload = _json_tail(capsys)
    assert payload["splits"] == ["random", "u1"] and payload["split"]["name"] == "u1"


def test_train_dlrm_json_and_save(ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "dlrm", "--data", str(ml_folder), *FAST, "--json", "--save", "d1", "--models-dir", str(tmp_path)]
    assert main(argv) == 0
    payload = _json_tail(capsys)
    for key in ("test_rmse", "test_mae", "train_seconds", "params", "device"):
        assert key in payload
    split = make_split(load_movielens(ml_folder, download=False), "random", seed=42)
    expected = rating_baselines(split.train, split.test, 42)
    assert [payload[k] for k in RATING_BASELINES] == pytest.approx([expected[k] for k in RATING_BASELINES])
    assert (tmp_path / "d1" / "model.keras").is_file()
    assert payload["config"]["early_stopping"] is False and "best_val_rmse" not in payload
    assert main(argv) == 2  # saving again without --overwrite is refused
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite", "--early-stopping"]) == 0
    payload = _json_tail(capsys)
    assert payload["config"]["early_stopping"] is True and "best_val_rmse" in payload


def test_train_towers_recommend_and_models(ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--data", str(ml_folder)]
    argv = [
        "train",
        "towers",
        *base,
        *FAST,
        "--layers",
        "16,8",
        "--json",
        "--save",
        "t1",
        "--models-dir",
        str(tmp_path),
    ]
    assert main(argv) == 0
    payload = _json_tail(capsys)
    for key in (
        "hit_rate_at_10",
        "hit_rate_at_100",
        "seed_top100_accuracy",
        "popularity_hit_rate_at_10",
        "popularity_hit_rate_at_100",
        "train_seconds",
        "params",
        "device",
        "ease_hit_rate_at_10",
        "ease_hit_rate_at_100",
        "ease_lambda",
        *(f"{prefix}{m}_at_10" for prefix in ("", "popularity_", "ease_") for m in LIST_METRICS),
    ):
        assert key in payload
    assert 0 <= payload["ease_hit_rate_at_10"] <= payload["ease_hit_rate_at_100"] <= 1
    assert (
        main(["recommend", "--user", "3", "--k", "5", "--model", "t1", "--models-dir", str(tmp_path), *base, "--json"])
        == 0
    )
    recs = _json_tail(capsys)["recommendations"]
    assert [r["rank"] for r in recs] == [1, 2, 3, 4, 5]
    assert main(["recommend", "--user", "99999", "--model", "t1", "--models-dir", str(tmp_path), *base]) == 2
    assert "Unknown user 99999" in capsys.readouterr().err
    # A new user from --rate: ids and title pieces, rated movies never recommended.
    assert (
        main(
            [
                "recommend",
                "--rate",
                "1=5,2=4,Café Society=1",
                "--k",
                "6",
                "--model",
                "t1",
                "--models-dir",
                str(tmp_path),
                *base,
                "--json",
            ]
        )
        == 0
    )
    payload = _json_tail(capsys)
    assert payload["ratings"] == {"1": 5.0, "2": 4.0, "4": 1.0}  # movie 4 is "Café Society (year)"
    assert len(payload["recommendations"]) == 6
    assert not {int(m) for m in payload["ratings"]} & {r["movie_id"] for r in payload["recommendations"]}
    assert main(["models", "list", "--models-dir", str(tmp_path), "--json"]) == 0
    assert [m["name"] for m in _json_tail(capsys)["models"]] == ["t1"]
    assert main(["models", "delete", "t1", "--models-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["models", "delete", "t1", "--models-dir", str(tmp_path)]) == 1


def test_compare_towers_json(ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare-towers", "--data", str(ml_folder), *FAST, "--json"]) == 0
    payload = _json_tail(capsys)
    assert [p["preset"] for p in payload["presets"]] == ["1-layer", "2-layer", "3-layer"]
    assert [p["layers"] for p in payload["presets"]] == [[32], [64, 32], [128, 64, 32]]
    assert "popularity_hit_rate_at_100" in payload["popularity"]
    beyond = [f"{m}_at_10" for m in LIST_METRICS]
    sampled = {f"ease_{k}" for sampling in DEFAULT_SAMPLINGS for k in sampling.keys}  # issue 35
    assert set(payload["ease"]) == {"ease_hit_rate_at_10", "ease_hit_rate_at_100", "ease_lambda"} | sampled | {
        f"ease_{k}" for k in beyond
    }
    for row in payload["presets"]:
        _check_beyond_ranges(row, "")
    _check_beyond_ranges(payload["popularity"], "popularity_")
    _check_beyond_ranges(payload["ease"], "ease_")
    scorers = {"1-layer", "2-layer", "3-layer", "popularity", "EASE"}
    tests = payload["significance"]
    assert len(tests) == 20 and {t["a"] for t in tests} | {t["b"] for t in tests} == scorers  # 10 pairs x 2 metrics
    for t in tests:
        assert {"a", "b", "metric", "diff", "ci_low", "ci_high", "p_value"} <= set(t)
        assert t["ci_low"] <= t["diff"] <= t["ci_high"] and 0 < t["p_value"] <= 1 and t["over"] == "users"
    assert set(payload["slices"]) == {"1-layer", "2-layer", "3-layer"}
    groups = {row["group"] for row in payload["slices"]["1-layer"]}
    assert {"activity < 30", "gender M", "gender F", "held-out head", "held-out tail"} <= groups
    assert payload["summary"].startswith(payload["best"])


def _check_beyond_ranges(metrics: dict, prefix: str) -> None:
    """Every list metric present and in its range."""
    assert 0 < metrics[f"{prefix}ndcg_at_10"] <= 1 and 0 < metrics[f"{prefix}mrr_at_10"] <= 1
    for key in ("catalog_coverage_at_10", "gini_at_10", "diversity_at_10", "personalization_at_10"):
        assert 0 <= metrics[prefix + key] <= 1, key
    assert 0 <= metrics[f"{prefix}popularity_percentile_at_10"] <= 100 and metrics[f"{prefix}novelty_at_10"] > 0


def test_models_list_shows_broken_entries(ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from recexplore.store import registry

    registry.open_registry(tmp_path, create=True)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("{}")  # recognised by its manifest, which is broken
    assert main(["models", "list", "--models-dir", str(tmp_path)]) == 0
    assert "BROKEN" in capsys.readouterr().out
