/* nav-module.h: what a NetAvanue module (a GIO module) exports, and the
 * helpers that write its boilerplate
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
 * [struct@Nav.ModuleDescriptor] under.  `NAV_DEFINE_MODULE()` defines
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
 * Defines and exports the module's [struct@Nav.ModuleDescriptor], and
 * nothing else.  `NAV_DEFINE_MODULE_FULL()` uses it and writes the
 * entry points too; a module that writes its entry points by hand also
 * exports `g_io_<name>_load`, `g_io_<name>_unload` and
 * `g_io_<name>_query`, where `<name>` is its file name without `lib` and
 * the suffix, `-` replaced by `_` (as GIO derives it): for
 * `libnav-stun.so`, `g_io_nav_stun_load`.
 */
#define NAV_DEFINE_MODULE(name_, description_, version_, license_, origin_) \
  G_MODULE_EXPORT const NavModuleDescriptor nav_module_descriptor = {      \
    NAV_MODULE_ABI_VERSION, name_, description_, version_, license_,       \
    origin_                                                                \
  }

/**
 * NavModuleImplementation: (skip)
 * @extension_point: the name of the extension point
 *   (%NAV_TRANSPORT_EXTENSION_POINT_NAME, …); %NULL ends a list
 * @name: the implementation's name, unique at the extension point: what
 *   [method@Nav.Registry.create] and `NAV_USE_<POINT>` take
 * @get_type: the `_get_type` function of the type that implements it,
 *   called once the module's types are registered (a static type's
 *   registers the type at that first call)
 * @priority: its priority: the highest is preferred when no name is given
 *   (the core's own implementations have 100, the tiers 10)
 *
 * One implementation of an extension point a module provides, for
 * `NAV_DEFINE_MODULE_FULL()`.  A module lists them in an array that
 * ends with an entry whose @extension_point is %NULL:
 *
 * ```c
 * static const NavModuleImplementation implementations[] = {
 *   { NAV_TRANSPORT_EXTENSION_POINT_NAME, "my-transport", my_transport_get_type, 10 },
 *   { NULL }
 * };
 * ```
 *
 * Since: 1.0
 */
typedef struct {
  const gchar *extension_point;
  const gchar *name;
  GType      (*get_type) (void);
  gint         priority;
} NavModuleImplementation;

/**
 * NavModuleRegisterFunc: (skip)
 * @module: the module's type module
 *
 * Registers a module's dynamic types (the `_register_type` functions that
 * `G_DEFINE_DYNAMIC_TYPE` writes) in @module.
 *
 * Since: 1.0
 */
typedef void (*NavModuleRegisterFunc) (GTypeModule *module);

/**
 * NAV_DEFINE_MODULE_FULL:
 * @symbol_prefix: the module's symbol prefix, an identifier: its file
 *   name without `lib` and the suffix, `-` replaced by `_`
 *   (`nav_tcp_framing` for `libnav-tcp-framing.so`)
 * @name_: the module's short name (`tcp-framing`)
 * @description_: what it provides, one line
 * @version_: its version
 * @license_: its license (SPDX)
 * @origin_: where it comes from (a URL or a project name)
 * @register_types_: (nullable): a `NavModuleRegisterFunc` that
 *   registers the module's dynamic types, or %NULL
 * @implementations_: (nullable): the extension points the module
 *   implements, a `NavModuleImplementation` array ending with a
 *   %NULL extension point, or %NULL for none
 *
 * The whole entry of a module, in one line: its descriptor and the three
 * functions GIO looks for.
 *
 * - `g_io_<symbol_prefix>_load` pins the module (`g_type_module_use`:
 *   GLib never unloads types), calls @register_types_, then registers
 *   each of @implementations_ at its extension point (see
 *   [func@Nav.module_implement]);
 * - `g_io_<symbol_prefix>_unload` does nothing;
 * - `g_io_<symbol_prefix>_query` lists the extension points of
 *   @implementations_.
 *
 * ```c
 * static const NavModuleImplementation implementations[] = {
 *   { NAV_TRANSPORT_EXTENSION_POINT_NAME, "tcp-framing",
 *     nav_tcp_framing_transport_get_type, 10 },
 *   { NULL }
 * };
 *
 * NAV_DEFINE_MODULE_FULL (nav_tcp_framing, "tcp-framing",
 *                         "TCP transport with RFC 4571 framing",
 *                         "1.0.0", "LGPL-2.1-or-later", "https://example.org",
 *                         nav_tcp_framing_transport_register,
 *                         implementations);
 * ```
 *
 * A @symbol_prefix that does not match the file name is reported by the
 * registry (and `nav-inspect`) as a module that does not export its
 * entry points.
 *
 * Since: 1.0
 */
#define NAV_DEFINE_MODULE_FULL(symbol_prefix, name_, description_, version_, license_, origin_, \
                               register_types_, implementations_)                            \
  G_MODULE_EXPORT void    g_io_##symbol_prefix##_load   (GIOModule *module);                  \
  G_MODULE_EXPORT void    g_io_##symbol_prefix##_unload (GIOModule *module);                  \
  G_MODULE_EXPORT gchar **g_io_##symbol_prefix##_query  (void);                               \
                                                                                              \
  G_MODULE_EXPORT void                                                                        \
  g_io_##symbol_prefix##_load (GIOModule *module)                                             \
  {                                                                                           \
    nav_module_load (module, register_types_, implementations_);                              \
  }                                                                                           \
                                                                                              \
  G_MODULE_EXPORT void                                                                        \
  g_io_##symbol_prefix##_unload (GIOModule *module)                                           \
  {                                                                                           \
  }                                                                                           \
                                                                                              \
  G_MODULE_EXPORT gchar **                                                                    \
  g_io_##symbol_prefix##_query (void)                                                         \
  {                                                                                           \
    return nav_module_query (implementations_);                                               \
  }                                                                                           \
                                                                                              \
  NAV_DEFINE_MODULE (name_, description_, version_, license_, origin_)

NAV_AVAILABLE_IN_ALL
void     nav_module_implement (GIOModule                     *module,
                               const gchar                   *extension_point,
                               GType                          type,
                               const gchar                   *name,
                               gint                           priority);
NAV_AVAILABLE_IN_ALL
void     nav_module_load      (GIOModule                     *module,
                               NavModuleRegisterFunc          register_types,
                               const NavModuleImplementation *implementations);
NAV_AVAILABLE_IN_ALL
gchar  **nav_module_query     (const NavModuleImplementation *implementations);

/* Properties stored in instance fields */

/**
 * NAV_DEFINE_FIELD_PROPERTIES:
 * @type_name: the type's function prefix (`nav_device_capability`)
 * @field_offsets: a `static const gsize` array indexed by property id:
 *   the offset (`G_STRUCT_OFFSET`) of the instance field that stores each
 *   property, 0 for a property that is not stored in a field
 *
 * Defines `<type_name>_get_property` and `<type_name>_set_property`, the
 * `GObjectClass` methods of a class whose properties are all stored in
 * instance fields, as `nav_field_property_get()` and
 * `nav_field_property_set()` read and write them.  Assign them in
 * `class_init`; a class with read-only properties only leaves
 * `set_property` unused.
 *
 * ```c
 * static const gsize fields[N_PROPS] = {
 *   [PROP_CONTEXT] = G_STRUCT_OFFSET (MyTransport, context),
 *   [PROP_REMOTE_ADDRESS] = G_STRUCT_OFFSET (MyTransport, remote_address),
 *   [PROP_TIMEOUT] = G_STRUCT_OFFSET (MyTransport, timeout),
 * };
 *
 * NAV_DEFINE_FIELD_PROPERTIES (my_transport, fields)
 * ```
 *
 * Since: 1.0
 */
#define NAV_DEFINE_FIELD_PROPERTIES(type_name, field_offsets)                           \
  G_GNUC_UNUSED static void                                                            \
  type_name##_get_property (GObject    *object,                                        \
                            guint       prop_id,                                       \
                            GValue     *value,                                         \
                            GParamSpec *pspec)                                         \
  {                                                                                    \
    nav_field_property_get (object, field_offsets, G_N_ELEMENTS (field_offsets),       \
                            prop_id, value, pspec);                                    \
  }                                                                                    \
                                                                                       \
  G_GNUC_UNUSED static void                                                            \
  type_name##_set_property (GObject      *object,                                      \
                            guint         prop_id,                                     \
                            const GValue *value,                                       \
                            GParamSpec   *pspec)                                       \
  {                                                                                    \
    nav_field_property_set (object, field_offsets, G_N_ELEMENTS (field_offsets),       \
                            prop_id, value, pspec);                                    \
  }

NAV_AVAILABLE_IN_ALL
void     nav_field_property_get (GObject      *object,
                                 const gsize  *field_offsets,
                                 gsize         n_fields,
                                 guint         prop_id,
                                 GValue       *value,
                                 GParamSpec   *pspec);
NAV_AVAILABLE_IN_ALL
void     nav_field_property_set (GObject      *object,
                                 const gsize  *field_offsets,
                                 gsize         n_fields,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec);

G_END_DECLS
