"""Planted crosses (issue 34, item 3): the generator, the cross network finding the planted pairs with
a fixed seed (read as the Feature interactions page reads a DCN), the DNN control beside it, and the
Planted crosses page with its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.planted import PlantedCrosses, all_pairs, make_planted, pair_label
from recexplore.models.dcn import block_norms
from recexplore.serving.interactions import strongest_pairs
from recexplore.serving.planted_crosses import found_sentence, top_pairs
from recexplore.training.planted_crosses import PlantedResult, run_planted

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "planted_crosses.py")
PLANTED = ((0, 5), (1, 3), (2, 4))  # not the defaults: the test must not pass by the defaults' luck


def test_the_table_is_seeded_and_its_target_is_the_planted_formula() -> None:
    spec = PlantedCrosses(pairs=((3, 1),), strength=2.0, noise=0.0, rows=1000, seed=7)
    data = make_planted(spec)
    again = make_planted(spec)
    np.testing.assert_array_equal(data.x, again.x)
    np.testing.assert_array_equal(data.y, again.y)
    assert spec.pairs == ((1, 3),)  # normalised to (i < j)
    x = data.x.astype(np.float64)
    np.testing.assert_allclose(data.y, x @ data.linear + 2.0 * x[:, 1] * x[:, 3], rtol=1e-5, atol=1e-5)
    assert data.x.shape == (1000, 6) and data.test.sum() == spec.test_rows == 200
    assert data.names == ("x1", "x2", "x3", "x4", "x5", "x6") and pair_label((1, 3)) == "x2 x x4"
    assert len(all_pairs(6)) == 15 and not np.array_equal(make_planted(PlantedCrosses(seed=8, rows=1000)).x, data.x)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"pairs": ()}, "plant at least one"),
        ({"pairs": ((0, 0),)}, "not two different features"),
        ({"pairs": ((0, 6),)}, "not two different features"),
        ({"pairs": ((0, 1), (1, 0))}, "planted twice"),
        ({"pairs": ((0, 1, 2),)}, "two feature numbers"),
        ({"noise": -0.1}, "noise must be a number in [0, 2]"),
        ({"noise": 3.0}, "noise must be"),
        ({"strength": 0.0}, "strength must be"),
        ({"rows": 10}, "rows must be"),
    ],
)
def test_bad_choices_are_refused_in_one_line(settings: dict, says: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        PlantedCrosses(**settings)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_block_norms_of_one_number_per_feature_are_the_absolute_weights() -> None:
    weights = np.array([[0.0, -2.0], [0.5, 1.0]])
    np.testing.assert_array_equal(block_norms(weights, 2, 1), np.abs(weights))


@pytest.fixture(scope="module")
def planted_run() -> PlantedResult:
    return run_planted(PlantedCrosses(pairs=PLANTED, strength=1.0, noise=0.1, rows=6000, seed=0))


def test_the_cross_layer_s_strongest_pairs_are_the_planted_ones(planted_run: PlantedResult) -> None:
    result = planted_run
    top = strongest_pairs(list(result.names), result.strengths, n=4)
    assert {tuple(sorted((a, b))) for a, b, _ in top[:3]} == {("x1", "x6"), ("x2", "x4"), ("x3", "x5")}
    assert top[2][2] > 3 * top[3][2]  # and by a wide margin over the strongest unplanted pair
    assert sorted(top_pairs(result)) == list(PLANTED) and found_sentence(result).endswith("are the planted ones.")
    np.testing.assert_allclose(result.strengths, np.abs(result.weights))  # one number per feature


def test_the_cross_network_beats_every_dnn_with_a_fraction_of_the_parameters(planted_run: PlantedResult) -> None:
    result = planted_run
    dcn, *_ = result.measured
    dnns = [m for m in result.measured if m.kind == "DNN"]
    assert dcn.name == "DCN, 1 cross layer" and dcn.params == 6 * 6 + 6 + 6 + 1
    assert [m.params for m in dnns] == sorted(m.params for m in dnns) and dnns[0].params == 7  # linear first
    assert all(dcn.rmse < m.rmse for m in dnns) and max(m.params for m in dnns) > 500 * dcn.params
    assert result.floor == pytest.approx(0.1, rel=0.15) and dcn.rmse < 1.1 * result.floor
    assert dnns[0].rmse > 2 * dcn.rmse  # a linear model cannot write a product


def _page(**state: object) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["planted_rows"] = 2_000
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_the_page_shows_the_table_the_scatter_and_the_marked_matrix() -> None:
    at = _page()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["kind"].tolist()[:2] == ["DCN", "DCN"] and "DNN 256-128" in table["model"].tolist()
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    scatter, heatmap = specs
    assert scatter["layout"]["xaxis"]["type"] == "log" and scatter["layout"]["yaxis"]["type"] == "log"
    dcn_point = scatter["data"][0]  # the cross networks, drawn above the noise floor
    assert dcn_point["name"] == "DCN" and all(0 < y < 0.05 for y in dcn_point["y"])
    marks = next(t for t in heatmap["data"] if t.get("name") == "planted")
    assert sorted(zip(marks["y"], marks["x"], strict=True)) == sorted(
        [("x1", "x2"), ("x2", "x1"), ("x3", "x4"), ("x4", "x3")]
    )
    captions = " ".join(c.value for c in at.caption)
    assert "Planted: x1 x x2 and x3 x x4." in captions and "are the planted ones" in captions


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ({"planted_pairs": []}, "pairs: plant at least one feature pair"),
        ({"planted_noise": 5.0}, "noise must be a number in [0, 2], got 5.0"),
        ({"planted_strength": -1.0}, "strength must be"),
    ],
)
def test_a_bad_choice_is_one_line_on_the_page(state: dict, says: str) -> None:
    at = _page(**state)
    assert not at.exception
    assert [e.value for e in at.error] == [e.value for e in at.error if "\n" not in e.value]
    assert any(says in e.value for e in at.error) and not at.get("plotly_chart")
