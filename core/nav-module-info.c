/* nav-module-info.c: what the registry knows of a module and of an
 * implementation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "netavanue/netavanue.h"
#include "nav-registry-private.h"

/**
 * NavModuleInfo:
 *
 * A module the registry found: its descriptor (name, description, version,
 * license, origin), its file, whether it loaded and, when it did not, why.
 *
 * Since: 1.0
 */
struct _NavModuleInfo
{
  GObject parent_instance;

  gchar *name;
  gchar *description;
  gchar *version;
  gchar *license;
  gchar *origin;
  gchar *filename;
  gchar *error;
  GTypeModule *type_module;   /* owned: a GTypeModule is never finalized */
  GArray *implemented;        /* GType: what it registered at extension points */
};

G_DEFINE_FINAL_TYPE (NavModuleInfo, nav_module_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_VERSION,
  PROP_LICENSE,
  PROP_ORIGIN,
  PROP_FILENAME,
  PROP_LOADED,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *module_props[N_PROPS];

static void
nav_module_info_finalize (GObject *object)
{
  NavModuleInfo *self = NAV_MODULE_INFO (object);

  g_free (self->name);
  g_free (self->description);
  g_free (self->version);
  g_free (self->license);
  g_free (self->origin);
  g_free (self->filename);
  g_free (self->error);
  g_clear_pointer (&self->implemented, g_array_unref);

  G_OBJECT_CLASS (nav_module_info_parent_class)->finalize (object);
}

static void
nav_module_info_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavModuleInfo *self = NAV_MODULE_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;
    case PROP_LICENSE:
      g_value_set_string (value, self->license);
      break;
    case PROP_ORIGIN:
      g_value_set_string (value, self->origin);
      break;
    case PROP_FILENAME:
      g_value_set_string (value, self->filename);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->type_module != NULL);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_module_info_class_init (NavModuleInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nav_module_info_finalize;
  object_class->get_property = nav_module_info_get_property;

  /**
   * NavModuleInfo:name:
   *
   * The module's short name, from its descriptor (or its file name when
   * it failed to load before the descriptor could be read).
   *
   * Since: 1.0
   */
  module_props[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:description:
   *
   * What the module provides, one line.
   *
   * Since: 1.0
   */
  module_props[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:version:
   *
   * The module's version.
   *
   * Since: 1.0
   */
  module_props[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:license:
   *
   * The module's license, as an SPDX identifier.
   *
   * Since: 1.0
   */
  module_props[PROP_LICENSE] =
    g_param_spec_string ("license", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:origin:
   *
   * Where the module comes from.
   *
   * Since: 1.0
   */
  module_props[PROP_ORIGIN] =
    g_param_spec_string ("origin", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:filename:
   *
   * The path of the module's file.
   *
   * Since: 1.0
   */
  module_props[PROP_FILENAME] =
    g_param_spec_string ("filename", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:loaded:
   *
   * Whether the module loaded and registered its types.
   *
   * Since: 1.0
   */
  module_props[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavModuleInfo:error:
   *
   * Why the module failed to load, %NULL when it loaded.
   *
   * Since: 1.0
   */
  module_props[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, module_props);
}

static void
nav_module_info_init (NavModuleInfo *self)
{
  self->implemented = g_array_new (FALSE, FALSE, sizeof (GType));
}

NavModuleInfo *
_nav_module_info_new (const gchar *filename)
{
  NavModuleInfo *self = g_object_new (NAV_TYPE_MODULE_INFO, NULL);
  g_autofree gchar *base = g_path_get_basename (filename);
  const gchar *name = base;
  gchar *dot;

  self->filename = g_strdup (filename);
  if (g_str_has_prefix (name, "lib"))
    name += 3;
  if (g_str_has_prefix (name, "nav-"))
    name += 4;
  self->name = g_strdup (name);
  dot = strchr (self->name, '.');
  if (dot != NULL)
    *dot = '\0';
  return self;
}

void
_nav_module_info_set_descriptor (NavModuleInfo             *self,
                                 const NavModuleDescriptor *descriptor)
{
  if (descriptor->name != NULL && g_utf8_validate (descriptor->name, -1, NULL))
    {
      g_free (self->name);
      self->name = g_strdup (descriptor->name);
    }
#define COPY_FIELD(field) \
  if (descriptor->field != NULL && g_utf8_validate (descriptor->field, -1, NULL)) \
    self->field = g_strdup (descriptor->field)
  COPY_FIELD (description);
  COPY_FIELD (version);
  COPY_FIELD (license);
  COPY_FIELD (origin);
#undef COPY_FIELD
}

void
_nav_module_info_set_error (NavModuleInfo *self,
                            const gchar   *error)
{
  g_free (self->error);
  self->error = g_strdup (error);
}

void
_nav_module_info_set_loaded (NavModuleInfo *self,
                             GTypeModule   *module)
{
  self->type_module = module;
}

GTypeModule *
_nav_module_info_get_type_module (NavModuleInfo *self)
{
  return self->type_module;
}

void
_nav_module_info_add_type (NavModuleInfo *self,
                           GType          type)
{
  g_array_append_val (self->implemented, type);
}

/**
 * nav_module_info_get_name:
 * @self: a module info
 *
 * Returns: the module's short name
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_name (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->name;
}

/**
 * nav_module_info_get_description:
 * @self: a module info
 *
 * Returns: (nullable): what the module provides
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_description (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->description;
}

/**
 * nav_module_info_get_version:
 * @self: a module info
 *
 * Returns: (nullable): the module's version
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_version (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->version;
}

/**
 * nav_module_info_get_license:
 * @self: a module info
 *
 * Returns: (nullable): the module's license
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_license (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->license;
}

/**
 * nav_module_info_get_origin:
 * @self: a module info
 *
 * Returns: (nullable): where the module comes from
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_origin (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->origin;
}

/**
 * nav_module_info_get_filename:
 * @self: a module info
 *
 * Returns: the path of the module's file
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_filename (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->filename;
}

/**
 * nav_module_info_get_loaded:
 * @self: a module info
 *
 * Returns: whether the module loaded
 *
 * Since: 1.0
 */
gboolean
nav_module_info_get_loaded (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), FALSE);
  return self->type_module != NULL;
}

/**
 * nav_module_info_get_error:
 * @self: a module info
 *
 * Returns: (nullable): why the module failed to load, %NULL when it loaded
 *
 * Since: 1.0
 */
const gchar *
nav_module_info_get_error (NavModuleInfo *self)
{
  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);
  return self->error;
}

static void
collect_types (GType        parent,
               GTypePlugin *plugin,
               GList      **list)
{
  g_autofree GType *children = NULL;
  guint n_children = 0, i;

  children = g_type_children (parent, &n_children);
  for (i = 0; i < n_children; i++)
    {
      if (g_type_get_plugin (children[i]) == plugin)
        *list = g_list_prepend (*list, GSIZE_TO_POINTER (children[i]));
      collect_types (children[i], plugin, list);
    }
}

static gint
compare_type_names (gconstpointer a,
                    gconstpointer b)
{
  return g_strcmp0 (g_type_name (GPOINTER_TO_SIZE (a)),
                    g_type_name (GPOINTER_TO_SIZE (b)));
}

/**
 * nav_module_info_list_types:
 * @self: a module info
 *
 * Lists every type the module registered: the objects, interfaces, enums,
 * flags and boxed types it registered through its `GTypeModule`, and the
 * types it implemented extension points with (a module may register
 * those statically), sorted by name.
 *
 * Returns: (transfer container) (element-type GType): the types; empty
 *   when the module did not load
 *
 * Since: 1.0
 */
GList *
nav_module_info_list_types (NavModuleInfo *self)
{
  static const GType roots[] = {
    G_TYPE_INTERFACE, G_TYPE_OBJECT, G_TYPE_ENUM, G_TYPE_FLAGS, G_TYPE_BOXED,
  };
  GList *list = NULL;
  gsize i;

  g_return_val_if_fail (NAV_IS_MODULE_INFO (self), NULL);

  if (self->type_module == NULL)
    return NULL;

  for (i = 0; i < G_N_ELEMENTS (roots); i++)
    collect_types (roots[i], G_TYPE_PLUGIN (self->type_module), &list);
  for (i = 0; i < self->implemented->len; i++)
    {
      gpointer type = GSIZE_TO_POINTER (g_array_index (self->implemented, GType, i));

      if (g_list_find (list, type) == NULL)
        list = g_list_prepend (list, type);
    }
  return g_list_sort (list, compare_type_names);
}

/**
 * NavImplementationInfo:
 *
 * One implementation of an extension point: its name (`udp`,
 * `tcp-framing`, `ice`, …), its type, its priority and the module that
 * provides it (%NULL for the core's own).
 *
 * Since: 1.0
 */
struct _NavImplementationInfo
{
  GObject parent_instance;

  gchar *name;
  gchar *extension_point;
  GType gtype;
  gint priority;
  NavModuleInfo *module;
};

G_DEFINE_FINAL_TYPE (NavImplementationInfo, nav_implementation_info, G_TYPE_OBJECT)

enum {
  IMPL_PROP_0,
  IMPL_PROP_NAME,
  IMPL_PROP_EXTENSION_POINT,
  IMPL_PROP_GTYPE,
  IMPL_PROP_PRIORITY,
  IMPL_PROP_MODULE,
  IMPL_N_PROPS
};

static GParamSpec *impl_props[IMPL_N_PROPS];

static void
nav_implementation_info_finalize (GObject *object)
{
  NavImplementationInfo *self = NAV_IMPLEMENTATION_INFO (object);

  g_free (self->name);
  g_free (self->extension_point);
  g_clear_object (&self->module);

  G_OBJECT_CLASS (nav_implementation_info_parent_class)->finalize (object);
}

static void
nav_implementation_info_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavImplementationInfo *self = NAV_IMPLEMENTATION_INFO (object);

  switch (prop_id)
    {
    case IMPL_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case IMPL_PROP_EXTENSION_POINT:
      g_value_set_string (value, self->extension_point);
      break;
    case IMPL_PROP_GTYPE:
      g_value_set_gtype (value, self->gtype);
      break;
    case IMPL_PROP_PRIORITY:
      g_value_set_int (value, self->priority);
      break;
    case IMPL_PROP_MODULE:
      g_value_set_object (value, self->module);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_implementation_info_class_init (NavImplementationInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nav_implementation_info_finalize;
  object_class->get_property = nav_implementation_info_get_property;

  /**
   * NavImplementationInfo:name:
   *
   * The implementation's name at its extension point.
   *
   * Since: 1.0
   */
  impl_props[IMPL_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavImplementationInfo:extension-point:
   *
   * The extension point it implements.
   *
   * Since: 1.0
   */
  impl_props[IMPL_PROP_EXTENSION_POINT] =
    g_param_spec_string ("extension-point", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavImplementationInfo:gtype:
   *
   * The type that implements it.
   *
   * Since: 1.0
   */
  impl_props[IMPL_PROP_GTYPE] =
    g_param_spec_gtype ("gtype", NULL, NULL, G_TYPE_NONE,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavImplementationInfo:priority:
   *
   * Its priority: the highest is preferred.
   *
   * Since: 1.0
   */
  impl_props[IMPL_PROP_PRIORITY] =
    g_param_spec_int ("priority", NULL, NULL, G_MININT, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavImplementationInfo:module:
   *
   * The module that provides it, %NULL for the core library's own.
   *
   * Since: 1.0
   */
  impl_props[IMPL_PROP_MODULE] =
    g_param_spec_object ("module", NULL, NULL, NAV_TYPE_MODULE_INFO,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, IMPL_N_PROPS, impl_props);
}

static void
nav_implementation_info_init (NavImplementationInfo *self)
{
}

NavImplementationInfo *
_nav_implementation_info_new (GIOExtension  *extension,
                              const gchar   *extension_point,
                              NavModuleInfo *module)
{
  NavImplementationInfo *self = g_object_new (NAV_TYPE_IMPLEMENTATION_INFO, NULL);

  self->name = g_strdup (g_io_extension_get_name (extension));
  self->extension_point = g_strdup (extension_point);
  self->gtype = g_io_extension_get_type (extension);
  self->priority = g_io_extension_get_priority (extension);
  self->module = module != NULL ? g_object_ref (module) : NULL;
  return self;
}

/**
 * nav_implementation_info_get_name:
 * @self: an implementation info
 *
 * Returns: the implementation's name
 *
 * Since: 1.0
 */
const gchar *
nav_implementation_info_get_name (NavImplementationInfo *self)
{
  g_return_val_if_fail (NAV_IS_IMPLEMENTATION_INFO (self), NULL);
  return self->name;
}

/**
 * nav_implementation_info_get_extension_point:
 * @self: an implementation info
 *
 * Returns: the extension point it implements
 *
 * Since: 1.0
 */
const gchar *
nav_implementation_info_get_extension_point (NavImplementationInfo *self)
{
  g_return_val_if_fail (NAV_IS_IMPLEMENTATION_INFO (self), NULL);
  return self->extension_point;
}

/**
 * nav_implementation_info_get_gtype:
 * @self: an implementation info
 *
 * Returns: the type that implements it
 *
 * Since: 1.0
 */
GType
nav_implementation_info_get_gtype (NavImplementationInfo *self)
{
  g_return_val_if_fail (NAV_IS_IMPLEMENTATION_INFO (self), G_TYPE_INVALID);
  return self->gtype;
}

/**
 * nav_implementation_info_get_priority:
 * @self: an implementation info
 *
 * Returns: its priority
 *
 * Since: 1.0
 */
gint
nav_implementation_info_get_priority (NavImplementationInfo *self)
{
  g_return_val_if_fail (NAV_IS_IMPLEMENTATION_INFO (self), 0);
  return self->priority;
}

/**
 * nav_implementation_info_get_module:
 * @self: an implementation info
 *
 * Returns: (transfer none) (nullable): the module that provides it, %NULL
 *   for the core library's own implementations
 *
 * Since: 1.0
 */
NavModuleInfo *
nav_implementation_info_get_module (NavImplementationInfo *self)
{
  g_return_val_if_fail (NAV_IS_IMPLEMENTATION_INFO (self), NULL);
  return self->module;
}
