/* nav-config.h: the typed settings the agent gives a gatherer or a checker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <glib-object.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

typedef struct _NavConfig NavConfig;

#define NAV_TYPE_CONFIG (nav_config_get_type ())
NAV_AVAILABLE_IN_ALL
GType        nav_config_get_type          (void) G_GNUC_CONST;

NAV_AVAILABLE_IN_ALL
NavConfig   *nav_config_new_for_gatherer  (void);
NAV_AVAILABLE_IN_ALL
NavConfig   *nav_config_new_for_checker   (void);
NAV_AVAILABLE_IN_ALL
NavConfig   *nav_config_ref               (NavConfig        *self);
NAV_AVAILABLE_IN_ALL
void         nav_config_unref             (NavConfig        *self);
NAV_AVAILABLE_IN_ALL
GType        nav_config_get_interface     (const NavConfig  *self);
NAV_AVAILABLE_IN_ALL
GParamSpec **nav_config_list_settings     (const NavConfig  *self,
                                           guint            *n_settings);
NAV_AVAILABLE_IN_ALL
gboolean     nav_config_set_value         (NavConfig        *self,
                                           const gchar      *name,
                                           const GValue     *value,
                                           GError          **error);
NAV_AVAILABLE_IN_ALL
gboolean     nav_config_set               (NavConfig        *self,
                                           GError          **error,
                                           const gchar      *first_name,
                                           ...) G_GNUC_NULL_TERMINATED;
NAV_AVAILABLE_IN_ALL
gboolean     nav_config_get_value         (const NavConfig  *self,
                                           const gchar      *name,
                                           GValue           *value);
NAV_AVAILABLE_IN_ALL
void         nav_config_get               (const NavConfig  *self,
                                           const gchar      *first_name,
                                           ...) G_GNUC_NULL_TERMINATED;
NAV_AVAILABLE_IN_ALL
gboolean     nav_config_is_set            (const NavConfig  *self,
                                           const gchar      *name);
NAV_AVAILABLE_IN_ALL
gboolean     nav_config_check             (const NavConfig      *self,
                                           const gchar * const  *taken,
                                           const gchar          *implementation,
                                           GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavConfig, nav_config_unref)

G_END_DECLS
