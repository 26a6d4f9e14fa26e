"""The contenders of the planted-crosses demonstration (data/planted.py): the cross network of the
keras-rs DCN example (the features themselves as x0, one keras-rs FeatureCross layer, one output
unit), a low-rank one, and the DNN control (plain ReLU MLPs) at a few widths, the widthless one
being a linear model.

No embeddings: each feature is one number, so the cross matrix's feature-pair blocks are single
weights (models.dcn.block_norms with dim 1) and W_ij is how much x_j enters the term that
multiplies x_i."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import keras_rs

from recexplore.models.common import mlp

DNN_WIDTHS: tuple[tuple[int, ...], ...] = ((), (16,), (64, 32), (256, 128))
LOW_RANK = 2
DCN = "DCN"
DNN = "DNN"


@dataclass(frozen=True)
class Contender:
    """One model of the comparison: its name in tables, its kind (DCN or DNN) and the model."""

    name: str
    kind: str
    model: keras.Model

    @property
    def params(self) -> int:
        """Its parameter count (every weight is trained)."""
        return int(self.model.count_params())


def cross_network(
    n_features: int, cross_l2: float, projection_dim: int | None = None, name: str = "dcn"
) -> keras.Model:
    """x -> FeatureCross (x0 = x: x * (W x + b) + x) -> Dense(1); L2 `cross_l2` on W (and the output
    unit), which takes the weights of the pairs the target does not use towards zero."""
    reg = keras.regularizers.L2(cross_l2) if cross_l2 else None
    inputs = keras.Input((n_features,), name=f"{name}_x")
    cross = keras_rs.layers.FeatureCross(projection_dim=projection_dim, kernel_regularizer=reg, name=f"{name}_cross")
    output = keras.layers.Dense(1, kernel_regularizer=reg, name=f"{name}_out")(cross(inputs))
    return keras.Model(inputs, output, name=name)


def deep_network(n_features: int, widths: tuple[int, ...], name: str) -> keras.Model:
    """x -> ReLU layers of `widths` -> Dense(1); no widths: a linear model."""
    inputs = keras.Input((n_features,), name=f"{name}_x")
    hidden = mlp(widths, name=name, final_activation="relu")(inputs) if widths else inputs
    return keras.Model(inputs, keras.layers.Dense(1, name=f"{name}_out")(hidden), name=name)


def dnn_name(widths: tuple[int, ...]) -> str:
    """'DNN 64-32', or 'linear (no hidden layer)'."""
    return f"DNN {'-'.join(map(str, widths))}" if widths else "linear (no hidden layer)"


def contenders(
    n_features: int, cross_l2: float, dnn_widths: tuple[tuple[int, ...], ...] = DNN_WIDTHS
) -> list[Contender]:
    """The full-rank cross network first (its matrix is the one shown), the low-rank one, then the
    DNN control from the smallest to the widest."""
    found = [
        Contender("DCN, 1 cross layer", DCN, cross_network(n_features, cross_l2, name="dcn")),
        Contender(
            f"DCN, rank {LOW_RANK}", DCN, cross_network(n_features, cross_l2, projection_dim=LOW_RANK, name="dcn_low")
        ),
    ]
    for k, widths in enumerate(dnn_widths):
        found.append(Contender(dnn_name(widths), DNN, deep_network(n_features, widths, name=f"dnn_{k}")))
    return found


def side_by_side(found: list[Contender], n_features: int) -> keras.Model:
    """One Keras model whose outputs are the contenders' predictions on the same input: trained with
    one mean squared error per output, each contender's weights get only their own loss's gradient
    (and Adam's steps are per weight), so this trains each as alone, in one fit (one graph, one loop)."""
    inputs = keras.Input((n_features,), name="x")
    return keras.Model(inputs, [c.model(inputs) for c in found], name="planted_contenders")
