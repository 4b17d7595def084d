"""Theo thôn: hamlet × indicator heat map, a ranking of hamlets, and one hamlet's own page."""

import streamlit as st

from indicators.domain import catalog, format
from indicators.domain.text import markdown_literal
from indicators.render import charts
from indicators.views import common, hamlets
from pages._shared import (
    INDICATOR_COLUMNS,
    chart,
    empty_state,
    figures_store,
    indicator_select,
    own_hamlet,
    period_select,
    require_page,
    root_select,
    status_badge,
    url_select,
)

require_page("view", "Theo thôn")
if empty_state():
    st.stop()

root = root_select()
noun = common.member_noun(root)
st.title(f"Tiến độ theo {noun}")
period = period_select(st.sidebar)
figures = figures_store()
view = hamlets.hamlets_view(figures, period, root)
scope = "chỉ tiêu do thôn báo cáo" if noun == "thôn" else "mọi chỉ tiêu, cộng từ các thôn của mỗi xã"
st.caption(f"{markdown_literal(root.label)} · {format.month(period)} · {len(view.hamlets)} {noun} · {scope}")
if not view.hamlets:
    st.info(f"Chưa có {noun} nào trong danh mục đơn vị. Vào **Danh mục** để nạp danh sách.")
    st.stop()

mine = own_hamlet() if own_hamlet() in view.hamlet_names else None  # a hamlet head opens on their own
one_tab = f"Từng {noun}"
heat, rank, one = st.tabs(["Bản đồ nhiệt", f"Xếp hạng {noun}", one_tab], default=one_tab if mine else None)

with heat:
    heatmap = hamlets.member_heatmap(figures, period, root)
    # two forms, one shown by screen width (the keys "wide_only_…"/"phone_only_…": pages/_shared.py)
    with st.container(key="wide_only_heat"):
        st.markdown(
            f"Mỗi ô là giá trị của một {noun} ở một chỉ tiêu; màu cho biết tiến độ so với mục tiêu năm. "
            "Chạm hoặc rê chuột vào ô để xem chi tiết.<br>" + charts.scale_legend_html(heatmap),
            unsafe_allow_html=True,
        )
        chart(heatmap)
    with st.container(key="phone_only_heat"):
        st.caption(f"Mỗi {noun} một thẻ: ★ đã đạt, ▲ đúng tiến độ, ● có nguy cơ, ▼ chậm, – chưa có số liệu. "
                   "Mở thẻ để xem từng chỉ tiêu, chậm nhất trước.")  # fmt: skip
        for card in view.phone_cards():
            with st.expander(f"**{card.label}** · {card.counts}"):
                st.markdown("  \n".join(card.lines))

with rank:
    code = indicator_select(st, view.codes)
    chart(hamlets.member_ranking(figures, period, root, code))
    unsent = view.not_sent(code)
    if unsent:
        st.warning(f"Chưa nộp số liệu {format.month(period)} ({len(unsent)} {noun}, không xếp hạng): "
                   + ", ".join(unsent) + ".")  # fmt: skip
    target_note = ("Nét đứt là mục tiêu năm." if view.ranking_target(code) is not None else
                   f"Chỉ tiêu số lượng: mỗi {noun} có mục tiêu riêng (phần của mục tiêu xã theo số hộ), "
                   "trạng thái tính theo mục tiêu đó.")  # fmt: skip
    st.caption(
        "Màu và ký hiệu cho biết trạng thái: ★ đã đạt, ▲ đúng tiến độ, ● có nguy cơ, ▼ chậm "
        f"(tính theo dự báo đến tháng 12). {target_note}"
    )

with one:
    names = view.hamlet_names
    unit_code = url_select(noun.capitalize(), list(names), "thon", default=mine, format_func=names.get)
    detail = hamlets.member_detail(figures, period, root, unit_code)
    st.subheader(f"{markdown_literal(detail.unit.label)} – {format.month(period)}")
    st.markdown(
        " &nbsp; ".join(f"{status_badge(s)} **{n}** chỉ tiêu" for s, n in detail.status_counts),
        unsafe_allow_html=True,
    )
    st.dataframe(common.styled_rows(detail.rows), hide_index=True, width="stretch", height="content",
                 column_config=INDICATOR_COLUMNS)  # fmt: skip
    st.caption(common.SUM_NOTE)
    codes = st.multiselect(
        "Xem xu hướng các chỉ tiêu", view.codes, default=detail.default_codes,
        format_func=lambda c: catalog.indicator(c).name_vi, key=f"trend_{unit_code}",
    )  # fmt: skip
    if any(not catalog.indicator(c).is_ratio for c in codes):
        st.caption(f"Mục tiêu của {noun} ở chỉ tiêu số lượng là phần của mục tiêu xã theo số hộ "
                   "(chia đều khi danh mục thiếu số hộ).")  # fmt: skip
    cols = st.columns(2)
    for i, code in enumerate(codes):
        with cols[i % 2]:
            chart(hamlets.member_trend(figures, period, root, unit_code, code))
