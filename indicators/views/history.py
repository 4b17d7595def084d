"""The history page (Lịch sử, pages/history.py): import batches, their warnings, reverting one."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from indicators import metrics
from indicators.domain import catalog, format
from indicators.domain.text import markdown_literal
from indicators.storage import Store
from indicators.storage.memo import by_data_version
from indicators.views.common import figure_text, timestamp_text


def _count(value) -> str:
    return format.number(None if value is None or pd.isna(value) else int(value))


def batch_periods(periods_text: str) -> str:
    """Stored periods as people read them: 2026-03,2026-04 -> Tháng 3/2026, Tháng 4/2026."""
    return ", ".join(format.month(p) for p in str(periods_text or "").split(",") if p)


def batch_state(row) -> str:
    if pd.isna(row.reverted_at):
        return "✓ Hiệu lực"
    return f"↩ Đã hoàn tác ({row.reverted_by}, {timestamp_text(row.reverted_at)})"


def batch_table(batches: pd.DataFrame) -> pd.DataFrame:
    """Import batches, newest first, as the history page writes them."""
    columns = ["Lô số", "Tệp", "Người nhập", "Thời gian", "Kỳ báo cáo", "Mới", "Sửa đổi", "Không đổi",
               "Cảnh báo", "Trạng thái"]  # fmt: skip
    rows = [
        {
            "Lô số": format.number(r.id),
            "Tệp": r.file_name,
            "Người nhập": r.user_name,
            "Thời gian": timestamp_text(r.created_at),
            "Kỳ báo cáo": batch_periods(r.periods),
            "Mới": _count(r.rows_new),
            "Sửa đổi": _count(r.rows_changed),
            "Không đổi": _count(r.rows_unchanged),
            "Cảnh báo": format.number(len(r.warnings)),
            "Trạng thái": batch_state(r),
        }
        for r in batches.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


def batch_label(row, markdown: bool = False) -> str:
    """How a batch is named in lists: Lô 12 · BG01_2026-03.csv · 09:00 10/04/2026 (with `markdown`,
    the file's name escaped, for a heading or an expander)."""
    name = markdown_literal(row.file_name) if markdown else row.file_name
    return f"Lô {format.number(row.id)} · {name} · {timestamp_text(row.created_at)}"


HISTORY_LIMIT = 500  # batches the history page lists at once (a city holds tens of thousands)


@dataclass
class HistoryView:
    """The "Lịch sử" page: the newest batches matching the filters, and how many match in all."""

    batches: pd.DataFrame  # store.batches(), newest first, at most HISTORY_LIMIT
    total: int  # batches matching the filters
    months: list[str]  # every month some batch touched, newest first

    @property
    def table(self) -> pd.DataFrame:
        return batch_table(self.batches)

    @property
    def caption(self) -> str:
        text = f"{format.number(self.total)} lô nhập, mới nhất trước. Mỗi tệp tải lên là một lô."
        if self.total > len(self.batches):
            text += (f" Đang hiện {format.number(len(self.batches))} lô mới nhất; chọn một kỳ báo cáo hoặc "
                     "trạng thái để thu hẹp danh sách.")  # fmt: skip
        return text

    @property
    def live_labels(self) -> dict[int, str]:
        """The listed batches that can be reverted."""
        return batch_labels(self.batches[self.batches["reverted_at"].isna()])


@by_data_version()
def history_view(store: Store, period: str | None = None, state: str | None = None,
                 limit: int = HISTORY_LIMIT) -> HistoryView:  # fmt: skip
    """Batches touching `period` (None: all) in `state` ("live", "reverted" or None: both). Kept
    per data version: on PostgreSQL its three queries read a city's 71.000 batches (about 0,1 s
    at every rerun of the history page)."""
    return HistoryView(
        batches=store.batches(period=period, state=state, limit=limit),
        total=store.batch_count(period=period, state=state),
        months=store.batch_periods(),
    )


def batch_label_of(store: Store, batch_id: int, markdown: bool = False) -> str:
    found = store.batches(batch_id=batch_id)
    return batch_label(found.iloc[0], markdown) if len(found) else f"Lô {batch_id}"


@dataclass
class RevertPreview:
    batch_id: int
    changes: pd.DataFrame  # formatted: what each figure is now and will be after the revert
    superseded: int  # figures of the batch already replaced by a later batch: no visible change

    @property
    def summary(self) -> str:
        text = f"Hoàn tác lô số {format.number(self.batch_id)} sẽ thay đổi {format.number(len(self.changes))} số liệu"
        if self.superseded:
            text += (f"; {format.number(self.superseded)} số liệu khác của lô đã được lô mới hơn thay thế "
                     "nên giữ nguyên")  # fmt: skip
        return text + "."


def revert_preview(store: Store, batch_id: int) -> RevertPreview:
    """What reverting a batch would change: each figure it set that still counts, before → after."""
    columns = ["Đơn vị", "Chỉ tiêu", "Hiện tại", "Sau khi hoàn tác", "Kỳ báo cáo"]
    effect = store.revert_effect(batch_id)
    changed = effect[effect["is_current"].astype(bool)]
    names = {u.code: u.label for u in metrics.tree(store).units}
    kinds = {code: catalog.indicator(code).kind for code in changed["indicator_code"].unique()}
    changes = pd.DataFrame(
        {
            "Đơn vị": [names.get(code, code) for code in changed["unit_code"]],
            "Chỉ tiêu": changed["indicator_code"].to_numpy(object),
            "Hiện tại": [figure_text(kinds[r.indicator_code], r.numerator, r.denominator, r.value)
                         for r in changed.itertuples(index=False)],
            "Sau khi hoàn tác": [
                figure_text(kinds[r.indicator_code], r.after_numerator, r.after_denominator, r.after_value)
                if r.has_after else "Không còn số liệu"
                for r in changed.itertuples(index=False)
            ],
            "Kỳ báo cáo": [format.month(p) for p in changed["period"]],
        },
        columns=columns,
    )  # fmt: skip
    return RevertPreview(batch_id, changes, len(effect) - len(changed))


def batch_labels(batches: pd.DataFrame) -> dict[int, str]:
    """{batch id: "Lô 12 · file · time"} in the order of `batches`."""
    return {int(r.id): batch_label(r) for r in batches.itertuples(index=False)}


def batches_with_warnings(batches: pd.DataFrame, limit: int = 30) -> list[tuple[str, list[str]]]:
    """(label, warnings) of the newest batches that have warnings, at most `limit`, as Markdown: the
    file names and the warnings (which quote the file's cells) escaped."""
    out = []
    for r in batches.itertuples(index=False):
        if len(r.warnings):
            label = f"{batch_label(r, markdown=True)} – {format.number(len(r.warnings))} cảnh báo"
            out.append((label, [markdown_literal(text) for text in r.warnings]))
        if len(out) >= limit:
            break
    return out
