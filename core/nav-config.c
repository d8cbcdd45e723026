/* nav-config.c: the typed settings the agent gives a gatherer or a checker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gobject/gvaluecollector.h>

#include "nav-config-private.h"

/**
 * NavConfig:
 *
 * The settings the agent gives an implementation of a tier's interface:
 * a [iface@Nav.Gatherer] ([ctor@Nav.Config.new_for_gatherer], given to
 * [method@Nav.Gatherer.configure]) or a [iface@Nav.Checker]
 * ([ctor@Nav.Config.new_for_checker], given to
 * [method@Nav.Checker.configure]).  The interface declares its settings,
 * each with a name, a type, a range and a default
 * ([method@Nav.Config.list_settings]); a configuration holds a value for
 * each, its default until set.
 *
 * Nothing is skipped silently: setting one that does not exist, or with a
 * value that does not convert to its type or is out of its range, fails
 * with a #GError that names it, and so does an implementation given a
 * setting it cannot honour.
 *
 * Since: 1.0
 */

struct _NavConfig {
  gint ref_count;
  const NavConfigSchema *schema;
  GValue *values;
  gboolean *set;
};

G_DEFINE_BOXED_TYPE (NavConfig, nav_config, nav_config_ref, nav_config_unref)

static gboolean set_valist (NavConfig *self, GError **error, const gchar *first_name,
                            va_list args);
static void get_valist (const NavConfig *self, const gchar *first_name, va_list args);

void
nav_config_schema_init (NavConfigSchema  *schema,
                        GType             interface,
                        GParamSpec      **specs,
                        guint             n_specs)
{
  schema->interface = interface;
  schema->n_specs = n_specs;
  schema->specs = g_new (GParamSpec *, n_specs);
  for (guint i = 0; i < n_specs; i++)
    schema->specs[i] = g_param_spec_ref_sink (specs[i]);
}

static gint
find_setting (const NavConfigSchema *schema,
              const gchar           *name)
{
  for (guint i = 0; i < schema->n_specs; i++)
    if (g_str_equal (schema->specs[i]->name, name))
      return i;
  return -1;
}

static NavConfig *
config_new (const NavConfigSchema *schema)
{
  NavConfig *self = g_new0 (NavConfig, 1);

  self->ref_count = 1;
  self->schema = schema;
  self->values = g_new0 (GValue, schema->n_specs);
  self->set = g_new0 (gboolean, schema->n_specs);
  for (guint i = 0; i < schema->n_specs; i++)
    {
      g_value_init (&self->values[i], schema->specs[i]->value_type);
      g_param_value_set_default (schema->specs[i], &self->values[i]);
    }
  return self;
}

/**
 * nav_config_new_for_gatherer:
 *
 * Returns: (transfer full): a configuration of the settings of
 *   [iface@Nav.Gatherer], each at its default
 *
 * Since: 1.0
 */
NavConfig *
nav_config_new_for_gatherer (void)
{
  return config_new (nav_gatherer_config_schema ());
}

/**
 * nav_config_new_for_checker:
 *
 * Returns: (transfer full): a configuration of the settings of
 *   [iface@Nav.Checker], each at its default
 *
 * Since: 1.0
 */
NavConfig *
nav_config_new_for_checker (void)
{
  return config_new (nav_checker_config_schema ());
}

/**
 * nav_config_ref:
 * @self: a configuration
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
NavConfig *
nav_config_ref (NavConfig *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * nav_config_unref:
 * @self: (transfer full): a configuration
 *
 * Drops a reference.
 *
 * Since: 1.0
 */
void
nav_config_unref (NavConfig *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  for (guint i = 0; i < self->schema->n_specs; i++)
    g_value_unset (&self->values[i]);
  g_free (self->values);
  g_free (self->set);
  g_free (self);
}

/**
 * nav_config_get_interface:
 * @self: a configuration
 *
 * Returns: the interface whose settings @self holds: %NAV_TYPE_GATHERER
 *   or %NAV_TYPE_CHECKER
 *
 * Since: 1.0
 */
GType
nav_config_get_interface (const NavConfig *self)
{
  g_return_val_if_fail (self != NULL, G_TYPE_INVALID);

  return self->schema->interface;
}

/**
 * nav_config_list_settings:
 * @self: a configuration
 * @n_settings: (out): the number of settings
 *
 * Returns: (array length=n_settings) (transfer container): the settings
 *   its interface declares: name, type, range and default
 *
 * Since: 1.0
 */
GParamSpec **
nav_config_list_settings (const NavConfig *self,
                          guint           *n_settings)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_settings != NULL, NULL);

  *n_settings = self->schema->n_specs;
  return g_memdup2 (self->schema->specs, sizeof (GParamSpec *) * self->schema->n_specs);
}

/* Takes @value (of the setting's type) for setting @i, unless it is out
 * of range. */
static gboolean
store (NavConfig  *self,
       guint       i,
       GValue     *value,
       GError    **error)
{
  GParamSpec *spec = self->schema->specs[i];

  if (!g_param_value_is_valid (spec, value))
    {
      g_autofree gchar *contents = g_strdup_value_contents (value);

      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _(self->schema->out_of_range), contents, spec->name);
      return FALSE;
    }
  g_value_unset (&self->values[i]);
  self->values[i] = *value;
  *value = (GValue) G_VALUE_INIT;
  self->set[i] = TRUE;
  return TRUE;
}

/**
 * nav_config_set_value:
 * @self: a configuration
 * @name: a setting
 * @value: its value, of its type or of one that converts to it
 * @error: return location for a #GError
 *
 * Sets one setting.
 *
 * Returns: %TRUE when set; %FALSE with %NAV_ERROR_INVALID_ARGUMENT,
 *   naming the setting, when there is no such setting or @value does not
 *   convert to its type or is out of its range
 *
 * Since: 1.0
 */
gboolean
nav_config_set_value (NavConfig     *self,
                      const gchar   *name,
                      const GValue  *value,
                      GError       **error)
{
  GValue converted = G_VALUE_INIT;
  GParamSpec *spec;
  gint i;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  i = find_setting (self->schema, name);

  if (i < 0)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _(self->schema->unknown), name);
      return FALSE;
    }
  spec = self->schema->specs[i];
  g_value_init (&converted, spec->value_type);
  if (!g_value_type_transformable (G_VALUE_TYPE (value), spec->value_type) ||
      !g_value_transform (value, &converted))
    {
      g_value_unset (&converted);
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _(self->schema->wrong_type),
                   name, g_type_name (spec->value_type), G_VALUE_TYPE_NAME (value));
      return FALSE;
    }
  ok = store (self, i, &converted, error);
  if (G_IS_VALUE (&converted))
    g_value_unset (&converted);
  return ok;
}

/**
 * nav_config_set: (skip)
 * @self: a configuration
 * @error: return location for a #GError
 * @first_name: the first setting
 * @...: its value, of the setting's C type as for g_object_set(), then
 *   more names and values, then %NULL
 *
 * Sets settings in order, as [method@Nav.Config.set_value], stopping at
 * the first that fails.
 *
 * Returns: %TRUE when every setting was set
 *
 * Since: 1.0
 */
gboolean
nav_config_set (NavConfig    *self,
                GError      **error,
                const gchar  *first_name,
                ...)
{
  va_list args;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  va_start (args, first_name);
  ok = set_valist (self, error, first_name, args);
  va_end (args);
  return ok;
}

static gboolean
set_valist (NavConfig    *self,
            GError      **error,
            const gchar  *first_name,
            va_list       args)
{
  for (const gchar *name = first_name; name != NULL; name = va_arg (args, const gchar *))
    {
      GValue value = G_VALUE_INIT;
      g_autofree gchar *collect_error = NULL;
      gint i = find_setting (self->schema, name);

      /* The arguments after an unknown name cannot be read: its type is
       * unknown.  Stop there. */
      if (i < 0)
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _(self->schema->unknown),
                       name);
          return FALSE;
        }
      G_VALUE_COLLECT_INIT (&value, self->schema->specs[i]->value_type, args, 0,
                            &collect_error);
      if (collect_error != NULL)
        {
          g_critical ("%s: %s", G_STRFUNC, collect_error);
          return FALSE;
        }
      if (!store (self, i, &value, error))
        {
          g_value_unset (&value);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * nav_config_get_value:
 * @self: a configuration
 * @name: a setting
 * @value: (out caller-allocates): an uninitialized #GValue, set to the
 *   setting's value
 *
 * Returns: %TRUE when the setting was set, %FALSE when @value holds its
 *   default (or @name is no setting: a programming error)
 *
 * Since: 1.0
 */
gboolean
nav_config_get_value (const NavConfig *self,
                      const gchar     *name,
                      GValue          *value)
{
  gint i;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL && !G_IS_VALUE (value), FALSE);

  i = find_setting (self->schema, name);

  if (i < 0)
    {
      g_critical ("%s: unknown setting “%s”", G_STRFUNC, name);
      return FALSE;
    }
  g_value_init (value, self->schema->specs[i]->value_type);
  g_value_copy (&self->values[i], value);
  return self->set[i];
}

/**
 * nav_config_get: (skip)
 * @self: a configuration
 * @first_name: the first setting
 * @...: where to store its value (as for g_object_get(): strings and
 *   boxed values are copies), then more names and locations, then %NULL
 *
 * For implementations of [vfunc@Nav.Gatherer.configure] and
 * [vfunc@Nav.Checker.configure]: reads settings, their defaults when
 * they were not set.  A name that is no setting is a programming error.
 *
 * Since: 1.0
 */
void
nav_config_get (const NavConfig *self,
                const gchar     *first_name,
                ...)
{
  va_list args;

  g_return_if_fail (self != NULL);

  va_start (args, first_name);
  get_valist (self, first_name, args);
  va_end (args);
}

static void
get_valist (const NavConfig *self,
            const gchar     *first_name,
            va_list          args)
{
  for (const gchar *name = first_name; name != NULL; name = va_arg (args, const gchar *))
    {
      g_autofree gchar *lcopy_error = NULL;
      gint i = find_setting (self->schema, name);

      if (i < 0)
        {
          g_critical ("%s: unknown setting “%s”", G_STRFUNC, name);
          return;
        }
      G_VALUE_LCOPY (&self->values[i], args, 0, &lcopy_error);
      if (lcopy_error != NULL)
        {
          g_critical ("%s: %s", G_STRFUNC, lcopy_error);
          return;
        }
    }
}

/**
 * nav_config_is_set:
 * @self: a configuration
 * @name: a setting
 *
 * Returns: whether the setting was set
 *
 * Since: 1.0
 */
gboolean
nav_config_is_set (const NavConfig *self,
                   const gchar     *name)
{
  gint i;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  i = find_setting (self->schema, name);

  return i >= 0 && self->set[i];
}

/**
 * nav_config_check:
 * @self: a configuration
 * @taken: (array zero-terminated=1): the settings the implementation
 *   takes
 * @implementation: the implementation's name, for the message
 * @error: return location for a #GError
 *
 * For implementations of [vfunc@Nav.Gatherer.configure] and
 * [vfunc@Nav.Checker.configure]: fails when a setting is set that is not
 * in @taken.
 *
 * Returns: %TRUE when every setting set is taken; %FALSE with
 *   %NAV_ERROR_NOT_SUPPORTED naming the first that is not
 *
 * Since: 1.0
 */
gboolean
nav_config_check (const NavConfig      *self,
                  const gchar * const  *taken,
                  const gchar          *implementation,
                  GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (taken != NULL, FALSE);
  g_return_val_if_fail (implementation != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < self->schema->n_specs; i++)
    if (self->set[i] && !g_strv_contains (taken, self->schema->specs[i]->name))
      {
        g_set_error (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED, _(self->schema->unsupported),
                     implementation, self->schema->specs[i]->name);
        return FALSE;
      }
  return TRUE;
}

/* The default of configure(): each setting given goes to the writable
 * property of the same name, of a type it converts to.  Nothing is set
 * unless every setting finds its property. */
gboolean
nav_config_apply_to_object (const NavConfig  *self,
                            GObject          *object,
                            GError          **error)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (object);
  guint i;

  for (i = 0; i < self->schema->n_specs; i++)
    {
      GParamSpec *spec = self->schema->specs[i];
      GParamSpec *property;

      if (!self->set[i])
        continue;
      property = g_object_class_find_property (klass, spec->name);
      if (property == NULL || !(property->flags & G_PARAM_WRITABLE) ||
          (property->flags & G_PARAM_CONSTRUCT_ONLY) ||
          !g_value_type_transformable (spec->value_type, property->value_type))
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED, _(self->schema->unsupported),
                       G_OBJECT_TYPE_NAME (object), spec->name);
          return FALSE;
        }
    }
  g_object_freeze_notify (object);
  for (i = 0; i < self->schema->n_specs; i++)
    if (self->set[i])
      g_object_set_property (object, self->schema->specs[i]->name, &self->values[i]);
  g_object_thaw_notify (object);
  return TRUE;
}
