"""The org-unit list as CSV/Excel: code,name,parent,households,population[,level,active]."""

from __future__ import annotations

from pydantic import ValidationError

from indicators.domain.models import Issue
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit, infer_levels
from indicators.ingest.columns import header_key
from indicators.ingest.layout import find_header, ref
from indicators.ingest.numbers import NumberProblem, parse_number
from indicators.ingest.read import ReadError, read_tables
from indicators.storage import Store

UNIT_ALIASES = {
    "code": ("code", "mã", "mã đơn vị", "ma_don_vi", "mã thôn"),
    "name": (
        "name", "tên", "tên đơn vị", "ten_don_vi", "thôn", "đơn vị", "tên thôn", "thôn/tổ dân phố",
        "tên thôn/tổ dân phố", "tổ dân phố",
    ),  # fmt: skip
    "parent": ("parent", "đơn vị cha", "trực thuộc", "cấp trên", "ma_cha"),
    "households": ("households", "số hộ", "so_ho", "hộ"),
    "population": ("population", "dân số", "số dân", "so_dan", "nhân khẩu"),
    "level": ("level", "cấp"),
    "active": ("active", "hoạt động", "đang hoạt động"),
}
_INDEX = {header_key(alias): key for key, aliases in UNIT_ALIASES.items() for alias in aliases}
LEVEL_WORDS = {
    "thon": "hamlet", "hamlet": "hamlet", "to dan pho": "hamlet", "xa": "commune",
    "phuong": "commune", "commune": "commune", "ward": "commune", "dac khu": "commune",
    "thanh pho": "city", "tinh": "city", "city": "city", "province": "city",
}  # fmt: skip
_YES = {"1", "co", "x", "true", "yes", "dang hoat dong"}
_NO = {"0", "khong", "false", "no", "ngung", "ngung hoat dong"}


def parse_units_file(file_name: str, data: bytes, store: Store) -> tuple[list[OrgUnit], list[Issue]]:
    """Units of the file, merged with the store's tree to check parents; all issues at once."""
    issues: list[Issue] = []
    try:
        sheet = read_tables(file_name, data)[0]
    except ReadError as exc:
        return [], [Issue("error", str(exc))]
    located = find_header(sheet, _INDEX, {"code", "name"})
    if located is None:
        return [], [Issue("error", "Không tìm thấy dòng tiêu đề: cần ít nhất các cột code và name "
                                   "(hoặc “Mã đơn vị”, “Tên đơn vị”).")]  # fmt: skip
    header_at, columns = located
    header = sheet.rows[header_at]
    existing = {unit.code: unit for unit in store.units()}
    raw: list[dict] = []
    seen: dict[str, int] = {}
    for r in range(header_at + 1, len(sheet.rows)):
        row = sheet.rows[r]
        cells = {key: (row[i] if i < len(row) else None, ref(i, header[i])) for i, key in columns.items()}
        if all(value is None for value, _ in cells.values()):
            continue
        line = r + 1

        def error(key: str, message: str, line: int = line, cells: dict = cells) -> None:
            issues.append(Issue("error", message, line, cells.get(key, (None, key))[1], sheet.name))

        item: dict = {"row": line}
        code = str(cells["code"][0] or "").strip()
        if isinstance(cells["code"][0], float) and cells["code"][0].is_integer():
            code = str(int(cells["code"][0]))
        if not code:
            error("code", "Thiếu mã đơn vị.")
        elif code in seen:
            error("code", f"Mã “{code}” lặp lại (đã có ở dòng {seen[code]}).")
        seen.setdefault(code, line)
        item["code"] = code
        item["name"] = str(cells["name"][0] or "").strip()
        if not item["name"]:
            error("name", "Thiếu tên đơn vị.")
        parent = cells.get("parent", (None, ""))[0]
        item["parent"] = str(parent).strip() if parent not in (None, "") else None
        for key in ("households", "population"):
            value = cells.get(key, (None, ""))[0]
            try:
                number = parse_number(value)
            except NumberProblem:
                error(key, f"“{value}” không phải là số.")
                number = None
            if number is not None and (number < 0 or not number.is_integer()):
                error(key, f"“{value}” phải là số nguyên không âm.")
                number = None
            item[key] = int(number) if number is not None else None
        level = cells.get("level", (None, ""))[0]
        if level not in (None, ""):
            item["level"] = LEVEL_WORDS.get(fold(str(level)))
            if item["level"] is None:
                error("level", f"Cấp “{level}” không rõ: dùng Thôn, Xã hoặc Thành phố.")
        active = cells.get("active", (None, ""))[0]
        if active not in (None, ""):
            word = fold(str(active))
            if word in _YES:
                item["active"] = True
            elif word in _NO:
                item["active"] = False
            else:
                error("active", f"“{active}” không rõ: dùng 1 (đang hoạt động) hoặc 0 (ngừng).")
        raw.append(item)
    if not raw and not issues:
        issues.append(Issue("error", "Tệp không có dòng đơn vị nào."))
    parents = {code: unit.parent for code, unit in existing.items()}
    parents.update({item["code"]: item["parent"] for item in raw if item.get("code")})
    for item in raw:
        parent = item["parent"]
        if parent and parent not in parents:
            issues.append(Issue("error", f"Đơn vị cha “{parent}” không có trong tệp hay danh mục.",
                                item["row"], cells_ref(columns, header, "parent"), sheet.name))  # fmt: skip
        if _cycle(item["code"], parents):
            issues.append(Issue("error", f"Mã “{item['code']}” nằm trong vòng lặp đơn vị cha.",
                                item["row"], cells_ref(columns, header, "parent"), sheet.name))  # fmt: skip
    if any(issue.severity == "error" for issue in issues):
        return [], issues
    # levels the database knows (and levels the file states) anchor the ones to infer
    known = {code: unit.level for code, unit in existing.items()}
    known.update({item["code"]: item["level"] for item in raw if item.get("level")})
    inferred = infer_levels(parents, known)
    units = []
    for item in raw:
        try:
            units.append(
                OrgUnit(
                    code=item["code"], name=item["name"], parent=item["parent"],
                    level=item.get("level") or inferred[item["code"]],
                    households=item["households"], population=item["population"],
                    active=item.get("active", True),
                )
            )  # fmt: skip
        except ValidationError as exc:
            for problem in exc.errors():
                field = str(problem["loc"][0]) if problem["loc"] else "code"
                issues.append(Issue("error", f"Giá trị không hợp lệ: {problem['msg']}", item["row"],
                                    cells_ref(columns, header, field), sheet.name))  # fmt: skip
    return (units if not issues else []), issues


def cells_ref(columns: dict[int, str], header: list, key: str) -> str:
    for i, name in columns.items():
        if name == key:
            return ref(i, header[i])
    return key


def _cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen, node = set(), code
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = parents.get(node)
    return False
