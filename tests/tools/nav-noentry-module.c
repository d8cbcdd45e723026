/* nav-noentry-module.c: a shared object that loads but is no module: it
 * has a descriptor and no g_io_nav_noentry_load/unload
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

NAV_DEFINE_MODULE ("noentry",
                   "A test module without entry points",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue tests");
