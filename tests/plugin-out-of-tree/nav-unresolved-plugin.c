/* nav-unresolved-plugin.c: a plugin built against a newer NetAvanue than
 * the one it is loaded into, for the registry's failure listing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * It calls a function this library does not have, as a plugin compiled
 * against the headers of a later release would.  A shared object may
 * leave function symbols undefined (the linker does not check them
 * without -z defs), and with lazy binding they are only looked up at the
 * first call: here, from the module's load function, which used to kill
 * the host with "symbol lookup error" in the middle of the registry's
 * scan.  Built by build-unresolved-plugin.sh with the compiler and
 * `pkg-config netavanue-1.0` alone, as a third party would.
 */
#include <netavanue/netavanue.h>

/* What the newer release's header would declare. */
void nav_test_function_from_a_newer_release (GTypeModule *module);

static void
register_types (GTypeModule *module)
{
  nav_test_function_from_a_newer_release (module);
}

NAV_DEFINE_MODULE_FULL (nav_unresolved, "unresolved",
                        "A plugin that needs a function this library lacks",
                        "1.0.0", "LGPL-2.1-or-later", "NetAvanue tests",
                        register_types, NULL);
