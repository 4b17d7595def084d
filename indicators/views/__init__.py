"""What each screen shows: one view model per page, built from the store, the metrics and the
renderers, so that a page only lays out widgets.

Imports `domain`, `storage`, `metrics`, `ingest` and `render`; never Streamlit.
"""
