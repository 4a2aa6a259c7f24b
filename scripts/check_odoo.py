"""Fail within seconds, and say what is missing, when Odoo 18.0 is not importable.

Run in two steps: ``--tree`` before the Python dependencies are installed (it only
locates the ``odoo`` package and reads its release file, importing nothing), then
without arguments once they are, to import Odoo for real.
"""

import importlib.util
import os
import re
import sys

HELP = """\
Odoo 18.0 must be importable as `odoo` by {python}.
Odoo is not on PyPI: get an Odoo 18.0 Community source tree (for example a clone of
the 18.0 branch) and make its top folder (the one holding `odoo/` and `odoo-bin`)
importable, e.g.:
    site=$({python} -c 'import site; print(site.getsitepackages()[0])')
    echo /path/to/odoo-18.0 > "$site/odoo18.pth"
See README.md, section "Providing Odoo 18".
"""


def fail(reason):
    sys.stderr.write(f"ERROR: {reason}\n\n{HELP.format(python=sys.executable)}")
    sys.exit(2)


def check_tree():
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.submodule_search_locations:
        fail("no Python package named `odoo` is importable.")
    root = next(iter(spec.submodule_search_locations))
    release = os.path.join(root, "release.py")
    if not os.path.isfile(release):
        fail(f"`odoo` found at {root} but it has no release.py: not an Odoo tree.")
    with open(release, encoding="utf-8") as handle:
        match = re.search(r"^version_info = \((\d+), (\d+)", handle.read(), re.M)
    version = match and (int(match[1]), int(match[2]))
    if version != (18, 0):
        fail(f"`odoo` at {root} is version {version}, not 18.0.")
    if not os.path.isdir(os.path.join(root, "addons", "crm")):
        fail(f"`odoo` at {root} has no addons/crm: the tree must include the addons.")
    print(f"Odoo 18.0 tree: {root}")


def check_import():
    try:
        import odoo.release  # noqa: F401  (import side effects are what we test)
        from odoo.modules.module import get_module_path
    except ImportError as exc:
        fail(f"Odoo 18.0 was found but does not import: {exc}. Run `make setup`.")
    if not get_module_path("crm", display_warning=False):
        fail("Odoo imports but its `crm` addon is not on the addons path.")


if __name__ == "__main__":
    check_tree()
    if "--tree" not in sys.argv:
        check_import()
