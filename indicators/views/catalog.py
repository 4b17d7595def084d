"""The catalog page (Danh mục, pages/catalog.py): the units, the indicators and the targets per year."""

from __future__ import annotations

from datetime import date as _date

import pandas as pd
from pydantic import ValidationError as _ValidationError

from indicators.domain import catalog, format
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit
from indicators.ingest.numbers import NumberProblem as _NumberProblem
from indicators.ingest.numbers import parse_number as _parse_number
from indicators.views.common import target_basis_vi, timestamp_text

UNIT_LEVEL_VI = {"hamlet": "Thôn", "commune": "Xã", "city": "Thành phố"}


def units_table(units: list[OrgUnit]) -> pd.DataFrame:
    """Units as the catalog page lists them: the tree's top first, hamlets by name."""
    names = {u.code: u.label for u in units}
    order = {"city": 0, "commune": 1, "hamlet": 2}
    rows = [
        {
            "Mã": u.code,
            "Tên": u.label,
            "Cấp": UNIT_LEVEL_VI[u.level],
            "Trực thuộc": names.get(u.parent, u.parent or "–") if u.parent else "–",
            "Số hộ": format.number(u.households),
            "Dân số": format.number(u.population),
            "Trạng thái": "✓ Đang hoạt động" if u.active else "✗ Ngừng hoạt động",
        }
        for u in sorted(units, key=lambda u: (order[u.level], fold(u.name), u.code))
    ]
    return pd.DataFrame(rows, columns=["Mã", "Tên", "Cấp", "Trực thuộc", "Số hộ", "Dân số", "Trạng thái"])


def unit_changes(incoming: list[OrgUnit], existing: list[OrgUnit]) -> pd.DataFrame:
    """The units of a file against the catalog: new, updated (with what changes) or unchanged."""
    by_code = {u.code: u for u in existing}
    labels = {"name": "tên", "parent": "trực thuộc", "level": "cấp", "households": "số hộ",
              "population": "dân số", "active": "trạng thái"}  # fmt: skip
    table = units_table(incoming)
    changes = []
    for code in table["Mã"]:
        new = next(u for u in incoming if u.code == code)
        old = by_code.get(code)
        if old is None:
            changes.append("Mới")
            continue
        diff = [label for key, label in labels.items() if getattr(old, key) != getattr(new, key)]
        changes.append(f"Cập nhật: {', '.join(diff)}" if diff else "Không đổi")
    table.insert(0, "Thay đổi", changes)
    return table


def unit_change_counts(table: pd.DataFrame) -> str:
    """The counts of a units file, e.g. 3 đơn vị mới, 2 cập nhật, 10 không đổi."""
    kinds = table["Thay đổi"].str.split(":").str[0]
    return (f"{format.number(int((kinds == 'Mới').sum()))} đơn vị mới, "
            f"{format.number(int((kinds == 'Cập nhật').sum()))} cập nhật, "
            f"{format.number(int((kinds == 'Không đổi').sum()))} không đổi")  # fmt: skip


_UNIT_FIELD_VI = {
    "name": "Tên đơn vị không được để trống và dài tối đa 120 ký tự.",
    "households": "Số hộ phải là số nguyên không âm.",
    "population": "Dân số phải là số nguyên không âm.",
}


def _whole(text: str | None, field_name: str, errors: list[str]) -> int | None:
    label = {"households": "Số hộ", "population": "Dân số"}[field_name]
    try:
        number = _parse_number(text if text is None else str(text))
    except _NumberProblem:
        number = -1.0
    if number is None:
        return None
    if not float(number).is_integer() or number < 0:
        errors.append(f"{label} “{text}” không hợp lệ: cần số nguyên không âm (ví dụ 1.234), "
                      "hoặc để trống nếu chưa rõ.")  # fmt: skip
        return None
    return int(number)


def edit_unit(unit: OrgUnit, name: str, households: str | None, population: str | None,
              active: bool) -> tuple[OrgUnit | None, list[str]]:  # fmt: skip
    """The unit with its name, households, population and active flag changed, checked by OrgUnit.

    Returns (unit, []) when valid, (None, Vietnamese messages) otherwise. Numbers may be written as
    offices write them ("1.234"); an empty box means "not known".
    """
    errors: list[str] = []
    counts = {"households": _whole(households, "households", errors),
              "population": _whole(population, "population", errors)}  # fmt: skip
    try:
        changed = OrgUnit(
            **{**unit.model_dump(), "name": (name or "").strip(), **counts, "active": bool(active)}
        )
    except _ValidationError as exc:
        for problem in exc.errors():
            where = str(problem["loc"][0]) if problem["loc"] else "name"
            message = _UNIT_FIELD_VI.get(where, f"Giá trị không hợp lệ ({where}).")
            if message not in errors:
                errors.append(message)
    if errors:
        return None, errors
    return changed, []


def indicators_table() -> pd.DataFrame:
    """The catalog's indicators in Vietnamese: group, kind, level, numerator, denominator."""
    rows = [
        {
            "Mã": item.code,
            "Nhóm nhiệm vụ": f"{item.task_group}. {catalog.task_group(item.task_group).name_vi}",
            "Chỉ tiêu": item.name_vi,
            "Loại": catalog.KIND_VI[item.kind],
            "Cấp báo cáo": catalog.LEVEL_VI[item.level],
            "Tử số / giá trị": item.numerator_vi,
            "Mẫu số": item.denominator_vi if item.is_ratio else "–",
            "Đơn vị tính": item.display_unit,
            "Cách tính theo tháng": catalog.AGGREGATION_VI[item.aggregation],
            "Chiều": catalog.DIRECTION_VI[item.direction],
        }
        for item in catalog.indicators()
    ]
    return pd.DataFrame(rows)


def targets_table(target_rows: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Targets per indicator and year (optionally one year), formatted, in catalog order."""
    columns = ["Mã", "Mục tiêu", "Năm", "Chỉ tiêu", "Căn cứ", "Người đặt", "Thời điểm"]
    order = {item.code: i for i, item in enumerate(catalog.indicators())}
    data = target_rows[target_rows["indicator_code"].isin(order)]
    if year is not None:
        data = data[data["year"] == year]
    data = data.assign(order=data["indicator_code"].map(order)).sort_values(["year", "order"])
    rows = [
        {
            "Năm": str(int(r.year)),
            "Mã": r.indicator_code,
            "Chỉ tiêu": catalog.indicator(r.indicator_code).name_vi,
            "Mục tiêu": format.indicator_value(r.value, catalog.indicator(r.indicator_code).kind),
            "Căn cứ": target_basis_vi(r.basis),
            "Người đặt": r.set_by or "–",
            "Thời điểm": timestamp_text(r.set_at),
        }
        for r in data.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=columns)


TARGET_YEARS = (2020, 2050)


def target_years(today: _date, target_rows: pd.DataFrame | None = None) -> list[int]:
    """Years offered for targets: last year to 2030 (at least five years ahead), and any stored."""
    years = set(range(today.year - 1, max(2030, today.year + 5) + 1))
    if target_rows is not None and not target_rows.empty:
        years |= {int(y) for y in target_rows["year"]}
    return sorted(years)


def target_input(target_rows: pd.DataFrame, code: str, year: int) -> tuple[str, str]:
    """(value as written, basis) of a stored target, to prefill the form; ("", "") when none."""
    part = target_rows[(target_rows["indicator_code"] == code) & (target_rows["year"] == year)]
    if part.empty:
        return "", ""
    value = float(part.iloc[0]["value"])
    return format.number(value, 0 if value.is_integer() else 1), str(part.iloc[0]["basis"] or "")


def check_target(
    code: str, year: int, value: str | float | None, basis: str | None
) -> tuple[float | None, list[str]]:
    """A target as typed, checked: (value, []) or (None, Vietnamese messages).

    The value is ≥ 0, and ≤ 100 for ratios (a percentage); the basis (where it comes from) is required.
    """
    errors: list[str] = []
    item = catalog.indicator_by_code().get(code)
    if item is None:
        return None, [f"Không có chỉ tiêu “{code}”."]
    if not TARGET_YEARS[0] <= int(year) <= TARGET_YEARS[1]:
        errors.append(f"Năm phải từ {TARGET_YEARS[0]} đến {TARGET_YEARS[1]}.")
    number = None
    try:
        number = _parse_number(value if value is None or isinstance(value, (int, float)) else str(value))
    except _NumberProblem as problem:
        if problem.kind == "percent":
            errors.append("Nhập mục tiêu không kèm dấu % (ví dụ 80 nghĩa là 80%).")
        else:
            errors.append(f"Mục tiêu “{value}” không phải là số.")
    else:
        if number is None:
            errors.append("Chưa nhập giá trị mục tiêu.")
        elif number < 0:
            errors.append("Mục tiêu không được âm.")
        elif item.is_ratio and number > 100:
            errors.append(f"{item.code} là chỉ tiêu tỷ lệ: mục tiêu phải từ 0 đến 100 (%).")
    if not (basis or "").strip():
        errors.append("Cần ghi căn cứ của mục tiêu (văn bản, kế hoạch hoặc cách ước tính).")
    return (None, errors) if errors else (number, [])


def target_value_text(code: str, value: float) -> str:
    return format.indicator_value(value, catalog.indicator(code).kind)


def unit_form_values(unit: OrgUnit) -> dict[str, str | bool]:
    """A unit's editable fields as the form shows them (numbers written the Vietnamese way)."""
    return {
        "name": unit.name,
        "households": "" if unit.households is None else format.number(unit.households),
        "population": "" if unit.population is None else format.number(unit.population),
        "active": unit.active,
    }
