"""Small synthetic MovieLens-100K-format folders for offline tests (no real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recexplore.data.movielens import GENRES

OCCUPATIONS = ("engineer", "student", "writer", "educator", "other")
WORDS = ("night", "love", "star", "day", "city", "dark", "return", "story", "king", "game", "blue", "war")


def write_movielens(folder: Path, n_users: int = 60, n_movies: int = 80, n_ratings: int = 1800, seed: int = 0) -> Path:
    """Write u.data, u.item, u.user, u.genre, u.occupation with learnable structure.

    Users and movies get a hidden taste vector; popular movies and matching tastes get
    more and higher ratings, so models trained on it beat chance.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    user_taste = rng.normal(size=(n_users, 3))
    movie_taste = rng.normal(size=(n_movies, 3))
    popularity = rng.zipf(1.6, size=n_movies).clip(1, 50).astype(float)
    affinity = user_taste @ movie_taste.T + np.log(popularity)[None, :]
    pairs: set[tuple[int, int]] = set()
    lines = []
    while len(lines) < n_ratings:
        u = int(rng.integers(n_users))
        p = np.exp(affinity[u] - affinity[u].max())
        m = int(rng.choice(n_movies, p=p / p.sum()))
        if (u, m) in pairs:
            continue
        pairs.add((u, m))
        score = float(user_taste[u] @ movie_taste[m])
        stars = int(np.clip(np.round(3.3 + 0.8 * score + rng.normal(scale=0.5)), 1, 5))
        ts = 874724710 + int(rng.integers(0, 20_000_000))
        lines.append(f"{u + 1}\t{m + 1}\t{stars}\t{ts}")
    (folder / "u.data").write_text("\n".join(lines) + "\n", encoding="latin-1")
    items = []
    for m in range(n_movies):
        title = f"{WORDS[m % len(WORDS)].title()} {WORDS[(m * 7) % len(WORDS)].title()} {m}"
        if m == 3:
            title = "Café Society"  # exercises Latin-1 decoding
        year = 1990 + m % 8
        flags = ["0"] * len(GENRES)
        for g in {1 + m % 18, 1 + (m * 5) % 18}:
            flags[g] = "1"
        items.append(f"{m + 1}|{title} ({year})|01-Jan-{year}||http://example.invalid/{m + 1}|" + "|".join(flags))
    (folder / "u.item").write_bytes(("\n".join(items) + "\n").encode("latin-1"))
    users = []
    for u in range(n_users):
        age = int(rng.integers(12, 70))
        gender = "M" if rng.random() < 0.7 else "F"
        users.append(f"{u + 1}|{age}|{gender}|{OCCUPATIONS[u % len(OCCUPATIONS)]}|{10000 + 137 * u:05d}")
    (folder / "u.user").write_text("\n".join(users) + "\n", encoding="latin-1")
    (folder / "u.genre").write_text("".join(f"{g}|{i}\n" for i, g in enumerate(GENRES)), encoding="latin-1")
    (folder / "u.occupation").write_text("".join(f"{o}\n" for o in OCCUPATIONS), encoding="latin-1")
    return folder


def write_fold(folder: Path, name: str = "u1", test_share: float = 0.2) -> None:
    """Write official-style uN.base / uN.test files from u.data."""
    lines = (folder / "u.data").read_text(encoding="latin-1").splitlines()
    n_test = int(len(lines) * test_share)
    (folder / f"{name}.test").write_text("\n".join(lines[:n_test]) + "\n", encoding="latin-1")
    (folder / f"{name}.base").write_text("\n".join(lines[n_test:]) + "\n", encoding="latin-1")
