/* nav-broken-module.c: a module that cannot be loaded, for the tests of
 * nav-inspect's failure listing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * It refers to a variable that nothing defines.  A data reference is
 * resolved when the file is opened, even with lazy binding, so dlopen()
 * fails with "undefined symbol: nav_test_symbol_nobody_defines".
 */
#include <netavanue/netavanue.h>

extern int nav_test_symbol_nobody_defines;

NAV_DEFINE_MODULE ("broken",
                   "A test module that refers to an undefined symbol",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue tests");

G_MODULE_EXPORT void    g_io_nav_broken_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_broken_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_broken_query  (void);

G_MODULE_EXPORT int *nav_broken_reference = &nav_test_symbol_nobody_defines;

G_MODULE_EXPORT void
g_io_nav_broken_load (GIOModule *module)
{
}

G_MODULE_EXPORT void
g_io_nav_broken_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_broken_query (void)
{
  return g_new0 (gchar *, 1);
}
