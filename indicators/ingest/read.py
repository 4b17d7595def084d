"""Bytes as they arrive from offices -> sheets of raw cells, positions kept as Excel shows them.

Handles UTF-8 (with or without BOM), UTF-16, Windows-1258 and Windows-1252 text; comma,
semicolon, tab or bar separators; and .xlsx workbooks. Everything a user may see is NFC.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from indicators.domain.text import nfc

# Caps that keep one upload within seconds and a bounded amount of memory. A commune's year of
# figures is about 30 units x 70 indicators x 12 months = 25.000 rows, far below MAX_ROWS.
MAX_ROWS = 100_000  # rows of one CSV table or one worksheet
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # bytes of a workbook once unzipped (zip bombs)


class ReadError(Exception):
    """The file is not a readable table; the message says why, in Vietnamese."""


@dataclass
class Sheet:
    name: str
    rows: Sequence[list[object]] = field(default_factory=list)  # rows[i] is Excel row i + 1
    encoding: str = ""
    trimmed: bool = False  # every cell is text, NFC and trimmed, or None (never "" or spaces)
    # the same cells column-wise (categories of text, missing when empty), when the reader had them
    # so: the column-wise check then need not build the frame again from `rows`
    frame: pd.DataFrame | None = None


def _vietnamese_letters() -> frozenset[str]:
    letters = set("đĐ")
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY":
        for mark in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            letters.add(unicodedata.normalize("NFC", base + mark))
    return frozenset(letters)


_VIETNAMESE = _vietnamese_letters()
_CP1258_TONE_BYTES = (b"\xcc", b"\xd2", b"\xde", b"\xec", b"\xf2")


def _score(text: str) -> int:
    """How Vietnamese the non-ASCII characters of a decoding look."""
    score = 0
    for ch in text:
        if ord(ch) < 128:
            continue
        score += 1 if ch in _VIETNAMESE else -2
    return score


def decode_text(data: bytes) -> tuple[str, str]:
    """(text as NFC, encoding name) for the bytes of a text file."""
    if data.startswith(codecs.BOM_UTF8):
        return unicodedata.normalize("NFC", data[3:].decode("utf-8", errors="replace")), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return unicodedata.normalize("NFC", data.decode("utf-16", errors="replace")), "utf-16"
    sample = data[:4000]
    if len(sample) >= 4:
        # UTF-16 without a BOM: ASCII characters leave a zero byte beside each one
        if sample[1::2].count(0) > len(sample) // 4:
            return unicodedata.normalize("NFC", data.decode("utf-16-le", errors="replace")), "utf-16-le"
        if sample[0::2].count(0) > len(sample) // 4:
            return unicodedata.normalize("NFC", data.decode("utf-16-be", errors="replace")), "utf-16-be"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1258 writes tone marks as separate bytes (combining characters; NFC composes them).
    # Read as cp1252 those bytes look like Ì ì Ò ò, so prefer cp1258 when its reading is clean.
    if any(byte in data for byte in _CP1258_TONE_BYTES):
        text = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
        if all(ord(ch) < 128 or ch in _VIETNAMESE or ch == "₫" for ch in text):
            return text, "cp1258"
    candidates = []
    for encoding in ("cp1258", "cp1252"):
        text = unicodedata.normalize("NFC", data.decode(encoding, errors="replace"))
        candidates.append((_score(text), encoding == "cp1258", text, encoding))
    best = max(candidates)
    return best[2], best[3]


# Unicode's control characters (category Cc: C0, DEL and C1) other than tab and line ends
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = len(_CONTROL.findall(sample))
    bad += sample.count("\ufffd")
    return bad > max(3, len(sample) // 100)


def _first_lines(text: str, count: int) -> list[str]:
    """`text.splitlines()[:count]`, without splitting the whole of a large file (0,2 s for 40 MB)."""
    size = 64 * 1024
    while True:
        lines = text[:size].splitlines()
        if len(lines) > count or size >= len(text):  # the first `count` lines end inside the prefix
            return lines[:count]
        size *= 4


def sniff_delimiter(text: str) -> str:
    """The separator that splits the first lines into the most consistent number of fields."""
    lines = [line for line in _first_lines(text, 60) if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a cell over the csv module's limit: read_csv_text says so
            continue
        many = [count for count in counts if count > 1]
        if not many:
            continue
        mode = max(set(many), key=many.count)
        score = (many.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = nfc(value)
        return value or None
    return value


@lru_cache(maxsize=65536)  # codes, names and months repeat thousands of times in a file
def _csv_cell(text: str) -> str | None:
    """A CSV cell as the checks take it (csv gives text only: `_clean` without its checks)."""
    return nfc(text) or None


def _too_many_rows(name: str) -> ReadError:
    return ReadError(
        f"Tệp “{name}” có hơn {MAX_ROWS:,} dòng: quá lớn cho một lần nhập. ".replace(",", ".")
        + "Hãy chia thành nhiều tệp nhỏ hơn (ví dụ mỗi tháng một tệp)."
    )


class ColumnRows(Sequence):
    """A sheet's rows over its columns (`Sheet.frame`), each row built when it is asked for: the
    column-wise check reads only the first rows, to find the header."""

    def __init__(self, frame: pd.DataFrame):
        # each column as its distinct cells (None last, for code -1) and each row's code
        self._columns = [(np.append(frame[c].cat.categories.to_numpy(object), None), frame[c].cat.codes.to_numpy())
                         for c in frame.columns]  # fmt: skip
        self._length = len(frame)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return [cells[codes[index]] for cells, codes in self._columns]


def _has_blank_line(text: str) -> bool:
    return text.startswith(("\n", "\r\n")) or "\n\n" in text or "\n\r\n" in text


def _read_rectangular(text: str, delimiter: str) -> pd.DataFrame | None:
    """The cells of a CSV text whose every line has the same number of fields, read by Arrow's
    C parser (a city's 9.000-row file: 0,003 s against 0,035 s for the csv module), as
    `_csv_cell` gives them; None for anything else (a blank line, a short or long row, a
    line break inside a header cell, a cell over the csv module's limit), which the csv module
    then reads as before, with its messages."""
    if _has_blank_line(text):  # the csv module gives a blank line as [], Arrow as empty cells
        return None
    try:
        first = next(csv.reader([text.split("\n", 1)[0]], delimiter=delimiter), [])
        as_text = {f"f{i}": pa.string() for i in range(len(first))}  # never numbers or dates
        table = pa_csv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=as_text, strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeEncodeError, csv.Error):
        return None
    if table.num_columns != len(as_text):
        return None
    limit = csv.field_size_limit()  # a longer cell is refused by the csv module, with its message
    if any((pc.max(pc.utf8_length(column)).as_py() or 0) > limit for column in table.columns):
        return None
    columns = {}
    for i in range(table.num_columns):
        # a file repeats a few months, units and codes thousands of times: clean each value once,
        # and keep the column as categories, which the column-wise check reads once each too.
        # Arrow finds the distinct values without a Python string per cell (a million rows: 0,85 -> 0,2 s).
        distinct = table.column(i).combine_chunks().dictionary_encode()
        codes = distinct.indices.to_numpy(zero_copy_only=False)
        uniques = distinct.dictionary.to_pylist()
        cell_codes, cells = pd.factorize(np.array([_csv_cell(value) for value in uniques], dtype=object))
        columns[i] = pd.Categorical.from_codes(cell_codes[codes], cells)  # an empty cell (None): code -1
    return pd.DataFrame(columns)


def read_csv_text(text: str, name: str, encoding: str = "") -> Sheet:
    delimiter = sniff_delimiter(text)
    frame = _read_rectangular(text, delimiter)
    if frame is not None:
        if len(frame) > MAX_ROWS:
            raise _too_many_rows(name)
        return Sheet(name=name, rows=ColumnRows(frame), encoding=encoding, trimmed=True, frame=frame)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(list(map(_csv_cell, row)))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows(name)
    except csv.Error as exc:  # a cell over the csv module's limit (128 KB), a stray NUL byte…
        raise ReadError(
            f"Tệp “{name}” có một ô quá dài hoặc ký tự không hợp lệ ở dòng {reader.line_num}: "
            "không phải bảng số liệu. Hãy dùng biểu mẫu tải về từ ứng dụng."
        ) from exc
    return Sheet(name=name, rows=rows, encoding=encoding, trimmed=True)


def _check_zip(data: bytes, name: str) -> None:
    """Refuse a zip that is no workbook, or that would unzip to more than the cap (a zip bomb),
    from its directory alone, before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ReadError(
            f"Không đọc được tệp Excel “{name}”: tệp hỏng hoặc không phải định dạng .xlsx."
        ) from exc
    if not any(m.filename == "[Content_Types].xml" for m in members):
        raise ReadError(
            f"Tệp “{name}” là tệp nén (ZIP), không phải Excel .xlsx hay CSV. Hãy dùng biểu mẫu "
            "tải về từ ứng dụng."
        )
    if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED:
        raise ReadError(
            f"Tệp Excel “{name}” khi giải nén lớn hơn {MAX_XLSX_UNCOMPRESSED // (1024 * 1024)} MB: "
            "quá lớn hoặc không an toàn để đọc. Hãy lưu lại chỉ các trang tính cần nộp, hoặc "
            "chia thành nhiều tệp nhỏ hơn."
        )


def read_xlsx(data: bytes, name: str) -> list[Sheet]:
    from openpyxl import load_workbook

    _check_zip(data, name)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError(
            f"Không đọc được tệp Excel “{name}”: tệp hỏng hoặc không phải định dạng .xlsx ({exc})."
        ) from exc
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            if worksheet.sheet_state != "visible":
                continue
            rows = []
            # a sheet's stored size may be wrong (some exporters write "A1"): measure it instead
            worksheet.reset_dimensions()
            for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True):
                rows.append([_clean(cell) for cell in row])
                if len(rows) > MAX_ROWS:
                    raise ReadError(
                        f"Trang tính “{worksheet.title}” có hơn {MAX_ROWS:,} dòng: quá lớn cho một lần "
                        "nhập. Hãy chia thành nhiều tệp nhỏ hơn.".replace(",", ".")
                    )
            sheets.append(Sheet(name=nfc(worksheet.title), rows=rows, encoding="xlsx"))
    finally:
        workbook.close()
    return sheets


def read_tables(file_name: str, data: bytes) -> list[Sheet]:
    """Every visible sheet of a workbook, or the one table of a text file."""
    bare = data
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if bare.startswith(bom):
            bare = bare[len(bom):]
    if not bare.strip(b"\x00 \t\n\r\x0b\x0c"):  # nothing but NUL bytes and spaces (only its ends are read)
        raise ReadError(f"Tệp “{file_name}” rỗng: không có dữ liệu.")
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data, file_name)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError(
            f"Tệp “{file_name}” là Excel 97-2003 (.xls). Hãy mở bằng Excel và lưu lại dưới dạng "
            "“Excel Workbook (.xlsx)” hoặc CSV UTF-8 rồi tải lên lại."
        )
    text, encoding = decode_text(data)
    if _looks_binary(text):
        raise ReadError(
            f"Tệp “{file_name}” không phải bảng dữ liệu (CSV hoặc Excel .xlsx). Hãy dùng biểu mẫu "
            "tải về từ ứng dụng."
        )
    return [read_csv_text(text, file_name, encoding)]
