"""The Streamlit side of RecExplore: session state, caches, page helpers and figures.

Only this package, `pages/` and `streamlit_app.py` import Streamlit; the library beside it
computes, and this package renders.
"""
