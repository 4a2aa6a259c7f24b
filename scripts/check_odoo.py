"""Locate the Odoo trees of the supported series, importing nothing of them.

    check_odoo.py --found              print the series whose tree is there, e.g. "18 19"
    check_odoo.py --require 18 19      fail within seconds, saying what is missing and how
                                       to provide it, unless each of these trees is there
    check_odoo.py --import             (run by a version's virtualenv) Odoo imports

A tree is the top folder of an Odoo Community source tree: ``odoo/release.py`` of its
series, ``odoo/addons/base`` and ``addons/crm``. Each series' tree is found at
``$ODOO_<series>_TREE``, by default at the fixed path of SUPPORTED.
"""

import os
import re
import sys

# The supported series and where their tree is by default (README "Supported versions").
SUPPORTED = {"18": "/opt/odoo/18.0", "19": "/opt/odoo/19.0"}

HELP = """\
Odoo {series}.0 is needed: a Community source tree (its top folder holds odoo/ and
addons/), at {default} or wherever ODOO_{series}_TREE says, e.g.
    git clone --depth 1 -b {series}.0 <an Odoo {series}.0 Community repository> {default}
or `make ... ODOO_{series}_TREE=/path/to/odoo-{series}.0`. Odoo's proprietary Enterprise
modules are never needed nor put on the addons path. See README.md, "Supported versions".
"""


def tree_of(series):
    return os.environ.get(f"ODOO_{series}_TREE") or SUPPORTED[series]


def problem(series):
    """Why the tree of ``series`` is not usable, or None when it is."""
    tree = tree_of(series)
    release = os.path.join(tree, "odoo", "release.py")
    if not os.path.isfile(release):
        return f"no Odoo tree at {tree} (no odoo/release.py)"
    with open(release, encoding="utf-8") as handle:
        match = re.search(r"^version_info = \((\d+), (\d+)", handle.read(), re.M)
    found = match and f"{match[1]}.{match[2]}"
    if found != f"{series}.0":
        return f"the Odoo tree at {tree} is version {found}, not {series}.0"
    for needed in ("odoo/addons/base", "addons/crm", "addons/portal"):
        if not os.path.isdir(os.path.join(tree, needed)):
            return f"the Odoo tree at {tree} has no {needed}"
    return None


def require(series_list):
    missing = [(series, problem(series)) for series in series_list]
    missing = [(series, reason) for series, reason in missing if reason]
    for series, reason in missing:
        sys.stderr.write(f"ERROR: Odoo {series}.0: {reason}.\n")
    for series, _reason in missing:
        sys.stderr.write("\n" + HELP.format(series=series, default=SUPPORTED[series]))
    if missing:
        sys.exit(2)


def check_import():
    try:
        import odoo.release
        import odoo.service.server  # it imports most of Odoo's dependencies
    except ImportError as exc:
        sys.exit(f"ERROR: Odoo does not import in {sys.prefix}: {exc}. Run `make setup`.")
    print(f"Odoo {odoo.release.version} ready in {sys.prefix}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--found"]:
        print(" ".join(series for series in SUPPORTED if not problem(series)))
    elif sys.argv[1:2] == ["--require"]:
        unknown = [series for series in sys.argv[2:] if series not in SUPPORTED]
        if unknown:
            sys.exit(f"ERROR: unsupported Odoo version {' '.join(unknown)}: {' '.join(SUPPORTED)}")
        require(sys.argv[2:] or list(SUPPORTED))
    elif sys.argv[1:2] == ["--import"]:
        check_import()
    else:
        sys.exit(__doc__)
