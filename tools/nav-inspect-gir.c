/* nav-inspect-gir.c: the descriptions of the core's types, properties
 * and signals, from the GIR file, and core types found by name
 *
 * The core's properties carry no blurb (their documentation is in
 * gi-docgen comments): the GIR file the build writes and `meson install`
 * installs has them, so nav-inspect reads it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <config.h>

#include <string.h>
#include <gmodule.h>

#include "nav-inspect-gir.h"

#define GIR_NAME "Nav-1.0.gir"
#define TYPE_PREFIX "Nav"

typedef struct {
  GHashTable *docs;             /* "Agent", "Agent:prop", "Agent::signal" → text */
  gchar *type;                  /* the class, interface or record we are in */
  gchar *member;                /* its property or signal we are in, key form */
  guint depth;                  /* of the element */
  guint type_depth;
  guint member_depth;
  gboolean in_doc;
  gchar *doc_key;               /* where the doc being read goes */
  GString *text;
} GirParser;

static GHashTable *gir_docs;
static gboolean gir_loaded;

static void
gir_start (GMarkupParseContext  *context,
           const gchar          *element,
           const gchar         **names,
           const gchar         **values,
           gpointer              user_data,
           GError              **error)
{
  GirParser *p = user_data;
  const gchar *name = NULL;

  p->depth++;
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], "name"))
      name = values[i];

  if (p->type == NULL && name != NULL &&
      (g_str_equal (element, "class") || g_str_equal (element, "interface") ||
       g_str_equal (element, "record") || g_str_equal (element, "enumeration") ||
       g_str_equal (element, "bitfield")))
    {
      p->type = g_strdup (name);
      p->type_depth = p->depth;
    }
  else if (p->type != NULL && p->member == NULL && name != NULL && p->depth == p->type_depth + 1 &&
           (g_str_equal (element, "property") || g_str_equal (element, "glib:signal")))
    {
      p->member = g_strdup_printf ("%s%s%s", p->type,
                                   g_str_equal (element, "property") ? ":" : "::", name);
      p->member_depth = p->depth;
    }
  else if (g_str_equal (element, "doc") && p->type != NULL)
    {
      /* Only a doc directly under the type or the member. */
      if (p->member != NULL && p->depth == p->member_depth + 1)
        p->doc_key = g_strdup (p->member);
      else if (p->member == NULL && p->depth == p->type_depth + 1)
        p->doc_key = g_strdup (p->type);
      if (p->doc_key != NULL)
        {
          p->in_doc = TRUE;
          g_string_truncate (p->text, 0);
        }
    }
}

/* The first paragraph, on one line, gi-docgen's links reduced to their
 * target: "[method@Nav.Agent.send]" → "Nav.Agent.send", "%TRUE" → "TRUE". */
static gchar *
first_paragraph (const gchar *doc)
{
  const gchar *end = strstr (doc, "\n\n");
  g_autofree gchar *para = end != NULL ? g_strndup (doc, end - doc) : g_strdup (doc);
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const gchar *s = para; *s != '\0'; s++)
    {
      if (g_ascii_isspace (*s))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      if (*s == '[')
        {
          const gchar *at = strchr (s, '@');
          const gchar *close = strchr (s, ']');

          if (at != NULL && close != NULL && at < close && strchr (s, ' ') > close)
            {
              g_string_append_len (out, at + 1, close - at - 1);
              s = close;
              continue;
            }
        }
      if ((*s == '%' || *s == '#') && g_ascii_isalpha (s[1]))
        continue;
      g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static void
gir_end (GMarkupParseContext  *context,
         const gchar          *element,
         gpointer              user_data,
         GError              **error)
{
  GirParser *p = user_data;

  if (p->in_doc && g_str_equal (element, "doc"))
    {
      if (!g_hash_table_contains (p->docs, p->doc_key))
        g_hash_table_insert (p->docs, g_steal_pointer (&p->doc_key), first_paragraph (p->text->str));
      g_clear_pointer (&p->doc_key, g_free);
      p->in_doc = FALSE;
    }
  if (p->member != NULL && p->depth == p->member_depth)
    g_clear_pointer (&p->member, g_free);
  if (p->type != NULL && p->depth == p->type_depth)
    g_clear_pointer (&p->type, g_free);
  p->depth--;
}

static void
gir_text (GMarkupParseContext  *context,
          const gchar          *text,
          gsize                 len,
          gpointer              user_data,
          GError              **error)
{
  GirParser *p = user_data;

  if (p->in_doc)
    g_string_append_len (p->text, text, len);
}

/* Where the GIR file is: $NAV_GIR_PATH, the build tree this program
 * runs from ($NAV_BUILD_ROOT, or beside the executable), the installed
 * one. */
static gchar *
find_gir (void)
{
  const gchar *env = g_getenv ("NAV_GIR_PATH");
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);

  if (env != NULL)
    return g_strdup (env);
  if (g_getenv ("NAV_BUILD_ROOT") != NULL)
    g_ptr_array_add (candidates, g_build_filename (g_getenv ("NAV_BUILD_ROOT"), "core", GIR_NAME, NULL));
  if (exe != NULL)
    {
      g_autofree gchar *dir = g_path_get_dirname (exe);

      g_ptr_array_add (candidates, g_build_filename (dir, "..", "core", GIR_NAME, NULL));
    }
  g_ptr_array_add (candidates, g_build_filename (NAV_GIRDIR, GIR_NAME, NULL));
  for (guint i = 0; i < candidates->len; i++)
    if (g_file_test (g_ptr_array_index (candidates, i), G_FILE_TEST_IS_REGULAR))
      return g_strdup (g_ptr_array_index (candidates, i));
  return NULL;
}

static void
load_gir (void)
{
  static const GMarkupParser parser = { gir_start, gir_end, gir_text, NULL, NULL };
  g_autofree gchar *path = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  GirParser p = { 0 };

  gir_loaded = TRUE;
  path = find_gir ();
  if (path == NULL || !g_file_get_contents (path, &contents, &len, &error))
    {
      if (error != NULL)
        g_debug ("%s", error->message);
      return;
    }
  p.docs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p.text = g_string_new (NULL);
  context = g_markup_parse_context_new (&parser, 0, &p, NULL);
  if (!g_markup_parse_context_parse (context, contents, len, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    {
      g_debug ("%s: %s", path, error->message);
      g_clear_pointer (&p.docs, g_hash_table_unref);
    }
  g_free (p.type);
  g_free (p.member);
  g_free (p.doc_key);
  g_string_free (p.text, TRUE);
  gir_docs = p.docs;
}

const gchar *
nav_inspect_gir_doc (GType        type,
                     const gchar *member,
                     gboolean     signal)
{
  const gchar *name = g_type_name (type);
  g_autofree gchar *key = NULL;
  const gchar *doc;

  if (!gir_loaded)
    load_gir ();
  if (gir_docs == NULL || name == NULL || !g_str_has_prefix (name, TYPE_PREFIX))
    return NULL;
  name += strlen (TYPE_PREFIX);
  key = member == NULL ? g_strdup (name)
                       : g_strdup_printf ("%s%s%s", name, signal ? "::" : ":", member);
  doc = g_hash_table_lookup (gir_docs, key);
  return doc != NULL && *doc != '\0' ? doc : NULL;
}

void
nav_inspect_gir_clear (void)
{
  g_clear_pointer (&gir_docs, g_hash_table_unref);
  gir_loaded = FALSE;
}

/* NavPeerConnection → nav_peer_connection_get_type: an underscore before
 * a capital that follows a small letter or a digit, or that starts a
 * word after a run of capitals (NavDTLSRole → nav_dtls_role). */
static gchar *
get_type_symbol (const gchar *name)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; name[i] != '\0'; i++)
    {
      gchar c = name[i];

      if (!g_ascii_isalnum (c))
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      if (i > 0 && g_ascii_isupper (c) &&
          (g_ascii_islower (name[i - 1]) || g_ascii_isdigit (name[i - 1]) ||
           (g_ascii_isupper (name[i - 1]) && g_ascii_islower (name[i + 1]))))
        g_string_append_c (s, '_');
      g_string_append_c (s, g_ascii_tolower (c));
    }
  g_string_append (s, "_get_type");
  return g_string_free (s, FALSE);
}

GType
nav_inspect_resolve_type (const gchar *name)
{
  GType type = g_type_from_name (name);
  g_autofree gchar *symbol = NULL;
  GModule *self;
  GType (*get_type) (void) = NULL;
  gboolean found;

  if (type != G_TYPE_INVALID || !g_str_has_prefix (name, TYPE_PREFIX))
    return type;
  symbol = get_type_symbol (name);
  if (symbol == NULL || (self = g_module_open (NULL, 0)) == NULL)
    return G_TYPE_INVALID;
  found = g_module_symbol (self, symbol, (gpointer *) &get_type) && get_type != NULL;
  g_module_close (self);
  if (!found)
    return G_TYPE_INVALID;
  type = get_type ();
  /* Only what the symbol's name promised. */
  return g_strcmp0 (g_type_name (type), name) == 0 ? type : G_TYPE_INVALID;
}
