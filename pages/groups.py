"""Placeholder."""

import streamlit as st

st.title("Đang xây dựng")
