/* fuzz-capability-record.c: libFuzzer target for the capability record
 * parser and the election's handling of whatever parses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <netavanue/netavanue.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static NavElection *election;
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (NavCapabilityRecord) record = NULL;
  NavRecordRefusal reason = NAV_RECORD_REFUSAL_LAST;

  if (election == NULL)
    {
      NavDeviceIdentity *id = nav_device_identity_new_ephemeral ();
      NavCapabilityClaims claims = { .cpu_count = 1, .battery_percent = NAV_BATTERY_NONE };

      election = nav_election_new (id);
      /* The seeds are old: accept any timestamp, to reach the rules. */
      g_object_set (election, "freshness-window", G_MAXUINT, NULL);
      nav_election_set_claims (election, &claims);
      nav_election_start (election, 0);
      g_object_unref (id);
    }

  record = nav_capability_record_parse (bytes, &reason, NULL);
  g_assert ((record == NULL) == (reason != NAV_RECORD_REFUSAL_LAST));
  if (record != NULL)
    g_assert_true (nav_capability_claims_is_possible (&record->claims));
  nav_election_receive (election, size % 2 ? "fuzz" : NULL, bytes, (gint64) size * 1000, NULL);
  nav_election_tick (election, (gint64) size * 1000);
  return 0;
}
