"""What each screen shows: one module per page (its view model, built from the store), named after the
page's script in pages/, and `common` for what several pages share; a page only lays out widgets.

Imports `domain`, `storage`, `metrics`, `ingest` and `render` (which never imports `views`); never Streamlit.
"""
