"""Print an Odoo tree's own pinned runtime requirements, adapted to install from wheels.

Usage: python3 scripts/odoo_requirements.py <tree>/requirements.txt

Every pin of the tree is kept as it is, except:
- psycopg2 becomes psycopg2-binary at the same version: the same `psycopg2` module,
  without libpq headers and a compiler;
- a pin that has no wheel (it would need a compiler and old build tools) takes the
  version the same tree pins for the next Python: cbor2 5.4.2 becomes 5.6.2;
- python-ldap (only for auth_ldap, needs libldap headers) and the Windows-only
  packages are left out.
"""

import re
import sys

LEFT_OUT = {"python-ldap", "pypiwin32", "rl-renderpm"}
RENAMED = {"psycopg2": "psycopg2-binary"}
REPINNED = {"cbor2==5.4.2": "cbor2==5.6.2"}


def adapt(lines):
    for line in lines:
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        name = match[0].lower()
        if name in LEFT_OUT:
            continue
        if name in RENAMED:
            requirement = RENAMED[name] + requirement[len(name) :]
        for old, new in REPINNED.items():
            requirement = requirement.replace(old, new)
        yield requirement


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        for requirement in adapt(handle):
            print(requirement)
