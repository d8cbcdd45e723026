#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's uninstalled workflow for a libnice program: under
# `meson devenv -C BUILD`, `pkg-config --cflags --libs netavanue-nice-1.0`
# finds the build tree's uninstalled .pc, whose Cflags name the compat
# headers of the source tree, so that
#
#   cc prog.c $(pkg-config --cflags --libs netavanue-nice-1.0)
#
# compiles a libnice program against NetAvanue and not against a system
# libnice (Debian's libnice-dev is installed here: /usr/include/nice/agent.h
# is what `#include <nice/agent.h>` would find without them).  Two
# programs: nice-api.c (`#include <nice.h>`, as libnice's own examples
# include <agent.h>) and one with `#include <nice/agent.h>`.  Each is built
# and run under devenv and must say it runs on NavAgent.
#
#   test-pkgconfig-uninstalled.py MESON BUILD_ROOT CC NICE_API_C [SANITIZE]

import os
import shlex
import subprocess
import sys
import tempfile

PROGRAM = r"""
#include <stdio.h>
#include <nice/agent.h>

int
main (void)
{
  NiceAgent *agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);

  printf ("agent type %s\n", G_OBJECT_TYPE_NAME (agent));
  g_object_unref (agent);
  return 0;
}
"""


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def devenv(meson, build, command):
    result = subprocess.run([meson, "devenv", "-C", build, "sh", "-c", command],
                            capture_output=True, text=True, timeout=120)
    print("$ " + command)
    print(result.stdout + result.stderr)
    return result


def main():
    meson, build, cc, nice_api_c = sys.argv[1:5]
    sanitize = sys.argv[5] if len(sys.argv) > 5 else "none"
    flags = "" if sanitize == "none" else "-fsanitize=" + sanitize
    # The test's own environment points at the build tree already: leave
    # finding it to devenv, as a user's shell would.
    for var in ("PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "NAV_MODULE_DIR", "NAV_MODULE_PATH"):
        os.environ.pop(var, None)

    cflags = devenv(meson, build, "pkg-config --cflags netavanue-nice-1.0")
    if cflags.returncode != 0:
        fail("pkg-config does not find netavanue-nice-1.0 under meson devenv")
    if "/core/compat/nice" not in cflags.stdout:
        fail("the uninstalled netavanue-nice-1.0 names no compat include path")

    with tempfile.TemporaryDirectory() as tmp:
        sources = [("nice-api", nice_api_c), ("nice-agent-h", os.path.join(tmp, "p.c"))]
        with open(sources[1][1], "w") as f:
            f.write(PROGRAM)
        for name, source in sources:
            out = os.path.join(tmp, name)
            built = devenv(meson, build, "%s %s %s -o %s $(pkg-config --cflags --libs "
                           "netavanue-nice-1.0)" % (cc, flags, shlex.quote(source),
                                                    shlex.quote(out)))
            if built.returncode != 0:
                fail("%s does not build through the uninstalled pkg-config file" % name)
            ran = devenv(meson, build, shlex.quote(out))
            if ran.returncode != 0:
                fail("%s built through pkg-config fails" % name)
            if "agent type NavAgent\n" not in ran.stdout:
                fail("%s did not run on NetAvanue's agent" % name)
    print("OK")


if __name__ == "__main__":
    main()
