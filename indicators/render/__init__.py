"""Figures and files from data: Plotly charts, the Excel template, exports, the monthly report and
the slides. The report and the slides draw what the views gather (`views.report`, `views.presentation`).

Imports `domain`, `storage`, `metrics` and `ingest`; never `views`, `cli` or Streamlit.
"""
