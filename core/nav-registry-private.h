/* nav-registry-private.h: constructors of the registry's info objects,
 * and the extension points for nav-module.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

NavModuleInfo         *_nav_module_info_new        (const gchar               *filename);
void                   _nav_module_info_set_descriptor (NavModuleInfo         *self,
                                                        const NavModuleDescriptor *descriptor);
void                   _nav_module_info_set_error  (NavModuleInfo             *self,
                                                    const gchar               *error);
void                   _nav_module_info_set_loaded (NavModuleInfo             *self,
                                                    GTypeModule               *module);
GTypeModule           *_nav_module_info_get_type_module (NavModuleInfo        *self);
void                   _nav_module_info_add_type   (NavModuleInfo             *self,
                                                    GType                      type);

NavImplementationInfo *_nav_implementation_info_new (GIOExtension             *extension,
                                                     const gchar              *extension_point,
                                                     NavModuleInfo            *module);

void                   _nav_registry_ensure_extension_points (void);
GIOExtensionPoint     *_nav_registry_lookup_point  (const gchar               *name,
                                                    GError                   **error);

G_END_DECLS
