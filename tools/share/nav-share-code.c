/* nav-share-code.c: nav-share's codes
 *
 * A code is `N-word-word`: N (1 to 999) chooses the rendezvous slot (the
 * mDNS instance, the signaling room, the DHT key) and is public; the
 * words are the password the PAKE runs on (8 bits each, from the list
 * below: common English nouns written for this project).  A guess costs
 * an online attempt, and the sender allows one (nav-share-pake.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "nav-share-code.h"

/* Sorted: nav_share_word_index() searches it. */
static const gchar *const words[NAV_SHARE_WORDS] = {
  "acorn", "actor", "adult", "agent", "album", "alley", "amber", "anchor",
  "angle", "ankle", "anvil", "apple", "apron", "arena", "arrow", "atlas",
  "attic", "autumn", "avenue", "bacon", "badge", "badger", "bagel", "baker",
  "bamboo", "banana", "banjo", "barrel", "basket", "beacon", "beaver",
  "berry", "bicycle", "binder", "biscuit", "blanket", "blossom", "border",
  "bottle", "bracket", "branch", "breeze", "brick", "bridge", "bronze",
  "bubble", "bucket", "buffalo", "bundle", "butter", "button", "cabin",
  "cactus", "camel", "camera", "candle", "canoe", "canvas", "canyon",
  "carbon", "carpet", "carrot", "castle", "cattle", "cellar", "cement",
  "cherry", "chimney", "circle", "citrus", "clock", "clover", "cobalt",
  "coconut", "coffee", "collar", "comet", "copper", "coral", "cotton",
  "cradle", "crayon", "cricket", "daisy", "dancer", "dawn", "desert",
  "diamond", "dinner", "dolphin", "domino", "donkey", "dragon", "drawer",
  "dream", "eagle", "easel", "echo", "elbow", "ember", "engine", "falcon",
  "feather", "fence", "fiddle", "finger", "flute", "forest", "fossil",
  "fountain", "fox", "garden", "garlic", "gazelle", "ginger", "glacier",
  "goblet", "granite", "grape", "gravel", "guitar", "hammer", "harbor",
  "harvest", "hazel", "hedge", "helmet", "hermit", "honey", "hornet",
  "husky", "igloo", "island", "ivory", "jacket", "jaguar", "jasmine",
  "jelly", "jigsaw", "jungle", "kayak", "kettle", "kitten", "ladder",
  "lagoon", "lantern", "laptop", "lemon", "letter", "lilac", "linen",
  "lizard", "lobster", "locket", "magnet", "mango", "mantle", "maple",
  "marble", "meadow", "melon", "mirror", "mitten", "monkey", "mosaic",
  "mountain", "muffin", "mustard", "napkin", "nectar", "needle", "nickel",
  "noodle", "nutmeg", "oasis", "oatmeal", "ocean", "olive", "onion",
  "orange", "orchid", "otter", "oyster", "paddle", "palace", "panda",
  "paper", "parrot", "pebble", "pepper", "piano", "pickle", "pigeon",
  "pillow", "pilot", "pine", "planet", "pocket", "pony", "poppy", "potato",
  "pumpkin", "puzzle", "quartz", "quilt", "rabbit", "radish", "raven",
  "ribbon", "river", "rocket", "saddle", "salmon", "sandal", "satin",
  "scarf", "shadow", "shelter", "silver", "sketch", "sparrow", "spider",
  "spoon", "squirrel", "station", "stone", "summer", "sunset", "tablet",
  "teapot", "thunder", "tiger", "timber", "toast", "tomato", "tractor",
  "trumpet", "tulip", "tunnel", "turtle", "umbrella", "valley", "velvet",
  "violin", "volcano", "wagon", "walnut", "walrus", "wander", "willow",
  "window", "winter", "wizard", "yogurt", "zebra", "zipper",
};

const gchar *
nav_share_word (guint index)
{
  return index < NAV_SHARE_WORDS ? words[index] : NULL;
}

static gint
compare_word (gconstpointer key,
              gconstpointer element)
{
  return strcmp (key, *(const gchar *const *) element);
}

gint
nav_share_word_index (const gchar *word)
{
  const gchar *const *found = bsearch (word, words, NAV_SHARE_WORDS, sizeof words[0], compare_word);

  return found != NULL ? (gint) (found - words) : -1;
}

gchar *
nav_share_code_generate (guint n_words)
{
  GString *code = g_string_new (NULL);
  guint i;

  n_words = CLAMP (n_words, NAV_SHARE_MIN_WORDS, NAV_SHARE_MAX_WORDS);
  g_string_printf (code, "%u", 1 + randombytes_uniform (NAV_SHARE_SLOT_MAX));
  for (i = 0; i < n_words; i++)
    g_string_append_printf (code, "-%s", words[randombytes_uniform (NAV_SHARE_WORDS)]);
  return g_string_free (code, FALSE);
}

/* Lenient on what people type: case, spaces for dashes, surrounding
 * blanks. */
gboolean
nav_share_code_parse (const gchar  *code,
                      guint        *slot,
                      gchar       **password,
                      GError      **error)
{
  g_autofree gchar *lower = NULL;
  g_auto (GStrv) parts = NULL;
  guint64 number = 0;
  guint n, i;

  if (code == NULL || !g_utf8_validate (code, -1, NULL))
    goto bad;
  lower = g_strstrip (g_ascii_strdown (code, -1));
  g_strdelimit (lower, " _", '-');
  parts = g_strsplit (lower, "-", -1);
  n = g_strv_length (parts);
  if (n < 1 + NAV_SHARE_MIN_WORDS || n > 1 + NAV_SHARE_MAX_WORDS)
    goto bad;
  if (!g_ascii_string_to_unsigned (parts[0], 10, 1, NAV_SHARE_SLOT_MAX, &number, NULL))
    goto bad;
  for (i = 1; i < n; i++)
    if (nav_share_word_index (parts[i]) < 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("“%s” is not a word of nav-share's codes"), parts[i]);
        return FALSE;
      }
  *slot = (guint) number;
  *password = g_strjoinv ("-", parts + 1);
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("A code is a number and two or more words, such as 7-guitar-meadow"));
  return FALSE;
}

/* The words that start with @prefix, for a shell's completion. */
gchar *
nav_share_code_complete (const gchar *prefix)
{
  GString *out = g_string_new (NULL);
  gsize len = strlen (prefix);
  guint i;

  for (i = 0; i < NAV_SHARE_WORDS; i++)
    if (strncmp (words[i], prefix, len) == 0)
      g_string_append_printf (out, "%s%s", out->len > 0 ? " " : "", words[i]);
  return g_string_free (out, FALSE);
}
