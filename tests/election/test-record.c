/* test-record.c: signed capability records: the codec, the score, and
 * every refusal (forged, replayed, stale, impossible, garbage) counted
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <netavanue/netavanue.h>

#include "nav-election-private.h"

static NavCapabilityClaims
laptop_claims (void)
{
  NavCapabilityClaims c = {
    .cpu_count = 8, .memory_mb = 16384, .battery_percent = 80, .charging = FALSE,
    .desktop = FALSE, .network_type = NAV_NETWORK_TYPE_WIFI, .bandwidth_kbps = 100000,
    .screen_width = 1920, .codec_count = 4, .nat_type = 2,
  };
  return c;
}

static NavCapabilityRecord
make_record (NavDeviceIdentity *id,
             NavRecordKind      kind,
             guint64            sequence,
             guint64            epoch)
{
  NavCapabilityRecord r = { 0 };
  g_autoptr (GBytes) key = nav_device_identity_get_public_key (id);

  r.kind = kind;
  memcpy (r.public_key, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  r.sequence = sequence;
  r.epoch = epoch;
  r.timestamp_ms = g_get_real_time () / 1000;
  r.claims = laptop_claims ();
  return r;
}

/* The plan's formula, term by term. */
static void
test_score (void)
{
  NavCapabilityClaims c = laptop_claims ();

  /* 8×10 + 16384/100 + 80×2 + 100×5 + 0 + 0 + 1920/10 + 4×15 */
  g_assert_cmpuint (nav_capability_claims_default_score (&c), ==,
                    80 + 163 + 160 + 500 + 192 + 60);
  c.charging = TRUE;
  g_assert_cmpuint (nav_capability_claims_default_score (&c), ==,
                    80 + 163 + 200 + 500 + 192 + 60);
  c.battery_percent = NAV_BATTERY_NONE;
  c.charging = FALSE;
  c.desktop = TRUE;
  c.network_type = NAV_NETWORK_TYPE_ETHERNET;
  g_assert_cmpuint (nav_capability_claims_default_score (&c), ==,
                    80 + 163 + 200 + 500 + 100 + 50 + 192 + 60);

  c = laptop_claims ();
  g_assert_false (nav_capability_claims_is_degraded (&c, 20));
  c.battery_percent = 19;
  g_assert_true (nav_capability_claims_is_degraded (&c, 20));
  c.charging = TRUE;
  g_assert_false (nav_capability_claims_is_degraded (&c, 20));
}

static void
test_roundtrip (void)
{
  g_autoptr (NavDeviceIdentity) id = nav_device_identity_new_ephemeral ();
  NavCapabilityRecord r = make_record (id, NAV_RECORD_KIND_HUB, 42, 7);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (NavCapabilityRecord) back = NULL;
  g_autoptr (GError) error = NULL;
  guint8 a[NAV_CAPABILITY_RECORD_SIZE], b[NAV_CAPABILITY_RECORD_SIZE];

  memcpy (r.hub_key, r.public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  bytes = nav_capability_record_sign (&r, id);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, NAV_CAPABILITY_RECORD_SIZE);
  back = nav_capability_record_parse (bytes, NULL, &error);
  g_assert_no_error (error);
  /* Field by field: the structures' padding is not compared. */
  g_assert_cmpint (back->kind, ==, r.kind);
  g_assert_cmpuint (back->sequence, ==, 42);
  g_assert_cmpuint (back->epoch, ==, 7);
  g_assert_cmpint (back->timestamp_ms, ==, r.timestamp_ms);
  g_assert_cmpmem (back->public_key, 32, r.public_key, 32);
  g_assert_cmpmem (back->hub_key, 32, r.hub_key, 32);
  g_assert_cmpuint (back->claims.cpu_count, ==, 8);
  g_assert_cmpuint (back->claims.memory_mb, ==, 16384);
  g_assert_cmpuint (back->claims.battery_percent, ==, 80);
  g_assert_false (back->claims.charging);
  g_assert_cmpuint (back->claims.bandwidth_kbps, ==, 100000);
  g_assert_cmpuint (back->claims.screen_width, ==, 1920);
  g_assert_cmpuint (back->claims.codec_count, ==, 4);
  g_assert_cmpuint (back->claims.nat_type, ==, 2);
  g_assert_cmpuint (back->claims.network_type, ==, NAV_NETWORK_TYPE_WIFI);
  /* And the same bytes again. */
  nav_capability_record_encode_unsigned (&r, a);
  nav_capability_record_encode_unsigned (back, b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
}

static void
assert_refused (GBytes           *bytes,
                NavRecordRefusal  expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavCapabilityRecord) r = NULL;
  NavRecordRefusal reason = NAV_RECORD_REFUSAL_LAST;

  r = nav_capability_record_parse (bytes, &reason, &error);
  g_assert_null (r);
  g_assert_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_INVALID_RECORD);
  g_assert_cmpstr (nav_record_refusal_to_string (reason), ==,
                   nav_record_refusal_to_string (expected));
}

/* A member signing with a key other than the one in its record, a bit
 * flipped anywhere, a wrong size, and an impossible claim. */
static void
test_parse_refusals (void)
{
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) b = nav_device_identity_new_ephemeral ();
  NavCapabilityRecord r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 1, 0);
  guint8 raw[NAV_CAPABILITY_RECORD_SIZE];
  g_autoptr (GBytes) good = nav_capability_record_sign (&r, a);
  gsize i;

  /* A's public key in the record, B's signature. */
  nav_capability_record_encode_unsigned (&r, raw);
  nav_device_identity_sign_raw (b, raw, NAV_CAPABILITY_RECORD_SIZE - NAV_DEVICE_SIGNATURE_SIZE,
                                raw + NAV_CAPABILITY_RECORD_SIZE - NAV_DEVICE_SIGNATURE_SIZE);
  {
    g_autoptr (GBytes) forged = g_bytes_new (raw, sizeof raw);
    assert_refused (forged, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
  }

  /* Every signed byte is covered (the header bytes may fail as malformed
   * first). */
  for (i = 8; i < NAV_CAPABILITY_RECORD_SIZE; i++)
    {
      g_autoptr (GBytes) bad = NULL;

      memcpy (raw, g_bytes_get_data (good, NULL), sizeof raw);
      raw[i] ^= 0x40;
      if (i == 71)
        continue;   /* flags: reserved bits make it malformed, below */
      bad = g_bytes_new (raw, sizeof raw);
      assert_refused (bad, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
    }
  memcpy (raw, g_bytes_get_data (good, NULL), sizeof raw);
  raw[71] |= 0x80;
  {
    g_autoptr (GBytes) bad = g_bytes_new (raw, sizeof raw);
    assert_refused (bad, NAV_RECORD_REFUSAL_MALFORMED);
  }
  {
    g_autoptr (GBytes) shorter = g_bytes_new (g_bytes_get_data (good, NULL),
                                              NAV_CAPABILITY_RECORD_SIZE - 1);
    g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
    assert_refused (shorter, NAV_RECORD_REFUSAL_MALFORMED);
    assert_refused (empty, NAV_RECORD_REFUSAL_MALFORMED);
  }

  /* Impossible claims, properly signed. */
  {
    NavCapabilityRecord imp = r;
    g_autoptr (GBytes) b1 = NULL, b2 = NULL, b3 = NULL, b4 = NULL;

    imp.claims.cpu_count = 5000;
    b1 = nav_capability_record_sign (&imp, a);
    assert_refused (b1, NAV_RECORD_REFUSAL_IMPOSSIBLE);
    imp = r;
    imp.claims.battery_percent = 150;
    b2 = nav_capability_record_sign (&imp, a);
    assert_refused (b2, NAV_RECORD_REFUSAL_IMPOSSIBLE);
    imp = r;
    imp.claims.bandwidth_kbps = G_MAXUINT32;
    b3 = nav_capability_record_sign (&imp, a);
    assert_refused (b3, NAV_RECORD_REFUSAL_IMPOSSIBLE);
    imp = r;
    imp.claims.cpu_count = 0;
    b4 = nav_capability_record_sign (&imp, a);
    assert_refused (b4, NAV_RECORD_REFUSAL_IMPOSSIBLE);
  }
}

static NavElection *
started_election (NavDeviceIdentity *id)
{
  NavElection *e = nav_election_new (id);
  NavCapabilityClaims c = laptop_claims ();

  nav_election_set_claims (e, &c);
  nav_election_start (e, g_get_monotonic_time ());
  return e;
}

/* At a member: replay, lower sequence, stale timestamp, a sender that
 * switches keys; each refused and counted, and the member unharmed. */
static void
test_replay_and_freshness (void)
{
  g_autoptr (NavDeviceIdentity) me = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) b = nav_device_identity_new_ephemeral ();
  g_autoptr (NavElection) e = started_election (me);
  NavCapabilityRecord r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 100, 0);
  g_autoptr (GBytes) first = nav_capability_record_sign (&r, a);
  g_autoptr (GBytes) lower = NULL, stale = NULL, future = NULL, next = NULL, other = NULL;
  NavRecordRefusal reason;
  gint64 now = g_get_monotonic_time ();

  g_assert_true (nav_election_receive (e, "peer-a", first, now, NULL));
  g_assert_cmpuint (nav_election_get_member_count (e), ==, 2);

  /* The same record again. */
  g_assert_false (nav_election_receive (e, "peer-a", first, now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_REPLAY);
  /* A lower sequence number, freshly signed. */
  r.sequence = 99;
  lower = nav_capability_record_sign (&r, a);
  g_assert_false (nav_election_receive (e, "peer-a", lower, now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_REPLAY);
  g_assert_cmpuint (nav_election_get_refusals (e, NAV_RECORD_REFUSAL_REPLAY), ==, 2);

  /* Outside the freshness window, either way. */
  r.sequence = 101;
  r.timestamp_ms -= 60000;
  stale = nav_capability_record_sign (&r, a);
  g_assert_false (nav_election_receive (e, "peer-a", stale, now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_STALE);
  r.timestamp_ms += 120000;
  future = nav_capability_record_sign (&r, a);
  g_assert_false (nav_election_receive (e, "peer-a", future, now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_STALE);
  g_assert_cmpuint (nav_election_get_refusals (e, NAV_RECORD_REFUSAL_STALE), ==, 2);

  /* The sender peer-a is bound to A's key: B's valid record through it
   * is refused. */
  {
    NavCapabilityRecord rb = make_record (b, NAV_RECORD_KIND_CAPABILITY, 1, 0);
    other = nav_capability_record_sign (&rb, b);
  }
  g_assert_false (nav_election_receive (e, "peer-a", other, now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_WRONG_KEY);
  g_assert_cmpuint (nav_election_get_refusals (e, NAV_RECORD_REFUSAL_WRONG_KEY), ==, 1);
  g_assert_true (nav_election_receive (e, "peer-b", other, now, NULL));

  /* A's next record is still accepted. */
  r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 101, 0);
  next = nav_capability_record_sign (&r, a);
  g_assert_true (nav_election_receive (e, "peer-a", next, now, NULL));
  g_assert_cmpuint (nav_election_get_member_count (e), ==, 3);
}

/* Garbage and mutations of valid records: all refused, all counted,
 * nothing crashes (the fuzz target does the same without end). */
static void
test_garbage (void)
{
  g_autoptr (NavDeviceIdentity) me = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavElection) e = started_election (me);
  NavCapabilityRecord r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 1, 0);
  g_autoptr (GBytes) good = nav_capability_record_sign (&r, a);
  GRand *rand = g_rand_new_with_seed (18);
  guint64 total = 0;
  guint i, k;

  for (i = 0; i < 2000; i++)
    {
      guint8 buf[2 * NAV_CAPABILITY_RECORD_SIZE];
      gsize len;
      g_autoptr (GBytes) bytes = NULL;

      if (i % 2 == 0)
        {
          len = g_rand_int_range (rand, 0, sizeof buf);
          for (k = 0; k < len; k++)
            buf[k] = g_rand_int (rand);
          if (len >= 4 && i % 4 == 0)
            memcpy (buf, "NVCR", 4);
        }
      else
        {
          len = NAV_CAPABILITY_RECORD_SIZE;
          memcpy (buf, g_bytes_get_data (good, NULL), len);
          for (k = 0; k < 1 + i % 5; k++)
            buf[g_rand_int_range (rand, 0, len)] ^= 1 << g_rand_int_range (rand, 0, 8);
        }
      bytes = g_bytes_new (buf, len);
      g_assert_false (nav_election_receive (e, NULL, bytes, g_get_monotonic_time (), NULL));
    }
  for (k = 0; k < NAV_RECORD_REFUSAL_LAST; k++)
    total += nav_election_get_refusals (e, k);
  g_assert_cmpuint (total, ==, 2000);
  g_assert_cmpuint (nav_election_get_refusals (e, NAV_RECORD_REFUSAL_MALFORMED), >, 0);
  g_assert_cmpuint (nav_election_get_refusals (e, NAV_RECORD_REFUSAL_BAD_SIGNATURE), >, 0);
  g_assert_cmpuint (nav_election_get_member_count (e), ==, 1);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record/score", test_score);
  g_test_add_func ("/record/roundtrip", test_roundtrip);
  g_test_add_func ("/record/parse-refusals", test_parse_refusals);
  g_test_add_func ("/record/replay-and-freshness", test_replay_and_freshness);
  g_test_add_func ("/record/garbage", test_garbage);
  return g_test_run ();
}
