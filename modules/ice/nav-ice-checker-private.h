/* nav-ice-checker-private.h: what the parts of the ICE checker share: its
 * structures, its lock and events, and the functions each part offers the
 * others
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-ice-checker.h"
#include "nav-stun-transaction.h"

G_BEGIN_DECLS

/* RFC 8445 §14.2: Ta, the pacing of new checks, defaults to 50 ms. */
#define DEFAULT_STUN_PACING_TIMER 50
/* RFC 8489 §6.2.1: an RTO of 500 ms; Rc = 7 transmissions. */
#define DEFAULT_STUN_INITIAL_TIMEOUT 500
#define DEFAULT_STUN_MAX_RETRANSMISSIONS 6
/* libnice's reliable timeout (its STUN timer's default), not the 39.5 s of
 * RFC 8489 §6.2.2: a TCP check that long unanswered has failed. */
#define DEFAULT_STUN_RELIABLE_TIMEOUT 7900
/* RFC 7675 §5.1: consent every 5 s, lost after 30 s of silence. */
#define DEFAULT_CONSENT_INTERVAL 5000
#define DEFAULT_CONSENT_TIMEOUT 30000
/* RFC 8445 §11: Tr, at least 15 s; libnice uses 25 s. */
#define DEFAULT_KEEPALIVE_INTERVAL 25000
/* RFC 8445 §6.1.2.5: libnice's default limit. */
#define DEFAULT_MAX_CHECKS 100
/* How long a controlling agent in regular mode waits for better pairs
 * after the first valid one, in units of Ta. */
#define NOMINATION_WAIT_TA 20
/* ... but when that pair is relayed, it waits for each better direct
 * pair until that pair's check went out this many times (0, 0.5, 1.5 and
 * 3.5 s with the default RTO): a check or two lost, or candidates that
 * came late (a lost STUN request), must not put the session on a relay
 * for good.  At most this long after the first valid pair, in Ta. */
#define NOMINATION_RELAY_WAIT_TRANSMISSIONS 4
#define NOMINATION_RELAY_MAX_WAIT_TA 200
#define CONSENT_TIDS 4

typedef struct _Stream Stream;
typedef struct _Component Component;
typedef struct _Pair Pair;

struct _Component
{
  Stream *stream;
  guint id;
  GPtrArray *local;             /* NavCandidate */
  GPtrArray *remote;            /* NavCandidate */
  NavComponentState state;
  Pair *selected;
  gint64 first_valid_time;      /* µs, 0 when none yet */
  gboolean nominating;          /* a USE-CANDIDATE check is under way */
  gboolean forced;              /* the application chose the pair: no more checks */
  gboolean consent_revoked;     /* RFC 7675 §5.2: nav_checker_revoke_consent() */
};

struct _Stream
{
  NavIceChecker *checker;       /* weak: the checker owns its streams */
  guint id;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  GBytes *local_key;
  GBytes *remote_key;
  GHashTable *components;       /* component id → Component */
  GPtrArray *pairs;             /* Pair, the check list, by priority */
  gboolean remote_gathering_done;
  gboolean started;
  guint prflx_counter;
};

struct _Pair
{
  Stream *stream;
  Component *component;
  NavCandidate *local;          /* borrowed from component->local */
  NavCandidate *remote;         /* borrowed from component->remote */
  guint64 priority;
  gchar *foundation;            /* local foundation ":" remote foundation */
  NavPairState state;
  gboolean valid;
  gboolean nominated;
  gboolean use_candidate;       /* the check in flight carries USE-CANDIDATE */
  gboolean nominate_on_success; /* controlled: the peer nominated it (§7.3.1.5) */
  gboolean triggered;           /* queued in the triggered check queue */
  Pair *valid_pair;             /* the valid pair its success produced */

  /* The check in flight: a transaction of the project's one STUN
   * transaction engine (core/net/nav-stun-transaction.h), which sends it
   * again on RFC 8489's schedule under the checker's lock. */
  NavStunTransaction *check;
  gboolean sent_controlling;

  /* consent freshness, RFC 7675: the last requests, a response to any of
   * them counts */
  gint64 last_consent;          /* µs */
  gint64 next_consent;          /* µs */
  NavStunTransaction *consent[CONSENT_TIDS];
  guint consent_next;

  /* statistics (nav_checker_get_pair_stats()), under the lock */
  guint64 requests_sent;
  guint64 consent_requests_sent;
  guint64 responses_received;
  guint64 requests_received;
  guint64 responses_sent;
  gint64 current_rtt;           /* µs, -1 until measured */
  gint64 total_rtt;             /* µs */
  guint64 rtt_count;
};

/* A response to one of @pair's requests took @rtt µs (-1: unknown). */
static inline void
nav_ice_pair_count_response (Pair   *pair,
                             gint64  rtt)
{
  pair->responses_received++;
  if (rtt >= 0)
    {
      pair->current_rtt = rtt;
      pair->total_rtt += rtt;
      pair->rtt_count++;
    }
}

typedef enum {
  EVENT_PAIR_STATE,
  EVENT_SELECTED_PAIR,
  EVENT_COMPONENT_STATE,
  EVENT_INCOMING_CHECK,
} EventKind;

typedef struct {
  EventKind kind;
  guint stream_id;
  guint component_id;
  NavCandidate *local;
  NavCandidate *remote;
  guint state;
} Event;

struct _NavIceChecker
{
  GObject parent_instance;

  GMainContext *context;
  gboolean controlling_mode;
  NavNominationMode nomination_mode;
  guint stun_pacing_timer;
  guint stun_initial_timeout;
  guint stun_max_retransmissions;
  guint stun_reliable_timeout;
  gboolean consent_freshness;
  guint consent_interval;
  guint consent_timeout;
  guint keepalive_interval;
  guint max_checks;
  gboolean ice_trickle;
  gboolean lite;                /* RFC 8445 §2.5: answers checks, never sends any */
  guint64 tie_breaker;
  gchar *software;              /* SOFTWARE of every request and response, or NULL */

  GMutex lock;
  GHashTable *streams;          /* stream id → Stream */
  GQueue triggered;             /* Pair */
  GSource *tick;                /* Ta */
  GSource *consent_tick;
  GPtrArray *events;            /* Event, emitted after unlocking */
  gboolean notify_role;         /* notify controlling-mode after unlocking */
  gint64 last_keepalive;
  gint64 last_check;            /* µs: when the last new check left (Ta pacing) */
};

/* nav-ice-checker.c */
void nav_ice_queue_event (NavIceChecker *self,
                          EventKind kind,
                          guint stream_id,
                          guint component_id,
                          const NavCandidate *local,
                          const NavCandidate *remote,
                          guint state);
void nav_ice_unlock_and_emit (NavIceChecker *self);
GVariant *nav_ice_checker_get_pair_stats (NavChecker *checker,
                                          guint stream_id);

/* nav-ice-pairs.c */
void nav_ice_pair_stop_check (Pair *pair);
void nav_ice_stream_free (gpointer data);
Stream *nav_ice_ensure_stream (NavIceChecker *self,
                               guint stream_id);
Component *nav_ice_ensure_component (Stream *stream,
                                     guint component_id);
void nav_ice_remove_triggered (NavIceChecker *self,
                               Pair *pair);
void nav_ice_set_pair_state (NavIceChecker *self,
                             Pair *pair,
                             NavPairState state);
void nav_ice_set_role (NavIceChecker *self,
                       gboolean controlling);
Pair *nav_ice_find_pair (Stream *stream,
                         const NavCandidate *local,
                         const NavCandidate *remote);
gboolean nav_ice_foundation_active (Stream *stream,
                                    const gchar *foundation);
Pair *nav_ice_add_pair (NavIceChecker *self,
                        Component *component,
                        NavCandidate *local,
                        NavCandidate *remote);
NavCandidateTransport nav_ice_peer_transport (NavCandidateTransport transport);
gboolean nav_ice_is_tcp (NavCandidateTransport transport);
Component *nav_ice_lookup_component (NavIceChecker *self,
                                     guint stream_id,
                                     guint component_id);
void nav_ice_checker_set_local_credentials (NavChecker *checker,
                                            guint stream_id,
                                            const gchar *ufrag,
                                            const gchar *pwd);
void nav_ice_checker_set_remote_credentials (NavChecker *checker,
                                             guint stream_id,
                                             const gchar *ufrag,
                                             const gchar *pwd);
NavCandidate *nav_ice_find_candidate (GPtrArray *candidates,
                                      const NavCandidate *candidate);
void nav_ice_checker_add_local_candidate (NavChecker *checker,
                                          const NavCandidate *candidate);
void nav_ice_checker_add_remote_candidate (NavChecker *checker,
                                           const NavCandidate *candidate);
void nav_ice_checker_remote_gathering_done (NavChecker *checker,
                                            guint stream_id);

/* nav-ice-checks.c */
gboolean nav_ice_send_on (NavCandidate *local,
                          const NavAddress *to,
                          const guint8 *data,
                          gsize len,
                          GError **error);
gboolean nav_ice_send_request (Pair *pair,
                               const guint8 *data,
                               gsize len,
                               gboolean tcp_failure_fails,
                               GError **error);
GBytes *nav_ice_build_request (NavIceChecker *self,
                               Pair *pair,
                               gboolean use_candidate);
NavStunTransaction *nav_ice_transaction_new (NavIceChecker *self,
                                             Pair *pair,
                                             GBytes *request,
                                             const NavStunRetransmitParams *params,
                                             NavStunTransactionSendFunc send_func,
                                             NavStunTransactionDoneFunc done_func);
void nav_ice_enqueue_triggered (NavIceChecker *self,
                                Pair *pair);
void nav_ice_schedule_tick (NavIceChecker *self);
void nav_ice_set_component_state (NavIceChecker *self,
                                  Component *component,
                                  NavComponentState state);
void nav_ice_update_component_state (NavIceChecker *self,
                                     Component *component);
void nav_ice_select_pair (NavIceChecker *self,
                          Pair *pair);
void nav_ice_handle_response (NavIceChecker *self,
                              Stream *stream,
                              Pair *pair,
                              NavStunMessage *msg,
                              NavTransport *transport,
                              const NavAddress *from);

/* nav-ice-requests.c */
void nav_ice_handle_request (NavIceChecker *self,
                             Stream *stream,
                             Component *component,
                             NavCandidate *base,
                             NavStunMessage *msg,
                             NavTransport *transport,
                             const NavAddress *from);
gboolean nav_ice_checker_handle_message (NavChecker *checker,
                                         NavTransport *transport,
                                         const guint8 *data,
                                         gsize len,
                                         const NavAddress *from);

/* nav-ice-consent.c */
void nav_ice_schedule_consent (NavIceChecker *self);
gboolean nav_ice_handle_consent_response (NavIceChecker *self,
                                          NavStunMessage *msg,
                                          const NavAddress *from);

G_END_DECLS
