/* nav-election.h: device identity, signed capability records and the hub
 * election of a group of peers (tier 6, issue 18)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_ELECTION_ERROR:
 *
 * Error domain of the device identity and of the capability records.
 * Errors in this domain are from the [error@Nav.ElectionError]
 * enumeration.
 *
 * Since: 1.0
 */
#define NAV_ELECTION_ERROR (nav_election_error_quark ())

/**
 * NavElectionError:
 * @NAV_ELECTION_ERROR_FAILED: a failure with no more specific code.
 * @NAV_ELECTION_ERROR_IO: the identity file could not be read or written.
 * @NAV_ELECTION_ERROR_CORRUPT_IDENTITY: the identity file exists but does
 *   not hold a valid key pair (wrong size, wrong magic, or a public key
 *   that does not match the private key).
 * @NAV_ELECTION_ERROR_INVALID_RECORD: a capability record refused; the
 *   message names the [enum@Nav.RecordRefusal] reason.
 *
 * Error codes of the `NAV_ELECTION_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ELECTION_ERROR_FAILED,
  NAV_ELECTION_ERROR_IO,
  NAV_ELECTION_ERROR_CORRUPT_IDENTITY,
  NAV_ELECTION_ERROR_INVALID_RECORD,
} NavElectionError;

NAV_AVAILABLE_IN_ALL
GQuark nav_election_error_quark (void);

/**
 * NAV_DEVICE_PUBLIC_KEY_SIZE:
 *
 * The size of an Ed25519 public key (RFC 8032 §5.1.5), in bytes.
 *
 * Since: 1.0
 */
#define NAV_DEVICE_PUBLIC_KEY_SIZE 32

/**
 * NAV_DEVICE_SIGNATURE_SIZE:
 *
 * The size of an Ed25519 signature (RFC 8032 §5.1.6), in bytes.
 *
 * Since: 1.0
 */
#define NAV_DEVICE_SIGNATURE_SIZE 64

/* ---- NavDeviceIdentity ---------------------------------------------- */

#define NAV_TYPE_DEVICE_IDENTITY (nav_device_identity_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavDeviceIdentity, nav_device_identity, NAV, DEVICE_IDENTITY, GObject)

NAV_AVAILABLE_IN_ALL
NavDeviceIdentity *nav_device_identity_load_default (GError **error);
NAV_AVAILABLE_IN_ALL
NavDeviceIdentity *nav_device_identity_load        (const gchar  *path,
                                                    GError      **error);
NAV_AVAILABLE_IN_ALL
NavDeviceIdentity *nav_device_identity_new_ephemeral (void);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_device_identity_get_device_id (NavDeviceIdentity *self);
NAV_AVAILABLE_IN_ALL
GBytes            *nav_device_identity_get_public_key (NavDeviceIdentity *self);
NAV_AVAILABLE_IN_ALL
GBytes            *nav_device_identity_sign          (NavDeviceIdentity *self,
                                                      GBytes            *data);
NAV_AVAILABLE_IN_ALL
gboolean           nav_device_identity_verify        (GBytes            *public_key,
                                                      GBytes            *data,
                                                      GBytes            *signature);
NAV_AVAILABLE_IN_ALL
gchar             *nav_device_id_from_public_key     (GBytes            *public_key);

/* ---- NavCapabilityClaims -------------------------------------------- */

/**
 * NavNetworkType:
 * @NAV_NETWORK_TYPE_UNKNOWN: not known.
 * @NAV_NETWORK_TYPE_ETHERNET: a wired link.
 * @NAV_NETWORK_TYPE_WIFI: a wireless LAN.
 * @NAV_NETWORK_TYPE_CELLULAR: a mobile network.
 *
 * The kind of link a device reaches the group through.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_NETWORK_TYPE_UNKNOWN,
  NAV_NETWORK_TYPE_ETHERNET,
  NAV_NETWORK_TYPE_WIFI,
  NAV_NETWORK_TYPE_CELLULAR,
} NavNetworkType;

/**
 * NAV_BATTERY_NONE:
 *
 * The [struct@Nav.CapabilityClaims] `battery_percent` of a device without
 * a battery (on mains).
 *
 * Since: 1.0
 */
#define NAV_BATTERY_NONE 255

/**
 * NavCapabilityClaims:
 * @cpu_count: processors
 * @memory_mb: physical memory, MiB
 * @battery_percent: battery level 0 to 100, or %NAV_BATTERY_NONE
 * @charging: whether the battery charges (or the device is on mains)
 * @desktop: whether the device is a desktop (no battery, fixed)
 * @network_type: a #NavNetworkType
 * @bandwidth_kbps: bandwidth measured to the group, kbit/s (0: unmeasured)
 * @screen_width: display width in pixels, 0 without a display
 * @codec_count: modules and codecs offered (from the registry)
 * @nat_type: the NAT type found by the STUN tier's RFC 5780 discovery
 *   (0 unknown, 1 open, 2 endpoint-independent, 3 address-dependent,
 *   4 address-and-port-dependent)
 * @reachable: in a record, the signer's own word that a peer reached it
 *   directly (a link whose ICE selected pair has no relayed end); as
 *   handed to the @score vfunc of [class@Nav.Election], whether another
 *   member verified it ([method@Nav.Election.is_member_reachable]): a
 *   claim alone counts for nothing there.  The default score has no
 *   reachability term.
 *
 * What a device claims it can do, as signed into its capability record.
 *
 * Since: 1.0
 */
typedef struct {
  guint16 cpu_count;
  guint32 memory_mb;
  guint8 battery_percent;
  gboolean charging;
  gboolean desktop;
  guint8 network_type;
  guint32 bandwidth_kbps;
  guint16 screen_width;
  guint16 codec_count;
  guint8 nat_type;
  gboolean reachable;
} NavCapabilityClaims;

#define NAV_TYPE_CAPABILITY_CLAIMS (nav_capability_claims_get_type ())
NAV_AVAILABLE_IN_ALL
GType                nav_capability_claims_get_type (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavCapabilityClaims *nav_capability_claims_copy     (const NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
void                 nav_capability_claims_free     (NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
guint                nav_capability_claims_default_score (const NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
gboolean             nav_capability_claims_is_possible   (const NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
gboolean             nav_capability_claims_is_degraded   (const NavCapabilityClaims *claims,
                                                          guint                      battery_threshold);

/* ---- NavCapabilityRecord -------------------------------------------- */

/**
 * NavRecordKind:
 * @NAV_RECORD_KIND_CAPABILITY: a member's capabilities (sent periodically:
 *   it is also the member's liveness).
 * @NAV_RECORD_KIND_HUB: the hub's claim of an epoch and the renewal of its
 *   lease (a heartbeat); carries the hub's capabilities too.
 * @NAV_RECORD_KIND_LEAVE: the member leaves the group.
 *
 * What a [struct@Nav.CapabilityRecord] announces.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_RECORD_KIND_CAPABILITY = 1,
  NAV_RECORD_KIND_HUB = 2,
  NAV_RECORD_KIND_LEAVE = 3,
} NavRecordKind;

/**
 * NavRecordRefusal:
 * @NAV_RECORD_REFUSAL_MALFORMED: not a record (size, magic, version, kind).
 * @NAV_RECORD_REFUSAL_BAD_SIGNATURE: the signature does not verify with
 *   the record's own public key.
 * @NAV_RECORD_REFUSAL_WRONG_KEY: a valid record, but from a key other than
 *   the one the sender (the transport's peer) is bound to.
 * @NAV_RECORD_REFUSAL_REPLAY: a sequence number not above the last one
 *   accepted from that key.
 * @NAV_RECORD_REFUSAL_STALE: a timestamp outside the freshness window.
 * @NAV_RECORD_REFUSAL_IMPOSSIBLE: a claim no device can make.
 * @NAV_RECORD_REFUSAL_FORGED_HUB: a hub claim the election rules do not
 *   allow (a member that is not the best candidate, or an epoch already
 *   held by another hub).
 * @NAV_RECORD_REFUSAL_STALE_EPOCH: a hub claim for an epoch older than
 *   the current one.
 * @NAV_RECORD_REFUSAL_LAST: the number of reasons.
 *
 * Why an incoming record was dropped.  Every refusal is counted by
 * reason ([method@Nav.Election.get_refusals]); none is fatal.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_RECORD_REFUSAL_MALFORMED,
  NAV_RECORD_REFUSAL_BAD_SIGNATURE,
  NAV_RECORD_REFUSAL_WRONG_KEY,
  NAV_RECORD_REFUSAL_REPLAY,
  NAV_RECORD_REFUSAL_STALE,
  NAV_RECORD_REFUSAL_IMPOSSIBLE,
  NAV_RECORD_REFUSAL_FORGED_HUB,
  NAV_RECORD_REFUSAL_STALE_EPOCH,
  NAV_RECORD_REFUSAL_LAST,
} NavRecordRefusal;

/**
 * NAV_CAPABILITY_RECORD_SIZE:
 *
 * The size of a version 1 capability record, signature included, and
 * the smallest a record can be.  Records of version 2 (what this
 * library sends) are of variable size, from
 * %NAV_CAPABILITY_RECORD_MIN_SIZE to %NAV_CAPABILITY_RECORD_MAX_SIZE.
 *
 * Since: 1.0
 */
#define NAV_CAPABILITY_RECORD_SIZE 178

/**
 * NAV_CAPABILITY_RECORD_MIN_SIZE:
 *
 * The smallest valid record (a version 1 record), signature included.
 *
 * Since: 1.0
 */
#define NAV_CAPABILITY_RECORD_MIN_SIZE 178

/**
 * NAV_CAPABILITY_RECORD_MAX_SIZE:
 *
 * The largest record accepted, signature included.
 *
 * Since: 1.0
 */
#define NAV_CAPABILITY_RECORD_MAX_SIZE 1024

/**
 * NAV_CAPABILITY_RECORD_MAX_REACHED:
 *
 * How many members a record lists at most as reached directly.
 *
 * Since: 1.0
 */
#define NAV_CAPABILITY_RECORD_MAX_REACHED 64

/**
 * NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE:
 *
 * The size of one entry of a record's list of members reached directly:
 * the first bytes of the member's device id (the first 16 of its 32
 * hexadecimal digits).
 *
 * Since: 1.0
 */
#define NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE 8

/**
 * NavCapabilityRecord:
 * @kind: a #NavRecordKind
 * @public_key: the signer's Ed25519 public key
 * @sequence: strictly increasing per key
 * @epoch: the epoch the signer is in (for a hub record: the one it claims)
 * @timestamp_ms: the signer's wall clock, milliseconds since the Unix epoch
 * @claims: the signer's capabilities
 * @hub_key: the hub the signer follows (all zeroes when none)
 * @reached_count: how many members the signer reached directly (over a
 *   link whose ICE selected pair has no relayed end), at most
 *   %NAV_CAPABILITY_RECORD_MAX_REACHED
 * @reached: those members, %NAV_CAPABILITY_RECORD_REACHED_PREFIX_SIZE
 *   bytes each: the first bytes of their device ids (see
 *   nav_capability_record_lists_reached())
 *
 * A signed record, decoded.  The wire format is in docs/election.md.
 *
 * Since: 1.0
 */
typedef struct {
  guint8 kind;
  guint8 public_key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  guint64 sequence;
  guint64 epoch;
  gint64 timestamp_ms;
  NavCapabilityClaims claims;
  guint8 hub_key[NAV_DEVICE_PUBLIC_KEY_SIZE];
  guint reached_count;
  guint8 reached[512];
} NavCapabilityRecord;

#define NAV_TYPE_CAPABILITY_RECORD (nav_capability_record_get_type ())
NAV_AVAILABLE_IN_ALL
GType                nav_capability_record_get_type (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavCapabilityRecord *nav_capability_record_copy     (const NavCapabilityRecord *record);
NAV_AVAILABLE_IN_ALL
void                 nav_capability_record_free     (NavCapabilityRecord *record);
NAV_AVAILABLE_IN_ALL
GBytes              *nav_capability_record_sign     (const NavCapabilityRecord *record,
                                                     NavDeviceIdentity         *identity);
NAV_AVAILABLE_IN_ALL
NavCapabilityRecord *nav_capability_record_parse    (GBytes            *bytes,
                                                     NavRecordRefusal  *refusal,
                                                     GError           **error);
NAV_AVAILABLE_IN_ALL
gboolean             nav_capability_record_lists_reached (const NavCapabilityRecord *record,
                                                          const gchar               *device_id);
NAV_AVAILABLE_IN_ALL
gboolean             nav_capability_record_add_reached   (NavCapabilityRecord *record,
                                                          const gchar         *device_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavCapabilityClaims, nav_capability_claims_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavCapabilityRecord, nav_capability_record_free)

/* ---- NavElection ---------------------------------------------------- */

/**
 * NavElectionRole:
 * @NAV_ELECTION_ROLE_ELECTING: no hub is known for the current epoch.
 * @NAV_ELECTION_ROLE_HUB: this device is the hub.
 * @NAV_ELECTION_ROLE_SPOKE: another member is the hub.
 *
 * This device's place in the group.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ELECTION_ROLE_ELECTING,
  NAV_ELECTION_ROLE_HUB,
  NAV_ELECTION_ROLE_SPOKE,
} NavElectionRole;

#define NAV_TYPE_ELECTION (nav_election_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (NavElection, nav_election, NAV, ELECTION, GObject)

/**
 * NavElectionClass:
 * @parent_class: the parent class
 * @score: computes the score of a member from its claims; the default is
 *   nav_capability_claims_default_score().  The claims it gets are the
 *   ones this device counts: a bandwidth capped by measurement (with
 *   [property@Nav.Election:check-bandwidth]) and `reachable` set only
 *   when another member verified it, never on the member's word alone
 *
 * The class of [class@Nav.Election]; a subclass overrides @score (in
 * Python, `do_score`) to plug another scorer in.
 *
 * Since: 1.0
 */
struct _NavElectionClass
{
  GObjectClass parent_class;

  guint (*score) (NavElection               *self,
                  const NavCapabilityClaims *claims);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
NavElection     *nav_election_new              (NavDeviceIdentity         *identity);
NAV_AVAILABLE_IN_ALL
void             nav_election_set_claims       (NavElection               *self,
                                                const NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
void             nav_election_start            (NavElection               *self,
                                                gint64                     now_us);
NAV_AVAILABLE_IN_ALL
void             nav_election_leave            (NavElection               *self,
                                                gint64                     now_us);
NAV_AVAILABLE_IN_ALL
gboolean         nav_election_receive          (NavElection               *self,
                                                const gchar               *sender,
                                                GBytes                    *bytes,
                                                gint64                     now_us,
                                                NavRecordRefusal          *refusal);
NAV_AVAILABLE_IN_ALL
gint64           nav_election_tick             (NavElection               *self,
                                                gint64                     now_us);
NAV_AVAILABLE_IN_ALL
NavElectionRole  nav_election_get_role         (NavElection               *self);
NAV_AVAILABLE_IN_ALL
guint64          nav_election_get_epoch        (NavElection               *self);
NAV_AVAILABLE_IN_ALL
gchar           *nav_election_dup_hub_id       (NavElection               *self);
NAV_AVAILABLE_IN_ALL
gchar           *nav_election_dup_runner_up_id (NavElection               *self);
NAV_AVAILABLE_IN_ALL
gchar          **nav_election_dup_members      (NavElection               *self);
NAV_AVAILABLE_IN_ALL
guint            nav_election_get_member_count (NavElection               *self);
NAV_AVAILABLE_IN_ALL
guint            nav_election_get_member_score (NavElection               *self,
                                                const gchar               *device_id);
NAV_AVAILABLE_IN_ALL
guint64          nav_election_get_refusals     (NavElection               *self,
                                                NavRecordRefusal           reason);
NAV_AVAILABLE_IN_ALL
void             nav_election_set_measured_bandwidth (NavElection         *self,
                                                      const gchar         *device_id,
                                                      guint32              kbps);
NAV_AVAILABLE_IN_ALL
guint64          nav_election_get_capped_claims (NavElection              *self);
NAV_AVAILABLE_IN_ALL
void             nav_election_set_direct_link  (NavElection               *self,
                                                const gchar               *device_id,
                                                gboolean                   direct);
NAV_AVAILABLE_IN_ALL
gboolean         nav_election_is_member_reachable (NavElection            *self,
                                                   const gchar            *device_id);
NAV_AVAILABLE_IN_ALL
guint64          nav_election_get_unconfirmed_claims (NavElection         *self);
NAV_AVAILABLE_IN_ALL
const gchar     *nav_record_refusal_to_string  (NavRecordRefusal           reason);

/* ---- NavGroup ------------------------------------------------------- */

/**
 * NavGroupTopology:
 * @NAV_GROUP_TOPOLOGY_STAR: every message goes through the hub (spokes
 *   send to the hub, the hub relays to everyone).
 * @NAV_GROUP_TOPOLOGY_MESH: every member sends to every other directly.
 * @NAV_GROUP_TOPOLOGY_HYBRID: a mesh among the first
 *   [property@Nav.Group:core-size] members of the election's order (the
 *   hub and its standbys), a star for the others: a core member sends to
 *   the other core members directly over the mesh and to the hub, which
 *   relays to the rest; the others send through the hub, and keep links
 *   to the hub and the runner-up only.
 *
 * How a [class@Nav.Group] carries the application's messages.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_GROUP_TOPOLOGY_STAR,
  NAV_GROUP_TOPOLOGY_MESH,
  NAV_GROUP_TOPOLOGY_HYBRID,
} NavGroupTopology;

#define NAV_TYPE_GROUP (nav_group_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavGroup, nav_group, NAV, GROUP, GObject)

NAV_AVAILABLE_IN_ALL
NavGroup    *nav_group_new          (NavDeviceIdentity   *identity);
NAV_AVAILABLE_IN_ALL
NavElection *nav_group_get_election (NavGroup            *self);
NAV_AVAILABLE_IN_ALL
void         nav_group_set_claims   (NavGroup            *self,
                                     const NavCapabilityClaims *claims);
NAV_AVAILABLE_IN_ALL
void         nav_group_join_async   (NavGroup            *self,
                                     const gchar         *uri,
                                     const gchar         *room,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
NAV_AVAILABLE_IN_ALL
gboolean     nav_group_join_finish  (NavGroup            *self,
                                     GAsyncResult        *result,
                                     GError             **error);
NAV_AVAILABLE_IN_ALL
void         nav_group_leave        (NavGroup            *self);
NAV_AVAILABLE_IN_ALL
void         nav_group_get_path_counts (NavGroup      *self,
                                        guint64       *room,
                                        guint64       *channel,
                                        guint64       *relay,
                                        guint64       *duplicates);
NAV_AVAILABLE_IN_ALL
void         nav_group_get_message_counts (NavGroup   *self,
                                           guint64    *from_origin,
                                           guint64    *relayed,
                                           guint64    *copies);
NAV_AVAILABLE_IN_ALL
void         nav_group_network_changed (NavGroup      *self);
NAV_AVAILABLE_IN_ALL
gboolean     nav_group_send         (NavGroup            *self,
                                     GBytes              *data,
                                     GError             **error);

G_END_DECLS
