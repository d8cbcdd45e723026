/* dht-forge.c: a hostile DHT node for test-netns-dht.py forged
 *
 * Joins the DHT with an identity of its own and, for the room ROOM and
 * the victim peer VICTIM (its public key id), puts:
 *
 *   1. an unsigned announce in the room naming a made-up peer;
 *   2. an announce signed by the forger's key but naming VICTIM's
 *      partner: the key is not the one of the peer it names;
 *   3. an unsigned "offer" in VICTIM's inbox;
 *   4. an "offer" signed but not encrypted to VICTIM in its inbox.
 *
 * The values are in the exact wire form of NetAvanue's DHT backend
 * (GVariant "(usxb)" announces, "(utsss)" messages): only the
 * signatures are wrong.  Prints "forged" once every put was acknowledged.
 *
 * Usage: dht-forge BOOTSTRAP_HOST BOOTSTRAP_PORT ROOM VICTIM CLAIMED_PEER
 *
 * SPDX-License-Identifier: GPL-3.0-or-later (it links OpenDHT)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <opendht/opendht_c.h>

static gint pending;

static void
on_done (bool  ok,
         void *user_data)
{
  fprintf (stderr, "put %s: %s\n", (const char *) user_data, ok ? "stored" : "refused");
  g_atomic_int_dec_and_test (&pending);
}

static void
put (dht_runner  *runner,
     const gchar *key_text,
     GVariant    *v,
     gboolean     sign,
     const char  *what)
{
  dht_infohash key;
  dht_value *value;

  g_variant_ref_sink (v);
  dht_infohash_get_from_string (&key, key_text);
  key.d[0] &= 0x7f;     /* the client's keys are in the lower half (nav-dht-signaling-client.c) */
  value = dht_value_new (g_variant_get_data (v), g_variant_get_size (v));
  g_atomic_int_inc (&pending);
  if (sign)
    dht_runner_put_signed (runner, &key, value, on_done, (void *) what, false);
  else
    dht_runner_put (runner, &key, value, on_done, (void *) what, false);
  dht_value_unref (value);
  g_variant_unref (v);
}

int
main (int    argc,
      char **argv)
{
  dht_identity none = { NULL, NULL }, id;
  dht_runner_config config;
  dht_runner *runner;
  g_autofree gchar *room_key = NULL;
  g_autofree gchar *inbox_key = NULL;
  gint waited;

  if (argc != 6)
    {
      fprintf (stderr, "usage: %s BOOTSTRAP_HOST BOOTSTRAP_PORT ROOM VICTIM CLAIMED_PEER\n", argv[0]);
      return 2;
    }
  id = dht_identity_generate ("forger", &none);
  dht_runner_config_default (&config);
  config.dht_config.id = id;
  config.threaded = true;
  runner = dht_runner_new ();
  if (dht_runner_run_config (runner, 0, &config) != 0)
    return 1;
  dht_runner_bootstrap (runner, argv[1], argv[2]);
  sleep (1);
  room_key = g_strconcat ("netavanue-room:", argv[3], NULL);
  inbox_key = g_strconcat ("netavanue-inbox:", argv[4], NULL);
  put (runner, room_key, g_variant_new ("(usxb)", 1, "0123456789abcdef0123456789abcdef01234567",
                                        g_get_real_time (), TRUE), FALSE, "unsigned announce");
  put (runner, room_key, g_variant_new ("(usxb)", 1, argv[5], g_get_real_time (), TRUE), TRUE,
       "announce signed by another key");
  put (runner, inbox_key, g_variant_new ("(utsss)", 1, (guint64) 1, "offer", argv[3], "v=0\r\nforged\r\n"),
       FALSE, "unsigned offer");
  put (runner, inbox_key, g_variant_new ("(utsss)", 1, (guint64) 1, "offer", argv[3], "v=0\r\nforged\r\n"),
       TRUE, "signed offer not encrypted to the victim");
  for (waited = 0; g_atomic_int_get (&pending) > 0 && waited < 200; waited++)
    usleep (50000);
  printf ("forged\n");
  fflush (stdout);
  dht_runner_delete (runner);
  dht_identity_delete (&id);
  return g_atomic_int_get (&pending) == 0 ? 0 : 1;
}
