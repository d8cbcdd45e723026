/* nav-capability-record.c: capability claims, their score, and the signed
 * record that carries them (untrusted input: every byte from the network)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <nettle/eddsa.h>

#include "netavanue/netavanue.h"
#include "nav-election-private.h"

/* ---------------------------------------------------------------- claims */

G_DEFINE_BOXED_TYPE (NavCapabilityClaims, nav_capability_claims,
                     nav_capability_claims_copy, nav_capability_claims_free)

/**
 * nav_capability_claims_copy:
 * @claims: claims
 *
 * Returns: (transfer full): a copy of @claims
 *
 * Since: 1.0
 */
NavCapabilityClaims *
nav_capability_claims_copy (const NavCapabilityClaims *claims)
{
  return g_memdup2 (claims, sizeof *claims);
}

/**
 * nav_capability_claims_free:
 * @claims: claims
 *
 * Frees @claims.
 *
 * Since: 1.0
 */
void
nav_capability_claims_free (NavCapabilityClaims *claims)
{
  g_free (claims);
}

/* The limits of a possible claim: what no device of this decade reaches.
 * A record beyond them is refused (NAV_RECORD_REFUSAL_IMPOSSIBLE) so that
 * one member cannot win every election by lying without bound. */
#define MAX_CPUS 1024
#define MAX_MEMORY_MB (64u * 1024 * 1024)      /* 64 TiB */
#define MAX_BANDWIDTH_KBPS 400000000u          /* 400 Gbit/s */
#define MAX_SCREEN_WIDTH 16384
#define MAX_CODECS 1024
#define MAX_NAT_TYPE 4

/**
 * nav_capability_claims_is_possible:
 * @claims: claims
 *
 * Whether @claims are within what a real device can have: 1 to 1024
 * processors, at most 64 TiB of memory, a battery level of 0 to 100 (or
 * %NAV_BATTERY_NONE), a known network and NAT type, at most 400 Gbit/s,
 * a display at most 16384 pixels wide and at most 1024 codecs.
 *
 * Returns: %TRUE if possible
 *
 * Since: 1.0
 */
gboolean
nav_capability_claims_is_possible (const NavCapabilityClaims *claims)
{
  g_return_val_if_fail (claims != NULL, FALSE);

  return claims->cpu_count >= 1 && claims->cpu_count <= MAX_CPUS &&
         claims->memory_mb <= MAX_MEMORY_MB &&
         (claims->battery_percent <= 100 || claims->battery_percent == NAV_BATTERY_NONE) &&
         claims->network_type <= NAV_NETWORK_TYPE_CELLULAR &&
         claims->bandwidth_kbps <= MAX_BANDWIDTH_KBPS &&
         claims->screen_width <= MAX_SCREEN_WIDTH &&
         claims->codec_count <= MAX_CODECS &&
         claims->nat_type <= MAX_NAT_TYPE;
}

/**
 * nav_capability_claims_is_degraded:
 * @claims: claims
 * @battery_threshold: the battery level, in percent, under which a device
 *   that does not charge may not be the hub (20 by default in
 *   [class@Nav.Election])
 *
 * Returns: whether @claims describe a device that must not be the hub
 *
 * Since: 1.0
 */
gboolean
nav_capability_claims_is_degraded (const NavCapabilityClaims *claims,
                                   guint                      battery_threshold)
{
  g_return_val_if_fail (claims != NULL, TRUE);

  return claims->battery_percent != NAV_BATTERY_NONE && !claims->charging &&
         claims->battery_percent < battery_threshold;
}

/**
 * nav_capability_claims_default_score:
 * @claims: claims
 *
 * The project plan's score (tier 6), in integer arithmetic:
 *
 *     cores × 10 + RAM MiB / 100
 *     + (charging or no battery ? 200 : battery % × 2)
 *     + bandwidth Mbit/s × 5 + 100 if desktop + 50 if Ethernet
 *     + screen width / 10 + codecs × 15
 *
 * Returns: the score (higher is a better hub)
 *
 * Since: 1.0
 */
guint
nav_capability_claims_default_score (const NavCapabilityClaims *claims)
{
  guint64 score = 0;

  g_return_val_if_fail (claims != NULL, 0);

  score += (guint64) claims->cpu_count * 10;
  score += claims->memory_mb / 100;
  if (claims->charging || claims->battery_percent == NAV_BATTERY_NONE)
    score += 200;
  else
    score += (guint64) MIN (claims->battery_percent, 100) * 2;
  score += (guint64) claims->bandwidth_kbps * 5 / 1000;
  if (claims->desktop)
    score += 100;
  if (claims->network_type == NAV_NETWORK_TYPE_ETHERNET)
    score += 50;
  score += claims->screen_width / 10;
  score += (guint64) claims->codec_count * 15;
  return (guint) MIN (score, G_MAXUINT);
}

/* ---------------------------------------------------------------- record */

G_DEFINE_BOXED_TYPE (NavCapabilityRecord, nav_capability_record,
                     nav_capability_record_copy, nav_capability_record_free)

/**
 * nav_capability_record_copy:
 * @record: a record
 *
 * Returns: (transfer full): a copy of @record
 *
 * Since: 1.0
 */
NavCapabilityRecord *
nav_capability_record_copy (const NavCapabilityRecord *record)
{
  return g_memdup2 (record, sizeof *record);
}

/**
 * nav_capability_record_free:
 * @record: a record
 *
 * Frees @record.
 *
 * Since: 1.0
 */
void
nav_capability_record_free (NavCapabilityRecord *record)
{
  g_free (record);
}

/* The wire format, big-endian (docs/election.md):
 *
 *   0  "NVCR"   4  version (2; 1 is still read)   5  kind
 *   6  reserved (0, 2 bytes)
 *   8  public key (32)
 *  40  sequence (8)  48  epoch (8)  56  timestamp ms (8)
 *  64  cpu count (2)  66  memory MiB (4)  70  battery % (1)
 *  71  flags (1: bit 0 charging, bit 1 desktop, bit 2 reachable
 *      (version 2); others 0)
 *  72  network type (1)  73  NAT type (1)  74  bandwidth kbit/s (4)
 *  78  screen width (2)  80  codec count (2)
 *  82  hub key (32)
 * version 1:
 * 114  Ed25519 signature of bytes 0..113 (64)
 * 178
 * version 2:
 * 114  N, members reached directly (1, at most 64)
 * 115  N device id prefixes (8 each)
 *      extensions: bytes a later version appends, signed and skipped
 *  -64 Ed25519 signature of every byte before it (64)
 */
#define RECORD_MAGIC "NVCR"
#define RECORD_VERSION 2
#define RECORD_VERSION_1 1
#define FIXED_SIZE 114            /* what both versions share */
#define V1_SIGNED_SIZE FIXED_SIZE
#define PREFIX_SIZE NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE
#define FLAG_CHARGING 0x01
#define FLAG_DESKTOP 0x02
#define FLAG_REACHABLE 0x04

G_STATIC_ASSERT (V1_SIGNED_SIZE + NAV_DEVICE_SIGNATURE_SIZE == NAV_CAPABILITY_RECORD_SIZE);
G_STATIC_ASSERT (NAV_CAPABILITY_RECORD_MIN_SIZE == NAV_CAPABILITY_RECORD_SIZE);
G_STATIC_ASSERT (sizeof (((NavCapabilityRecord *) NULL)->reached) ==
                 NAV_CAPABILITY_RECORD_MAX_REACHED * PREFIX_SIZE);
G_STATIC_ASSERT (FIXED_SIZE + 1 + NAV_CAPABILITY_RECORD_MAX_REACHED * PREFIX_SIZE +
                 NAV_DEVICE_SIGNATURE_SIZE <= NAV_CAPABILITY_RECORD_MAX_SIZE);

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, v >> 32);
  put32 (p + 4, (guint32) v);
}

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return (guint64) get32 (p) << 32 | get32 (p + 4);
}

/* The first PREFIX_SIZE bytes of a device id (32 hexadecimal digits);
 * FALSE if @device_id is not one. */
gboolean
nav_device_id_prefix (const gchar *device_id,
                      guint8      *prefix)
{
  guint i;

  if (device_id == NULL || strlen (device_id) != 32)
    return FALSE;
  for (i = 0; i < PREFIX_SIZE; i++)
    {
      gint hi = g_ascii_xdigit_value (device_id[2 * i]);
      gint lo = g_ascii_xdigit_value (device_id[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      prefix[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

/* Encodes without signing (the fuzz target and the tests forge with it):
 * at most NAV_CAPABILITY_RECORD_MAX_SIZE bytes into @out, the
 * signature's place zeroes; returns the record's size, signature
 * included. */
gsize
nav_capability_record_encode_unsigned (const NavCapabilityRecord *record,
                                       guint8                    *out)
{
  const NavCapabilityClaims *c = &record->claims;
  guint n = MIN (record->reached_count, NAV_CAPABILITY_RECORD_MAX_REACHED);
  gsize size = FIXED_SIZE + 1 + (gsize) n * PREFIX_SIZE + NAV_DEVICE_SIGNATURE_SIZE;

  memset (out, 0, size);
  memcpy (out, RECORD_MAGIC, 4);
  out[4] = RECORD_VERSION;
  out[5] = record->kind;
  memcpy (out + 8, record->public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  put64 (out + 40, record->sequence);
  put64 (out + 48, record->epoch);
  put64 (out + 56, (guint64) record->timestamp_ms);
  put16 (out + 64, c->cpu_count);
  put32 (out + 66, c->memory_mb);
  out[70] = c->battery_percent;
  out[71] = (c->charging ? FLAG_CHARGING : 0) | (c->desktop ? FLAG_DESKTOP : 0) |
            (c->reachable ? FLAG_REACHABLE : 0);
  out[72] = c->network_type;
  out[73] = c->nat_type;
  put32 (out + 74, c->bandwidth_kbps);
  put16 (out + 78, c->screen_width);
  put16 (out + 80, c->codec_count);
  memcpy (out + 82, record->hub_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  out[FIXED_SIZE] = (guint8) n;
  memcpy (out + FIXED_SIZE + 1, record->reached, (gsize) n * PREFIX_SIZE);
  return size;
}

/**
 * nav_capability_record_lists_reached:
 * @record: a record
 * @device_id: a device id
 *
 * Looks @device_id up in the members @record's signer reached directly:
 * how [class@Nav.Election] verifies that a member is reachable.
 *
 * Returns: whether @record lists @device_id among the members its
 *   signer reached directly (by the first
 *   %NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE bytes of the id)
 *
 * Since: 1.0
 */
gboolean
nav_capability_record_lists_reached (const NavCapabilityRecord *record,
                                     const gchar               *device_id)
{
  guint8 prefix[PREFIX_SIZE];
  guint i;

  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  if (!nav_device_id_prefix (device_id, prefix))
    return FALSE;
  for (i = 0; i < MIN (record->reached_count, NAV_CAPABILITY_RECORD_MAX_REACHED); i++)
    if (memcmp (record->reached + i * PREFIX_SIZE, prefix, PREFIX_SIZE) == 0)
      return TRUE;
  return FALSE;
}

/**
 * nav_capability_record_add_reached:
 * @record: a record to fill in
 * @device_id: the device id of a member the signer reached directly
 *
 * Adds @device_id to the members @record lists as reached directly.
 *
 * Returns: %FALSE if @device_id is not a device id, or the list is full
 *   (%NAV_CAPABILITY_RECORD_MAX_REACHED)
 *
 * Since: 1.0
 */
gboolean
nav_capability_record_add_reached (NavCapabilityRecord *record,
                                   const gchar         *device_id)
{
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  if (record->reached_count >= NAV_CAPABILITY_RECORD_MAX_REACHED)
    return FALSE;
  if (!nav_device_id_prefix (device_id, record->reached + record->reached_count * PREFIX_SIZE))
    return FALSE;
  record->reached_count++;
  return TRUE;
}

/**
 * nav_capability_record_sign:
 * @record: the record; its `public_key` is replaced by @identity's
 * @identity: the signer
 *
 * Encodes @record and signs it with @identity's key.
 *
 * Returns: (transfer full): the bytes to send (version 2: from
 *   %NAV_CAPABILITY_RECORD_MIN_SIZE to %NAV_CAPABILITY_RECORD_MAX_SIZE)
 *
 * Since: 1.0
 */
GBytes *
nav_capability_record_sign (const NavCapabilityRecord *record,
                            NavDeviceIdentity         *identity)
{
  guint8 *out;
  gsize size;
  g_autoptr (GBytes) key = NULL;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (NAV_IS_DEVICE_IDENTITY (identity), NULL);

  out = g_malloc (NAV_CAPABILITY_RECORD_MAX_SIZE);
  size = nav_capability_record_encode_unsigned (record, out);
  key = nav_device_identity_get_public_key (identity);
  memcpy (out + 8, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  nav_device_identity_sign_raw (identity, out, size - NAV_DEVICE_SIGNATURE_SIZE,
                                out + size - NAV_DEVICE_SIGNATURE_SIZE);
  return g_bytes_new_take (g_realloc (out, size), size);
}

static NavCapabilityRecord *
refuse (NavRecordRefusal   reason,
        NavRecordRefusal  *refusal,
        GError           **error)
{
  if (refusal != NULL)
    *refusal = reason;
  g_set_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_INVALID_RECORD,
               _("Capability record refused: %s"), nav_record_refusal_to_string (reason));
  return NULL;
}

/**
 * nav_capability_record_parse:
 * @bytes: bytes from the network
 * @refusal: (out) (optional): why the record was refused
 * @error: return location for a #GError
 *
 * Decodes a record and checks what needs no context: its format, its
 * signature by its own public key, and that its claims are possible.
 * Records of version 2 and of version 1 (no list of members reached, no
 * reachable flag) are read; bytes a later version appends after the
 * list are covered by the signature and skipped.
 * Sequence, freshness and the election rules are checked by
 * [class@Nav.Election].
 *
 * Returns: (transfer full) (nullable): the record, or %NULL with
 *   @refusal and @error set
 *
 * Since: 1.0
 */
NavCapabilityRecord *
nav_capability_record_parse (GBytes            *bytes,
                             NavRecordRefusal  *refusal,
                             GError           **error)
{
  NavCapabilityRecord *record;
  NavCapabilityClaims *c;
  const guint8 *p;
  gsize length, signed_size;
  guint reached;

  g_return_val_if_fail (bytes != NULL, NULL);

  p = g_bytes_get_data (bytes, &length);
  if (length < NAV_CAPABILITY_RECORD_MIN_SIZE || length > NAV_CAPABILITY_RECORD_MAX_SIZE ||
      memcmp (p, RECORD_MAGIC, 4) != 0)
    return refuse (NAV_RECORD_REFUSAL_MALFORMED, refusal, error);
  if (p[4] == RECORD_VERSION_1)
    {
      /* Fixed size, no list, no reachable flag: what members of an
       * older version send. */
      if (length != NAV_CAPABILITY_RECORD_SIZE || (p[71] & FLAG_REACHABLE) != 0)
        return refuse (NAV_RECORD_REFUSAL_MALFORMED, refusal, error);
      reached = 0;
    }
  else if (p[4] == RECORD_VERSION)
    {
      reached = p[FIXED_SIZE];
      if (reached > NAV_CAPABILITY_RECORD_MAX_REACHED ||
          length < FIXED_SIZE + 1 + reached * PREFIX_SIZE + NAV_DEVICE_SIGNATURE_SIZE)
        return refuse (NAV_RECORD_REFUSAL_MALFORMED, refusal, error);
    }
  else
    return refuse (NAV_RECORD_REFUSAL_MALFORMED, refusal, error);
  if (p[5] < NAV_RECORD_KIND_CAPABILITY || p[5] > NAV_RECORD_KIND_LEAVE || p[6] != 0 ||
      p[7] != 0 || (p[71] & ~(FLAG_CHARGING | FLAG_DESKTOP | FLAG_REACHABLE)) != 0 ||
      get64 (p + 56) > G_MAXINT64)
    return refuse (NAV_RECORD_REFUSAL_MALFORMED, refusal, error);

  signed_size = length - NAV_DEVICE_SIGNATURE_SIZE;
  if (ed25519_sha512_verify (p + 8, signed_size, p, p + signed_size) != 1)
    return refuse (NAV_RECORD_REFUSAL_BAD_SIGNATURE, refusal, error);

  record = g_new0 (NavCapabilityRecord, 1);
  record->kind = p[5];
  memcpy (record->public_key, p + 8, NAV_DEVICE_PUBLIC_KEY_SIZE);
  record->sequence = get64 (p + 40);
  record->epoch = get64 (p + 48);
  record->timestamp_ms = (gint64) get64 (p + 56);
  c = &record->claims;
  c->cpu_count = get16 (p + 64);
  c->memory_mb = get32 (p + 66);
  c->battery_percent = p[70];
  c->charging = (p[71] & FLAG_CHARGING) != 0;
  c->desktop = (p[71] & FLAG_DESKTOP) != 0;
  c->reachable = (p[71] & FLAG_REACHABLE) != 0;
  c->network_type = p[72];
  c->nat_type = p[73];
  c->bandwidth_kbps = get32 (p + 74);
  c->screen_width = get16 (p + 78);
  c->codec_count = get16 (p + 80);
  memcpy (record->hub_key, p + 82, NAV_DEVICE_PUBLIC_KEY_SIZE);
  /* Version 2's extensions (between the list and the signature) are
   * signed and skipped: a later version may append fields. */
  record->reached_count = reached;
  if (reached > 0)
    memcpy (record->reached, p + FIXED_SIZE + 1, reached * PREFIX_SIZE);

  if (!nav_capability_claims_is_possible (c))
    {
      nav_capability_record_free (record);
      return refuse (NAV_RECORD_REFUSAL_IMPOSSIBLE, refusal, error);
    }
  return record;
}

/**
 * nav_record_refusal_to_string:
 * @reason: a refusal
 *
 * Returns: a short English name of @reason (for logs and counters)
 *
 * Since: 1.0
 */
const gchar *
nav_record_refusal_to_string (NavRecordRefusal reason)
{
  static const gchar * const names[NAV_RECORD_REFUSAL_LAST] = {
    [NAV_RECORD_REFUSAL_MALFORMED] = "malformed",
    [NAV_RECORD_REFUSAL_BAD_SIGNATURE] = "bad-signature",
    [NAV_RECORD_REFUSAL_WRONG_KEY] = "wrong-key",
    [NAV_RECORD_REFUSAL_REPLAY] = "replay",
    [NAV_RECORD_REFUSAL_STALE] = "stale",
    [NAV_RECORD_REFUSAL_IMPOSSIBLE] = "impossible",
    [NAV_RECORD_REFUSAL_FORGED_HUB] = "forged-hub",
    [NAV_RECORD_REFUSAL_STALE_EPOCH] = "stale-epoch",
  };

  if ((guint) reason >= NAV_RECORD_REFUSAL_LAST)
    return "unknown";
  return names[reason];
}
