/* nav-inspect.h: live inspection of a process's agents, peer connections
 * and servers over D-Bus (nav-inspect --live)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_INSPECT_BUS_NAME_PREFIX:
 *
 * The prefix of the session bus name an exporting process owns, followed
 * by `P` and its process id.
 *
 * Since: 1.0
 */
#define NAV_INSPECT_BUS_NAME_PREFIX "org.netavanue.Inspect"

/**
 * NAV_INSPECT_OBJECT_PATH:
 *
 * The D-Bus object path of an exporting process (interface
 * `org.netavanue.Inspect.Process`); its objects are below it
 * (`org.netavanue.Inspect.Object`).
 *
 * Since: 1.0
 */
#define NAV_INSPECT_OBJECT_PATH "/org/netavanue/Inspect"

NAV_AVAILABLE_IN_ALL
gboolean     nav_inspect_export_start       (GError     **error);
NAV_AVAILABLE_IN_ALL
gboolean     nav_inspect_export_is_active   (void);
NAV_AVAILABLE_IN_ALL
gchar       *nav_inspect_export_dup_address (void);
NAV_AVAILABLE_IN_ALL
void         nav_inspect_export_object      (GObject     *object,
                                             const gchar *kind);

G_END_DECLS
