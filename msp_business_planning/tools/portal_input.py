"""Strict parsing of what the portal forms send: text in, typed values out.

Nothing from the browser is trusted: numbers and dates have one accepted shape each,
anything else is refused with an :class:`InputError` whose ``kind`` tells the
controller which message to show. Only the shape is checked here: whether a well-formed
value is acceptable (its range, the plan's dates) is decided once, where it enters the
model. No ORM here, so the rules can be read and tested alone.
"""

import re
from datetime import date

# Longest text accepted for a progress note.
MAX_NOTE_LENGTH = 2000
# Longest one-line text (a deal or company name, a contact) accepted from a form.
MAX_LINE_LENGTH = 200

# Optional sign, digits, one optional decimal separator (point or comma). No
# exponent, no thousands separators, no "nan"/"inf" spellings.
# ASCII: only 0-9 are digits, not the digits of other scripts.
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Control characters other than tab and line breaks: PostgreSQL refuses NUL in text
# and the others have no business in a note.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A phone number as people write it: digits, spaces and + ( ) - . / only.
_PHONE_RE = re.compile(r"[0-9+()./\- ]+", re.ASCII)
_PHONE_DIGITS = (4, 20)


class InputError(ValueError):
    """A form value that cannot be accepted; ``kind`` is ``"missing"``,
    ``"invalid"`` or ``"too_large"``."""

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def parse_number(text):
    """The number typed in ``text``, as a float: its range is the model's to check
    (a text of 400 digits reads as infinity, which the model refuses as too large).

    >>> parse_number("12")
    12.0
    >>> parse_number(" -3,25 ")
    -3.25
    >>> parse_number(".5")
    0.5
    >>> for bad in ("nan", "inf", "-Infinity", "1e3", "1,000.5", "12abc", "0x10", "١٢"):
    ...     try:
    ...         parse_number(bad)
    ...     except InputError as error:
    ...         print(bad, error.kind)
    nan invalid
    inf invalid
    -Infinity invalid
    1e3 invalid
    1,000.5 invalid
    12abc invalid
    0x10 invalid
    ١٢ invalid
    >>> parse_number("9" * 400), parse_number("1000000000001")
    (inf, 1000000000001.0)
    >>> try:
    ...     parse_number("   ")
    ... except InputError as error:
    ...     print(error.kind)
    missing
    """
    text = (text or "").strip()
    if not text:
        raise InputError("missing")
    if not _NUMBER_RE.fullmatch(text):
        raise InputError("invalid")
    return float(text.replace(",", "."))


def parse_iso_date(text):
    """The date typed in ``text``, as an HTML date input sends it (YYYY-MM-DD).

    >>> parse_iso_date("2026-03-31")
    datetime.date(2026, 3, 31)
    >>> for bad in ("2026-02-30", "31/03/2026", "2026-3-1", "2026-03-31T00:00", "today"):
    ...     try:
    ...         parse_iso_date(bad)
    ...     except InputError as error:
    ...         print(bad, error.kind)
    2026-02-30 invalid
    31/03/2026 invalid
    2026-3-1 invalid
    2026-03-31T00:00 invalid
    today invalid
    >>> try:
    ...     parse_iso_date("")
    ... except InputError as error:
    ...     print(error.kind)
    missing
    """
    text = (text or "").strip()
    if not text:
        raise InputError("missing")
    if not _DATE_RE.fullmatch(text):
        raise InputError("invalid")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("invalid") from None


def clean_text(text, max_length=MAX_NOTE_LENGTH):
    """Plain text as typed, stripped of control characters and surrounding blanks;
    refused when longer than ``max_length``. Markup is kept as text: it is escaped
    when displayed, never interpreted.

    >>> clean_text("  Two new clients <b>signed</b>\\x00 ")
    'Two new clients <b>signed</b>'
    >>> clean_text("line 1\\r\\nline 2")
    'line 1\\r\\nline 2'
    >>> clean_text(None)
    ''
    >>> try:
    ...     clean_text("x" * 11, max_length=10)
    ... except InputError as error:
    ...     print(error.kind)
    too_large
    """
    text = _CONTROL_RE.sub("", text or "").strip()
    if len(text) > max_length:
        raise InputError("too_large")
    return text


def clean_line(text, max_length=MAX_LINE_LENGTH):
    """One line of plain text: control characters dropped, line breaks and runs of
    blanks turned into one space; refused when longer than ``max_length``.

    >>> clean_line("  Globex\\r\\n  <i>Corp</i>\\t ")
    'Globex <i>Corp</i>'
    >>> clean_line(None)
    ''
    >>> try:
    ...     clean_line("x" * 11, max_length=10)
    ... except InputError as error:
    ...     print(error.kind)
    too_large
    """
    text = " ".join(_CONTROL_RE.sub("", text or "").split())
    if len(text) > max_length:
        raise InputError("too_large")
    return text


def clean_phone(text):
    """A phone number as typed, blanks collapsed: digits, spaces and ``+ ( ) - . /``
    only, with 4 to 20 digits; empty when nothing is typed.

    >>> clean_phone(" +1 (555)  010-0100 ")
    '+1 (555) 010-0100'
    >>> clean_phone("")
    ''
    >>> for bad in ("call me", "555 0100 ext 12", "12", "1" * 21, "<script>"):
    ...     try:
    ...         clean_phone(bad)
    ...     except InputError as error:
    ...         print(bad[:10], error.kind)
    call me invalid
    555 0100 e invalid
    12 invalid
    1111111111 invalid
    <script> invalid
    """
    text = " ".join((text or "").split())
    if not text:
        return ""
    digits = sum(c.isdigit() for c in text)
    if not _PHONE_RE.fullmatch(text) or not _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        raise InputError("invalid")
    return text


def check_date_range(day, first, last):
    """``day`` when within ``first`` and ``last`` (both included); an
    ``"out_of_range"`` :class:`InputError` otherwise.

    >>> check_date_range(date(2026, 5, 1), date(2026, 1, 1), date(2026, 12, 31))
    datetime.date(2026, 5, 1)
    >>> try:
    ...     check_date_range(date(1999, 5, 1), date(2026, 1, 1), date(2026, 12, 31))
    ... except InputError as error:
    ...     print(error.kind)
    out_of_range
    """
    if not first <= day <= last:
        raise InputError("out_of_range")
    return day
