"""RecExplore: MovieLens 100K data, DLRM and two-tower models, honest evaluation."""

import os as _os

# Quiet TensorFlow's C++ start-up logging unless the user chose otherwise.
for _key, _value in (("TF_CPP_MIN_LOG_LEVEL", "3"), ("ABSL_MIN_LOG_LEVEL", "3"), ("TF_ENABLE_ONEDNN_OPTS", "0")):
    _os.environ.setdefault(_key, _value)

__version__ = "0.1.0"
