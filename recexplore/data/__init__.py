"""MovieLens in, canonical frames and splits out. Imports `config` and `families` only.

- `sources`: the table of data sets and layouts; `locate`, `download`: finding or fetching one.
- `loading` (`load_movielens`, the parse cache), `parse`, `parse_ratings`, `parse_movies_users`,
  `text_tables`: the parsers (pandas, checked line by line only when the fast path refuses a file).
- `movielens`: `MovieLens`, `DataError` and the data set's constants.
- `splits`: every split (random, official folds, k folds, time-ordered, the validation slice).
- `features`, `history`, `batches`: vocabularies, encoded inputs, histories, inputs a batch at a time.
- `synth*`: synthetic data sets in the MovieLens layouts (tests and scale benchmarks).
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "MovieLens": "movielens",
    "DataError": "movielens",
    "load_movielens": "loading",
    "Split": "splits",
    "make_split": "splits",
    "validation_slice": "splits",
    "fold_splits": "splits",
    "write_folds": "splits",
    "Vocabularies": "features",
    "FeatureSpace": "features",
    "DataSource": "sources",
    "source": "sources",
    "write_synthetic": "synth",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
