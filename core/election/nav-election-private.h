/* nav-election-private.h: helpers of the election tier shared by its
 * sources, the tests and the fuzz target
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* The record's bytes without the signature filled in (zeroes), into
 * @out of NAV_CAPABILITY_RECORD_MAX_SIZE bytes; returns the record's
 * size, signature included. */
NAV_AVAILABLE_IN_ALL
gsize nav_capability_record_encode_unsigned (const NavCapabilityRecord *record,
                                             guint8                    *out);
/* The first NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE bytes of a device
 * id, as records list members reached directly; FALSE if not an id. */
NAV_AVAILABLE_IN_ALL
gboolean nav_device_id_prefix (const gchar *device_id,
                               guint8      *prefix);
/* Ed25519 signature of @length bytes into @signature (64 bytes). */
NAV_AVAILABLE_IN_ALL
void nav_device_identity_sign_raw (NavDeviceIdentity *self,
                                   const guint8      *data,
                                   gsize              length,
                                   guint8            *signature);

NAV_AVAILABLE_IN_ALL
gboolean nav_election_lookup_member_key (NavElection *self,
                                         const gchar *device_id,
                                         guint8      *key);

G_END_DECLS
