/* nav-share-code.h: nav-share's codes, `N-word-word`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NAV_SHARE_WORDS 256
#define NAV_SHARE_SLOT_MAX 999
#define NAV_SHARE_MIN_WORDS 2
#define NAV_SHARE_MAX_WORDS 8

const gchar *nav_share_word (guint index);
gint         nav_share_word_index (const gchar *word);

gchar       *nav_share_code_generate (guint n_words);
gboolean     nav_share_code_parse    (const gchar  *code,
                                      guint        *slot,
                                      gchar       **password,
                                      GError      **error);
gchar       *nav_share_code_complete (const gchar *prefix);

G_END_DECLS
