"""A row-sparse ("lazy") AdamW for large catalogues: a step touches only the embedding rows its
batch used.

Keras 3's Adam updates both moment slots of every row of every embedding table at every step
(`m += (g - m)(1 - beta_1)` with g densified), and AdamW decays every row too, so a step costs
users + movies and an epoch ratings x (users + movies). With the TensorFlow backend an embedding
lookup's gradient arrives as `tf.IndexedSlices`; for those, this optimizer updates the moments,
the decay and the weights of the rows the batch touched only (TF Addons' LazyAdam, PyTorch's
SparseAdam): rows a batch does not use keep their moments until they are used again. Dense
gradients get exactly AdamW's step. Other backends hand over dense gradients; `lazy_optimizer`
gives them plain AdamW.
"""

from __future__ import annotations

from typing import Any

import keras

from recexplore.config.memory import large_catalogue


@keras.saving.register_keras_serializable(package="recexplore")
class LazyAdamW(keras.optimizers.AdamW):
    """AdamW whose sparse (IndexedSlices) gradients update only the rows they name."""

    def _apply_weight_decay(self, variables: Any) -> None:
        """Decay is applied in `update_step`, to the rows each gradient touches."""

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        import tensorflow as tf

        lr = tf.cast(learning_rate, variable.dtype)
        decay = bool(self.weight_decay) and self._use_weight_decay(variable)
        if not isinstance(gradient, tf.IndexedSlices):
            if decay:
                self.assign_sub(variable, variable * tf.cast(self.weight_decay, variable.dtype) * lr)
            super().update_step(gradient, variable, learning_rate)
            return
        rows, position = tf.unique(gradient.indices)
        grad = tf.math.unsorted_segment_sum(tf.cast(gradient.values, variable.dtype), position, tf.shape(rows)[0])
        step = tf.cast(self.iterations + 1, variable.dtype)
        beta_1 = tf.cast(self.beta_1, variable.dtype)
        beta_2 = tf.cast(self.beta_2, variable.dtype)
        alpha = lr * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        m_rows = tf.gather(_tensor(m), rows)
        v_rows = tf.gather(_tensor(v), rows)
        m_rows = m_rows + (grad - m_rows) * (1 - beta_1)
        v_rows = v_rows + (tf.square(grad) - v_rows) * (1 - beta_2)
        self.assign(m, tf.IndexedSlices(m_rows, rows))
        self.assign(v, tf.IndexedSlices(v_rows, rows))
        weights = tf.gather(_tensor(variable), rows)
        if decay:
            weights = weights - weights * tf.cast(self.weight_decay, variable.dtype) * lr
        weights = weights - alpha * m_rows / (tf.sqrt(v_rows) + tf.cast(self.epsilon, variable.dtype))
        self.assign(variable, tf.IndexedSlices(weights, rows))


def _tensor(variable: Any) -> Any:
    return variable.value if isinstance(variable, keras.Variable) else variable


def lazy_optimizer(vocab_sizes: dict[str, int], learning_rate: Any, weight_decay: float | None = None) -> Any:
    """AdamW (Adam when `weight_decay` is None) for a model over `vocab_sizes`: the lazy one on a
    large catalogue with the TensorFlow backend, else Keras' own (the numbers the presets were
    tuned with on ML-100K and ML-1M)."""
    large = large_catalogue(vocab_sizes.get("user_id", 1), vocab_sizes.get("movie_id", 1))
    if large and keras.backend.backend() == "tensorflow":
        return LazyAdamW(learning_rate, weight_decay=weight_decay or 0.0)
    if weight_decay is None:
        return keras.optimizers.Adam(learning_rate)
    return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
