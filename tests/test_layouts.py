"""The data sets beyond ML-100K: the ML-1M layout (`::`, Latin-1, demographics as codes) and the
CSV layout of ml-latest-small / ml-20m / ml-25m (UTF-8, half stars, no demographics), read from
folders and zips the synthetic generator writes; which data set a folder holds; bad lines named;
the CLI's --dataset, `data --json` and `synth`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from recexplore.cli.main import main
from recexplore.config import memory
from recexplore.data.loading import load_movielens
from recexplore.data.locate import datasets_at, present_datasets
from recexplore.data.movielens import DataError
from recexplore.data.sources import NAMES, SOURCES, source
from recexplore.data.splits import make_split, write_folds
from recexplore.data.synth import write_synthetic
from tests.synthetic import write_movielens

SIZES = {"n_ratings": 2000, "n_users": 50, "n_movies": 120, "seed": 4}


@pytest.fixture(scope="module")
def ml1m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory.mktemp("layouts") / "ml-1m", "ml-1m")


@pytest.fixture(scope="module")
def csv_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory.mktemp("layouts") / "ml-25m", "ml-25m")


def _written(folder: Path, layout: str) -> Path:
    write_synthetic(folder, layout, **SIZES)
    return folder


def _copy(folder: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_the_sources_table_is_one_row_per_data_set() -> None:
    assert NAMES == ("ml-100k", "ml-1m", "ml-latest-small", "ml-20m", "ml-25m")
    for row in SOURCES:
        assert row.url == f"https://files.grouplens.org/datasets/movielens/{row.name}.zip"
        assert len(row.zip_sha256) == 64 and row.zip_size > 0 and row.tfds_config.endswith("-ratings")
    assert source("ml-1m").missing_features == () and "gender" in source("ml-25m").missing_features
    with pytest.raises(ValueError, match="Unknown data set 'ml-2m'"):
        source("ml-2m")


def test_ml1m_layout_reads_demographics_codes_and_latin1(ml1m: Path) -> None:
    data = load_movielens(ml1m)
    assert data.dataset == "ml-1m" and len(data.ratings) == 2000 and len(data.users) == 50
    assert dict(data.ratings.dtypes.astype(str)) == {
        "user_id": "int32",
        "movie_id": "int32",
        "user_rating": "float32",
        "timestamp": "int64",
    }
    assert set(data.users["bucketized_user_age"]) <= {1, 18, 25, 35, 45, 50, 56}
    assert set(data.users["user_gender"]) == {"F", "M"} and data.users["user_occupation_text"].str.len().min() > 0
    assert any("é" in t for t in data.movies["movie_title"])  # Latin-1 decoded
    assert any(":" in t for t in data.movies["movie_title"])  # a single colon stays in the title
    genres = {g for names in data.movies["movie_genres"] for g in names}
    assert "Children's" not in genres and genres <= set(data.genres)
    assert (data.movies["year"] > 1900).all()


def test_csv_layout_has_half_stars_and_no_demographics(csv_folder: Path) -> None:
    data = load_movielens(csv_folder, dataset="ml-25m")
    assert data.dataset == "ml-25m" and data.source.title == "MovieLens 25M"
    stars = data.ratings["user_rating"].to_numpy()
    assert set(np.unique(stars * 2)) <= set(range(1, 11)) and (stars % 1 != 0).any()
    assert data.missing_features == ("gender", "age", "occupation", "zip code")
    assert set(data.users["user_id"]) == set(data.ratings["user_id"]) and (data.users["user_gender"] == "").all()
    assert any("," in t for t in data.movies["movie_title"])  # quoted titles
    assert "IMAX" in data.genres and "(no genres listed)" not in {g for n in data.movies["movie_genres"] for g in n}
    from recexplore.data.features import FeatureSpace, Vocabularies

    vocab = Vocabularies.build(data)
    assert vocab.occupations == () and vocab.zip_regions == () and vocab.genres == data.genres
    space = FeatureSpace(vocab, data)
    assert (space.users["user_gender"][1:] == 0).all() and (space.users["user_occupation"][1:] == 0).all()


def test_the_parse_cache_round_trips_every_layout(ml1m: Path, csv_folder: Path) -> None:
    for folder, name in ((ml1m, "ml-1m"), (csv_folder, "ml-25m")):
        cold = load_movielens(folder, dataset=name)
        warm = load_movielens(folder, dataset=name)
        for frame in ("ratings", "movies", "users"):
            assert getattr(cold, frame).equals(getattr(warm, frame)), (name, frame)


def test_which_data_set_a_folder_holds(ml1m: Path, csv_folder: Path, tmp_path: Path) -> None:
    assert datasets_at(ml1m) == {"ml-1m": ml1m}
    assert list(datasets_at(csv_folder)) == ["ml-25m"]  # named after its folder
    renamed = _copy(csv_folder, tmp_path / "mine")
    assert list(datasets_at(renamed)) == ["ml-latest-small"]  # a small CSV folder: nearest in size
    assert list(datasets_at(renamed, "ml-20m")) == ["ml-20m"]  # --dataset names a CSV folder
    parent = tmp_path / "all"
    _copy(ml1m, parent / "ml-1m")
    write_movielens(parent / "ml-100k")
    assert present_datasets(parent) == ["ml-100k", "ml-1m"]
    assert load_movielens(parent).dataset == "ml-100k"  # the default where there is a choice
    assert load_movielens(parent, dataset="ml-1m").dataset == "ml-1m"
    with pytest.raises(DataError, match=r"all holds ml-100k, ml-1m, not ml-25m: pass --dataset ml-100k"):
        load_movielens(parent, dataset="ml-25m")
    with pytest.raises(DataError, match="Unknown data set 'ml-9m'"):
        load_movielens(parent, dataset="ml-9m")


def test_an_ml1m_zip_is_extracted_by_its_files(ml1m: Path, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("ratings.dat", "movies.dat", "users.dat"):
            archive.writestr(f"ml-1m/{name}", (ml1m / name).read_bytes())
        archive.writestr("ml-1m/README", b"readme")
    zipped = tmp_path / "ml-1m.zip"
    zipped.write_bytes(buf.getvalue())
    data = load_movielens(zipped)
    assert data.dataset == "ml-1m" and data.fingerprint == load_movielens(ml1m).fingerprint


def _damaged(folder: Path, tmp_path: Path, name: str, line: int, text: str) -> Path:
    copy = _copy(folder, tmp_path / folder.name)
    lines = (copy / name).read_bytes().split(b"\n")
    lines[line - 1] = text.encode()
    (copy / name).write_bytes(b"\n".join(lines))
    return copy


@pytest.mark.parametrize(
    ("layout", "name", "line", "text", "expected"),
    [
        ("ml-1m", "ratings.dat", 3, "1::2::3", "ratings.dat: line 3: expected 4 fields separated by '::', found 3"),
        ("ml-1m", "ratings.dat", 4, "1::2::3.5::978300760", "ratings.dat: line 4: user_rating 3.5 is not an integer"),
        ("ml-1m", "ratings.dat", 5, "1:x:2::3::978300760", "ratings.dat: line 5: expected 4 fields"),
        ("ml-1m", "users.dat", 2, "2::M::20::7::02460", "users.dat: line 2: age 20 is not one of ML-1M's codes"),
        ("ml-1m", "users.dat", 3, "3::M::25::21::55117", "users.dat: line 3: occupation_code 21 is outside 0-20"),
        ("ml-1m", "movies.dat", 2, "2::Heat (1995)::Drama|Noir", "movies.dat: line 2: unknown genre 'Noir'"),
        ("ml-25m", "ratings.csv", 1, "user,movie,rating,time", "ratings.csv: line 1: expected the header"),
        ("ml-25m", "ratings.csv", 6, "1,1,3.25,1112486027", "ratings.csv: line 6: user_rating 3.25 is not a half star"),
        ("ml-25m", "ratings.csv", 7, "1,1,0,1112486027", "ratings.csv: line 7: rating 0 is outside 0.5-5"),
        ("ml-25m", "ratings.csv", 8, "1,abc,4.0,1112486027", "ratings.csv: line 8: movie_id 'abc' is not an integer"),
        ("ml-25m", "movies.csv", 3, "x,Heat (1995),Drama", "movies.csv: line 3: movie_id 'x' is not an integer"),
    ],
)
def test_a_bad_line_is_named_in_one_line(
    layout: str, name: str, line: int, text: str, expected: str, ml1m: Path, csv_folder: Path, tmp_path: Path
) -> None:
    folder = _damaged(ml1m if layout == "ml-1m" else csv_folder, tmp_path, name, line, text)
    with pytest.raises(DataError) as err:
        load_movielens(folder, dataset=layout)
    assert "\n" not in str(err.value) and expected in str(err.value), str(err.value)


def test_folds_keep_half_stars_and_the_layout(csv_folder: Path, tmp_path: Path) -> None:
    data = load_movielens(csv_folder, dataset="ml-25m")
    write_folds(data, tmp_path / "folds", seed=1)
    folded = load_movielens(tmp_path / "folds", dataset="ml-25m")
    assert (tmp_path / "folds" / "movies.csv").is_file() and folded.fingerprint == data.fingerprint
    split = make_split(folded, "u2")
    assert len(split.train) + len(split.test) == len(data.ratings)
    assert (split.test["user_rating"] % 1 != 0).any()  # 3.5 stays 3.5


def test_a_data_set_too_large_for_memory_is_one_line(csv_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: 10_000)
    with pytest.raises(DataError, match=r"^ml-25m holds about 0\.0M ratings, which need about 195\.4 KiB to load"):
        load_movielens(csv_folder, dataset="ml-25m")


@pytest.mark.parametrize("layout", ["ml-1m", "ml-25m"])
def test_synth_then_data_json_reports_the_data_set(
    layout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    argv = ["synth", "--layout", layout, "--ratings", "3000", "--users", "60", "--movies", "200", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["ratings"] == 3000
    assert main(["data", "--dataset", layout, "--data", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert payload["dataset"] == layout and (payload["ratings"], payload["users"], payload["movies"]) == (3000, 60, 200)
    assert payload["peak_rss_mb"] > 0 and {"title", "genres", "year"} <= set(payload["features"])
    assert ("gender" in payload["features"]) == (layout == "ml-1m")
    assert payload["missing_features"] == ([] if layout == "ml-1m" else ["gender", "age", "occupation", "zip code"])
    assert main(["synth", *argv[1:]]) == 2  # the folder is no longer empty
    assert "not a new or empty folder" in capsys.readouterr().err


def test_dataset_flag_on_every_data_command() -> None:
    from recexplore.cli.parser import build_parser

    parser = build_parser()
    for argv in (
        ["data"],
        ["folds", "--out", "x"],
        ["train", "dlrm"],
        ["compare-towers"],
        ["compare-rankers"],
        ["recommend", "--user", "1"],
        ["pretrain"],
    ):
        assert parser.parse_args([*argv, "--dataset", "ml-1m"]).dataset == "ml-1m", argv


def test_preset_epochs_are_sized_by_ratings() -> None:
    from recexplore.families import EPOCH_RATINGS, sized_epochs

    assert sized_epochs(6, 100_000) == 6 and sized_epochs(6, EPOCH_RATINGS) == 6
    assert sized_epochs(8, 2 * EPOCH_RATINGS) == 4 and sized_epochs(6, 25_000_000) == 1
