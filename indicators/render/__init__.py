"""Figures and files from data: Plotly charts, the Excel template, exports, the monthly report and
the slides.

Imports `domain`, `storage` and `metrics`; never `views`, `cli` or Streamlit.
"""
