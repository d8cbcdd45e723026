/* nav-share-files.c: the manifest of a transfer
 *
 * The sender walks its arguments with lstat(): a file or directory is
 * sent under its base name, a directory with everything beneath it; a
 * symbolic link is sent as a link when its target stays inside the tree
 * it was found in, and skipped (counted, with a warning) when it points
 * out of it: nav-share never follows one.  Other kinds (devices, FIFOs,
 * sockets) are skipped too.
 *
 * The receiver trusts nothing of it: every path must be relative,
 * '/'-separated, without empty, `.` or `..` components or control
 * characters; no path may appear twice or lie beneath a symlink of the
 * manifest; a link's target must be relative and stay inside the tree
 * (nav_share_check_manifest()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nav-share-files.h"

#define MAX_ENTRIES 100000
#define MAX_PATH_LEN 4096

void
nav_share_entry_free (NavShareEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->path);
  g_free (entry->target);
  g_free (entry->source);
  g_free (entry);
}

static gint64
mtime_ns (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
}

/* Lexically: does @target, relative to the directory of @path, stay
 * within the tree's root? */
gboolean
nav_share_link_is_safe (const gchar *path,
                        const gchar *target)
{
  g_auto (GStrv) base = NULL;
  g_auto (GStrv) parts = NULL;
  gint depth = 0;
  guint i;

  if (target == NULL || *target == '\0' || target[0] == '/' || strlen (target) > MAX_PATH_LEN)
    return FALSE;
  /* The link's own directory: as deep as its path's components, less one. */
  base = g_strsplit (path, "/", -1);
  depth = (gint) g_strv_length (base) - 1;
  parts = g_strsplit (target, "/", -1);
  for (i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          if (--depth < 0)
            return FALSE;
        }
      else
        depth++;
    }
  return TRUE;
}

gboolean
nav_share_path_is_safe (const gchar *path)
{
  g_auto (GStrv) parts = NULL;
  const gchar *p;
  guint i;

  if (path == NULL || *path == '\0' || path[0] == '/' || strlen (path) > MAX_PATH_LEN ||
      !g_utf8_validate (path, -1, NULL))
    return FALSE;
  for (p = path; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == '\\')
      return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0 || strcmp (parts[i], "..") == 0 ||
        g_str_has_suffix (parts[i], ".part"))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------ the sender's walk */

typedef struct {
  GPtrArray *entries;
  guint skipped;
} Walk;

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gboolean walk_one (Walk *walk, const gchar *source, const gchar *path, gint depth, GError **error);

static gboolean
walk_directory (Walk        *walk,
                const gchar *source,
                const gchar *path,
                gint         depth,
                GError     **error)
{
  g_autoptr (GDir) dir = g_dir_open (source, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++)
    {
      const gchar *child = g_ptr_array_index (names, i);
      g_autofree gchar *child_source = g_build_filename (source, child, NULL);
      g_autofree gchar *child_path = g_strconcat (path, "/", child, NULL);

      if (!walk_one (walk, child_source, child_path, depth + 1, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
walk_one (Walk        *walk,
          const gchar *source,
          const gchar *path,
          gint         depth,
          GError     **error)
{
  NavShareEntry *entry;
  struct stat st;

  if (lstat (source, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _("Cannot read “%s”: %s"),
                   source, g_strerror (saved));
      return FALSE;
    }
  if (walk->entries->len >= MAX_ENTRIES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
                   _("More than %d files to send"), MAX_ENTRIES);
      return FALSE;
    }
  if (!nav_share_path_is_safe (path))
    {
      g_printerr (_("Skipping “%s”: its name cannot be sent\n"), source);
      walk->skipped++;
      return TRUE;
    }
  entry = g_new0 (NavShareEntry, 1);
  entry->path = g_strdup (path);
  entry->source = g_strdup (source);
  entry->mode = st.st_mode & 07777;
  entry->mtime_ns = mtime_ns (&st);
  if (S_ISREG (st.st_mode))
    {
      entry->kind = NAV_SHARE_FILE;
      entry->size = st.st_size;
    }
  else if (S_ISDIR (st.st_mode))
    entry->kind = NAV_SHARE_DIRECTORY;
  else if (S_ISLNK (st.st_mode))
    {
      entry->kind = NAV_SHARE_SYMLINK;
      entry->target = g_file_read_link (source, NULL);
      /* A top-level argument that is a link has no tree to stay in. */
      if (depth == 0 || entry->target == NULL || !nav_share_link_is_safe (path, entry->target))
        {
          g_printerr (_("Skipping “%s”: a symbolic link out of the tree is not followed\n"), source);
          walk->skipped++;
          nav_share_entry_free (entry);
          return TRUE;
        }
    }
  else
    {
      g_printerr (_("Skipping “%s”: not a file, directory or link\n"), source);
      walk->skipped++;
      nav_share_entry_free (entry);
      return TRUE;
    }
  g_ptr_array_add (walk->entries, entry);
  if (entry->kind == NAV_SHARE_DIRECTORY)
    return walk_directory (walk, source, path, depth, error);
  return TRUE;
}

GPtrArray *
nav_share_walk (const gchar *const *paths,
                guint              *skipped,
                GError            **error)
{
  Walk walk = { g_ptr_array_new_with_free_func ((GDestroyNotify) nav_share_entry_free), 0 };
  guint i;

  for (i = 0; paths[i] != NULL; i++)
    {
      g_autofree gchar *trimmed = g_strdup (paths[i]);
      g_autofree gchar *base = NULL;
      gsize len = strlen (trimmed);

      while (len > 1 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';
      base = g_path_get_basename (trimmed);
      if (strcmp (base, "/") == 0 || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
        {
          g_autofree gchar *absolute = g_canonicalize_filename (trimmed, NULL);

          g_free (base);
          base = g_path_get_basename (absolute);
        }
      if (!walk_one (&walk, trimmed, base, 0, error))
        {
          g_ptr_array_unref (walk.entries);
          return NULL;
        }
    }
  if (skipped != NULL)
    *skipped = walk.skipped;
  return walk.entries;
}

/* ------------------------------------------------------------ the receiver's check */

gboolean
nav_share_check_manifest (GPtrArray *entries,
                          GError   **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) links = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (entries, i);

      if (!nav_share_path_is_safe (e->path))
        goto refuse;
      if (e->kind == NAV_SHARE_SYMLINK && !nav_share_link_is_safe (e->path, e->target))
        goto refuse_link;
      if (!g_hash_table_add (seen, e->path))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The sender listed “%s” twice: refused"), e->path);
          return FALSE;
        }
      if (e->kind == NAV_SHARE_SYMLINK)
        g_hash_table_add (links, e->path);
      continue;
refuse:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("The sender offered an unsafe path (absolute, with “..” or odd characters): refused"));
      return FALSE;
refuse_link:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("The sender offered a symbolic link “%s” that points out of the tree: refused"), e->path);
      return FALSE;
    }
  /* Nothing beneath a link: writing there would follow it. */
  for (i = 0; i < entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (entries, i);
      g_autofree gchar *parent = g_strdup (e->path);
      gchar *slash;

      while ((slash = strrchr (parent, '/')) != NULL)
        {
          *slash = '\0';
          if (g_hash_table_contains (links, parent))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                           _("The sender offered “%s” beneath a symbolic link: refused"), e->path);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------ JSON */

JsonNode *
nav_share_manifest_to_json (GPtrArray *entries)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  guint i;

  for (i = 0; i < entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (entries, i);
      JsonObject *o = json_object_new ();
      gchar kind[2] = { (gchar) e->kind, 0 };

      json_object_set_string_member (o, "p", e->path);
      json_object_set_string_member (o, "k", kind);
      json_object_set_int_member (o, "m", e->mode);
      json_object_set_int_member (o, "t", e->mtime_ns);
      json_object_set_int_member (o, "s", (gint64) e->size);
      if (e->target != NULL)
        json_object_set_string_member (o, "l", e->target);
      json_array_add_object_element (array, o);
    }
  json_node_take_array (node, array);
  return node;
}

static const gchar *
member_string (JsonObject  *o,
               const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : NULL;
}

static gboolean
member_int (JsonObject  *o,
            const gchar *name,
            gint64      *value)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (n);
  return TRUE;
}

GPtrArray *
nav_share_manifest_from_json (JsonArray *array,
                              GError   **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_share_entry_free);
  guint i, n = json_array_get_length (array);

  if (n > MAX_ENTRIES)
    goto bad;
  for (i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const gchar *path, *kind, *target;
      gint64 mode, mtime, size;
      NavShareEntry *e;

      if (o == NULL)
        goto bad;
      path = member_string (o, "p");
      kind = member_string (o, "k");
      target = member_string (o, "l");
      if (path == NULL || kind == NULL || strlen (kind) != 1 || strchr ("fdl", kind[0]) == NULL ||
          !member_int (o, "m", &mode) || !member_int (o, "t", &mtime) || !member_int (o, "s", &size) ||
          mode < 0 || mode > 07777 || size < 0 || (kind[0] == 'l') != (target != NULL))
        goto bad;
      e = g_new0 (NavShareEntry, 1);
      e->path = g_strdup (path);
      e->kind = kind[0];
      e->mode = (guint32) mode;
      e->mtime_ns = mtime;
      e->size = e->kind == NAV_SHARE_FILE ? (guint64) size : 0;
      e->target = g_strdup (target);
      g_ptr_array_add (entries, e);
    }
  return g_steal_pointer (&entries);

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The sender's list of files is malformed"));
  return NULL;
}

/* A control message: one JSON object with a string member "t". */
JsonObject *
nav_share_message_parse (const gchar  *text,
                         gsize         len,
                         const gchar **type,
                         GError      **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *object;
  const gchar *t;

  if (len > 64 * 1024 * 1024 || !json_parser_load_from_data (parser, text, (gssize) len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  object = json_node_get_object (root);
  t = member_string (object, "t");
  if (t == NULL)
    goto bad;
  json_object_ref (object);
  *type = t;          /* owned by the object, which the caller holds */
  return object;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("A malformed message from the peer"));
  return NULL;
}

gchar *
nav_share_message_build (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

gchar *
nav_share_format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}
