#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""po/POTFILES.in lists exactly the source files with translatable strings.

A file that marks strings with _(), N_(), C_() or NC_() and is missing from
POTFILES.in would never reach translators; a listed file that no longer
exists breaks `meson compile netavanue-pot`.
"""
import os
import re
import sys

root = os.environ.get("NAV_SOURCE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"(?<![A-Za-z0-9_])(?:N?C?_|NC_)\s*\(\s*\"")
SOURCE_DIRS = ["core", "modules", "plugins", "tools"]

listed = set()
with open(os.path.join(root, "po", "POTFILES.in"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line)

marked = set()
for top in SOURCE_DIRS:
    for dirpath, _dirs, files in os.walk(os.path.join(root, top)):
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                if MARK.search(f.read()):
                    marked.add(os.path.relpath(path, root))

failed = False
for path in sorted(marked - listed):
    print(f"not ok: {path} has translatable strings but is not in po/POTFILES.in")
    failed = True
for path in sorted(listed):
    if not os.path.exists(os.path.join(root, path)):
        print(f"not ok: po/POTFILES.in lists {path}, which does not exist")
        failed = True
    elif path not in marked:
        print(f"not ok: po/POTFILES.in lists {path}, which has no translatable string")
        failed = True

print(f"{len(marked)} files with translatable strings, {len(listed)} listed")
if not marked:
    print("not ok: no translatable strings found at all")
    failed = True
sys.exit(1 if failed else 0)
