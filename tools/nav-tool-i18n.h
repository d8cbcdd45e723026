/* nav-tool-i18n.h: where the tools find their translations
 *
 * LOCALEDIR once installed; $NAV_LOCALEDIR when set, as the tests and
 * `meson devenv` set it to the build tree's po/ directory (where the
 * build puts LANG/LC_MESSAGES/netavanue.mo), so that a tool run from the
 * build tree speaks the user's language too.  The library binds the
 * same directory for its own messages (nav-registry.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

static inline const gchar *
nav_tool_localedir (void)
{
  const gchar *dir = g_getenv ("NAV_LOCALEDIR");

  return dir != NULL && dir[0] != '\0' ? dir : LOCALEDIR;
}
