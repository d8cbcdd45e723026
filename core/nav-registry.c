/* nav-registry.c: the extension points and the modules that implement them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#endif
#include <glib/gi18n-lib.h>
#include <gobject/gvaluecollector.h>

#include "netavanue/netavanue.h"
#include "nav-registry-private.h"

/**
 * NavRegistry:
 *
 * The registry of NetAvanue's extension points and of the modules that
 * implement them.
 *
 * Each core interface has an extension point (a `GIOExtensionPoint`) with
 * the interface as its required type:
 *
 * | extension point | interface |
 * | --- | --- |
 * | `nav-transport` | [iface@Nav.Transport] |
 * | `nav-gatherer` | [iface@Nav.Gatherer] |
 * | `nav-checker` | [iface@Nav.Checker] |
 * | `nav-channel` | [iface@Nav.Channel] |
 * | `nav-server` | [iface@Nav.Server] |
 *
 * The core implements some itself (`udp`, `host`, `datagram`); the tiers
 * (STUN, TURN, ICE, signaling, election) and third-party plugins are GIO
 * modules found, on first use of the default registry, in:
 *
 * 1. each directory of `NAV_MODULE_PATH` (`:`-separated), in order;
 * 2. `NAV_MODULE_DIR` when set, otherwise the installed module directory
 *    (the `moduledir` variable of `pkg-config netavanue-1.0`).
 *
 * Both variables are ignored in setuid programs.  When two directories
 * hold files of the same name, the first one wins (GIO's
 * `G_IO_MODULE_SCOPE_BLOCK_DUPLICATES` rule).  A module that fails to load
 * is not dropped silently: it is listed by
 * [method@Nav.Registry.list_modules] with the reason.
 *
 * `NAV_USE_<POINT>=name` (for example `NAV_USE_CHECKER=ice`, the point's
 * name without `nav-`, upper case, `-` as `_`) makes
 * [method@Nav.Registry.get_preferred] choose that implementation;
 * `NAV_USE_<POINT>=help` prints the implementations to standard error.
 *
 * Module types are in no typelib: bindings reach them through the
 * registry, by name, and the interfaces they implement.
 *
 * Since: 1.0
 */
struct _NavRegistry
{
  GObject parent_instance;

  GPtrArray *modules;             /* NavModuleInfo, in load order */
  GHashTable *type_to_module;     /* GType → NavModuleInfo (borrowed) */
};

G_DEFINE_FINAL_TYPE (NavRegistry, nav_registry, G_TYPE_OBJECT)

typedef struct {
  const gchar *name;
  GType (*get_type) (void);
} PointDef;

static const PointDef extension_points[] = {
  { NAV_TRANSPORT_EXTENSION_POINT_NAME, nav_transport_get_type },
  { NAV_GATHERER_EXTENSION_POINT_NAME, nav_gatherer_get_type },
  { NAV_CHECKER_EXTENSION_POINT_NAME, nav_checker_get_type },
  { NAV_CHANNEL_EXTENSION_POINT_NAME, nav_channel_get_type },
  { NAV_SERVER_EXTENSION_POINT_NAME, nav_server_get_type },
  { NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, nav_signaling_client_get_type },
  { NAV_DTLS_BACKEND_EXTENSION_POINT_NAME, nav_dtls_backend_get_type },
  { NAV_SCTP_TRANSPORT_EXTENSION_POINT_NAME, nav_sctp_transport_get_type },
  { NAV_DISCOVERY_EXTENSION_POINT_NAME, nav_discovery_get_type },
};

void
_nav_registry_ensure_extension_points (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      gsize i;

      for (i = 0; i < G_N_ELEMENTS (extension_points); i++)
        {
          GIOExtensionPoint *point;

          point = g_io_extension_point_register (extension_points[i].name);
          g_io_extension_point_set_required_type (point,
                                                  extension_points[i].get_type ());
        }

      /* The core's own implementations. */
      g_io_extension_point_implement (NAV_TRANSPORT_EXTENSION_POINT_NAME,
                                      NAV_TYPE_UDP_TRANSPORT, "udp", 100);
      g_io_extension_point_implement (NAV_GATHERER_EXTENSION_POINT_NAME,
                                      NAV_TYPE_HOST_GATHERER, "host", 100);
      g_io_extension_point_implement (NAV_CHANNEL_EXTENSION_POINT_NAME,
                                      NAV_TYPE_DATAGRAM_CHANNEL, "datagram", 0);

      g_once_init_leave (&initialized, 1);
    }
}

GIOExtensionPoint *
_nav_registry_lookup_point (const gchar  *name,
                            GError      **error)
{
  GIOExtensionPoint *point;

  _nav_registry_ensure_extension_points ();

  point = name != NULL ? g_io_extension_point_lookup (name) : NULL;
  if (point == NULL || g_io_extension_point_get_required_type (point) == G_TYPE_INVALID)
    {
      g_set_error (error, NAV_REGISTRY_ERROR,
                   NAV_REGISTRY_ERROR_UNKNOWN_EXTENSION_POINT,
                   _("There is no extension point “%s”"), name ? name : "(null)");
      return NULL;
    }
  return point;
}

static gboolean
environment_is_trusted (void)
{
#ifdef __linux__
  if (getauxval (AT_SECURE) != 0)
    return FALSE;
#endif
  return getuid () == geteuid () && getgid () == getegid ();
}

/* GIO derives a module's symbol prefix from its file name: strip `lib`
 * (and `gio`), cut at the first dot, `-` becomes `_`. */
static gchar *
symbol_prefix_for (const gchar *filename)
{
  g_autofree gchar *base = g_path_get_basename (filename);
  const gchar *name = base;
  gchar *prefix, *p;

  if (g_str_has_prefix (name, "lib"))
    name += 3;
  if (g_str_has_prefix (name, "gio"))
    name += 3;
  prefix = g_strdup (name);
  p = strchr (prefix, '.');
  if (p != NULL)
    *p = '\0';
  for (p = prefix; *p; p++)
    if (*p == '-')
      *p = '_';
  return prefix;
}

/* Checks a module file before GIO loads it: GIO only prints a failure
 * to stderr and drops the module, and the registry must say why.
 *
 * The file is opened with immediate binding (RTLD_NOW): every symbol it
 * refers to, functions included, is resolved here or the open fails with
 * the first missing one.  GIO opens modules lazily, so a module built
 * against a newer library would otherwise load and then kill the process
 * ("symbol lookup error") the first time it called the missing function.
 * GIO's own open then finds the file already loaded and relocated. */
static gboolean
check_module_file (NavModuleInfo *info,
                   const gchar   *path)
{
  GModule *gmodule;
  g_autofree gchar *prefix = symbol_prefix_for (path);
  g_autofree gchar *load_name = g_strconcat ("g_io_", prefix, "_load", NULL);
  g_autofree gchar *unload_name = g_strconcat ("g_io_", prefix, "_unload", NULL);
  gpointer load = NULL, unload = NULL, descriptor = NULL;
  const NavModuleDescriptor *desc;

  gmodule = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (gmodule == NULL)
    {
      const gchar *reason = g_module_error ();
      g_autofree gchar *own_prefix = g_strconcat (path, ": ", NULL);

      /* dlerror() starts with the file name, which the info holds already. */
      if (g_str_has_prefix (reason, own_prefix))
        reason += strlen (own_prefix);
      _nav_module_info_set_error (info, reason);
      return FALSE;
    }

  if (!g_module_symbol (gmodule, load_name, &load) || load == NULL ||
      !g_module_symbol (gmodule, unload_name, &unload) || unload == NULL)
    {
      g_autofree gchar *message =
        g_strdup_printf (_("Not a NetAvanue module: it does not export %s and %s"),
                         load_name, unload_name);
      _nav_module_info_set_error (info, message);
      g_module_close (gmodule);
      return FALSE;
    }

  if (!g_module_symbol (gmodule, NAV_MODULE_DESCRIPTOR_SYMBOL, &descriptor) ||
      descriptor == NULL)
    {
      g_autofree gchar *message =
        g_strdup_printf (_("The module exports no %s (see NAV_DEFINE_MODULE)"),
                         NAV_MODULE_DESCRIPTOR_SYMBOL);
      _nav_module_info_set_error (info, message);
      g_module_close (gmodule);
      return FALSE;
    }

  desc = descriptor;
  if (desc->abi_version != NAV_MODULE_ABI_VERSION)
    {
      g_autofree gchar *message =
        g_strdup_printf (_("The module was built for module ABI %u; this library reads ABI %u"),
                         desc->abi_version, NAV_MODULE_ABI_VERSION);
      _nav_module_info_set_error (info, message);
      g_module_close (gmodule);
      return FALSE;
    }

  _nav_module_info_set_descriptor (info, desc);
  /* Kept open: the descriptor's strings were copied, and the library stays
   * resident anyway once GIO loads it. */
  g_module_make_resident (gmodule);
  g_module_close (gmodule);
  return TRUE;
}

static GHashTable *
snapshot_implementations (void)
{
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (extension_points); i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_lookup (extension_points[i].name);
      GList *l;

      for (l = g_io_extension_point_get_extensions (point); l; l = l->next)
        g_hash_table_add (seen, GSIZE_TO_POINTER (g_io_extension_get_type (l->data)));
    }
  return seen;
}

static void
load_module (NavRegistry *self,
             const gchar *path)
{
  g_autoptr (NavModuleInfo) info = _nav_module_info_new (path);
  g_autoptr (GHashTable) before = NULL;
  GIOModule *module;
  gsize i;

  g_debug ("Loading module %s", path);

  if (!check_module_file (info, path))
    {
      g_debug ("Module %s failed: %s", path, nav_module_info_get_error (info));
      g_ptr_array_add (self->modules, g_steal_pointer (&info));
      return;
    }

  before = snapshot_implementations ();

  module = g_io_module_new (path);
  if (!g_type_module_use (G_TYPE_MODULE (module)))
    {
      _nav_module_info_set_error (info, _("The module’s load function failed"));
      g_ptr_array_add (self->modules, g_steal_pointer (&info));
      /* A GTypeModule that registered nothing may go. */
      g_object_unref (module);
      return;
    }
  /* The use count is kept: GLib never unloads types, so a module stays
   * loaded even if it forgot to pin itself. */
  _nav_module_info_set_loaded (info, G_TYPE_MODULE (module));

  for (i = 0; i < G_N_ELEMENTS (extension_points); i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_lookup (extension_points[i].name);
      GList *l;

      for (l = g_io_extension_point_get_extensions (point); l; l = l->next)
        {
          GType type = g_io_extension_get_type (l->data);

          if (!g_hash_table_contains (before, GSIZE_TO_POINTER (type)))
            {
              g_hash_table_insert (self->type_to_module, GSIZE_TO_POINTER (type), info);
              _nav_module_info_add_type (info, type);
            }
        }
    }

  g_ptr_array_add (self->modules, g_steal_pointer (&info));
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static void
scan_directory (NavRegistry *self,
                const gchar *dirname,
                GHashTable  *seen_basenames)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i;

  dir = g_dir_open (dirname, 0, NULL);
  if (dir == NULL)
    {
      g_debug ("Module directory %s cannot be read", dirname);
      return;
    }

  /* GIO's rule for a module's file name (g_io_modules_scan_all_in_directory):
   * `lib` prefix and the platform's suffix; anything else in the directory
   * (a private helper library, say) is not a module. */
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "lib") && g_str_has_suffix (name, "." G_MODULE_SUFFIX))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  for (i = 0; i < names->len; i++)
    {
      const gchar *basename = g_ptr_array_index (names, i);
      g_autofree gchar *path = NULL;

      if (g_hash_table_contains (seen_basenames, basename))
        {
          g_debug ("Module %s/%s is hidden by one of the same name found earlier",
                   dirname, basename);
          continue;
        }
      g_hash_table_add (seen_basenames, g_strdup (basename));

      path = g_build_filename (dirname, basename, NULL);
      load_module (self, path);
    }
}

static void
nav_registry_scan (NavRegistry *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const gchar *module_path = NULL, *module_dir = NULL;

  if (environment_is_trusted ())
    {
      module_path = g_getenv ("NAV_MODULE_PATH");
      module_dir = g_getenv ("NAV_MODULE_DIR");
    }

  if (module_path != NULL && *module_path != '\0')
    {
      g_auto (GStrv) dirs = g_strsplit (module_path, G_SEARCHPATH_SEPARATOR_S, 0);
      gsize i;

      for (i = 0; dirs[i]; i++)
        if (*dirs[i] != '\0')
          scan_directory (self, dirs[i], seen);
    }

  scan_directory (self, module_dir != NULL ? module_dir : NAV_MODULEDIR, seen);
}

static void
nav_registry_finalize (GObject *object)
{
  NavRegistry *self = NAV_REGISTRY (object);

  g_ptr_array_unref (self->modules);
  g_hash_table_unref (self->type_to_module);

  G_OBJECT_CLASS (nav_registry_parent_class)->finalize (object);
}

static void
nav_registry_class_init (NavRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nav_registry_finalize;
}

static void
nav_registry_init (NavRegistry *self)
{
  self->modules = g_ptr_array_new_with_free_func (g_object_unref);
  self->type_to_module = g_hash_table_new (NULL, NULL);
}

/* NAV_DEBUG=stun,turn,… is a friendlier G_MESSAGES_DEBUG: each tier logs
 * in its own domain (`nav-stun`, `nav-turn`, …), the core in `nav`.  GLib
 * reads G_MESSAGES_DEBUG for every debug message, so setting it here, once,
 * before any module logs, is enough. */
static void
apply_nav_debug (void)
{
  const gchar *nav_debug = g_getenv ("NAV_DEBUG");
  g_auto (GStrv) names = NULL;
  g_autoptr (GString) domains = NULL;
  gsize i;

  if (nav_debug == NULL || *nav_debug == '\0' || !environment_is_trusted ())
    return;

  domains = g_string_new (g_getenv ("G_MESSAGES_DEBUG"));
  names = g_strsplit_set (nav_debug, ", ", -1);
  for (i = 0; names[i]; i++)
    {
      if (*names[i] == '\0')
        continue;
      if (domains->len > 0)
        g_string_append_c (domains, ' ');
      if (g_str_equal (names[i], "all"))
        g_string_append (domains, "all");
      else if (g_str_equal (names[i], "core") || g_str_equal (names[i], "nav"))
        g_string_append (domains, "nav");
      else
        g_string_append_printf (domains, "nav-%s", names[i]);
    }
  g_setenv ("G_MESSAGES_DEBUG", domains->str, TRUE);
}

/* The library's messages come from the `netavanue` domain, in
 * LOCALEDIR, or in $NAV_LOCALEDIR when set (the build tree's po/ for
 * tests and `meson devenv`).  Bound when the library is loaded, before
 * any program's main(), and again by nav_registry_get_default() should a
 * program have bound the domain elsewhere in between. */
static void
nav_i18n_init (void)
{
#ifdef ENABLE_NLS
  const gchar *dir = g_getenv ("NAV_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && dir[0] != '\0' ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
#endif
}

__attribute__ ((constructor)) static void
nav_i18n_constructor (void)
{
  nav_i18n_init ();
}

/**
 * nav_registry_get_default:
 *
 * Returns the process's registry, scanning the module directories the
 * first time.  Thread-safe.
 *
 * Returns: (transfer none): the registry
 *
 * Since: 1.0
 */
NavRegistry *
nav_registry_get_default (void)
{
  static NavRegistry *registry = NULL;

  if (g_once_init_enter (&registry))
    {
      NavRegistry *self;

      nav_i18n_init ();
      apply_nav_debug ();
      _nav_registry_ensure_extension_points ();
      self = g_object_new (NAV_TYPE_REGISTRY, NULL);
      nav_registry_scan (self);
      g_once_init_leave (&registry, self);
    }
  return registry;
}

/**
 * nav_registry_list_extension_points:
 * @self: the registry
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   extension points
 *
 * Since: 1.0
 */
gchar **
nav_registry_list_extension_points (NavRegistry *self)
{
  gchar **names;
  gsize i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);

  names = g_new0 (gchar *, G_N_ELEMENTS (extension_points) + 1);
  for (i = 0; i < G_N_ELEMENTS (extension_points); i++)
    names[i] = g_strdup (extension_points[i].name);
  return names;
}

/**
 * nav_registry_get_extension_point_type:
 * @self: the registry
 * @extension_point: the name of an extension point
 *
 * Returns: the interface the extension point's implementations implement,
 *   or %G_TYPE_INVALID for an unknown name
 *
 * Since: 1.0
 */
GType
nav_registry_get_extension_point_type (NavRegistry *self,
                                       const gchar *extension_point)
{
  GIOExtensionPoint *point;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), G_TYPE_INVALID);

  point = _nav_registry_lookup_point (extension_point, NULL);
  return point != NULL ? g_io_extension_point_get_required_type (point) : G_TYPE_INVALID;
}

static NavImplementationInfo *
make_info (NavRegistry  *self,
           GIOExtension *extension,
           const gchar  *extension_point)
{
  NavModuleInfo *module;

  module = g_hash_table_lookup (self->type_to_module,
                                GSIZE_TO_POINTER (g_io_extension_get_type (extension)));
  return _nav_implementation_info_new (extension, extension_point, module);
}

/**
 * nav_registry_list_implementations:
 * @self: the registry
 * @extension_point: the name of an extension point
 *
 * Lists the implementations of an extension point, the highest priority
 * first.
 *
 * Returns: (transfer full) (element-type NavImplementationInfo): the
 *   implementations; empty for an unknown extension point
 *
 * Since: 1.0
 */
GList *
nav_registry_list_implementations (NavRegistry *self,
                                   const gchar *extension_point)
{
  GIOExtensionPoint *point;
  GList *list = NULL, *l;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);

  point = _nav_registry_lookup_point (extension_point, NULL);
  if (point == NULL)
    return NULL;

  for (l = g_io_extension_point_get_extensions (point); l; l = l->next)
    list = g_list_prepend (list, make_info (self, l->data, extension_point));
  return g_list_reverse (list);
}

/**
 * nav_registry_list_modules:
 * @self: the registry
 *
 * Lists every module found, in the order they were loaded, including
 * those that failed (see [method@Nav.ModuleInfo.get_error]).
 *
 * Returns: (transfer full) (element-type NavModuleInfo): the modules
 *
 * Since: 1.0
 */
GList *
nav_registry_list_modules (NavRegistry *self)
{
  GList *list = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);

  for (i = self->modules->len; i > 0; i--)
    list = g_list_prepend (list, g_object_ref (g_ptr_array_index (self->modules, i - 1)));
  return list;
}

/**
 * nav_registry_lookup_module:
 * @self: the registry
 * @name: a module's name (`stun`, `tcp-framing`, …)
 *
 * Returns: (transfer full) (nullable): the module, or %NULL
 *
 * Since: 1.0
 */
NavModuleInfo *
nav_registry_lookup_module (NavRegistry *self,
                            const gchar *name)
{
  guint i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (i = 0; i < self->modules->len; i++)
    {
      NavModuleInfo *info = g_ptr_array_index (self->modules, i);

      if (g_strcmp0 (nav_module_info_get_name (info), name) == 0)
        return g_object_ref (info);
    }
  return NULL;
}

/**
 * nav_registry_lookup:
 * @self: the registry
 * @extension_point: the name of an extension point
 * @name: the name of an implementation
 * @error: return location for a #GError
 *
 * Finds an implementation by name.
 *
 * Returns: (transfer full) (nullable): the implementation, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
NavImplementationInfo *
nav_registry_lookup (NavRegistry  *self,
                     const gchar  *extension_point,
                     const gchar  *name,
                     GError      **error)
{
  GIOExtensionPoint *point;
  GIOExtension *extension;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  point = _nav_registry_lookup_point (extension_point, error);
  if (point == NULL)
    return NULL;

  extension = g_io_extension_point_get_extension_by_name (point, name);
  if (extension == NULL)
    {
      g_set_error (error, NAV_REGISTRY_ERROR,
                   NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION,
                   _("The extension point “%s” has no implementation “%s”"),
                   extension_point, name);
      return NULL;
    }
  return make_info (self, extension, extension_point);
}

/**
 * nav_registry_lookup_type:
 * @self: the registry
 * @type: a type
 *
 * Finds the implementation a type is registered as.
 *
 * Returns: (transfer full) (nullable): the implementation, or %NULL when
 *   @type implements no extension point
 *
 * Since: 1.0
 */
NavImplementationInfo *
nav_registry_lookup_type (NavRegistry *self,
                          GType        type)
{
  gsize i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);

  for (i = 0; i < G_N_ELEMENTS (extension_points); i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_lookup (extension_points[i].name);
      GList *l;

      for (l = g_io_extension_point_get_extensions (point); l; l = l->next)
        if (g_io_extension_get_type (l->data) == type)
          return make_info (self, l->data, extension_points[i].name);
    }
  return NULL;
}

static gchar *
use_variable_for (const gchar *extension_point)
{
  const gchar *name = extension_point;
  gchar *var, *p;

  if (g_str_has_prefix (name, "nav-"))
    name += 4;
  var = g_strconcat ("NAV_USE_", name, NULL);
  for (p = var; *p; p++)
    *p = *p == '-' ? '_' : g_ascii_toupper (*p);
  return var;
}

/**
 * nav_registry_get_preferred:
 * @self: the registry
 * @extension_point: the name of an extension point
 * @error: return location for a #GError
 *
 * Chooses the implementation to use: the one named by the
 * `NAV_USE_<POINT>` environment variable when it is set, the one of
 * highest priority otherwise.  `NAV_USE_<POINT>=help` prints the
 * implementations to standard error first.
 *
 * Returns: (transfer full) (nullable): the implementation, or %NULL with
 *   @error set when there is none, or when the variable names one that
 *   does not exist
 *
 * Since: 1.0
 */
NavImplementationInfo *
nav_registry_get_preferred (NavRegistry  *self,
                            const gchar  *extension_point,
                            GError      **error)
{
  GIOExtensionPoint *point;
  GList *extensions;
  g_autofree gchar *var = NULL;
  const gchar *wanted;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  point = _nav_registry_lookup_point (extension_point, error);
  if (point == NULL)
    return NULL;

  extensions = g_io_extension_point_get_extensions (point);
  var = use_variable_for (extension_point);
  wanted = environment_is_trusted () ? g_getenv (var) : NULL;

  if (g_strcmp0 (wanted, "help") == 0)
    {
      GList *l;

      g_printerr (_("Supported values for the %s environment variable:\n"), var);
      for (l = extensions; l; l = l->next)
        g_printerr ("  %s (%s, priority %d)\n",
                    g_io_extension_get_name (l->data),
                    g_type_name (g_io_extension_get_type (l->data)),
                    g_io_extension_get_priority (l->data));
      wanted = NULL;
    }

  if (wanted != NULL && *wanted != '\0')
    {
      GIOExtension *extension = g_io_extension_point_get_extension_by_name (point, wanted);

      if (extension == NULL)
        {
          g_set_error (error, NAV_REGISTRY_ERROR,
                       NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION,
                       _("%s names “%s”, which is not an implementation of %s"),
                       var, wanted, extension_point);
          return NULL;
        }
      return make_info (self, extension, extension_point);
    }

  if (extensions == NULL)
    {
      g_set_error (error, NAV_REGISTRY_ERROR,
                   NAV_REGISTRY_ERROR_NO_IMPLEMENTATION,
                   _("The extension point “%s” has no implementation"),
                   extension_point);
      return NULL;
    }
  return make_info (self, extensions->data, extension_point);
}

static GType
resolve_type (NavRegistry  *self,
              const gchar  *extension_point,
              const gchar  *name,
              GError      **error)
{
  g_autoptr (NavImplementationInfo) info = NULL;

  if (name != NULL)
    info = nav_registry_lookup (self, extension_point, name, error);
  else
    info = nav_registry_get_preferred (self, extension_point, error);
  return info != NULL ? nav_implementation_info_get_gtype (info) : G_TYPE_INVALID;
}

static GParamSpec *
find_settable_property (GObjectClass  *klass,
                        const gchar   *name,
                        GError       **error)
{
  GParamSpec *pspec = g_object_class_find_property (klass, name);

  if (pspec == NULL)
    {
      g_set_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY,
                   _("%s has no property “%s”"),
                   G_OBJECT_CLASS_NAME (klass), name);
      return NULL;
    }
  if (!(pspec->flags & G_PARAM_WRITABLE))
    {
      g_set_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY,
                   _("The property “%s” of %s is read-only"),
                   name, G_OBJECT_CLASS_NAME (klass));
      return NULL;
    }
  return pspec;
}

static GObject *
construct (GType          type,
           guint          n_properties,
           const gchar  **names,
           const GValue  *values,
           GError       **error)
{
  GObject *object;

  object = g_object_new_with_properties (type, n_properties, names, values);
  if (G_IS_INITABLE (object) && !g_initable_init (G_INITABLE (object), NULL, error))
    {
      g_object_unref (object);
      return NULL;
    }
  return object;
}

/**
 * nav_registry_create_with_properties: (rename-to nav_registry_create)
 * @self: the registry
 * @extension_point: the name of an extension point
 * @name: (nullable): the name of an implementation, or %NULL for the
 *   preferred one (see [method@Nav.Registry.get_preferred])
 * @n_properties: the number of properties
 * @names: (array length=n_properties): the names of the properties to set
 *   at construction
 * @values: (array length=n_properties): their values
 * @error: return location for a #GError
 *
 * Creates an object of an implementation, found by name, with the given
 * construct properties.  Objects that implement `GInitable` are
 * initialised, and their initialisation error is returned as is.
 *
 * Returns: (transfer full) (nullable): the new object, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
GObject *
nav_registry_create_with_properties (NavRegistry   *self,
                                     const gchar   *extension_point,
                                     const gchar   *name,
                                     guint          n_properties,
                                     const gchar  **names,
                                     const GValue  *values,
                                     GError       **error)
{
  GType type;
  g_autoptr (GTypeClass) klass = NULL;
  g_autofree GValue *converted = NULL;
  GObject *object;
  guint i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);
  g_return_val_if_fail (n_properties == 0 || (names != NULL && values != NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  type = resolve_type (self, extension_point, name, error);
  if (type == G_TYPE_INVALID)
    return NULL;

  klass = g_type_class_ref (type);
  converted = g_new0 (GValue, MAX (n_properties, 1));
  for (i = 0; i < n_properties; i++)
    {
      GParamSpec *pspec = find_settable_property (G_OBJECT_CLASS (klass), names[i], error);

      if (pspec == NULL)
        goto fail;

      g_value_init (&converted[i], pspec->value_type);
      if (!g_value_transform (&values[i], &converted[i]))
        {
          g_set_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY,
                       _("The property “%s” of %s is a %s, not a %s"),
                       names[i], g_type_name (type),
                       g_type_name (pspec->value_type),
                       g_type_name (G_VALUE_TYPE (&values[i])));
          goto fail;
        }
      if (g_param_value_validate (pspec, &converted[i]))
        {
          g_set_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY,
                       _("The value given to the property “%s” of %s is out of range"),
                       names[i], g_type_name (type));
          i++;
          goto fail;
        }
    }

  object = construct (type, n_properties, names, converted, error);
  for (i = 0; i < n_properties; i++)
    g_value_unset (&converted[i]);
  return object;

fail:
  while (i-- > 0)
    if (G_IS_VALUE (&converted[i]))
      g_value_unset (&converted[i]);
  return NULL;
}

/**
 * nav_registry_create: (skip)
 * @self: the registry
 * @extension_point: the name of an extension point
 * @name: (nullable): the name of an implementation, or %NULL for the
 *   preferred one
 * @error: return location for a #GError
 * @first_property_name: (nullable): the name of the first property, then
 *   its value, and so on, ending with %NULL
 * @...: the value of the first property, then the other name/value pairs
 *
 * Creates an object of an implementation, found by name, as
 * [method@Nav.Registry.create_with_properties] does:
 *
 * ```c
 * g_autoptr (GError) error = NULL;
 * g_autoptr (GObject) transport =
 *   nav_registry_create (nav_registry_get_default (), "nav-transport",
 *                        "tcp-framing", &error,
 *                        "remote-address", address,
 *                        "context", context,
 *                        NULL);
 * ```
 *
 * Returns: (transfer full) (nullable): the new object, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
GObject *
nav_registry_create (NavRegistry  *self,
                     const gchar  *extension_point,
                     const gchar  *name,
                     GError      **error,
                     const gchar  *first_property_name,
                     ...)
{
  GType type;
  g_autoptr (GTypeClass) klass = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  const gchar *prop_name;
  GObject *object = NULL;
  va_list args;
  guint i;

  g_return_val_if_fail (NAV_IS_REGISTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  type = resolve_type (self, extension_point, name, error);
  if (type == G_TYPE_INVALID)
    return NULL;

  klass = g_type_class_ref (type);

  va_start (args, first_property_name);
  for (prop_name = first_property_name; prop_name != NULL;
       prop_name = va_arg (args, const gchar *))
    {
      GParamSpec *pspec = find_settable_property (G_OBJECT_CLASS (klass), prop_name, error);
      GValue value = G_VALUE_INIT;
      gchar *collect_error = NULL;

      if (pspec == NULL)
        goto out;

      G_VALUE_COLLECT_INIT (&value, pspec->value_type, args, 0, &collect_error);
      if (collect_error != NULL)
        {
          g_set_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY,
                       "%s", collect_error);
          g_free (collect_error);
          goto out;
        }
      g_ptr_array_add (names, (gpointer) prop_name);
      g_array_append_val (values, value);
    }

  object = construct (type, names->len, (const gchar **) names->pdata,
                      (const GValue *) values->data, error);

out:
  va_end (args);
  for (i = 0; i < values->len; i++)
    g_value_unset (&g_array_index (values, GValue, i));
  return object;
}
