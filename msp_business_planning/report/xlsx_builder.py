"""Plain sheets of Python values written to an XLSX workbook, in memory.

No ORM here: a caller describes each sheet as typed columns and rows of plain values
(text, numbers, dates, percentages in Odoo's 0-100 points), and :func:`build_workbook`
turns them into one formatted workbook: bold frozen header row, autofilter, widths
fitted to the content, numbers and dates as real numbers and dates.

Text is always written with ``write_string``: a plan or objective named ``=HYPERLINK(...)``
or ``+31 ...`` stays text and never becomes a formula in the reader's spreadsheet.

>>> sheet = Sheet("Plans", [Column("Name"), Column("Progress", PERCENT)])
>>> sheet.add_row(["=1+1", 42.5])
>>> content = build_workbook([sheet])
>>> content[:2]
b'PK'
"""

import io
import re
from dataclasses import dataclass, field

import xlsxwriter

TEXT = "text"
INTEGER = "integer"
NUMBER = "number"
AMOUNT = "amount"  # a number, in the row's currency when it has one
PERCENT = "percent"  # Odoo percent points: 100.0 is written as 100 %
DATE = "date"

KINDS = (TEXT, INTEGER, NUMBER, AMOUNT, PERCENT, DATE)

NUMBER_FORMAT = "#,##0.00"
NUM_FORMATS = {
    INTEGER: "#,##0",
    NUMBER: NUMBER_FORMAT,
    AMOUNT: NUMBER_FORMAT,
    # Whole percentages, as everywhere else (the values are rounded by tools/figures.py).
    PERCENT: "0%",
    DATE: "yyyy-mm-dd",
}
MIN_WIDTH = 8
MAX_WIDTH = 60
# Excel refuses these in sheet names, and names longer than 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class CurrencyFormat:
    """How amounts of one currency are displayed: its symbol, before or after the
    amount, and its number of decimals."""

    symbol: str
    position: str = "after"
    digits: int = 2

    def num_format(self):
        """The Excel number format of the currency.

        >>> CurrencyFormat("€").num_format()
        '#,##0.00 "€"'
        >>> CurrencyFormat("$", "before").num_format()
        '"$"#,##0.00'
        >>> CurrencyFormat("¥", "before", 0).num_format()
        '"¥"#,##0'
        """
        number = "#,##0" + ("." + "0" * self.digits if self.digits > 0 else "")
        # The symbol is quoted as literal text; a quote inside it would end the literal.
        symbol = '"{}"'.format(self.symbol.replace('"', "")) if self.symbol else ""
        if not symbol:
            return number
        return f"{symbol}{number}" if self.position == "before" else f"{number} {symbol}"


@dataclass(frozen=True)
class Column:
    """One column: its header, the kind of its values and, optionally, a fixed width
    (otherwise fitted to the header and the values)."""

    header: str
    kind: str = TEXT
    width: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Cell:
    """A value of an ``AMOUNT`` column read in its own :class:`CurrencyFormat` rather
    than its row's (a weighted count, one decimal, in a row of whole counts)."""

    value: object
    currency: CurrencyFormat | None = None


def _unwrap(value, currency):
    """``(value, currency)`` of a cell: its own format when it is a :class:`Cell`.

    >>> _unwrap(Cell(0.3, CurrencyFormat("", digits=1)), None)
    (0.3, CurrencyFormat(symbol='', position='after', digits=1))
    >>> _unwrap(2, None)
    (2, None)
    """
    if isinstance(value, Cell):
        return value.value, value.currency
    return value, currency


@dataclass
class Sheet:
    """A named sheet: columns and rows of values, one per column. A row may carry a
    :class:`CurrencyFormat` for its ``AMOUNT`` cells."""

    name: str
    columns: list
    rows: list = field(default_factory=list)

    def add_row(self, values, currency=None):
        if len(values) != len(self.columns):
            raise ValueError(
                f"Sheet {self.name!r}: {len(values)} values for {len(self.columns)} columns"
            )
        self.rows.append((list(values), currency))


def sheet_name(name, taken=()):
    """A name Excel accepts, unique among ``taken``.

    >>> sheet_name("Q1/Q2 [draft]")
    'Q1 Q2  draft'
    >>> sheet_name("Summary", taken={"summary"})
    'Summary (2)'
    """
    base = SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'")[:31] or "Sheet"
    candidate, counter = base, 1
    while candidate.lower() in {t.lower() for t in taken}:
        counter += 1
        suffix = f" ({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
    return candidate


def _display_length(value, kind, currency):
    """Approximate number of characters the value takes once formatted.

    >>> _display_length(1234567.5, AMOUNT, CurrencyFormat("EUR"))  # 1,234,567.50 "EUR"
    16
    >>> from datetime import date
    >>> _display_length(date(2026, 1, 1), DATE, None), _display_length(12.3, PERCENT, None)
    (10, 6)
    """
    if value is None or value is False:
        return 0
    if kind == TEXT:
        return max((len(line) for line in str(value).splitlines()), default=0)
    if kind == DATE:
        return 10
    if kind == PERCENT:
        return len(f"{value:.1f}") + 2
    if kind == INTEGER:
        return len(f"{value:,.0f}")
    digits = currency.digits if currency else 2
    text = f"{value:,.{digits}f}"
    return len(text) + (len(currency.symbol) + 1 if currency else 0)


def column_widths(sheet):
    """Widths fitted to the header and the values, within sensible bounds.

    >>> s = Sheet("S", [Column("Name"), Column("Target", NUMBER), Column("Note", width=30)])
    >>> s.add_row(["A rather long objective name", 1000.0, ""])
    >>> column_widths(s)
    [30, 10, 30]
    """
    widths = []
    for index, column in enumerate(sheet.columns):
        if column.width:
            widths.append(column.width)
            continue
        longest = max(
            (
                _display_length(value, column.kind, cell_currency)
                for value, cell_currency in (
                    _unwrap(values[index], currency) for values, currency in sheet.rows
                )
            ),
            default=0,
        )
        widths.append(min(max(len(column.header), longest, MIN_WIDTH - 2) + 2, MAX_WIDTH))
    return widths


class _Formats:
    """xlsxwriter formats, created once per workbook and per (kind, currency)."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#E9ECEF", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.cache = {}

    def get(self, kind, currency=None):
        if kind == AMOUNT and currency:
            key, num_format = (kind, currency), currency.num_format()
        else:
            key, num_format = (kind, None), NUM_FORMATS.get(kind)
        if key not in self.cache:
            self.cache[key] = self.workbook.add_format(
                {"num_format": num_format} if num_format else {"valign": "top"}
            )
        return self.cache[key]


def _write_cell(worksheet, row, col, value, kind, cell_format):
    if value is None or value is False or (kind == TEXT and value == ""):
        worksheet.write_blank(row, col, None, cell_format)
    elif kind == TEXT:
        # Never write(): text such as "=SUM(...)" or "@cmd" must stay text.
        worksheet.write_string(row, col, str(value), cell_format)
    elif kind == DATE:
        worksheet.write_datetime(row, col, value, cell_format)
    elif kind == PERCENT:
        worksheet.write_number(row, col, value / 100.0, cell_format)
    else:
        worksheet.write_number(row, col, value, cell_format)


def _write_sheet(workbook, formats, sheet, name):
    worksheet = workbook.add_worksheet(name)
    for col, column in enumerate(sheet.columns):
        worksheet.write_string(0, col, column.header, formats.header)
    kinds = [column.kind for column in sheet.columns]
    plain_formats = [formats.get(kind) for kind in kinds]
    for row, (values, currency) in enumerate(sheet.rows, start=1):
        row_formats = [formats.get(kind, currency) for kind in kinds] if currency else plain_formats
        for col, value in enumerate(values):
            cell_format = row_formats[col]
            if isinstance(value, Cell):
                value, cell_format = value.value, formats.get(kinds[col], value.currency)
            _write_cell(worksheet, row, col, value, kinds[col], cell_format)
    for col, width in enumerate(column_widths(sheet)):
        worksheet.set_column(col, col, width)
    worksheet.freeze_panes(1, 0)
    if sheet.columns:
        worksheet.autofilter(0, 0, max(len(sheet.rows), 1), len(sheet.columns) - 1)
    return worksheet


def build_workbook(sheets, properties=None):
    """The bytes of an XLSX workbook holding ``sheets`` in their order."""
    buffer = io.BytesIO()
    # The options are a second guard: even write() could not turn text into a
    # formula or a link.
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    if properties:
        workbook.set_properties(properties)
    formats = _Formats(workbook)
    taken = set()
    for sheet in sheets:
        name = sheet_name(sheet.name, taken)
        taken.add(name)
        _write_sheet(workbook, formats, sheet, name)
    workbook.close()
    return buffer.getvalue()
