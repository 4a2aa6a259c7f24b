"""Lint the addons' XML files (`make lint`, pre-commit): each is well-formed, and the
views use Odoo 18.0 syntax, which 19.0 reads too (house style): no ``<tree>`` (it is
``<list>``), no ``attrs`` nor ``states`` attributes (``invisible="..."`` expressions).

Usage: python scripts/check_xml.py [file.xml ...]   (default: every XML file of the
addons). Exits 1 naming each problem as ``path:line: message``.
"""

import sys
from pathlib import Path

from lxml import etree

ADDONS = ("msp_business_planning", "msp_business_planning_elearning")
# Legacy view syntax that Odoo 17.0 removed.
LEGACY_ATTRIBUTES = ("attrs", "states")


def problems(path):
    """``(line, message)`` of what is wrong with the XML file at ``path``."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return [(error.lineno, f"not well-formed: {error.msg}")]
    found = []
    for element in tree.iter(etree.Element):
        if element.tag == "tree":
            found.append((element.sourceline, "<tree> is <list> since Odoo 17.0"))
        for name in LEGACY_ATTRIBUTES:
            # A field of that name in a view is fine; the attribute on a node is not.
            if name in element.attrib and element.tag not in ("field", "attribute"):
                found.append((element.sourceline, f'"{name}" is replaced by expressions'))
    return found


def main(paths):
    files = [Path(p) for p in paths if p.endswith(".xml")] or sorted(
        path for addon in ADDONS for path in Path(addon).rglob("*.xml")
    )
    failed = False
    for path in files:
        for line, message in problems(path):
            print(f"{path}:{line}: {message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
