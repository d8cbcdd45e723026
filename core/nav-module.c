/* nav-module.c: the helpers a module's entry points and property methods
 * are written with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"
#include "nav-registry-private.h"

/**
 * nav_module_implement:
 * @module: the module, as given to its load function
 * @extension_point: the name of an extension point (`nav-transport`, …)
 * @type: a type that implements the extension point's interface
 * @name: the implementation's name, unique at the extension point
 * @priority: its priority: the highest is preferred
 *
 * For modules: registers @type as an implementation of @extension_point.
 * Call it from the module's `g_io_<name>_load` function after registering
 * the type; `NAV_DEFINE_MODULE_FULL()` does.
 *
 * Since: 1.0
 */
void
nav_module_implement (GIOModule   *module,
                      const gchar *extension_point,
                      GType        type,
                      const gchar *name,
                      gint         priority)
{
  GIOExtensionPoint *point;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (extension_point != NULL);
  g_return_if_fail (name != NULL);

  point = _nav_registry_lookup_point (extension_point, &error);
  if (point == NULL)
    {
      g_critical ("%s", error->message);
      return;
    }
  if (!g_type_is_a (type, g_io_extension_point_get_required_type (point)))
    {
      g_critical ("Type %s does not implement %s, required by the extension point %s",
                  g_type_name (type),
                  g_type_name (g_io_extension_point_get_required_type (point)),
                  extension_point);
      return;
    }
  g_io_extension_point_implement (extension_point, type, name, priority);
}

/**
 * nav_module_load: (skip)
 * @module: the module, as given to its load function
 * @register_types: (nullable): registers the module's dynamic types
 * @implementations: (nullable): the extension points the module
 *   implements, ending with a %NULL extension point
 *
 * The body of a module's `g_io_<name>_load` function, as
 * `NAV_DEFINE_MODULE_FULL()` writes it: pins the module for the whole
 * process (GLib never unloads types), registers its types, then each of
 * @implementations at its extension point.
 *
 * Since: 1.0
 */
void
nav_module_load (GIOModule                     *module,
                 NavModuleRegisterFunc          register_types,
                 const NavModuleImplementation *implementations)
{
  const NavModuleImplementation *impl;

  g_return_if_fail (G_IO_IS_MODULE (module));

  g_type_module_use (G_TYPE_MODULE (module));

  if (register_types != NULL)
    register_types (G_TYPE_MODULE (module));

  for (impl = implementations; impl != NULL && impl->extension_point != NULL; impl++)
    {
      g_return_if_fail (impl->get_type != NULL);
      nav_module_implement (module, impl->extension_point, impl->get_type (),
                            impl->name, impl->priority);
    }
}

/**
 * nav_module_query: (skip)
 * @implementations: (nullable): the extension points a module
 *   implements, ending with a %NULL extension point
 *
 * The body of a module's `g_io_<name>_query` function, as
 * `NAV_DEFINE_MODULE_FULL()` writes it.
 *
 * Returns: (transfer full): the names of the extension points, each once
 *
 * Since: 1.0
 */
gchar **
nav_module_query (const NavModuleImplementation *implementations)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  const NavModuleImplementation *impl;

  for (impl = implementations; impl != NULL && impl->extension_point != NULL; impl++)
    {
      if (g_ptr_array_find_with_equal_func (seen, impl->extension_point, g_str_equal, NULL))
        continue;
      g_ptr_array_add (seen, (gpointer) impl->extension_point);
      g_strv_builder_add (builder, impl->extension_point);
    }
  return g_strv_builder_end (builder);
}

/* The field that stores @pspec's value, or NULL (warned about) when
 * @prop_id has none. */
static gpointer
find_field (GObject     *object,
            const gsize *field_offsets,
            gsize        n_fields,
            guint        prop_id,
            GParamSpec  *pspec)
{
  if (prop_id >= n_fields || field_offsets[prop_id] == 0)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return NULL;
    }
  return G_STRUCT_MEMBER_P (object, field_offsets[prop_id]);
}

static void
unsupported_type (GParamSpec *pspec)
{
  g_critical ("The property “%s” of type %s cannot be stored in a field",
              pspec->name, g_type_name (G_PARAM_SPEC_VALUE_TYPE (pspec)));
}

/**
 * nav_field_property_get: (skip)
 * @object: the object
 * @field_offsets: (array length=n_fields): indexed by property id, the
 *   offset of the instance field that stores each property; 0 for a
 *   property that is not stored in a field
 * @n_fields: the length of @field_offsets
 * @prop_id: the property id, as given to `get_property`
 * @value: the value to set, as given to `get_property`
 * @pspec: the property, as given to `get_property`
 *
 * A `get_property` for properties stored in instance fields, as
 * `NAV_DEFINE_FIELD_PROPERTIES()` calls it, or as a class's own
 * `get_property` calls it for the properties it has nothing special to
 * do for.  The field has the C type of the property's value type: a
 * `gboolean`, `guint`, `guint64`, … a `gint` for an enum and a `guint`
 * for flags, a `gchar *` for a string, a pointer for a boxed type, an
 * object or a variant.  A property id without a field is warned about as
 * `G_OBJECT_WARN_INVALID_PROPERTY_ID` does.
 *
 * Since: 1.0
 */
void
nav_field_property_get (GObject     *object,
                        const gsize *field_offsets,
                        gsize        n_fields,
                        guint        prop_id,
                        GValue      *value,
                        GParamSpec  *pspec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gpointer field = find_field (object, field_offsets, n_fields, prop_id, pspec);

  if (field == NULL)
    return;
  if (type == G_TYPE_GTYPE)
    {
      g_value_set_gtype (value, *(GType *) field);
      return;
    }

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: g_value_set_boolean (value, *(gboolean *) field); break;
    case G_TYPE_CHAR: g_value_set_schar (value, *(gint8 *) field); break;
    case G_TYPE_UCHAR: g_value_set_uchar (value, *(guchar *) field); break;
    case G_TYPE_INT: g_value_set_int (value, *(gint *) field); break;
    case G_TYPE_UINT: g_value_set_uint (value, *(guint *) field); break;
    case G_TYPE_LONG: g_value_set_long (value, *(glong *) field); break;
    case G_TYPE_ULONG: g_value_set_ulong (value, *(gulong *) field); break;
    case G_TYPE_INT64: g_value_set_int64 (value, *(gint64 *) field); break;
    case G_TYPE_UINT64: g_value_set_uint64 (value, *(guint64 *) field); break;
    case G_TYPE_FLOAT: g_value_set_float (value, *(gfloat *) field); break;
    case G_TYPE_DOUBLE: g_value_set_double (value, *(gdouble *) field); break;
    case G_TYPE_ENUM: g_value_set_enum (value, *(gint *) field); break;
    case G_TYPE_FLAGS: g_value_set_flags (value, *(guint *) field); break;
    case G_TYPE_STRING: g_value_set_string (value, *(gchar **) field); break;
    case G_TYPE_POINTER: g_value_set_pointer (value, *(gpointer *) field); break;
    case G_TYPE_BOXED: g_value_set_boxed (value, *(gpointer *) field); break;
    case G_TYPE_OBJECT: g_value_set_object (value, *(gpointer *) field); break;
    case G_TYPE_VARIANT: g_value_set_variant (value, *(GVariant **) field); break;
    default:
      unsupported_type (pspec);
    }
}

/**
 * nav_field_property_set: (skip)
 * @object: the object
 * @field_offsets: (array length=n_fields): indexed by property id, the
 *   offset of the instance field that stores each property; 0 for a
 *   property that is not stored in a field
 * @n_fields: the length of @field_offsets
 * @prop_id: the property id, as given to `set_property`
 * @value: the new value, as given to `set_property`
 * @pspec: the property, as given to `set_property`
 *
 * A `set_property` for properties stored in instance fields: the
 * counterpart of `nav_field_property_get()`.  A string is copied, a
 * boxed value copied (a `GMainContext` is referenced), an object or a
 * variant referenced; the field's previous value is released.  The
 * instance's `finalize` releases the last values.
 *
 * Since: 1.0
 */
void
nav_field_property_set (GObject      *object,
                        const gsize  *field_offsets,
                        gsize         n_fields,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gpointer field = find_field (object, field_offsets, n_fields, prop_id, pspec);

  if (field == NULL)
    return;
  if (type == G_TYPE_GTYPE)
    {
      *(GType *) field = g_value_get_gtype (value);
      return;
    }

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: *(gboolean *) field = g_value_get_boolean (value); break;
    case G_TYPE_CHAR: *(gint8 *) field = g_value_get_schar (value); break;
    case G_TYPE_UCHAR: *(guchar *) field = g_value_get_uchar (value); break;
    case G_TYPE_INT: *(gint *) field = g_value_get_int (value); break;
    case G_TYPE_UINT: *(guint *) field = g_value_get_uint (value); break;
    case G_TYPE_LONG: *(glong *) field = g_value_get_long (value); break;
    case G_TYPE_ULONG: *(gulong *) field = g_value_get_ulong (value); break;
    case G_TYPE_INT64: *(gint64 *) field = g_value_get_int64 (value); break;
    case G_TYPE_UINT64: *(guint64 *) field = g_value_get_uint64 (value); break;
    case G_TYPE_FLOAT: *(gfloat *) field = g_value_get_float (value); break;
    case G_TYPE_DOUBLE: *(gdouble *) field = g_value_get_double (value); break;
    case G_TYPE_ENUM: *(gint *) field = g_value_get_enum (value); break;
    case G_TYPE_FLAGS: *(guint *) field = g_value_get_flags (value); break;
    case G_TYPE_POINTER: *(gpointer *) field = g_value_get_pointer (value); break;
    case G_TYPE_STRING:
      g_free (*(gchar **) field);
      *(gchar **) field = g_value_dup_string (value);
      break;
    case G_TYPE_BOXED:
      {
        gpointer old = *(gpointer *) field;

        *(gpointer *) field = g_value_dup_boxed (value);
        if (old != NULL)
          g_boxed_free (type, old);
      }
      break;
    case G_TYPE_OBJECT:
      {
        gpointer old = *(gpointer *) field;

        *(gpointer *) field = g_value_dup_object (value);
        g_clear_object (&old);
      }
      break;
    case G_TYPE_VARIANT:
      {
        GVariant *old = *(GVariant **) field;

        *(GVariant **) field = g_value_dup_variant (value);
        g_clear_pointer (&old, g_variant_unref);
      }
      break;
    default:
      unsupported_type (pspec);
    }
}
