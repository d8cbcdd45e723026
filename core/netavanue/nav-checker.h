/* nav-checker.h: the interface of connectivity checkers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-candidate.h>
#include <netavanue/nav-transport.h>
#include <netavanue/nav-config.h>

G_BEGIN_DECLS

/**
 * NAV_CHECKER_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.Checker]
 * implementations register.
 */
#define NAV_CHECKER_EXTENSION_POINT_NAME "nav-checker"

/**
 * NavPairState:
 * @NAV_PAIR_STATE_FROZEN: waiting for a pair of the same foundation.
 * @NAV_PAIR_STATE_WAITING: ready to be checked.
 * @NAV_PAIR_STATE_IN_PROGRESS: a check was sent, no answer yet.
 * @NAV_PAIR_STATE_SUCCEEDED: a check succeeded.
 * @NAV_PAIR_STATE_FAILED: the check failed or timed out.
 *
 * The states of a candidate pair (RFC 8445 §6.1.2.6).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_PAIR_STATE_FROZEN,
  NAV_PAIR_STATE_WAITING,
  NAV_PAIR_STATE_IN_PROGRESS,
  NAV_PAIR_STATE_SUCCEEDED,
  NAV_PAIR_STATE_FAILED,
} NavPairState;

/**
 * NavNominationMode:
 * @NAV_NOMINATION_MODE_REGULAR: nominate one valid pair with a second
 *   check (RFC 8445 §8.1.1).
 * @NAV_NOMINATION_MODE_AGGRESSIVE: every check nominates (RFC 5245
 *   §8.1.1.2).
 *
 * How the controlling agent nominates, as libnice's `NiceNominationMode`.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_NOMINATION_MODE_REGULAR,
  NAV_NOMINATION_MODE_AGGRESSIVE,
} NavNominationMode;

#define NAV_TYPE_CHECKER (nav_checker_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavChecker, nav_checker, NAV, CHECKER, GObject)

/**
 * NavCheckerInterface:
 * @g_iface: the parent interface.
 * @set_local_credentials: sets a stream's local username fragment and
 *   password.
 * @set_remote_credentials: sets a stream's remote username fragment and
 *   password.
 * @add_local_candidate: adds a local candidate (with its owning transport).
 * @add_remote_candidate: adds a remote candidate.
 * @remote_gathering_done: the peer will send no more candidates for the
 *   stream (RFC 8838 end-of-candidates).
 * @start: starts the checks of a stream.
 * @remove_stream: forgets a stream, its pairs and its timers.
 * @handle_message: offers the checker a STUN message received on one of
 *   its local candidates' transports; returns %TRUE when the checker
 *   consumed it (a connectivity check, its response, a consent request).
 * @pair_state_changed: class handler of the signal.
 * @selected_pair: class handler of the signal.
 * @component_state_changed: class handler of the signal.
 * @set_selected_pair: forces a component's selected pair and stops its
 *   checks.
 * @revoke_consent: the application revoked consent on a component
 *   (RFC 7675 §5.2): it fails, and the peer's checks on it are answered
 *   with 403 until the stream is restarted.
 * @incoming_check: class handler of [signal@Nav.Checker::incoming-check].
 * @get_pair_stats: the stream's candidate pairs with their counters, as
 *   [method@Nav.Checker.get_pair_stats] describes.
 * @configure: takes the agent's settings (a configuration of
 *   [ctor@Nav.Config.new_for_checker]), at any time, failing with
 *   %NAV_ERROR_NOT_SUPPORTED, naming it, on a setting that is set and the
 *   checker cannot honour; %NULL means each setting that is set goes to
 *   the writable property of the same name.
 *
 * The virtual methods of [iface@Nav.Checker].
 *
 * Since: 1.0
 */
struct _NavCheckerInterface
{
  GTypeInterface g_iface;

  void     (*set_local_credentials)  (NavChecker         *self,
                                      guint               stream_id,
                                      const gchar        *ufrag,
                                      const gchar        *pwd);
  void     (*set_remote_credentials) (NavChecker         *self,
                                      guint               stream_id,
                                      const gchar        *ufrag,
                                      const gchar        *pwd);
  void     (*add_local_candidate)    (NavChecker         *self,
                                      const NavCandidate *candidate);
  void     (*add_remote_candidate)   (NavChecker         *self,
                                      const NavCandidate *candidate);
  void     (*remote_gathering_done)  (NavChecker         *self,
                                      guint               stream_id);
  gboolean (*start)                  (NavChecker         *self,
                                      guint               stream_id,
                                      GError            **error);
  void     (*remove_stream)          (NavChecker         *self,
                                      guint               stream_id);

  /* signals */
  void     (*pair_state_changed)     (NavChecker         *self,
                                      NavCandidate       *local,
                                      NavCandidate       *remote,
                                      NavPairState        state);
  void     (*selected_pair)          (NavChecker         *self,
                                      guint               stream_id,
                                      guint               component_id,
                                      NavCandidate       *local,
                                      NavCandidate       *remote);
  void     (*component_state_changed) (NavChecker        *self,
                                       guint              stream_id,
                                       guint              component_id,
                                       NavComponentState  state);

  gboolean (*handle_message)          (NavChecker        *self,
                                       NavTransport      *transport,
                                       const guint8      *data,
                                       gsize              len,
                                       const NavAddress  *from);

  gboolean (*set_selected_pair)       (NavChecker         *self,
                                       const NavCandidate *local,
                                       const NavCandidate *remote);

  gboolean (*revoke_consent)          (NavChecker         *self,
                                       guint               stream_id,
                                       guint               component_id);

  gboolean (*configure)               (NavChecker         *self,
                                       const NavConfig    *config,
                                       GError            **error);

  /* signals */
  void     (*incoming_check)          (NavChecker         *self,
                                       NavCandidate       *local,
                                       NavCandidate       *remote);

  GVariant *(*get_pair_stats)         (NavChecker         *self,
                                       guint               stream_id);

  /*< private >*/
  gpointer padding[2];
};

NAV_AVAILABLE_IN_ALL
void     nav_checker_set_local_credentials  (NavChecker         *self,
                                             guint               stream_id,
                                             const gchar        *ufrag,
                                             const gchar        *pwd);
NAV_AVAILABLE_IN_ALL
void     nav_checker_set_remote_credentials (NavChecker         *self,
                                             guint               stream_id,
                                             const gchar        *ufrag,
                                             const gchar        *pwd);
NAV_AVAILABLE_IN_ALL
void     nav_checker_add_local_candidate    (NavChecker         *self,
                                             const NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
void     nav_checker_add_remote_candidate   (NavChecker         *self,
                                             const NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
void     nav_checker_remote_gathering_done  (NavChecker         *self,
                                             guint               stream_id);
NAV_AVAILABLE_IN_ALL
gboolean nav_checker_start                  (NavChecker         *self,
                                             guint               stream_id,
                                             GError            **error);
NAV_AVAILABLE_IN_ALL
void     nav_checker_remove_stream          (NavChecker         *self,
                                             guint               stream_id);
NAV_AVAILABLE_IN_ALL
gboolean nav_checker_set_selected_pair      (NavChecker         *self,
                                             const NavCandidate *local,
                                             const NavCandidate *remote);
NAV_AVAILABLE_IN_ALL
gboolean nav_checker_revoke_consent         (NavChecker         *self,
                                             guint               stream_id,
                                             guint               component_id);
NAV_AVAILABLE_IN_ALL
gboolean nav_checker_configure              (NavChecker         *self,
                                             const NavConfig    *config,
                                             GError            **error);
NAV_AVAILABLE_IN_ALL
gboolean nav_checker_handle_message         (NavChecker         *self,
                                             NavTransport       *transport,
                                             const guint8       *data,
                                             gsize               len,
                                             const NavAddress   *from);
NAV_AVAILABLE_IN_ALL
GVariant *nav_checker_get_pair_stats        (NavChecker         *self,
                                             guint               stream_id);

G_END_DECLS
