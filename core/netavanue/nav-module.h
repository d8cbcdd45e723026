/* nav-module.h: what a NetAvanue module (a GIO module) exports
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <gmodule.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_MODULE_ABI_VERSION:
 *
 * The version of [struct@Nav.ModuleDescriptor] this library reads.  A
 * module built with another version is refused, with the reason recorded.
 */
#define NAV_MODULE_ABI_VERSION 1

/**
 * NAV_MODULE_DESCRIPTOR_SYMBOL:
 *
 * The name of the symbol every module exports its
 * [struct@Nav.ModuleDescriptor] under.  [func@Nav.DEFINE_MODULE] defines
 * it.
 */
#define NAV_MODULE_DESCRIPTOR_SYMBOL "nav_module_descriptor"

/**
 * NavModuleDescriptor:
 * @abi_version: %NAV_MODULE_ABI_VERSION at the module's build
 * @name: the module's short name (`stun`, `tcp-framing`, …)
 * @description: one line saying what the module provides
 * @version: the module's version
 * @license: the module's license, as an SPDX identifier
 * @origin: where the module comes from (a URL or a project name)
 *
 * The description every module exports, shown by `nav-inspect` and
 * [class@Nav.ModuleInfo].
 *
 * Since: 1.0
 */
typedef struct {
  guint32      abi_version;
  const gchar *name;
  const gchar *description;
  const gchar *version;
  const gchar *license;
  const gchar *origin;
} NavModuleDescriptor;

/**
 * NAV_DEFINE_MODULE:
 * @name_: the module's short name
 * @description_: what it provides, one line
 * @version_: its version
 * @license_: its license (SPDX)
 * @origin_: where it comes from
 *
 * Defines and exports the module's [struct@Nav.ModuleDescriptor].  A module
 * also exports `g_io_<name>_load`, `g_io_<name>_unload` and
 * `g_io_<name>_query`, where `<name>` is its file name without `lib` and
 * the suffix, `-` replaced by `_` (as GIO derives it): for
 * `libnav-stun.so`, `g_io_nav_stun_load`.
 */
#define NAV_DEFINE_MODULE(name_, description_, version_, license_, origin_) \
  G_MODULE_EXPORT const NavModuleDescriptor nav_module_descriptor = {      \
    NAV_MODULE_ABI_VERSION, name_, description_, version_, license_,       \
    origin_                                                                \
  }

NAV_AVAILABLE_IN_ALL
void nav_module_implement (GIOModule   *module,
                           const gchar *extension_point,
                           GType        type,
                           const gchar *name,
                           gint         priority);

G_END_DECLS
