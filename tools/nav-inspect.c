/* nav-inspect.c: lists NetAvanue's modules, extension points and types,
 * and describes one of them, as gst-inspect-1.0 does for GStreamer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <config.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-tool-i18n.h"
#include "nav-inspect-gir.h"
#include "nav-inspect-live.h"

/* Column of the values in the "Module Details" and "Implementation
 * Details" blocks. */
#define LABEL_WIDTH 24

typedef struct {
  NavRegistry *registry;
  GList *modules;               /* NavModuleInfo, owned */
  GHashTable *type_to_module;   /* GType → NavModuleInfo (borrowed) */
} Inspector;

static void
inspector_init (Inspector *self)
{
  GList *l;

  self->registry = nav_registry_get_default ();
  self->modules = nav_registry_list_modules (self->registry);
  self->type_to_module = g_hash_table_new (NULL, NULL);

  for (l = self->modules; l; l = l->next)
    {
      GList *types = nav_module_info_list_types (l->data);
      GList *t;

      for (t = types; t; t = t->next)
        g_hash_table_insert (self->type_to_module, t->data, l->data);
      g_list_free (types);
    }
}

static void
inspector_clear (Inspector *self)
{
  g_list_free_full (self->modules, g_object_unref);
  g_hash_table_unref (self->type_to_module);
}

/* The name a module is known by: its descriptor's, or for a module that
 * failed before its descriptor could be read, its file's. */
static gchar *
module_display_name (NavModuleInfo *info)
{
  const gchar *name = nav_module_info_get_name (info);
  g_autofree gchar *base = NULL;
  gchar *dot;

  if (name != NULL)
    return g_strdup (name);

  base = g_path_get_basename (nav_module_info_get_filename (info));
  if (g_str_has_prefix (base, "lib"))
    memmove (base, base + 3, strlen (base + 3) + 1);
  dot = strchr (base, '.');
  if (dot != NULL)
    *dot = '\0';
  return g_steal_pointer (&base);
}

static gint
compare_modules (gconstpointer a,
                 gconstpointer b)
{
  g_autofree gchar *name_a = module_display_name ((NavModuleInfo *) a);
  g_autofree gchar *name_b = module_display_name ((NavModuleInfo *) b);

  return g_strcmp0 (name_a, name_b);
}

static const gchar *
type_kind (GType type)
{
  if (G_TYPE_IS_INTERFACE (type))
    return _("interface");
  if (G_TYPE_IS_ENUM (type))
    return _("enum");
  if (G_TYPE_IS_FLAGS (type))
    return _("flags");
  if (G_TYPE_IS_BOXED (type))
    return _("boxed");
  return NULL;
}

/* One line about a type: its name, and where it plugs in. */
static gchar *
describe_type_short (Inspector *self,
                     GType      type)
{
  g_autoptr (NavImplementationInfo) impl = nav_registry_lookup_type (self->registry, type);
  const gchar *kind;

  if (impl != NULL)
    return g_strdup_printf (_("%s (%s \"%s\", priority %d)"),
                            g_type_name (type),
                            nav_implementation_info_get_extension_point (impl),
                            nav_implementation_info_get_name (impl),
                            nav_implementation_info_get_priority (impl));

  kind = type_kind (type);
  if (kind != NULL)
    return g_strdup_printf ("%s (%s)", g_type_name (type), kind);
  return g_strdup (g_type_name (type));
}

/* The core's own implementations: those no module provides. */
static GList *
list_core_implementations (Inspector *self)
{
  g_auto (GStrv) points = nav_registry_list_extension_points (self->registry);
  GList *core = NULL;
  gsize i;

  for (i = 0; points[i] != NULL; i++)
    {
      GList *impls = nav_registry_list_implementations (self->registry, points[i]);
      GList *l;

      for (l = impls; l; l = l->next)
        {
          if (nav_implementation_info_get_module (l->data) == NULL)
            core = g_list_prepend (core, g_object_ref (l->data));
        }
      g_list_free_full (impls, g_object_unref);
    }
  return g_list_reverse (core);
}

static int
print_all (Inspector *self)
{
  g_autoptr (GList) sorted = g_list_sort (g_list_copy (self->modules), compare_modules);
  GList *core = list_core_implementations (self);
  GList *l;
  guint n_modules = 0, n_failed = 0, n_types = 0, n_core = 0;

  for (l = sorted; l; l = l->next)
    {
      NavModuleInfo *info = l->data;
      g_autofree gchar *name = module_display_name (info);
      GList *types, *t;

      if (!nav_module_info_get_loaded (info))
        {
          n_failed++;
          continue;
        }
      n_modules++;

      types = nav_module_info_list_types (info);
      if (types == NULL)
        g_print (_("%s:  (no types)\n"), name);
      for (t = types; t; t = t->next)
        {
          g_autofree gchar *line = describe_type_short (self, GPOINTER_TO_SIZE (t->data));

          g_print ("%s:  %s\n", name, line);
          n_types++;
        }
      g_list_free (types);
    }

  for (l = core; l; l = l->next)
    {
      g_autofree gchar *line =
        describe_type_short (self, nav_implementation_info_get_gtype (l->data));

      g_print ("%s:  %s\n", "core", line);
      n_core++;
    }
  g_list_free_full (core, g_object_unref);

  g_print ("\n");
  /* TRANSLATORS: the totals; the first %u is a number of modules, the
   * second a number of types */
  g_print (g_dngettext (GETTEXT_PACKAGE, "Total count: %u module, ", "Total count: %u modules, ",
                        n_modules), n_modules);
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u type", "%u types", n_types), n_types);
  g_print (g_dngettext (GETTEXT_PACKAGE, " (and %u core implementation)",
                        " (and %u core implementations)", n_core), n_core);
  g_print ("\n");

  if (n_failed > 0)
    {
      g_print ("\n");
      g_print (g_dngettext (GETTEXT_PACKAGE,
                            "%u module failed to load:\n",
                            "%u modules failed to load:\n", n_failed), n_failed);
      for (l = sorted; l; l = l->next)
        if (!nav_module_info_get_loaded (l->data))
          g_print ("  %s: %s\n",
                   nav_module_info_get_filename (l->data),
                   nav_module_info_get_error (l->data) != NULL ?
                   nav_module_info_get_error (l->data) : _("unknown reason"));
    }

  return EXIT_SUCCESS;
}

static int
print_points (Inspector *self)
{
  g_auto (GStrv) points = nav_registry_list_extension_points (self->registry);
  gsize i;

  for (i = 0; points[i] != NULL; i++)
    {
      GType iface = nav_registry_get_extension_point_type (self->registry, points[i]);
      GList *impls = nav_registry_list_implementations (self->registry, points[i]);
      GList *l;

      g_print ("%s (%s)\n", points[i], g_type_name (iface));
      if (impls == NULL)
        g_print ("  %s\n", _("(no implementation)"));
      for (l = impls; l; l = l->next)
        {
          NavModuleInfo *module = nav_implementation_info_get_module (l->data);

          g_print (_("  %-14s %-26s priority %-4d %s\n"),
                   nav_implementation_info_get_name (l->data),
                   g_type_name (nav_implementation_info_get_gtype (l->data)),
                   nav_implementation_info_get_priority (l->data),
                   module != NULL ? nav_module_info_get_name (module) : _("core"));
        }
      g_list_free_full (impls, g_object_unref);
    }
  return EXIT_SUCCESS;
}

static void
print_field (const gchar *label,
             const gchar *value)
{
  g_print ("  %-*s%s\n", LABEL_WIDTH, label, value != NULL ? value : _("(none)"));
}

/* @text from the current column @column on, its continuation lines at
 * @indent, words wrapped before column 100. */
#define WRAP_COLUMN 100

static void
print_wrapped (const gchar *text,
               gint         column,
               gint         indent)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      gint len = (gint) g_utf8_strlen (words[i], -1);

      if (i > 0 && column + 1 + len > WRAP_COLUMN)
        {
          g_print ("\n%*s", indent, "");
          column = indent;
        }
      else if (i > 0)
        {
          g_print (" ");
          column++;
        }
      g_print ("%s", words[i]);
      column += len;
    }
  g_print ("\n");
}

/* The hierarchy as gst-inspect draws it:
 *
 *   GObject
 *    +----NavStunServer
 */
static void
print_hierarchy (GType type)
{
  g_autoptr (GArray) chain = g_array_new (FALSE, FALSE, sizeof (GType));
  GType t;
  guint i, level = 0;

  for (t = type; t != G_TYPE_INVALID; t = g_type_parent (t))
    g_array_prepend_val (chain, t);

  g_print ("%s\n", _("Type Hierarchy:"));
  for (i = 0; i < chain->len; i++)
    {
      GType current = g_array_index (chain, GType, i);

      if (i == 0)
        g_print ("  %s\n", g_type_name (current));
      else
        {
          g_print ("  %*s+----%s\n", level, "", g_type_name (current));
          level += 6;
        }
    }
  g_print ("\n");
}

static void
print_interfaces (GType type)
{
  guint n = 0, i;
  g_autofree GType *ifaces = NULL;

  if (G_TYPE_IS_INTERFACE (type))
    {
      g_autofree GType *prerequisites = g_type_interface_prerequisites (type, &n);

      g_print ("%s\n", _("Prerequisites:"));
      for (i = 0; i < n; i++)
        g_print ("  %s\n", g_type_name (prerequisites[i]));
      if (n == 0)
        g_print ("  %s\n", _("(none)"));
      g_print ("\n");
      return;
    }

  ifaces = g_type_interfaces (type, &n);
  if (n == 0)
    return;
  g_print ("%s\n", _("Implemented Interfaces:"));
  for (i = 0; i < n; i++)
    g_print ("  %s\n", g_type_name (ifaces[i]));
  g_print ("\n");
}

static gchar *
flags_to_string (GParamFlags flags)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new ();

  if (flags & G_PARAM_READABLE)
    g_ptr_array_add (words, (gpointer) _("readable"));
  if (flags & G_PARAM_WRITABLE)
    g_ptr_array_add (words, (gpointer) _("writable"));
  if (flags & G_PARAM_CONSTRUCT_ONLY)
    g_ptr_array_add (words, (gpointer) _("construct-only"));
  else if (flags & G_PARAM_CONSTRUCT)
    g_ptr_array_add (words, (gpointer) _("construct"));
  if (flags & G_PARAM_DEPRECATED)
    g_ptr_array_add (words, (gpointer) _("deprecated"));
  g_ptr_array_add (words, NULL);
  return g_strjoinv (", ", (gchar **) words->pdata);
}

static void
print_enum_values (GType type,
                   gint  indent)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  guint i;

  for (i = 0; i < klass->n_values; i++)
    g_print ("%*s(%d): %-16s - %s\n", indent, "",
             klass->values[i].value,
             klass->values[i].value_nick,
             klass->values[i].value_name);
}

static void
print_flags_values (GType type,
                    gint  indent)
{
  g_autoptr (GFlagsClass) klass = g_type_class_ref (type);
  guint i;

  for (i = 0; i < klass->n_values; i++)
    g_print ("%*s(0x%08x): %-16s - %s\n", indent, "",
             klass->values[i].value,
             klass->values[i].value_nick,
             klass->values[i].value_name);
}

/* The type, range and default of a property, as gst-inspect prints them. */
static void
print_param_value (GParamSpec *pspec,
                   gint        indent)
{
  GType value_type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  const GValue *def = g_param_spec_get_default_value (pspec);

#define PRINT_RANGE(Kind, Label, fmt, getter)                              \
  G_STMT_START {                                                            \
    Kind *p = (Kind *) pspec;                                               \
    g_print ("%*s%s. %s: " fmt " - " fmt " %s: " fmt "\n", indent, "",      \
             Label, _("Range"), p->minimum, p->maximum, _("Default"),       \
             getter (def));                                                 \
  } G_STMT_END

  if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    g_print ("%*s%s. %s: %s\n", indent, "", _("Boolean"), _("Default"),
             g_value_get_boolean (def) ? "true" : "false");
  else if (G_IS_PARAM_SPEC_INT (pspec))
    PRINT_RANGE (GParamSpecInt, _("Integer"), "%d", g_value_get_int);
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    PRINT_RANGE (GParamSpecUInt, _("Unsigned Integer"), "%u", g_value_get_uint);
  else if (G_IS_PARAM_SPEC_LONG (pspec))
    PRINT_RANGE (GParamSpecLong, _("Long"), "%ld", g_value_get_long);
  else if (G_IS_PARAM_SPEC_ULONG (pspec))
    PRINT_RANGE (GParamSpecULong, _("Unsigned Long"), "%lu", g_value_get_ulong);
  else if (G_IS_PARAM_SPEC_INT64 (pspec))
    PRINT_RANGE (GParamSpecInt64, _("Integer64"), "%" G_GINT64_FORMAT, g_value_get_int64);
  else if (G_IS_PARAM_SPEC_UINT64 (pspec))
    PRINT_RANGE (GParamSpecUInt64, _("Unsigned Integer64"), "%" G_GUINT64_FORMAT, g_value_get_uint64);
  else if (G_IS_PARAM_SPEC_FLOAT (pspec))
    PRINT_RANGE (GParamSpecFloat, _("Float"), "%g", g_value_get_float);
  else if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    PRINT_RANGE (GParamSpecDouble, _("Double"), "%g", g_value_get_double);
  else if (G_IS_PARAM_SPEC_STRING (pspec))
    {
      const gchar *s = g_value_get_string (def);
      g_autofree gchar *quoted = s != NULL ? g_strdup_printf ("\"%s\"", s) : g_strdup ("null");

      g_print ("%*s%s. %s: %s\n", indent, "", _("String"), _("Default"), quoted);
    }
  else if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (value_type);
      GEnumValue *value = g_enum_get_value (klass, g_value_get_enum (def));

      g_print ("%*s%s \"%s\" %s: %d, \"%s\"\n", indent, "", _("Enum"),
               g_type_name (value_type), _("Default"), g_value_get_enum (def),
               value != NULL ? value->value_nick : "?");
      print_enum_values (value_type, indent + 3);
    }
  else if (G_IS_PARAM_SPEC_FLAGS (pspec))
    {
      g_autofree gchar *value = g_flags_to_string (value_type, g_value_get_flags (def));

      g_print ("%*s%s \"%s\" %s: 0x%08x, \"%s\"\n", indent, "", _("Flags"),
               g_type_name (value_type), _("Default"), g_value_get_flags (def), value);
      print_flags_values (value_type, indent + 3);
    }
  else if (G_IS_PARAM_SPEC_BOXED (pspec))
    g_print ("%*s%s \"%s\"\n", indent, "", _("Boxed pointer of type"), g_type_name (value_type));
  else if (G_IS_PARAM_SPEC_OBJECT (pspec))
    g_print ("%*s%s \"%s\"\n", indent, "", _("Object of type"), g_type_name (value_type));
  else
    g_print ("%*s%s \"%s\"\n", indent, "", _("Value of type"), g_type_name (value_type));

#undef PRINT_RANGE
}

static gint
compare_pspecs (gconstpointer a,
                gconstpointer b)
{
  const GParamSpec *pa = *(GParamSpec * const *) a;
  const GParamSpec *pb = *(GParamSpec * const *) b;

  return strcmp (pa->name, pb->name);
}

static void
print_properties (GType type)
{
  g_autoptr (GTypeClass) klass = NULL;
  g_autofree GParamSpec **pspecs = NULL;
  guint n = 0, i;
  const gint indent = 24;

  if (G_TYPE_IS_INTERFACE (type))
    {
      /* The default vtable is what g_object_interface_list_properties
       * reads; peek only works once something referenced it. */
      gpointer iface = g_type_default_interface_ref (type);

      pspecs = g_object_interface_list_properties (iface, &n);
      g_type_default_interface_unref (iface);
    }
  else if (G_TYPE_IS_OBJECT (type))
    {
      klass = g_type_class_ref (type);
      pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n);
    }
  else
    return;

  g_print ("%s\n", _("Properties:"));
  if (n == 0)
    g_print ("  %s\n", _("(none)"));
  qsort (pspecs, n, sizeof (GParamSpec *), compare_pspecs);

  for (i = 0; i < n; i++)
    {
      GParamSpec *pspec = pspecs[i];
      /* An overridden interface property: the interface's spec has the
       * range, default and blurb. */
      GParamSpec *target = g_param_spec_get_redirect_target (pspec);
      GParamSpec *real = target != NULL ? target : pspec;
      const gchar *blurb = g_param_spec_get_blurb (real);
      const gchar *doc;
      g_autofree gchar *flags = flags_to_string (pspec->flags);

      /* GLib gives a property without a nick its name as nick; the
       * core's are documented in the GIR file instead. */
      if (blurb == NULL)
        blurb = g_param_spec_get_nick (real);
      if (g_strcmp0 (blurb, pspec->name) == 0)
        blurb = NULL;
      if (blurb != NULL)
        g_print ("  %-20s: %s\n", pspec->name, blurb);
      else if ((doc = nav_inspect_gir_doc (real->owner_type, real->name, FALSE)) != NULL)
        {
          g_print ("  %-20s: ", pspec->name);
          print_wrapped (doc, 24, indent);
        }
      else
        g_print ("  %-20s:\n", pspec->name);
      g_print ("%*s%s: %s\n", indent, "", _("flags"), flags);
      if (pspec->owner_type != type)
        g_print ("%*s%s: %s\n", indent, "", _("from"), g_type_name (pspec->owner_type));
      print_param_value (real, indent);
      g_print ("\n");
    }
}

static gchar *
c_type_name (GType type)
{
  GType fundamental = G_TYPE_FUNDAMENTAL (type);

  if (fundamental == G_TYPE_OBJECT || fundamental == G_TYPE_BOXED ||
      fundamental == G_TYPE_INTERFACE || fundamental == G_TYPE_POINTER ||
      fundamental == G_TYPE_PARAM || fundamental == G_TYPE_VARIANT ||
      type == G_TYPE_STRING)
    return g_strdup_printf ("%s *", type == G_TYPE_STRING ? "gchar" : g_type_name (type));
  return g_strdup (g_type_name (type));
}

static void
print_signals_of (GType      type,
                  GType      instance_type,
                  gboolean  *printed_header)
{
  g_autofree guint *ids = NULL;
  guint n = 0, i;

  ids = g_signal_list_ids (type, &n);
  for (i = 0; i < n; i++)
    {
      GSignalQuery query;
      g_autofree gchar *ret = NULL;
      g_autofree gchar *self_type = NULL;
      g_autofree gchar *prefix = NULL;
      gint column;
      guint j;

      g_signal_query (ids[i], &query);
      if (!*printed_header)
        {
          g_print ("%s\n", _("Signals:"));
          *printed_header = TRUE;
        }

      ret = c_type_name (query.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE);
      self_type = c_type_name (instance_type);
      prefix = g_strdup_printf ("  \"%s\" :  %s user_function (", query.signal_name, ret);
      column = (gint) g_utf8_strlen (prefix, -1);
      g_print ("%s%s object,\n", prefix, self_type);
      for (j = 0; j < query.n_params; j++)
        {
          g_autofree gchar *param = c_type_name (query.param_types[j] & ~G_SIGNAL_TYPE_STATIC_SCOPE);

          g_print ("%*s%s arg%u,\n", column, "", param, j);
        }
      g_print ("%*sgpointer user_data);\n", column, "");
      if (type != instance_type)
        g_print ("%*s(%s %s)\n", column, "", _("from"), g_type_name (type));
      {
        const gchar *doc = nav_inspect_gir_doc (type, query.signal_name, TRUE);

        if (doc != NULL)
          {
            g_print ("%*s", column, "");
            print_wrapped (doc, column, column);
          }
      }
    }
}

static void
print_signals (GType type)
{
  gboolean printed = FALSE;
  g_autofree GType *ifaces = NULL;
  guint n = 0, i;
  GType t;

  if (!G_TYPE_IS_INSTANTIATABLE (type) && !G_TYPE_IS_INTERFACE (type))
    return;

  /* The type's own, its parents' below GObject (whose ::notify every
   * object has), then its interfaces'. */
  for (t = type; t != G_TYPE_INVALID && t != G_TYPE_OBJECT; t = g_type_parent (t))
    print_signals_of (t, type, &printed);
  ifaces = g_type_interfaces (type, &n);
  for (i = 0; i < n; i++)
    print_signals_of (ifaces[i], type, &printed);

  if (!printed)
    g_print ("%s\n  %s\n", _("Signals:"), _("(none)"));
  g_print ("\n");
}

static void
print_type_details (Inspector *self,
                    GType      type)
{
  g_autoptr (NavImplementationInfo) impl = nav_registry_lookup_type (self->registry, type);
  NavModuleInfo *module = g_hash_table_lookup (self->type_to_module, GSIZE_TO_POINTER (type));

  g_print ("%s\n", g_type_name (type));
  g_print ("%s\n", _("Type Details:"));
  if (nav_inspect_gir_doc (type, NULL, FALSE) != NULL)
    {
      g_print ("  %-*s", LABEL_WIDTH, _("Description"));
      print_wrapped (nav_inspect_gir_doc (type, NULL, FALSE), 2 + LABEL_WIDTH, 2 + LABEL_WIDTH);
    }
  if (module != NULL)
    {
      g_autofree gchar *provider = g_strdup_printf ("%s (%s)",
                                                    nav_module_info_get_name (module),
                                                    nav_module_info_get_filename (module));
      print_field (_("Module"), provider);
    }
  else if (impl != NULL || g_str_has_prefix (g_type_name (type), "Nav"))
    print_field (_("Module"), _("core (libnetavanue-1.0)"));
  else
    print_field (_("Module"), _("none (not a NetAvanue type)"));

  if (impl != NULL)
    {
      GType iface = nav_registry_get_extension_point_type (self->registry,
                                                           nav_implementation_info_get_extension_point (impl));
      g_autofree gchar *point = g_strdup_printf ("%s (%s)",
                                                 nav_implementation_info_get_extension_point (impl),
                                                 g_type_name (iface));
      g_autofree gchar *priority = g_strdup_printf ("%d", nav_implementation_info_get_priority (impl));

      print_field (_("Implementation name"), nav_implementation_info_get_name (impl));
      print_field (_("Extension point"), point);
      print_field (_("Priority"), priority);
    }
  else
    print_field (_("Extension point"), _("(none)"));
  g_print ("\n");

  if (G_TYPE_IS_ENUM (type))
    {
      g_print ("%s\n", _("Values:"));
      print_enum_values (type, 2);
      g_print ("\n");
      return;
    }
  if (G_TYPE_IS_FLAGS (type))
    {
      g_print ("%s\n", _("Values:"));
      print_flags_values (type, 2);
      g_print ("\n");
      return;
    }

  print_hierarchy (type);
  print_interfaces (type);
  print_properties (type);
  print_signals (type);
}

static void
print_module_details (Inspector     *self,
                      NavModuleInfo *info)
{
  g_autofree gchar *name = module_display_name (info);
  GList *types, *l;
  guint n_types = 0;

  g_print ("%s\n", _("Module Details:"));
  print_field (_("Name"), name);
  print_field (_("Description"), nav_module_info_get_description (info));
  print_field (_("Version"), nav_module_info_get_version (info));
  print_field (_("License"), nav_module_info_get_license (info));
  print_field (_("Origin"), nav_module_info_get_origin (info));
  print_field (_("Filename"), nav_module_info_get_filename (info));
  if (nav_module_info_get_loaded (info))
    print_field (_("Status"), _("loaded"));
  else
    {
      g_autofree gchar *status = g_strdup_printf (_("failed to load: %s"),
                                                  nav_module_info_get_error (info));
      print_field (_("Status"), status);
    }
  g_print ("\n");

  types = nav_module_info_list_types (info);
  for (l = types; l; l = l->next)
    {
      g_autofree gchar *line = describe_type_short (self, GPOINTER_TO_SIZE (l->data));

      g_print ("  %s\n", line);
      n_types++;
    }
  if (n_types > 0)
    g_print ("\n");
  g_print ("  ");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%u type", "%u types", n_types), n_types);
  g_print ("\n\n");

  for (l = types; l; l = l->next)
    print_type_details (self, GPOINTER_TO_SIZE (l->data));
  g_list_free (types);
}

/* A module by name, or by file name (`libnav-stun.so`, `nav-stun`). */
static NavModuleInfo *
find_module (Inspector   *self,
             const gchar *name)
{
  GList *l;

  for (l = self->modules; l; l = l->next)
    if (g_strcmp0 (nav_module_info_get_name (l->data), name) == 0)
      return l->data;

  for (l = self->modules; l; l = l->next)
    {
      g_autofree gchar *base = g_path_get_basename (nav_module_info_get_filename (l->data));
      g_autofree gchar *display = module_display_name (l->data);
      g_autofree gchar *stem = g_strdup (base);
      gchar *dot = strchr (stem, '.');

      if (dot != NULL)
        *dot = '\0';
      if (g_strcmp0 (base, name) == 0 || g_strcmp0 (display, name) == 0 ||
          g_strcmp0 (stem, name) == 0 ||
          (g_str_has_prefix (stem, "lib") && g_strcmp0 (stem + 3, name) == 0))
        return l->data;
    }
  return NULL;
}

/* Implementations named @name: `point:name`, or a bare name at any
 * extension point. */
static GList *
find_implementations (Inspector   *self,
                      const gchar *name)
{
  const gchar *colon = strchr (name, ':');
  g_auto (GStrv) points = NULL;
  GList *found = NULL;
  gsize i;

  if (colon != NULL)
    {
      g_autofree gchar *point = g_strndup (name, colon - name);
      NavImplementationInfo *impl = nav_registry_lookup (self->registry, point, colon + 1, NULL);

      return impl != NULL ? g_list_prepend (NULL, impl) : NULL;
    }

  points = nav_registry_list_extension_points (self->registry);
  for (i = 0; points[i] != NULL; i++)
    {
      NavImplementationInfo *impl = nav_registry_lookup (self->registry, points[i], name, NULL);

      if (impl != NULL)
        found = g_list_append (found, impl);
    }
  return found;
}

static int
inspect_name (Inspector   *self,
              const gchar *name)
{
  NavModuleInfo *module;
  GList *impls, *l;
  GType type;

  module = find_module (self, name);
  if (module != NULL)
    {
      print_module_details (self, module);
      return EXIT_SUCCESS;
    }

  type = nav_inspect_resolve_type (name);
  if (type != G_TYPE_INVALID)
    {
      print_type_details (self, type);
      return EXIT_SUCCESS;
    }

  impls = find_implementations (self, name);
  if (impls != NULL)
    {
      for (l = impls; l; l = l->next)
        print_type_details (self, nav_implementation_info_get_gtype (l->data));
      g_list_free_full (impls, g_object_unref);
      return EXIT_SUCCESS;
    }

  g_printerr (_("No such module or type \"%s\"\n"), name);
  return EXIT_FAILURE;
}

int
main (int    argc,
      char **argv)
{
  gboolean print_version = FALSE;
  gboolean list_points = FALSE;
  gboolean live = FALSE, follow = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &print_version,
      N_("Print the version and exit"), NULL },
    { "points", 0, 0, G_OPTION_ARG_NONE, &list_points,
      N_("List the extension points and their implementations"), NULL },
    { "live", 0, 0, G_OPTION_ARG_NONE, &live,
      N_("The running processes that export their objects (NAV_DEBUG_EXPORT=1), or with "
         "PID[/OBJECT] what their agents and peer connections hold"), NULL },
    { "follow", 0, 0, G_OPTION_ARG_NONE, &follow,
      N_("With --live PID[/OBJECT]: print the events as they happen"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("With --live: JSON (one line per event with --follow)"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  Inspector inspector;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nav_tool_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("[MODULE | TYPE | IMPLEMENTATION]"));
  g_option_context_set_summary (context,
      _("Lists the NetAvanue modules and the types they provide, or describes one.\n"
        "\n"
        "Without an argument, prints each module's types, one a line, the core's\n"
        "own implementations, the totals, and the modules that failed to load.\n"
        "With a module name (stun), a type name (NavStunServer) or an\n"
        "implementation name (udp, or nav-transport:udp), prints its details."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  if (print_version)
    {
      g_print (_("nav-inspect %s (NetAvanue %s)\n"), PACKAGE_VERSION, NAV_VERSION_S);
      return EXIT_SUCCESS;
    }

  if (argc > 2)
    {
      g_printerr (_("Give at most one module, type or implementation name\n"));
      return EXIT_FAILURE;
    }

  if (live || follow)
    return nav_inspect_live (argc == 2 ? argv[1] : NULL, follow, json);

  inspector_init (&inspector);
  if (list_points)
    status = print_points (&inspector);
  else if (argc == 2)
    status = inspect_name (&inspector, argv[1]);
  else
    status = print_all (&inspector);
  inspector_clear (&inspector);
  nav_inspect_gir_clear ();

  return status;
}
