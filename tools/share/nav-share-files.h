/* nav-share-files.h: what nav-share sends (the manifest), how the sender
 * walks it and how the receiver checks it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  NAV_SHARE_FILE = 'f',
  NAV_SHARE_DIRECTORY = 'd',
  NAV_SHARE_SYMLINK = 'l',
} NavShareKind;

typedef struct {
  gchar *path;                  /* relative, '/'-separated */
  NavShareKind kind;
  guint32 mode;                 /* permission bits only */
  gint64 mtime_ns;
  guint64 size;
  gchar *target;                /* symlinks */
  gchar *source;                /* the sender's file */
} NavShareEntry;

void        nav_share_entry_free        (NavShareEntry *entry);

GPtrArray  *nav_share_walk              (const gchar *const *paths,
                                         guint              *skipped,
                                         GError            **error);
gboolean    nav_share_path_is_safe      (const gchar  *path);
gboolean    nav_share_link_is_safe      (const gchar  *path,
                                         const gchar  *target);
gboolean    nav_share_check_manifest    (GPtrArray    *entries,
                                         GError      **error);

JsonNode   *nav_share_manifest_to_json  (GPtrArray    *entries);
GPtrArray  *nav_share_manifest_from_json (JsonArray   *array,
                                          GError     **error);

JsonObject *nav_share_message_parse     (const gchar  *text,
                                         gsize         len,
                                         const gchar **type,
                                         GError      **error);
gchar      *nav_share_message_build     (JsonObject   *object);

gchar      *nav_share_format_size       (guint64       bytes);

G_END_DECLS
