"""The transitions peer of the next-movie task: what people rate right after the movie a user rated last."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows, ZeroOne

TRANSITION_TIE_WEIGHT = 1e-3  # popularity's share of a transition score: breaks ties, never a count


def transition_scores(seqs: list[np.ndarray], n_items: int, train_matrix: ZeroOne) -> ScoreRows:
    """'The movies most often watched right after the user's last movie': counts of b right after
    a over every training history, read at each user's last movie; ties (and users without
    history) fall back to popularity, at TRANSITION_TIE_WEIGHT of one count. The counts are a
    sparse items x items matrix (one entry per distinct pair seen), each user's row made dense
    only when their batch is scored."""
    pairs = [(seq[:-1], seq[1:]) for seq in seqs if len(seq) > 1]
    before = np.concatenate([a for a, _ in pairs]).astype(np.int64) if pairs else np.zeros(0, np.int64)
    after = np.concatenate([b for _, b in pairs]).astype(np.int64) if pairs else np.zeros(0, np.int64)
    keep = before > 0  # row 0 stays empty: a user without history gets the tie row alone
    ones = np.ones(int(keep.sum()), dtype=np.float32)
    counts = sparse.csr_matrix((ones, (before[keep], after[keep])), shape=(n_items, n_items), dtype=np.float32)
    counts.sum_duplicates()
    popularity = popularity_scores(train_matrix)[0].astype(np.float32)
    tie = TRANSITION_TIE_WEIGHT * popularity / max(float(popularity.max()), 1.0)
    last = np.array([seq[-1] if len(seq) else 0 for seq in seqs], dtype=np.int64)
    return ScoreRows(table=counts, lookup=last, offset=tie.astype(np.float32))
