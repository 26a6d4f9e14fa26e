"""The course the app teaches, as plain data: the one home of the menu and of the lessons.

`streamlit_app.py` builds its menu from `SECTIONS` (Start, one section per lesson, Workbench,
Class), Home draws a card per `LESSONS` entry, and each lesson page opens with its lesson's
question (`recexplore.app.course_views.lesson_question`). No Streamlit here.

A page sits in exactly one menu section (`st.navigation` lists a page once): a lesson's `pages`
are its own section's pages, the first of them where to start; `also` names pages that belong to
another lesson and what to look at there (Lesson 2 uses Lesson 1's heatmaps, for example).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the app: its file, menu title and icon, and its address (the file's stem unless
    `url_path` keeps an older one)."""

    file: str
    title: str
    icon: str
    keras: bool = False  # its imports need Keras (TensorFlow): the app waits for the warm-up first
    url_path: str | None = None  # the address, where it is not the file's stem

    @property
    def address(self) -> str:
        """The page's URL path."""
        return self.url_path or self.file.rpartition("/")[2].removesuffix(".py")


@dataclass(frozen=True)
class Lesson:
    """One lesson: the question it answers in one sentence, what it shows, and its pages."""

    number: int
    title: str
    menu: str  # the short name in the menu's section header
    question: str
    shows: str
    pages: tuple[str, ...]  # page files in reading order; these make the lesson's menu section
    also: tuple[tuple[str, str], ...] = ()  # (page file, what to look at there) from other lessons

    @property
    def section(self) -> str:
        """The lesson's header in the menu."""
        return f"Lesson {self.number} · {self.menu}"


PAGES: tuple[Page, ...] = (
    Page("pages/home.py", "Home", ":material/home:"),
    Page("pages/data.py", "Data", ":material/bar_chart:"),
    Page("pages/interactions.py", "Feature interactions", ":material/grid_on:", keras=True),
    Page("pages/planted_crosses.py", "Planted crosses", ":material/join_inner:", keras=True),
    Page("pages/compare_rankers.py", "Compare rankers", ":material/leaderboard:", keras=True),
    # /compare: the address Compare towers had before its file was named for the feature (issue 32)
    Page("pages/compare_towers.py", "Compare towers", ":material/stacked_line_chart:", keras=True, url_path="compare"),
    Page("pages/recommend.py", "Recommend", ":material/recommend:", keras=True),
    Page("pages/movie_map.py", "Movie map", ":material/scatter_plot:", keras=True),
    Page("pages/next_movie.py", "Next movie", ":material/skip_next:", keras=True),
    Page("pages/beyond.py", "Beyond accuracy", ":material/balance:", keras=True),
    Page("pages/multitask.py", "One model, two tasks", ":material/call_split:", keras=True),
    Page("pages/approximate_retrieval.py", "Catalogue scale", ":material/speed:", keras=True),
    Page("pages/sampled_metrics.py", "Sampled metrics", ":material/percent:", keras=True),
    Page("pages/train.py", "Train", ":material/model_training:", keras=True),
    Page("pages/sweeps.py", "Sweeps", ":material/tune:"),
    Page("pages/runs.py", "Runs", ":material/compare_arrows:"),
    Page("pages/class_queue.py", "Teacher's view", ":material/school:"),
)
HOME = "pages/home.py"  # the default page

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        1,
        "Ratings and feature interactions",
        "Ratings",
        "How does a rating model combine a user's and a movie's features into one predicted rating?",
        "DLRM embeds every feature and takes the dot product of every pair (DotInteraction): a heatmap "
        "of how strong each pair is on real ratings, and one prediction taken apart.",
        ("pages/interactions.py",),
        (("pages/compare_rankers.py", "DLRM's error beside the rating baselines"),),
    ),
    Lesson(
        2,
        "Explicit crosses",
        "Explicit crosses",
        "Do explicit feature crosses (DCN) predict ratings better than DLRM's dot products or a plain deep network?",
        "First a generated table with planted crosses, where the cross layer finds them and a DNN needs far "
        "more parameters; then DLRM, DCN (full and low rank) and the DNN control trained on the same split "
        "or folds: curves overlaid, a table beside the baselines, and a verdict that is honest about noise; "
        "last, does training on the order of a list beat predicting each star (a list loss on the same network)?",
        ("pages/planted_crosses.py", "pages/compare_rankers.py"),
        (("pages/interactions.py", "a DCN's cross matrix beside a DLRM's heatmap"),),
    ),
    Lesson(
        3,
        "Retrieval towers",
        "Retrieval towers",
        "How does a two-tower model find a user's movies among thousands, and do deeper towers find better ones?",
        "1-, 2- and 3-layer towers against the popularity baseline by hit-rate@k, one user's top 10 "
        "(optionally re-ranked by a rating model), and the movies' embeddings drawn as a map.",
        ("pages/compare_towers.py", "pages/recommend.py", "pages/movie_map.py"),
    ),
    Lesson(
        4,
        "Next movie",
        "Next movie",
        "Does the order in which a user watched movies help predict the one they watch next?",
        "A sequential model (a GRU or SASRec-style self-attention) ranking every movie as the next one: "
        "the user's timeline, the attention over their history, how much order matters, and the peers "
        "that often win.",
        ("pages/next_movie.py",),
    ),
    Lesson(
        5,
        "Beyond accuracy",
        "Beyond accuracy",
        "Beyond the hit rate, does a model rank well and reach every user and the long tail, or push the "
        "same blockbusters to everyone?",
        "Every saved retrieval model and the two baselines on ranking quality, popularity bias, coverage "
        "and diversity, the long tail, and results by user group.",
        ("pages/beyond.py",),
        (("pages/compare_rankers.py", "when a difference between models is more than noise"),),
    ),
    Lesson(
        6,
        "One model, two tasks",
        "Two tasks",
        "Can one model both retrieve and rate?",
        "The towers' user and movie vectors shared by a retrieval head and a rating head, trained across "
        "the weight between the two losses: RMSE against hit-rate@10, a point per weight, beside the DLRM "
        "and the 1-layer towers.",
        ("pages/multitask.py",),
        (("pages/compare_towers.py", "the retrieval-only towers the trade-off is read against"),),
    ),
    Lesson(
        7,
        "Catalogue scale",
        "Catalogue scale",
        "How is top-k served when the catalogue has a million movies, and what does an approximate index give up?",
        "Brute force against two approximate indexes (Faiss IVF and HNSW) on a towers model's movie vectors: "
        "recall@10 against query latency, a point per setting, live at this data set's size or a generated "
        "larger one, and the bench's table up to 1,000,000 movies.",
        ("pages/approximate_retrieval.py",),
        (("pages/recommend.py", "one user's list served through an index, with its recall against exact"),),
    ),
    Lesson(
        8,
        "Sampled metrics",
        "Sampled metrics",
        "Why are the hit rates in papers so much higher than ours, and can sampling change which model wins?",
        "Every saved retrieval and next-movie model and its peers ranked against every movie and against "
        "N sampled ones (the papers' protocol): a line per model from full to sampled, how much sampling "
        "inflates each number, Kendall's tau between the two orderings and the pairs that swap, and what "
        "a paper's sampled hit rate reads as here.",
        ("pages/sampled_metrics.py",),
        (("pages/next_movie.py", "the next-movie models and peers whose order sampling changes"),),
    ),
)

START = "Start"
WORKBENCH = "Workbench"
CLASS = "Class"
# The menu, top to bottom: section header -> its page files.
SECTIONS: dict[str, tuple[str, ...]] = {
    START: ("pages/home.py", "pages/data.py"),
    **{lesson.section: lesson.pages for lesson in LESSONS},
    WORKBENCH: ("pages/train.py", "pages/sweeps.py", "pages/runs.py"),
    CLASS: ("pages/class_queue.py",),
}

_BY_FILE = {p.file: p for p in PAGES}
_BY_TITLE = {p.title: p for p in PAGES}
_LESSON_OF = {file: lesson for lesson in LESSONS for file in lesson.pages}


def page(file: str) -> Page:
    """The page whose file is `file` (as in PAGES, for example 'pages/recommend.py')."""
    return _BY_FILE[file]


def page_titled(title: str) -> Page:
    """The page whose menu title is `title`."""
    return _BY_TITLE[title]


def lesson_of(file: str) -> Lesson | None:
    """The lesson whose menu section holds page `file`; None for Start, Workbench and Class pages."""
    return _LESSON_OF.get(file)
