"""The accelerator Keras will use, in words (for the sidebar and each trained model's metadata)."""

from __future__ import annotations

import os

import keras


def device_description() -> str:
    """The accelerator Keras will use, e.g. 'GPU: NVIDIA H100' or 'CPU (2 cores)'."""
    backend = keras.backend.backend()
    names: list[str] = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        elif backend == "jax":
            import jax

            names = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        elif backend == "torch":
            import torch

            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # device probing must never break training
        names = []
    if names:
        return f"GPU: {names[0]}" + (f" (+{len(names) - 1})" if len(names) > 1 else "")
    return f"CPU ({os.cpu_count()} cores)"
