"""bench/RESULTS.md is written by several benchmarks (``bench/run.py`` on each Odoo
version, ``bench/load/run.py``): each one replaces only its own section, marked by
HTML comments, and keeps the others (and any text written by hand around them)."""

from pathlib import Path

TITLE = "# Benchmark results"


def markers(name):
    """The comments around the section ``name``."""
    return f"<!-- begin: {name} -->", f"<!-- end: {name} -->"


def read_section(path, name):
    """The text of section ``name`` of ``path`` (without its markers), or None."""
    path = Path(path)
    if not path.exists():
        return None
    begin, end = markers(name)
    content = path.read_text()
    start = content.find(begin)
    stop = content.find(end, start)
    if start < 0 or stop < 0:
        return None
    return content[start + len(begin) : stop].strip("\n")


def write_section(path, name, text, before=None):
    """Put ``text`` in section ``name`` of ``path``: in place of its previous text when
    there is one, else before the first line starting with ``before`` (a heading),
    else at the end. Everything else in the file is kept as it is."""
    path = Path(path)
    content = path.read_text() if path.exists() else TITLE + "\n"
    begin, end = markers(name)
    block = f"{begin}\n{text.strip()}\n{end}"
    start = content.find(begin)
    stop = content.find(end, start) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        content = content[:start] + block + content[stop + len(end) :]
    else:
        at = content.find("\n" + before) + 1 if before else 0
        if at > 0:
            content = content[:at] + block + "\n\n" + content[at:]
        else:
            content = content.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(content)
