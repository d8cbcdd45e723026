/* test-share-parts.c: nav-share's parts without a connection: codes,
 * the PAKE (agreement, a wrong code, tampered, replayed and
 * man-in-the-middle messages), the manifest (unsafe paths, link
 * escapes, garbage) and the sender's walk
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "nav-share-code.h"
#include "nav-share-files.h"
#include "nav-share-hash.h"
#include "nav-share-pake.h"
#include "nav-share-relay.h"

#define CI_SENDER "nav-share v1 AA:BB sender-fp CC:DD receiver-fp"

/* ------------------------------------------------------------ codes */

static void
test_words (void)
{
  guint i;

  for (i = 0; i + 1 < NAV_SHARE_WORDS; i++)
    {
      g_assert_cmpint (strcmp (nav_share_word (i), nav_share_word (i + 1)), <, 0);
      g_assert_cmpint (nav_share_word_index (nav_share_word (i)), ==, i);
    }
  g_assert_null (nav_share_word (NAV_SHARE_WORDS));
  g_assert_cmpint (nav_share_word_index ("notaword"), ==, -1);
}

static void
test_code (void)
{
  guint i;

  for (i = 0; i < 200; i++)
    {
      g_autofree gchar *code = nav_share_code_generate (2 + i % 3);
      g_autofree gchar *password = NULL;
      g_autoptr (GError) error = NULL;
      guint slot = 0;

      g_assert_true (nav_share_code_parse (code, &slot, &password, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (slot, >=, 1);
      g_assert_cmpuint (slot, <=, NAV_SHARE_SLOT_MAX);
      g_assert_true (g_str_has_suffix (code, password));
    }
}

static void
test_code_parse (void)
{
  const gchar *bad[] = { "", "7", "7-apple", "0-apple-river", "1000-apple-river", "x-apple-river",
                         "7-apple-notaword", "-7-apple-river", "7--apple", "7-apple-river-apple-river-apple-river-"
                         "apple-river-apple", "7-\xff\xfe-apple", NULL };
  g_autofree gchar *password = NULL;
  guint slot = 0, i;

  g_assert_true (nav_share_code_parse ("  42 Apple_RIVER ", &slot, &password, NULL));
  g_assert_cmpuint (slot, ==, 42);
  g_assert_cmpstr (password, ==, "apple-river");
  for (i = 0; bad[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *p = NULL;

      g_assert_false (nav_share_code_parse (bad[i], &slot, &p, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (p);
    }
}

/* ------------------------------------------------------------ the PAKE */

typedef struct {
  NavSharePake *a, *b;
  guint8 m1[NAV_SHARE_PAKE_MSG1_LEN];
  guint8 m2[NAV_SHARE_PAKE_MSG2_LEN];
  guint8 m3[NAV_SHARE_PAKE_MSG3_LEN];
} Run;

static void
run_init (Run         *run,
          const gchar *password_a,
          const gchar *password_b,
          const gchar *ci_a,
          const gchar *ci_b)
{
  run->a = nav_share_pake_new (TRUE, password_a, (const guint8 *) ci_a, strlen (ci_a));
  run->b = nav_share_pake_new (FALSE, password_b, (const guint8 *) ci_b, strlen (ci_b));
  nav_share_pake_message1 (run->a, run->m1);
}

static void
run_clear (Run *run)
{
  nav_share_pake_free (run->a);
  nav_share_pake_free (run->b);
}

static void
test_pake_agree (void)
{
  Run run;
  g_autoptr (GError) error = NULL;

  run_init (&run, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_null (nav_share_pake_get_key (run.a));
  g_assert_true (nav_share_pake_message2 (run.b, run.m1, sizeof run.m1, run.m2, &error));
  g_assert_no_error (error);
  g_assert_null (nav_share_pake_get_key (run.b));
  g_assert_true (nav_share_pake_message3 (run.a, run.m2, sizeof run.m2, run.m3, &error));
  g_assert_no_error (error);
  g_assert_true (nav_share_pake_finish (run.b, run.m3, sizeof run.m3, &error));
  g_assert_no_error (error);
  g_assert_nonnull (nav_share_pake_get_key (run.a));
  g_assert_cmpmem (nav_share_pake_get_key (run.a), NAV_SHARE_PAKE_KEY_LEN, nav_share_pake_get_key (run.b),
                   NAV_SHARE_PAKE_KEY_LEN);
  run_clear (&run);
}

/* Two runs with the same code make different keys. */
static void
test_pake_fresh (void)
{
  Run one, two;

  run_init (&one, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  run_init (&two, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_true (nav_share_pake_message2 (one.b, one.m1, sizeof one.m1, one.m2, NULL));
  g_assert_true (nav_share_pake_message3 (one.a, one.m2, sizeof one.m2, one.m3, NULL));
  g_assert_true (nav_share_pake_message2 (two.b, two.m1, sizeof two.m1, two.m2, NULL));
  g_assert_true (nav_share_pake_message3 (two.a, two.m2, sizeof two.m2, two.m3, NULL));
  g_assert_true (memcmp (nav_share_pake_get_key (one.a), nav_share_pake_get_key (two.a), NAV_SHARE_PAKE_KEY_LEN) != 0);
  g_assert_true (memcmp (one.m1, two.m1, sizeof one.m1) != 0);
  run_clear (&one);
  run_clear (&two);
}

static void
test_pake_wrong_code (void)
{
  Run run;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error_b = NULL;
  guint8 forged[NAV_SHARE_PAKE_MSG3_LEN] = { 0 };

  run_init (&run, "apple-river", "apple-raven", CI_SENDER, CI_SENDER);
  /* The receiver cannot tell yet: it answers. */
  g_assert_true (nav_share_pake_message2 (run.b, run.m1, sizeof run.m1, run.m2, NULL));
  g_assert_false (nav_share_pake_message3 (run.a, run.m2, sizeof run.m2, run.m3, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (nav_share_pake_get_key (run.a));
  /* Nor can it be told it won. */
  g_assert_false (nav_share_pake_finish (run.b, forged, sizeof forged, &error_b));
  g_assert_error (error_b, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (nav_share_pake_get_key (run.b));
  run_clear (&run);
}

/* A relay that put its own DTLS certificates in the middle: each end
 * sees other fingerprints, and the confirmation fails though the code
 * is right. */
static void
test_pake_mitm (void)
{
  Run run;
  g_autoptr (GError) error = NULL;

  run_init (&run, "apple-river", "apple-river", CI_SENDER, "nav-share v1 EE:FF mitm-fp CC:DD receiver-fp");
  g_assert_true (nav_share_pake_message2 (run.b, run.m1, sizeof run.m1, run.m2, NULL));
  g_assert_false (nav_share_pake_message3 (run.a, run.m2, sizeof run.m2, run.m3, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  run_clear (&run);
}

static void
test_pake_tampered (void)
{
  guint i;

  /* A bit flipped in each byte of message 1 or of message 2. */
  for (i = 0; i < NAV_SHARE_PAKE_MSG1_LEN + NAV_SHARE_PAKE_MSG2_LEN; i++)
    {
      Run run;
      g_autoptr (GError) error = NULL;
      gboolean ok;

      run_init (&run, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
      if (i < NAV_SHARE_PAKE_MSG1_LEN)
        run.m1[i] ^= 1 << (i % 8);
      ok = nav_share_pake_message2 (run.b, run.m1, sizeof run.m1, run.m2, &error);
      if (ok)
        {
          if (i >= NAV_SHARE_PAKE_MSG1_LEN)
            run.m2[i - NAV_SHARE_PAKE_MSG1_LEN] ^= 1 << (i % 8);
          ok = nav_share_pake_message3 (run.a, run.m2, sizeof run.m2, run.m3, &error);
        }
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      run_clear (&run);
    }
}

/* Messages of an earlier run, played again. */
static void
test_pake_replay (void)
{
  Run old, now;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error_b = NULL;

  run_init (&old, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_true (nav_share_pake_message2 (old.b, old.m1, sizeof old.m1, old.m2, NULL));
  g_assert_true (nav_share_pake_message3 (old.a, old.m2, sizeof old.m2, old.m3, NULL));

  /* The old answer to a new sender. */
  run_init (&now, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_false (nav_share_pake_message3 (now.a, old.m2, sizeof old.m2, now.m3, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  run_clear (&now);

  /* The old first message and confirmation to a new receiver. */
  run_init (&now, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_true (nav_share_pake_message2 (now.b, old.m1, sizeof old.m1, now.m2, NULL));
  g_assert_false (nav_share_pake_finish (now.b, old.m3, sizeof old.m3, &error_b));
  g_assert_error (error_b, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  run_clear (&now);
  run_clear (&old);
}

static void
test_pake_bad_points (void)
{
  guint8 zeros[NAV_SHARE_PAKE_MSG2_LEN] = { 0 };
  guint8 ones[NAV_SHARE_PAKE_MSG2_LEN];
  Run run;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;

  memset (ones, 0xff, sizeof ones);
  /* The identity (all zeros) and a non-canonical encoding. */
  run_init (&run, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_false (nav_share_pake_message3 (run.a, zeros, sizeof zeros, run.m3, &e1));
  g_assert_nonnull (e1);
  run_clear (&run);
  run_init (&run, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_false (nav_share_pake_message3 (run.a, ones, sizeof ones, run.m3, &e2));
  g_assert_nonnull (e2);
  run_clear (&run);
  /* A wrong length. */
  run_init (&run, "apple-river", "apple-river", CI_SENDER, CI_SENDER);
  g_assert_false (nav_share_pake_message2 (run.b, run.m1, sizeof run.m1 - 1, run.m2, &e3));
  g_assert_nonnull (e3);
  run_clear (&run);
}

/* ------------------------------------------------------------ the manifest */

static void
test_paths (void)
{
  const gchar *safe[] = { "a", "a/b", "dir/sub/file.txt", "é/ü", ".hidden", "a..b", NULL };
  const gchar *unsafe[] = { "", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "./a", "..",
                            "a\\b", "a\nb", "x.part", "a\x01", "\xff", NULL };
  guint i;

  for (i = 0; safe[i] != NULL; i++)
    g_assert_true (nav_share_path_is_safe (safe[i]));
  for (i = 0; unsafe[i] != NULL; i++)
    g_assert_false (nav_share_path_is_safe (unsafe[i]));
  g_assert_true (nav_share_link_is_safe ("d/link", "a.txt"));
  g_assert_true (nav_share_link_is_safe ("d/e/link", "../a.txt"));
  g_assert_true (nav_share_link_is_safe ("d/link", "../d/a"));
  g_assert_false (nav_share_link_is_safe ("d/link", "../../a"));
  g_assert_false (nav_share_link_is_safe ("link", "../a"));
  g_assert_false (nav_share_link_is_safe ("d/link", "/etc/passwd"));
  g_assert_false (nav_share_link_is_safe ("d/link", ""));
  g_assert_false (nav_share_link_is_safe ("d/e/link", "x/../../../../etc"));
}

static GPtrArray *
parse_manifest (const gchar *json,
                GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return nav_share_manifest_from_json (json_node_get_array (json_parser_get_root (parser)), error);
}

static void
test_manifest (void)
{
  const struct {
    const gchar *json;
    gboolean parses;
    gboolean safe;
  } cases[] = {
    { "[{\"p\":\"d\",\"k\":\"d\",\"m\":493,\"t\":0,\"s\":0},"
      "{\"p\":\"d/f\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5},"
      "{\"p\":\"d/l\",\"k\":\"l\",\"m\":511,\"t\":1,\"s\":0,\"l\":\"f\"}]", TRUE, TRUE },
    { "[{\"p\":\"../x\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5}]", TRUE, FALSE },
    { "[{\"p\":\"/etc/x\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5}]", TRUE, FALSE },
    { "[{\"p\":\"l\",\"k\":\"l\",\"m\":511,\"t\":1,\"s\":0,\"l\":\"/etc\"}]", TRUE, FALSE },
    { "[{\"p\":\"l\",\"k\":\"l\",\"m\":511,\"t\":1,\"s\":0,\"l\":\"..\"}]", TRUE, FALSE },
    /* A link to a directory inside, then a file through it. */
    { "[{\"p\":\"l\",\"k\":\"l\",\"m\":511,\"t\":1,\"s\":0,\"l\":\"d\"},"
      "{\"p\":\"l/f\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5}]", TRUE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5},"
      "{\"p\":\"a\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5}]", TRUE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"x\",\"m\":420,\"t\":1,\"s\":5}]", FALSE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"f\",\"m\":-1,\"t\":1,\"s\":5}]", FALSE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"f\",\"m\":420,\"t\":1,\"s\":-5}]", FALSE, FALSE },
    { "[{\"p\":7,\"k\":\"f\",\"m\":420,\"t\":1,\"s\":5}]", FALSE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"f\",\"m\":\"420\",\"t\":1,\"s\":5}]", FALSE, FALSE },
    { "[{\"p\":\"a\",\"k\":\"l\",\"m\":420,\"t\":1,\"s\":5}]", FALSE, FALSE },
    { "[7]", FALSE, FALSE },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) entries = parse_manifest (cases[i].json, &error);

      g_test_message ("case %u: %s", i, cases[i].json);
      g_assert_true ((entries != NULL) == cases[i].parses);
      if (entries == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          continue;
        }
      g_assert_true (nav_share_check_manifest (entries, &error) == cases[i].safe);
      if (!cases[i].safe)
        g_assert_nonnull (error);
    }
}

/* Garbage on the control channel: an error, never a crash. */
static void
test_garbage (void)
{
  const gchar *texts[] = { "", "{", "[]", "{}", "{\"t\":7}", "null", "{\"t\":\"offer\"", "\xff\xfe", NULL };
  guint i;

  for (i = 0; texts[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      const gchar *type = NULL;

      g_assert_null (nav_share_message_parse (texts[i], strlen (texts[i]), &type, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  for (i = 0; i < 2000; i++)
    {
      guint8 buffer[256];
      gsize len = g_random_int_range (0, sizeof buffer);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = NULL;
      const gchar *type = NULL;
      guint j;

      for (j = 0; j < len; j++)
        buffer[j] = (guint8) g_random_int_range (0, 256);
      /* Sometimes the start of a real message. */
      if (i % 2 == 0 && len > 8)
        memcpy (buffer, "{\"t\":\"of", 8);
      object = nav_share_message_parse ((const gchar *) buffer, len, &type, &error);
      g_assert_true (object != NULL || error != NULL);
    }
}

/* ------------------------------------------------------------ hashes */

/* The digest of a prefix leaves the hash going (resume hashes the kept
 * part, then goes on), and agrees with GLib's SHA-256. */
static void
test_hash (void)
{
  g_autofree guint8 *data = g_malloc (300000);
  g_autofree gchar *whole = NULL;
  g_autofree gchar *prefix = NULL;
  gchar hex[NAV_SHARE_HASH_HEX_LEN];
  NavShareHash hash;
  guint i;

  for (i = 0; i < 300000; i++)
    data[i] = (guint8) (i * 7 + i / 251);
  whole = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, 300000);
  prefix = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, 123457);
  nav_share_hash_init (&hash);
  nav_share_hash_update (&hash, data, 123457);
  nav_share_hash_hex (&hash, hex);
  g_assert_cmpstr (hex, ==, prefix);
  nav_share_hash_update (&hash, data + 123457, 300000 - 123457);
  nav_share_hash_hex (&hash, hex);
  g_assert_cmpstr (hex, ==, whole);
  nav_share_hash_hex (&hash, hex);
  g_assert_cmpstr (hex, ==, whole);
}

/* ------------------------------------------------------------ the walk */

static void
test_walk (void)
{
  g_autofree gchar *root = g_dir_make_tmp ("share-walk-XXXXXX", NULL);
  g_autofree gchar *tree = g_build_filename (root, "tree", NULL);
  g_autofree gchar *sub = g_build_filename (tree, "sub", NULL);
  g_autofree gchar *file = g_build_filename (sub, "a.txt", NULL);
  g_autofree gchar *inside = g_build_filename (sub, "inside", NULL);
  g_autofree gchar *escape = g_build_filename (tree, "escape", NULL);
  g_autofree gchar *absolute = g_build_filename (tree, "absolute", NULL);
  const gchar *args[] = { tree, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  guint skipped = 0, i;
  const gchar *expected[] = { "tree", "tree/sub", "tree/sub/a.txt", "tree/sub/inside", NULL };

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file, "hello", 5, NULL));
  g_assert_cmpint (chmod (file, 0640), ==, 0);
  g_assert_cmpint (symlink ("a.txt", inside), ==, 0);
  g_assert_cmpint (symlink ("../../outside", escape), ==, 0);
  g_assert_cmpint (symlink ("/etc/passwd", absolute), ==, 0);

  entries = nav_share_walk (args, &skipped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (skipped, ==, 2);
  g_assert_cmpuint (entries->len, ==, 4);
  for (i = 0; i < entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (entries, i);

      g_assert_cmpstr (e->path, ==, expected[i]);
      if (i == 2)
        {
          g_assert_cmpint (e->kind, ==, NAV_SHARE_FILE);
          g_assert_cmpuint (e->size, ==, 5);
          g_assert_cmpuint (e->mode, ==, 0640);
        }
      if (i == 3)
        g_assert_cmpstr (e->target, ==, "a.txt");
    }
  g_assert_true (nav_share_check_manifest (entries, NULL));

  unlink (absolute);
  unlink (escape);
  unlink (inside);
  unlink (file);
  rmdir (sub);
  rmdir (tree);
  rmdir (root);
}

/* Both ends derive the same relay session and token from the offer and
 * the answer, whichever is theirs; other credentials give others. */
static void
test_relay_credentials (void)
{
  const gchar *offer = "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef01234567\r\n";
  const gchar *answer = "v=0\r\na=ice-ufrag:wxyz\r\na=ice-pwd:zyxwvutsrqponmlkjihgfedc\r\n";
  const gchar *other = "v=0\r\na=ice-ufrag:wxyz\r\na=ice-pwd:ZYXWVUTSRQPONMLKJIHGFEDC\r\n";
  g_autofree gchar *s1 = NULL, *t1 = NULL, *s2 = NULL, *t2 = NULL, *s3 = NULL, *t3 = NULL;
  gchar *s4 = NULL, *t4 = NULL;

  g_assert_true (nav_share_relay_credentials (offer, answer, &s1, &t1));
  g_assert_true (nav_share_relay_credentials (answer, offer, &s2, &t2));
  g_assert_cmpstr (s1, ==, s2);
  g_assert_cmpstr (t1, ==, t2);
  g_assert_cmpuint (strlen (s1), ==, 64);
  g_assert_cmpuint (strlen (t1), ==, 64);
  g_assert_cmpstr (s1, !=, t1);
  /* Same ufrags, another password: the same session, another token. */
  g_assert_true (nav_share_relay_credentials (offer, other, &s3, &t3));
  g_assert_cmpstr (s3, ==, s1);
  g_assert_cmpstr (t3, !=, t1);
  /* No credentials, no relay. */
  g_assert_false (nav_share_relay_credentials ("v=0\r\n", answer, &s4, &t4));
  g_assert_null (s4);
}

static void
test_relay_url (void)
{
  g_autofree gchar *a = nav_share_relay_url_for_signal ("ws://198.18.1.2:8080/");
  g_autofree gchar *b = nav_share_relay_url_for_signal ("ws://example.org/rooms");
  g_autofree gchar *c = nav_share_relay_url_for_signal ("wss://example.org/");
  g_autofree gchar *f = nav_share_relay_url_for_signal ("wss://198.18.1.2:8443/x");
  g_autofree gchar *d = nav_share_relay_url_for_signal ("dht:///");
  g_autofree gchar *e = nav_share_relay_url_for_signal (NULL);

  g_assert_cmpstr (a, ==, "ws://198.18.1.2:8080/relay");
  g_assert_cmpstr (b, ==, "ws://example.org/relay");
  g_assert_cmpstr (c, ==, "wss://example.org/relay");
  g_assert_cmpstr (f, ==, "wss://198.18.1.2:8443/relay");
  g_assert_null (d);
  g_assert_null (e);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (nav_share_pake_init ());
  g_test_add_func ("/share/relay/credentials", test_relay_credentials);
  g_test_add_func ("/share/relay/url", test_relay_url);
  g_test_add_func ("/share/words", test_words);
  g_test_add_func ("/share/code", test_code);
  g_test_add_func ("/share/code-parse", test_code_parse);
  g_test_add_func ("/share/pake/agree", test_pake_agree);
  g_test_add_func ("/share/pake/fresh", test_pake_fresh);
  g_test_add_func ("/share/pake/wrong-code", test_pake_wrong_code);
  g_test_add_func ("/share/pake/mitm", test_pake_mitm);
  g_test_add_func ("/share/pake/tampered", test_pake_tampered);
  g_test_add_func ("/share/pake/replay", test_pake_replay);
  g_test_add_func ("/share/pake/bad-points", test_pake_bad_points);
  g_test_add_func ("/share/paths", test_paths);
  g_test_add_func ("/share/manifest", test_manifest);
  g_test_add_func ("/share/garbage", test_garbage);
  g_test_add_func ("/share/hash", test_hash);
  g_test_add_func ("/share/walk", test_walk);
  return g_test_run ();
}
