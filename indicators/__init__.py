"""The core of the Resolution 57 digital-transformation dashboard.

Pure Python: catalog, org units, storage, import, metrics and reports. Never imports Streamlit.
"""

__version__ = "0.1.0"
