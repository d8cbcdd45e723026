/* nav-registry.h: the extension points and the modules that implement them
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

#define NAV_TYPE_MODULE_INFO (nav_module_info_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavModuleInfo, nav_module_info, NAV, MODULE_INFO, GObject)

NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_name        (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_description (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_version     (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_license     (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_origin      (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_filename    (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
gboolean     nav_module_info_get_loaded      (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar *nav_module_info_get_error       (NavModuleInfo *self);
NAV_AVAILABLE_IN_ALL
GList       *nav_module_info_list_types      (NavModuleInfo *self);

#define NAV_TYPE_IMPLEMENTATION_INFO (nav_implementation_info_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavImplementationInfo, nav_implementation_info, NAV, IMPLEMENTATION_INFO, GObject)

NAV_AVAILABLE_IN_ALL
const gchar   *nav_implementation_info_get_name            (NavImplementationInfo *self);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_implementation_info_get_extension_point (NavImplementationInfo *self);
NAV_AVAILABLE_IN_ALL
GType          nav_implementation_info_get_gtype           (NavImplementationInfo *self);
NAV_AVAILABLE_IN_ALL
gint           nav_implementation_info_get_priority        (NavImplementationInfo *self);
NAV_AVAILABLE_IN_ALL
NavModuleInfo *nav_implementation_info_get_module          (NavImplementationInfo *self);

#define NAV_TYPE_REGISTRY (nav_registry_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavRegistry, nav_registry, NAV, REGISTRY, GObject)

NAV_AVAILABLE_IN_ALL
NavRegistry *nav_registry_get_default              (void);

NAV_AVAILABLE_IN_ALL
gchar      **nav_registry_list_extension_points    (NavRegistry  *self);
NAV_AVAILABLE_IN_ALL
GType        nav_registry_get_extension_point_type (NavRegistry  *self,
                                                    const gchar  *extension_point);
NAV_AVAILABLE_IN_ALL
GList       *nav_registry_list_implementations     (NavRegistry  *self,
                                                    const gchar  *extension_point);
NAV_AVAILABLE_IN_ALL
GList       *nav_registry_list_modules             (NavRegistry  *self);
NAV_AVAILABLE_IN_ALL
NavModuleInfo *nav_registry_lookup_module          (NavRegistry  *self,
                                                    const gchar  *name);
NAV_AVAILABLE_IN_ALL
NavImplementationInfo *nav_registry_lookup         (NavRegistry  *self,
                                                    const gchar  *extension_point,
                                                    const gchar  *name,
                                                    GError      **error);
NAV_AVAILABLE_IN_ALL
NavImplementationInfo *nav_registry_lookup_type    (NavRegistry  *self,
                                                    GType         type);
NAV_AVAILABLE_IN_ALL
NavImplementationInfo *nav_registry_get_preferred  (NavRegistry  *self,
                                                    const gchar  *extension_point,
                                                    GError      **error);

NAV_AVAILABLE_IN_ALL
GObject     *nav_registry_create                   (NavRegistry  *self,
                                                    const gchar  *extension_point,
                                                    const gchar  *name,
                                                    GError      **error,
                                                    const gchar  *first_property_name,
                                                    ...);
NAV_AVAILABLE_IN_ALL
GObject     *nav_registry_create_with_properties   (NavRegistry  *self,
                                                    const gchar  *extension_point,
                                                    const gchar  *name,
                                                    guint         n_properties,
                                                    const gchar **names,
                                                    const GValue *values,
                                                    GError      **error);

G_END_DECLS
