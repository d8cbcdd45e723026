/* nav-checker.c: the interface of connectivity checkers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-config-private.h"

/**
 * NavChecker:
 *
 * Runs the connectivity checks of ICE (RFC 8445 §6–§8): pairs local and
 * remote candidates, checks them, nominates, and tells which pair each
 * component uses through [signal@Nav.Checker::selected-pair].  The ICE tier
 * provides the implementation; the agent feeds it the candidates its
 * gatherers find and those the peer sends.
 *
 * What the agent sets on its checker is declared here, as the settings
 * of a [struct@Nav.Config] ([ctor@Nav.Config.new_for_checker]), given
 * with [method@Nav.Checker.configure] at construction and whenever the
 * agent's properties change:
 *
 * - `nomination-mode` ([enum@Nav.NominationMode]): how the controlling
 *   agent nominates;
 * - `stun-pacing-timer`: Ta in milliseconds (RFC 8445 §14.2);
 * - `max-connectivity-checks`: the largest check list (§6.1.2.5);
 * - `stun-initial-timeout`, `stun-max-retransmissions`,
 *   `stun-reliable-timeout`: the RTO, the retransmissions and, over TCP,
 *   the timeout of a check (RFC 8489 §6.2);
 * - `consent-freshness`, `consent-interval`, `consent-timeout`: consent
 *   freshness on selected pairs (RFC 7675);
 * - `ice-trickle`: a check list fails only after the peer's
 *   end-of-candidates (RFC 8838);
 * - `lite`: ICE-lite, answering checks and sending none (RFC 8445 §2.5);
 * - `software`: the SOFTWARE attribute of checks and responses.
 *
 * A setting that does not exist, or a value of another type or out of its
 * range, is an error that names it; so is a setting the checker cannot
 * honour.  The role (`controlling-mode`) is a property of the interface:
 * it changes with role conflicts.
 *
 * Since: 1.0
 */

const NavConfigSchema *
nav_checker_config_schema (void)
{
  static NavConfigSchema schema;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
      GParamSpec *specs[] = {
        g_param_spec_enum ("nomination-mode", NULL,
                           "How the controlling agent nominates pairs (RFC 8445 §8.1.1)",
                           NAV_TYPE_NOMINATION_MODE, NAV_NOMINATION_MODE_REGULAR, flags),
        /* RFC 8445 §14.2: Ta of 50 ms. */
        g_param_spec_uint ("stun-pacing-timer", NULL,
                           "Milliseconds between two new checks (Ta)", 1, G_MAXUINT, 50, flags),
        /* RFC 8445 §6.1.2.5: libnice's limit. */
        g_param_spec_uint ("max-connectivity-checks", NULL,
                           "Largest number of pairs of a check list", 1, G_MAXUINT, 100, flags),
        /* RFC 8489 §6.2.1: RTO 500 ms, Rc 7. */
        g_param_spec_uint ("stun-initial-timeout", NULL,
                           "First retransmission timeout of a check (ms)",
                           1, G_MAXUINT, 500, flags),
        g_param_spec_uint ("stun-max-retransmissions", NULL,
                           "Retransmissions of a check before its pair fails", 0, 64, 6, flags),
        g_param_spec_uint ("stun-reliable-timeout", NULL,
                           "How long a check over TCP waits for its response (ms)",
                           1, G_MAXUINT, 7900, flags),
        /* RFC 7675 §5.1: every 5 s, lost after 30 s. */
        g_param_spec_boolean ("consent-freshness", NULL,
                              "Consent freshness on selected pairs (RFC 7675)", TRUE, flags),
        g_param_spec_uint ("consent-interval", NULL,
                           "Milliseconds between two consent requests",
                           10, G_MAXUINT, 5000, flags),
        g_param_spec_uint ("consent-timeout", NULL,
                           "Milliseconds of silence after which consent is lost",
                           20, G_MAXUINT, 30000, flags),
        g_param_spec_boolean ("ice-trickle", NULL,
                              "Wait for the peer's end-of-candidates before failing (RFC 8838)",
                              FALSE, flags),
        g_param_spec_boolean ("lite", NULL,
                              "ICE-lite: answer checks, never send any (RFC 8445 §2.5)",
                              FALSE, flags),
        g_param_spec_string ("software", NULL,
                             "SOFTWARE attribute of checks and responses", NULL, flags),
      };

      nav_config_schema_init (&schema, NAV_TYPE_CHECKER, specs, G_N_ELEMENTS (specs));
      schema.unknown = N_("Unknown checker setting “%s”");
      schema.wrong_type = N_("The checker setting “%s” takes a %s, not a %s");
      schema.out_of_range = N_("The value %s is out of the range of the checker setting “%s”");
      schema.unsupported = N_("The checker %s does not take the setting “%s”");
      g_once_init_leave (&initialized, 1);
    }
  return &schema;
}

G_DEFINE_INTERFACE (NavChecker, nav_checker, G_TYPE_OBJECT)

enum {
  SIGNAL_PAIR_STATE_CHANGED,
  SIGNAL_SELECTED_PAIR,
  SIGNAL_COMPONENT_STATE_CHANGED,
  SIGNAL_INCOMING_CHECK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nav_checker_default_init (NavCheckerInterface *iface)
{
  /**
   * NavChecker:context:
   *
   * The main context of the checker's timers and signals; %NULL at
   * construction means the thread-default context.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("context", NULL, NULL,
                          G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * NavChecker:controlling-mode:
   *
   * Whether the agent is in the controlling role (RFC 8445 §6.1.1).
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boolean ("controlling-mode", NULL, NULL,
                            FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChecker::pair-state-changed:
   * @self: the checker
   * @local: the pair's local candidate
   * @remote: the pair's remote candidate
   * @state: the pair's new state
   *
   * Emitted when a candidate pair changes state.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PAIR_STATE_CHANGED] =
    g_signal_new ("pair-state-changed", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavCheckerInterface, pair_state_changed),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  NAV_TYPE_CANDIDATE, NAV_TYPE_CANDIDATE, NAV_TYPE_PAIR_STATE);

  /**
   * NavChecker::selected-pair:
   * @self: the checker
   * @stream_id: the stream
   * @component_id: the component
   * @local: the selected pair's local candidate (its owner is the
   *   transport to send through)
   * @remote: the selected pair's remote candidate
   *
   * Emitted when a component's selected pair is chosen or changes.
   *
   * Since: 1.0
   */
  signals[SIGNAL_SELECTED_PAIR] =
    g_signal_new ("selected-pair", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavCheckerInterface, selected_pair),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_UINT, G_TYPE_UINT,
                  NAV_TYPE_CANDIDATE, NAV_TYPE_CANDIDATE);

  /**
   * NavChecker::component-state-changed:
   * @self: the checker
   * @stream_id: the stream
   * @component_id: the component
   * @state: the new state
   *
   * Emitted when a component changes state.
   *
   * Since: 1.0
   */
  signals[SIGNAL_COMPONENT_STATE_CHANGED] =
    g_signal_new ("component-state-changed", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavCheckerInterface, component_state_changed),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_UINT, NAV_TYPE_COMPONENT_STATE);

  /**
   * NavChecker::incoming-check:
   * @self: the checker
   * @local: the local candidate the check arrived on (its owner is the
   *   transport that received it)
   * @remote: the peer's candidate it came from, peer-reflexive when it
   *   was unknown
   *
   * Emitted for each connectivity check (or consent request) of the peer
   * that passed authentication with the stream's local credentials and
   * was answered with success (RFC 8445 §7.3): the peer proved it holds
   * @remote's address on the path to @local.  With the pairs whose own
   * checks succeeded ([signal@Nav.Checker::pair-state-changed]) and the
   * selected pairs, these are the sources the agent accepts application
   * data from (RFC 8445 §11), as libnice's valid candidates: data can
   * arrive on a pair before it is selected.
   *
   * Since: 1.0
   */
  signals[SIGNAL_INCOMING_CHECK] =
    g_signal_new ("incoming-check", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavCheckerInterface, incoming_check),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  NAV_TYPE_CANDIDATE, NAV_TYPE_CANDIDATE);
}

/**
 * nav_checker_set_local_credentials:
 * @self: a checker
 * @stream_id: the stream
 * @ufrag: the local username fragment
 * @pwd: the local password
 *
 * Sets the credentials the peer's checks must carry (RFC 8445 §7.2.2).
 *
 * Since: 1.0
 */
void
nav_checker_set_local_credentials (NavChecker  *self,
                                   guint        stream_id,
                                   const gchar *ufrag,
                                   const gchar *pwd)
{
  g_return_if_fail (NAV_IS_CHECKER (self));
  g_return_if_fail (ufrag != NULL && pwd != NULL);

  NAV_CHECKER_GET_IFACE (self)->set_local_credentials (self, stream_id, ufrag, pwd);
}

/**
 * nav_checker_set_remote_credentials:
 * @self: a checker
 * @stream_id: the stream
 * @ufrag: the peer's username fragment
 * @pwd: the peer's password
 *
 * Sets the credentials of the peer, used to sign our checks.
 *
 * Since: 1.0
 */
void
nav_checker_set_remote_credentials (NavChecker  *self,
                                    guint        stream_id,
                                    const gchar *ufrag,
                                    const gchar *pwd)
{
  g_return_if_fail (NAV_IS_CHECKER (self));
  g_return_if_fail (ufrag != NULL && pwd != NULL);

  NAV_CHECKER_GET_IFACE (self)->set_remote_credentials (self, stream_id, ufrag, pwd);
}

/**
 * nav_checker_add_local_candidate:
 * @self: a checker
 * @candidate: a local candidate, with its owner set
 *
 * Adds a local candidate; the checker copies it.
 *
 * Since: 1.0
 */
void
nav_checker_add_local_candidate (NavChecker         *self,
                                 const NavCandidate *candidate)
{
  g_return_if_fail (NAV_IS_CHECKER (self));
  g_return_if_fail (candidate != NULL);

  NAV_CHECKER_GET_IFACE (self)->add_local_candidate (self, candidate);
}

/**
 * nav_checker_add_remote_candidate:
 * @self: a checker
 * @candidate: a candidate of the peer
 *
 * Adds a remote candidate; the checker copies it.
 *
 * Since: 1.0
 */
void
nav_checker_add_remote_candidate (NavChecker         *self,
                                  const NavCandidate *candidate)
{
  g_return_if_fail (NAV_IS_CHECKER (self));
  g_return_if_fail (candidate != NULL);

  NAV_CHECKER_GET_IFACE (self)->add_remote_candidate (self, candidate);
}

/**
 * nav_checker_remote_gathering_done:
 * @self: a checker
 * @stream_id: the stream
 *
 * Tells the checker the peer will send no more candidates for the stream
 * (RFC 8838 §8.2, end-of-candidates), so that a failed check list can be
 * declared failed.
 *
 * Since: 1.0
 */
void
nav_checker_remote_gathering_done (NavChecker *self,
                                   guint       stream_id)
{
  g_return_if_fail (NAV_IS_CHECKER (self));

  if (NAV_CHECKER_GET_IFACE (self)->remote_gathering_done != NULL)
    NAV_CHECKER_GET_IFACE (self)->remote_gathering_done (self, stream_id);
}

/**
 * nav_checker_set_selected_pair:
 * @self: a checker
 * @local: a local candidate of the component
 * @remote: a remote candidate of the same component
 *
 * Makes @local and @remote the component's selected pair whatever the
 * checks said, and stops the component's checks (as libnice's
 * `nice_agent_set_selected_pair()`): the component becomes
 * %NAV_COMPONENT_STATE_READY and [signal@Nav.Checker::selected-pair] is
 * emitted.  Keepalives (and consent checks) go on on the pair.
 *
 * Returns: %TRUE when the checker knows both candidates
 *
 * Since: 1.0
 */
gboolean
nav_checker_set_selected_pair (NavChecker         *self,
                               const NavCandidate *local,
                               const NavCandidate *remote)
{
  g_return_val_if_fail (NAV_IS_CHECKER (self), FALSE);
  g_return_val_if_fail (local != NULL && remote != NULL, FALSE);

  if (NAV_CHECKER_GET_IFACE (self)->set_selected_pair == NULL)
    return FALSE;
  return NAV_CHECKER_GET_IFACE (self)->set_selected_pair (self, local, remote);
}

/**
 * nav_checker_revoke_consent:
 * @self: a checker
 * @stream_id: the stream
 * @component_id: the component
 *
 * Revokes consent on a component, as the application decided
 * (RFC 7675 §5.2, e.g. its DTLS layer received a close): the component
 * becomes %NAV_COMPONENT_STATE_FAILED, sends no more consent checks nor
 * keepalives, and every authenticated Binding request the peer sends on
 * it is answered with a 403 (Forbidden) error, which ends the peer's
 * consent at once.  An ICE restart of the stream gives consent back.
 *
 * Returns: %TRUE when the checker knows the component and supports
 *   revocation
 *
 * Since: 1.0
 */
gboolean
nav_checker_revoke_consent (NavChecker *self,
                            guint       stream_id,
                            guint       component_id)
{
  g_return_val_if_fail (NAV_IS_CHECKER (self), FALSE);

  if (NAV_CHECKER_GET_IFACE (self)->revoke_consent == NULL)
    return FALSE;
  return NAV_CHECKER_GET_IFACE (self)->revoke_consent (self, stream_id, component_id);
}

/**
 * nav_checker_configure:
 * @self: a checker
 * @config: the settings
 * @error: return location for a #GError
 *
 * Gives the checker the agent's settings; it may be called again when
 * they change.  A checker without its own [vfunc@Nav.Checker.configure]
 * takes each setting that is set on its writable property of the same
 * name.
 *
 * Returns: %TRUE when the checker took every setting that is set;
 *   %FALSE with %NAV_ERROR_NOT_SUPPORTED naming one it cannot honour
 *
 * Since: 1.0
 */
gboolean
nav_checker_configure (NavChecker       *self,
                       const NavConfig  *config,
                       GError          **error)
{
  NavCheckerInterface *iface;

  g_return_val_if_fail (NAV_IS_CHECKER (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (nav_config_get_interface (config) == NAV_TYPE_CHECKER, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NAV_CHECKER_GET_IFACE (self);
  if (iface->configure != NULL)
    return iface->configure (self, config, error);
  return nav_config_apply_to_object (config, G_OBJECT (self), error);
}

/**
 * nav_checker_start:
 * @self: a checker
 * @stream_id: the stream
 * @error: return location for a #GError
 *
 * Starts the connectivity checks of a stream.
 *
 * Returns: %TRUE when the checks started
 *
 * Since: 1.0
 */
gboolean
nav_checker_start (NavChecker  *self,
                   guint        stream_id,
                   GError     **error)
{
  g_return_val_if_fail (NAV_IS_CHECKER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NAV_CHECKER_GET_IFACE (self)->start (self, stream_id, error);
}

/**
 * nav_checker_remove_stream:
 * @self: a checker
 * @stream_id: the stream
 *
 * Forgets a stream, its pairs and its timers.
 *
 * Since: 1.0
 */
void
nav_checker_remove_stream (NavChecker *self,
                           guint       stream_id)
{
  g_return_if_fail (NAV_IS_CHECKER (self));

  if (NAV_CHECKER_GET_IFACE (self)->remove_stream != NULL)
    NAV_CHECKER_GET_IFACE (self)->remove_stream (self, stream_id);
}

/**
 * nav_checker_handle_message:
 * @self: a checker
 * @transport: the transport that received the message
 * @data: (array length=len): the message
 * @len: the length of @data
 * @from: where the message came from
 *
 * Offers the checker a STUN message received on @transport, the owner of
 * one of its local candidates.  The agent demultiplexes what its
 * transports receive (RFC 8445 §5.1.1.1: checks and data share the
 * candidates' ports) and calls this for STUN messages only.
 *
 * Returns: %TRUE when the checker consumed the message; %FALSE when it is
 *   not the checker's (for example the response to another tier's
 *   transaction, such as a server-reflexive probe)
 *
 * Since: 1.0
 */
gboolean
nav_checker_handle_message (NavChecker       *self,
                            NavTransport     *transport,
                            const guint8     *data,
                            gsize             len,
                            const NavAddress *from)
{
  g_return_val_if_fail (NAV_IS_CHECKER (self), FALSE);
  g_return_val_if_fail (NAV_IS_TRANSPORT (transport), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (from != NULL, FALSE);

  if (NAV_CHECKER_GET_IFACE (self)->handle_message == NULL)
    return FALSE;
  return NAV_CHECKER_GET_IFACE (self)->handle_message (self, transport, data, len, from);
}

/**
 * nav_checker_get_pair_stats:
 * @self: a checker
 * @stream_id: the stream
 *
 * Returns the stream's candidate pairs as the statistics of
 * [method@Nav.Agent.get_stats] need them: an array of `a{sv}`
 * dictionaries, one per pair, with the keys
 *
 * - `local-address`, `remote-address` (`s`, "address:port"),
 *   `local-transport`, `remote-transport` (`u`, #NavCandidateTransport),
 *   `local-type`, `remote-type` (`u`, #NavCandidateType), `component-id` (`u`);
 * - `state` (`u`, #NavPairState), `nominated`, `selected` (`b`),
 *   `priority` (`t`);
 * - `requests-sent`, `responses-received`, `requests-received`,
 *   `responses-sent`, `consent-requests-sent` (`t`): connectivity checks
 *   and consent requests (RFC 7675) counted per transmission;
 * - `current-rtt`, `total-rtt` (`x`, µs) and `rtt-count` (`t`): the round
 *   trip of the last answered check or consent request, the sum and the
 *   number of those measured (RFC 8489 §6.2.1: a retransmitted request's
 *   answer is timed from its last transmission).  `current-rtt` is -1
 *   until one was measured.
 *
 * A checker that keeps no statistics returns %NULL.
 *
 * Returns: (transfer full) (nullable): an `aa{sv}` variant, or %NULL
 *
 * Since: 1.0
 */
GVariant *
nav_checker_get_pair_stats (NavChecker *self,
                            guint       stream_id)
{
  GVariant *stats;

  g_return_val_if_fail (NAV_IS_CHECKER (self), NULL);

  if (NAV_CHECKER_GET_IFACE (self)->get_pair_stats == NULL)
    return NULL;
  stats = NAV_CHECKER_GET_IFACE (self)->get_pair_stats (self, stream_id);
  return stats != NULL ? g_variant_ref_sink (stats) : NULL;
}
