"""The retrieval index's settings: which index serves a top-k list (exact brute force, or an
approximate Faiss index: IVF or HNSW), its knobs and their bounds, and the sizes of the generated
catalogues the Catalogue scale page may build. Plain data: no Faiss, no Keras."""

from __future__ import annotations

import math
from dataclasses import dataclass

from recexplore.config.settings import Bound, ConfigDict, setting

EXACT, IVF, HNSW = "exact", "ivf", "hnsw"
INDEX_KINDS = (EXACT, IVF, HNSW)
INDEX_TITLES = {EXACT: "exact (BruteForceRetrieval)", IVF: "IVF", HNSW: "HNSW"}
MAX_NLIST = 65_536
EF_CONSTRUCTION = 40  # HNSW's candidates while linking a movie in (Faiss's default)
LISTS_PER_ROOT = 1  # nlist 0: about sqrt(movies) lists of about sqrt(movies) movies each

# Generated catalogues the Catalogue scale page builds live (the bench goes to 1,000,000).
CATALOGUE_SIZE = Bound(1_000, 200_000, integer=True)
# The settings the page and the bench sweep: every point one setting, the others at their defaults.
NPROBE_GRID = (1, 4, 16, 64)
EF_SEARCH_GRID = (16, 32, 64, 128, 256)


@dataclass(frozen=True)
class IndexConfig(ConfigDict):
    """Which index serves a top-k list and how (the CLI's `recommend --index ...` flags)."""

    kind: str = setting(
        EXACT, "which index serves the list: exact brute force, or approximate IVF or HNSW (Faiss)", choices=INDEX_KINDS
    )
    nlist: int = setting(
        0,
        "IVF: the lists the movies are clustered into (0: about the square root of the movies)",
        Bound(0, MAX_NLIST, integer=True),
    )
    nprobe: int = setting(16, "IVF: the lists searched per query", Bound(1, MAX_NLIST, integer=True))
    hnsw_m: int = setting(32, "HNSW: the links each movie keeps in the graph (M)", Bound(4, 128, integer=True))
    ef_search: int = setting(64, "HNSW: the candidates kept while searching (efSearch)", Bound(1, 4096, integer=True))

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nlist and self.nprobe > self.nlist:
            raise ValueError(f"nprobe must be at most nlist ({self.nlist}), got {self.nprobe}")

    @property
    def approximate(self) -> bool:
        """Whether the index may miss some of the exact top k."""
        return self.kind != EXACT

    def lists(self, n_movies: int) -> int:
        """IVF's number of lists over `n_movies`; ValueError when nlist asks for more lists than movies."""
        if self.nlist > n_movies:
            raise ValueError(f"nlist must be at most the {n_movies:,} movies, got {self.nlist}")
        return self.nlist or max(1, min(n_movies, round(LISTS_PER_ROOT * math.sqrt(n_movies))))

    def label(self, n_movies: int) -> str:
        """'HNSW (M=32, efSearch=64)', 'IVF (nlist=41, nprobe=16)', 'exact (BruteForceRetrieval)'."""
        if self.kind == IVF:
            lists = self.lists(n_movies)
            return f"IVF (nlist={lists}, nprobe={min(self.nprobe, lists)})"
        if self.kind == HNSW:
            return f"HNSW (M={self.hnsw_m}, efSearch={self.ef_search})"
        return INDEX_TITLES[EXACT]
