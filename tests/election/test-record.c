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
  guint8 a[NAV_CAPABILITY_RECORD_MAX_SIZE], b[NAV_CAPABILITY_RECORD_MAX_SIZE];
  gsize la, lb;

  memcpy (r.hub_key, r.public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  bytes = nav_capability_record_sign (&r, id);
  /* Version 2: the fixed part, an empty list, the signature. */
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 114 + 1 + 64);
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
  g_assert_false (back->claims.reachable);
  g_assert_cmpuint (back->reached_count, ==, 0);
  /* And the same bytes again. */
  la = nav_capability_record_encode_unsigned (&r, a);
  lb = nav_capability_record_encode_unsigned (back, b);
  g_assert_cmpmem (a, la, b, lb);
}

/* The reachable flag and the list of members reached directly. */
static void
test_reached_roundtrip (void)
{
  g_autoptr (NavDeviceIdentity) id = nav_device_identity_new_ephemeral ();
  NavCapabilityRecord r = make_record (id, NAV_RECORD_KIND_CAPABILITY, 5, 1);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (NavCapabilityRecord) back = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *ids[3] = {
    "00112233445566778899aabbccddeeff",
    "ffeeddccbbaa99887766554433221100",
    "0011223344556677ffffffffffffffff",   /* the first one's prefix */
  };
  guint8 a[NAV_CAPABILITY_RECORD_MAX_SIZE], b[NAV_CAPABILITY_RECORD_MAX_SIZE];
  gsize la, lb;
  guint i;

  r.claims.reachable = TRUE;
  g_assert_true (nav_capability_record_add_reached (&r, ids[0]));
  g_assert_true (nav_capability_record_add_reached (&r, ids[1]));
  g_assert_false (nav_capability_record_add_reached (&r, "not a device id"));
  g_assert_false (nav_capability_record_add_reached (&r, "0011223344556Z778899aabbccddeeff"));
  g_assert_cmpuint (r.reached_count, ==, 2);
  bytes = nav_capability_record_sign (&r, id);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 114 + 1 + 2 * 8 + 64);
  back = nav_capability_record_parse (bytes, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (back->claims.reachable);
  g_assert_cmpuint (back->reached_count, ==, 2);
  g_assert_true (nav_capability_record_lists_reached (back, ids[0]));
  g_assert_true (nav_capability_record_lists_reached (back, ids[1]));
  /* By prefix: an id that shares the first 8 bytes matches (a second
   * preimage of 64 bits of SHA-256 to forge one). */
  g_assert_true (nav_capability_record_lists_reached (back, ids[2]));
  g_assert_false (nav_capability_record_lists_reached (back, nav_device_identity_get_device_id (id)));
  g_assert_false (nav_capability_record_lists_reached (back, "short"));
  la = nav_capability_record_encode_unsigned (&r, a);
  lb = nav_capability_record_encode_unsigned (back, b);
  g_assert_cmpmem (a, la, b, lb);

  /* A full list, and no more. */
  g_clear_pointer (&back, nav_capability_record_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  r.reached_count = 0;
  for (i = 0; i < NAV_CAPABILITY_RECORD_MAX_REACHED; i++)
    {
      g_autofree gchar *one = g_strdup_printf ("%032x", i);

      g_assert_true (nav_capability_record_add_reached (&r, one));
    }
  g_assert_false (nav_capability_record_add_reached (&r, ids[1]));
  bytes = nav_capability_record_sign (&r, id);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 114 + 1 + NAV_CAPABILITY_RECORD_MAX_REACHED * 8 + 64);
  g_assert_cmpuint (g_bytes_get_size (bytes), <=, NAV_CAPABILITY_RECORD_MAX_SIZE);
  back = nav_capability_record_parse (bytes, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->reached_count, ==, NAV_CAPABILITY_RECORD_MAX_REACHED);
  g_assert_false (nav_capability_record_lists_reached (back, ids[1]));
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
  guint8 raw[NAV_CAPABILITY_RECORD_MAX_SIZE];
  g_autoptr (GBytes) good = NULL;
  gsize i, size;

  /* With two members reached: the list is signed too. */
  r.claims.reachable = TRUE;
  nav_capability_record_add_reached (&r, "00112233445566778899aabbccddeeff");
  nav_capability_record_add_reached (&r, "ffeeddccbbaa99887766554433221100");
  good = nav_capability_record_sign (&r, a);
  size = g_bytes_get_size (good);

  /* A's public key in the record, B's signature. */
  g_assert_cmpuint (nav_capability_record_encode_unsigned (&r, raw), ==, size);
  nav_device_identity_sign_raw (b, raw, size - NAV_DEVICE_SIGNATURE_SIZE,
                                raw + size - NAV_DEVICE_SIGNATURE_SIZE);
  {
    g_autoptr (GBytes) forged = g_bytes_new (raw, size);
    assert_refused (forged, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
  }

  /* Every signed byte is covered (the header bytes may fail as malformed
   * first). */
  for (i = 8; i < size; i++)
    {
      g_autoptr (GBytes) bad = NULL;

      memcpy (raw, g_bytes_get_data (good, NULL), size);
      raw[i] ^= 0x40;
      if (i == 71 || i == 114)
        continue;   /* flags and the list's length: malformed, below */
      bad = g_bytes_new (raw, size);
      assert_refused (bad, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
    }
  memcpy (raw, g_bytes_get_data (good, NULL), size);
  raw[71] |= 0x80;
  {
    g_autoptr (GBytes) bad = g_bytes_new (raw, size);
    assert_refused (bad, NAV_RECORD_REFUSAL_MALFORMED);
  }
  /* A list longer than the record, or than allowed. */
  memcpy (raw, g_bytes_get_data (good, NULL), size);
  raw[114] = 3;
  {
    g_autoptr (GBytes) bad = g_bytes_new (raw, size);
    assert_refused (bad, NAV_RECORD_REFUSAL_MALFORMED);
  }
  raw[114] = NAV_CAPABILITY_RECORD_MAX_REACHED + 1;
  {
    g_autoptr (GBytes) bad = g_bytes_new (raw, size);
    assert_refused (bad, NAV_RECORD_REFUSAL_MALFORMED);
  }
  /* A shorter list than sent: the rest is read as extensions, whose
   * bytes are signed as the list's were. */
  raw[114] = 1;
  {
    g_autoptr (GBytes) bad = g_bytes_new (raw, size);
    assert_refused (bad, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
  }
  /* Larger than any record. */
  {
    guint8 big[NAV_CAPABILITY_RECORD_MAX_SIZE + 1] = { 0 };
    g_autoptr (GBytes) bad = NULL;

    memcpy (big, g_bytes_get_data (good, NULL), size);
    bad = g_bytes_new (big, sizeof big);
    assert_refused (bad, NAV_RECORD_REFUSAL_MALFORMED);
  }
  {
    g_autoptr (GBytes) shorter = g_bytes_new (g_bytes_get_data (good, NULL), size - 1);
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
  g_autoptr (GBytes) good = NULL;
  GRand *rand = g_rand_new_with_seed (18);
  guint64 total = 0;
  guint i, k;

  r.claims.reachable = TRUE;
  nav_capability_record_add_reached (&r, nav_device_identity_get_device_id (me));
  nav_capability_record_add_reached (&r, "ffeeddccbbaa99887766554433221100");
  good = nav_capability_record_sign (&r, a);
  for (i = 0; i < 2000; i++)
    {
      guint8 buf[NAV_CAPABILITY_RECORD_MAX_SIZE + 64];
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
          len = g_bytes_get_size (good);
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
  /* No mutation made anyone reachable. */
  g_assert_false (nav_election_is_member_reachable (e, nav_device_identity_get_device_id (me)));
  g_rand_free (rand);
}

/* What members of the previous version send: 178 bytes, no list. */
static void
test_version_1 (void)
{
  g_autoptr (NavDeviceIdentity) me = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavElection) e = started_election (me);
  NavCapabilityRecord r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 7, 0);
  guint8 raw[NAV_CAPABILITY_RECORD_MAX_SIZE];
  g_autoptr (GBytes) v1 = NULL;
  g_autoptr (GBytes) longer = NULL;
  g_autoptr (NavCapabilityRecord) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) key = nav_device_identity_get_public_key (a);

  g_assert_cmpuint (nav_capability_record_encode_unsigned (&r, raw), ==, 114 + 1 + 64);
  memcpy (raw + 8, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  raw[4] = 1;
  nav_device_identity_sign_raw (a, raw, 114, raw + 114);
  v1 = g_bytes_new (raw, NAV_CAPABILITY_RECORD_SIZE);
  back = nav_capability_record_parse (v1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->sequence, ==, 7);
  g_assert_cmpuint (back->claims.cpu_count, ==, 8);
  g_assert_false (back->claims.reachable);
  g_assert_cmpuint (back->reached_count, ==, 0);
  g_assert_true (nav_election_receive (e, "peer-a", v1, g_get_monotonic_time (), NULL));
  g_assert_cmpuint (nav_election_get_member_count (e), ==, 2);

  /* Version 1 has a fixed size and no reachable flag. */
  longer = g_bytes_new (raw, NAV_CAPABILITY_RECORD_SIZE + 1);
  assert_refused (longer, NAV_RECORD_REFUSAL_MALFORMED);
  raw[71] |= 0x04;
  {
    g_autoptr (GBytes) flagged = g_bytes_new (raw, NAV_CAPABILITY_RECORD_SIZE);
    assert_refused (flagged, NAV_RECORD_REFUSAL_MALFORMED);
  }
}

/* Bytes a later version appends after the list: signed, skipped. */
static void
test_extensions (void)
{
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  NavCapabilityRecord r = make_record (a, NAV_RECORD_KIND_CAPABILITY, 9, 0);
  guint8 raw[NAV_CAPABILITY_RECORD_MAX_SIZE];
  g_autoptr (GBytes) key = nav_device_identity_get_public_key (a);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (NavCapabilityRecord) back = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;

  nav_capability_record_add_reached (&r, "00112233445566778899aabbccddeeff");
  size = nav_capability_record_encode_unsigned (&r, raw) - NAV_DEVICE_SIGNATURE_SIZE;
  memcpy (raw + 8, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  memcpy (raw + size, "a later field", 13);
  size += 13;
  nav_device_identity_sign_raw (a, raw, size, raw + size);
  bytes = g_bytes_new (raw, size + NAV_DEVICE_SIGNATURE_SIZE);
  back = nav_capability_record_parse (bytes, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->sequence, ==, 9);
  g_assert_cmpuint (back->reached_count, ==, 1);
  g_assert_true (nav_capability_record_lists_reached (back, "00112233445566778899aabbccddeeff"));
}

typedef struct
{
  GBytes *last_sent;
  GPtrArray *changes;        /* "DEVICE-ID=0|1" */
  GPtrArray *unconfirmed;    /* device ids */
} Watch;

static void
on_watch_send (NavElection *e,
               GBytes      *bytes,
               Watch       *w)
{
  g_clear_pointer (&w->last_sent, g_bytes_unref);
  w->last_sent = g_bytes_ref (bytes);
}

static void
on_watch_reachability (NavElection *e,
                       const gchar *device_id,
                       gboolean     reachable,
                       Watch       *w)
{
  g_assert_cmpint (reachable, ==, nav_election_is_member_reachable (e, device_id));
  g_ptr_array_add (w->changes, g_strdup_printf ("%s=%d", device_id, reachable));
}

static void
on_watch_unconfirmed (NavElection *e,
                      const gchar *device_id,
                      const gchar *claim,
                      Watch       *w)
{
  g_assert_cmpstr (claim, ==, "reachable");
  g_ptr_array_add (w->unconfirmed, g_strdup (device_id));
}

static GBytes *
signed_record (NavDeviceIdentity *id,
               guint64            sequence,
               gboolean           reachable,
               const gchar       *reached)
{
  NavCapabilityRecord r = make_record (id, NAV_RECORD_KIND_CAPABILITY, sequence, 0);

  r.claims.reachable = reachable;
  if (reached != NULL)
    g_assert_true (nav_capability_record_add_reached (&r, reached));
  return nav_capability_record_sign (&r, id);
}

/* Reachability, verified by peers: a member is reachable when another
 * member's valid record lists it; its own claim (or its own list naming
 * itself) verifies nothing; a record forged in a verifier's name is
 * refused and verifies nothing; a claim no one confirms for a member
 * timeout is counted once, a member that claims nothing never. */
static void
test_reachable_verification (void)
{
  g_autoptr (NavDeviceIdentity) me = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) b = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) c = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) forger = nav_device_identity_new_ephemeral ();
  g_autoptr (NavElection) e = started_election (me);
  const gchar *ida = nav_device_identity_get_device_id (a);
  const gchar *idb = nav_device_identity_get_device_id (b);
  const gchar *idc = nav_device_identity_get_device_id (c);
  const gchar *idme = nav_device_identity_get_device_id (me);
  Watch w = { NULL, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  gint64 t = g_get_monotonic_time ();
  NavRecordRefusal reason;
  guint64 seq_a = 100, seq_b = 200, seq_c = 300;

  g_signal_connect (e, "send", G_CALLBACK (on_watch_send), &w);
  g_signal_connect (e, "reachability-changed", G_CALLBACK (on_watch_reachability), &w);
  g_signal_connect (e, "claim-unconfirmed", G_CALLBACK (on_watch_unconfirmed), &w);

  /* A claims to be reachable and lists itself: not verified. */
  {
    g_autoptr (GBytes) ra = signed_record (a, seq_a++, TRUE, ida);
    g_assert_true (nav_election_receive (e, "peer-a", ra, t, NULL));
  }
  /* C claims nothing and nobody lists it. */
  {
    g_autoptr (GBytes) rc = signed_record (c, seq_c++, FALSE, NULL);
    g_assert_true (nav_election_receive (e, "peer-c", rc, t, NULL));
  }
  g_assert_false (nav_election_is_member_reachable (e, ida));
  g_assert_false (nav_election_is_member_reachable (e, idc));
  g_assert_cmpuint (w.changes->len, ==, 0);

  /* A record in B's name listing A, signed by another key: refused, A
   * still not verified. */
  {
    NavCapabilityRecord r = make_record (b, NAV_RECORD_KIND_CAPABILITY, seq_b, 0);
    guint8 raw[NAV_CAPABILITY_RECORD_MAX_SIZE];
    gsize size;
    g_autoptr (GBytes) forged = NULL;

    nav_capability_record_add_reached (&r, ida);
    size = nav_capability_record_encode_unsigned (&r, raw);
    nav_device_identity_sign_raw (forger, raw, size - NAV_DEVICE_SIGNATURE_SIZE,
                                  raw + size - NAV_DEVICE_SIGNATURE_SIZE);
    forged = g_bytes_new (raw, size);
    g_assert_false (nav_election_receive (e, "peer-b", forged, t, &reason));
    g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_BAD_SIGNATURE);
  }
  /* The forger's own valid record listing A, through A's sender:
   * refused (that sender is A's), A still not verified. */
  {
    g_autoptr (GBytes) rf = signed_record (forger, 1, FALSE, ida);
    g_assert_false (nav_election_receive (e, "peer-a", rf, t, &reason));
    g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_WRONG_KEY);
  }
  g_assert_false (nav_election_is_member_reachable (e, ida));
  g_assert_cmpuint (w.changes->len, ==, 0);

  /* B's own record listing A: A is verified (B is not). */
  {
    g_autoptr (GBytes) rb = signed_record (b, seq_b++, TRUE, ida);
    g_assert_true (nav_election_receive (e, "peer-b", rb, t, NULL));
  }
  g_assert_true (nav_election_is_member_reachable (e, ida));
  g_assert_false (nav_election_is_member_reachable (e, idb));
  g_assert_cmpuint (w.changes->len, ==, 1);
  {
    g_autofree gchar *expected = g_strconcat (ida, "=1", NULL);

    g_assert_cmpstr (g_ptr_array_index (w.changes, 0), ==, expected);
  }

  /* A custom scorer would see it; the default score does not move. */
  {
    NavCapabilityClaims claims = laptop_claims ();

    g_assert_cmpuint (nav_election_get_member_score (e, ida), ==,
                      nav_capability_claims_default_score (&claims));
  }

  /* This device's own direct link to B: B verified by us, and our next
   * record lists B and claims reachable (which verifies nothing about
   * us until B lists us). */
  nav_election_set_direct_link (e, idb, TRUE);
  g_assert_true (nav_election_is_member_reachable (e, idb));
  g_assert_false (nav_election_is_member_reachable (e, idme));
  t += 10000;
  nav_election_tick (e, t);
  {
    g_autoptr (NavCapabilityRecord) mine = nav_capability_record_parse (w.last_sent, NULL, NULL);

    g_assert_nonnull (mine);
    g_assert_true (mine->claims.reachable);
    g_assert_cmpuint (mine->reached_count, ==, 1);
    g_assert_true (nav_capability_record_lists_reached (mine, idb));
  }
  /* A direct link to a device not in the view is not listed. */
  nav_election_set_direct_link (e, "00112233445566778899aabbccddeeff", TRUE);
  g_assert_false (nav_election_is_member_reachable (e, "00112233445566778899aabbccddeeff"));

  /* B stops listing A: A no longer verified. */
  {
    g_autoptr (GBytes) rb = signed_record (b, seq_b++, TRUE, idme);
    g_assert_true (nav_election_receive (e, "peer-b", rb, t, NULL));
  }
  g_assert_false (nav_election_is_member_reachable (e, ida));
  g_assert_true (nav_election_is_member_reachable (e, idme));

  /* A keeps claiming, unconfirmed: counted once after a member timeout
   * (1 s); C, which claims nothing, never; B and we are confirmed. */
  g_assert_cmpuint (nav_election_get_unconfirmed_claims (e), ==, 0);
  for (guint k = 0; k < 6; k++)
    {
      g_autoptr (GBytes) ra = signed_record (a, seq_a++, TRUE, NULL);
      g_autoptr (GBytes) rb = signed_record (b, seq_b++, TRUE, idme);
      g_autoptr (GBytes) rc = signed_record (c, seq_c++, FALSE, NULL);

      t += 400000;
      g_assert_true (nav_election_receive (e, "peer-a", ra, t, NULL));
      g_assert_true (nav_election_receive (e, "peer-b", rb, t, NULL));
      g_assert_true (nav_election_receive (e, "peer-c", rc, t, NULL));
      nav_election_tick (e, t);
      g_assert_cmpuint (nav_election_get_unconfirmed_claims (e), ==, k >= 3 ? 1 : 0);
    }
  g_assert_cmpuint (w.unconfirmed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (w.unconfirmed, 0), ==, ida);
  g_assert_false (nav_election_is_member_reachable (e, idc));

  /* Confirmed again by B, then not: a new stretch, counted again. */
  {
    g_autoptr (GBytes) rb = signed_record (b, seq_b++, TRUE, ida);
    g_assert_true (nav_election_receive (e, "peer-b", rb, t, NULL));
    nav_election_tick (e, t);
  }
  g_assert_true (nav_election_is_member_reachable (e, ida));
  for (guint k = 0; k < 4; k++)
    {
      g_autoptr (GBytes) ra = signed_record (a, seq_a++, TRUE, NULL);
      g_autoptr (GBytes) rb = signed_record (b, seq_b++, TRUE, idme);
      g_autoptr (GBytes) rc = signed_record (c, seq_c++, FALSE, NULL);

      t += 400000;
      g_assert_true (nav_election_receive (e, "peer-a", ra, t, NULL));
      g_assert_true (nav_election_receive (e, "peer-b", rb, t, NULL));
      g_assert_true (nav_election_receive (e, "peer-c", rc, t, NULL));
      nav_election_tick (e, t);
    }
  g_assert_cmpuint (nav_election_get_unconfirmed_claims (e), ==, 2);

  /* B gone (its link, then the member): B no longer verified, and we
   * no longer list it. */
  nav_election_set_direct_link (e, idb, FALSE);
  g_assert_false (nav_election_is_member_reachable (e, idb));

  g_signal_handlers_disconnect_by_data (e, &w);
  g_clear_pointer (&w.last_sent, g_bytes_unref);
  g_ptr_array_unref (w.changes);
  g_ptr_array_unref (w.unconfirmed);
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
  g_test_add_func ("/record/reached-roundtrip", test_reached_roundtrip);
  g_test_add_func ("/record/version-1", test_version_1);
  g_test_add_func ("/record/extensions", test_extensions);
  g_test_add_func ("/record/reachable-verification", test_reachable_verification);
  return g_test_run ();
}
