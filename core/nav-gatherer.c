/* nav-gatherer.c: the interface of candidate gatherers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-config-private.h"

/**
 * NavGatherer:
 *
 * Produces the local candidates of a component: host candidates
 * ([class@Nav.HostGatherer], in the core), server-reflexive ones (the STUN
 * tier), relayed ones (the TURN tier).  The agent runs every gatherer of
 * the registry for each component, passing the host candidates as the
 * bases the others build on.
 *
 * A gatherer emits [signal@Nav.Gatherer::candidate-gathered] for each
 * candidate, then [signal@Nav.Gatherer::done] once per
 * [method@Nav.Gatherer.gather] call, in its main context
 * ([property@Nav.Gatherer:context]), never from inside the call.
 *
 * What the agent sets on a gatherer it asks the registry for is declared
 * here, as the settings of a [struct@Nav.Config] (see
 * [ctor@Nav.Config.new_for_gatherer]), and given with
 * [method@Nav.Gatherer.configure] before the first
 * [method@Nav.Gatherer.gather]:
 *
 * - `stun-servers` (strv): the STUN servers of server-reflexive
 *   candidates, as `host:port` (an IPv6 host in brackets);
 * - `relay-server` (string), `relay-type` ([enum@Nav.RelayType]),
 *   `relay-username` and `relay-password` (strings): the TURN server of
 *   relayed candidates and its long-term credentials;
 * - `stun-initial-timeout`, `stun-max-retransmissions` and
 *   `stun-reliable-timeout` (unsigned integers): the RTO in milliseconds,
 *   the retransmissions (Rc − 1) and Ti in milliseconds of the requests
 *   to those servers (RFC 8489 §6.2);
 * - `software` (string): their SOFTWARE attribute (RFC 8489 §14.14).
 *
 * A setting that does not exist, or a value of another type or out of its
 * range, is an error that names it; so is a setting the gatherer cannot
 * honour.  Nothing is skipped silently.
 *
 * Since: 1.0
 */

/* ------------------------------------------------------------ settings */

const NavConfigSchema *
nav_gatherer_config_schema (void)
{
  static NavConfigSchema schema;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
      GParamSpec *specs[] = {
        g_param_spec_boxed ("stun-servers", NULL,
                            "STUN servers of server-reflexive candidates, host:port",
                            G_TYPE_STRV, flags),
        g_param_spec_string ("relay-server", NULL,
                             "TURN server of relayed candidates, host:port", NULL, flags),
        g_param_spec_enum ("relay-type", NULL, "How the TURN server is reached",
                           NAV_TYPE_RELAY_TYPE, NAV_RELAY_TYPE_TURN_UDP, flags),
        g_param_spec_string ("relay-username", NULL, "TURN username", NULL, flags),
        g_param_spec_string ("relay-password", NULL, "TURN password", NULL, flags),
        /* RFC 8489 §6.2.1: RTO 500 ms, Rc 7; §6.2.2: Ti 39.5 s. */
        g_param_spec_uint ("stun-initial-timeout", NULL,
                           "First retransmission timeout of a request over UDP (ms)",
                           1, G_MAXUINT, 500, flags),
        g_param_spec_uint ("stun-max-retransmissions", NULL,
                           "Retransmissions of a request over UDP", 0, 64, 6, flags),
        g_param_spec_uint ("stun-reliable-timeout", NULL,
                           "Timeout of a request over TCP or TLS (ms)",
                           1, G_MAXUINT, 39500, flags),
        g_param_spec_string ("software", NULL, "SOFTWARE attribute of the requests",
                             NULL, flags),
      };

      nav_config_schema_init (&schema, NAV_TYPE_GATHERER, specs, G_N_ELEMENTS (specs));
      schema.unknown = N_("Unknown gatherer setting “%s”");
      schema.wrong_type = N_("The gatherer setting “%s” takes a %s, not a %s");
      schema.out_of_range = N_("The value %s is out of the range of the gatherer setting “%s”");
      schema.unsupported = N_("The gatherer %s does not take the setting “%s”");
      g_once_init_leave (&initialized, 1);
    }
  return &schema;
}


G_DEFINE_INTERFACE (NavGatherer, nav_gatherer, G_TYPE_OBJECT)

enum {
  SIGNAL_CANDIDATE_GATHERED,
  SIGNAL_DONE,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nav_gatherer_default_init (NavGathererInterface *iface)
{
  /**
   * NavGatherer:context:
   *
   * The main context of the gatherer's sockets, timers and signals; %NULL
   * at construction means the thread-default context.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("context", NULL, NULL,
                          G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * NavGatherer::candidate-gathered:
   * @self: the gatherer
   * @candidate: the new local candidate
   *
   * Emitted for each candidate found.
   *
   * Since: 1.0
   */
  signals[SIGNAL_CANDIDATE_GATHERED] =
    g_signal_new ("candidate-gathered", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavGathererInterface, candidate_gathered),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAV_TYPE_CANDIDATE);

  /**
   * NavGatherer::done:
   * @self: the gatherer
   * @stream_id: the stream
   * @component_id: the component
   *
   * Emitted once per [method@Nav.Gatherer.gather] call when the gatherer
   * will find no more candidates for that component, even when it found
   * none.
   *
   * Since: 1.0
   */
  signals[SIGNAL_DONE] =
    g_signal_new ("done", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavGathererInterface, done),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  /**
   * NavGatherer::server-failed:
   * @self: the gatherer
   * @stream_id: the stream
   * @component_id: the component
   * @error: why: the server refused the credentials, never answered, could
   *   not be resolved, …
   *
   * Emitted before [signal@Nav.Gatherer::done] when the gatherer's server
   * gave no candidate because of an error an application should show
   * (the `stun` gatherer when none of its requests was answered, the
   * `turn` gatherer when the allocation failed).  A gatherer that found
   * nothing for a reason that is no error (no base of the server's
   * address family) does not emit it.
   *
   * Since: 1.0
   */
  signals[SIGNAL_FAILED] =
    g_signal_new ("server-failed", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);
}

/**
 * nav_gatherer_gather:
 * @self: a gatherer
 * @stream_id: the stream
 * @component_id: the component
 * @bases: (element-type Nav.Candidate) (nullable): the component's host
 *   candidates, with their owning transports
 *
 * Starts gathering the candidates of one component.
 *
 * Since: 1.0
 */
void
nav_gatherer_gather (NavGatherer *self,
                     guint        stream_id,
                     guint        component_id,
                     GPtrArray   *bases)
{
  g_return_if_fail (NAV_IS_GATHERER (self));
  g_return_if_fail (NAV_GATHERER_GET_IFACE (self)->gather != NULL);

  NAV_GATHERER_GET_IFACE (self)->gather (self, stream_id, component_id, bases);
}

/**
 * nav_gatherer_stop:
 * @self: a gatherer
 *
 * Stops every gathering under way; [signal@Nav.Gatherer::done] is still
 * emitted for each.
 *
 * Since: 1.0
 */
void
nav_gatherer_stop (NavGatherer *self)
{
  g_return_if_fail (NAV_IS_GATHERER (self));

  if (NAV_GATHERER_GET_IFACE (self)->stop != NULL)
    NAV_GATHERER_GET_IFACE (self)->stop (self);
}

/**
 * nav_gatherer_get_context:
 * @self: a gatherer
 *
 * Returns: (transfer none): the main context of the gatherer
 *
 * Since: 1.0
 */
GMainContext *
nav_gatherer_get_context (NavGatherer *self)
{
  GMainContext *context = NULL;

  g_return_val_if_fail (NAV_IS_GATHERER (self), NULL);

  g_object_get (self, "context", &context, NULL);
  if (context == NULL)
    return g_main_context_default ();
  g_main_context_unref (context);
  return context;
}

/**
 * nav_gatherer_configure:
 * @self: a gatherer
 * @config: the settings
 * @error: return location for a #GError
 *
 * Gives the gatherer the agent's settings, before its first
 * [method@Nav.Gatherer.gather].  A gatherer without its own
 * [vfunc@Nav.Gatherer.configure] takes each setting that is set on its
 * writable property of the same name.
 *
 * Returns: %TRUE when the gatherer took every setting that is set;
 *   %FALSE with %NAV_ERROR_NOT_SUPPORTED naming one it cannot honour
 *
 * Since: 1.0
 */
gboolean
nav_gatherer_configure (NavGatherer      *self,
                        const NavConfig  *config,
                        GError          **error)
{
  NavGathererInterface *iface;

  g_return_val_if_fail (NAV_IS_GATHERER (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (nav_config_get_interface (config) == NAV_TYPE_GATHERER, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NAV_GATHERER_GET_IFACE (self);
  if (iface->configure != NULL)
    return iface->configure (self, config, error);
  return nav_config_apply_to_object (config, G_OBJECT (self), error);
}

/**
 * nav_gatherer_emit_candidate_gathered:
 * @self: a gatherer
 * @candidate: the candidate found
 *
 * For implementations: emits [signal@Nav.Gatherer::candidate-gathered].
 *
 * Since: 1.0
 */
void
nav_gatherer_emit_candidate_gathered (NavGatherer  *self,
                                      NavCandidate *candidate)
{
  g_return_if_fail (NAV_IS_GATHERER (self));
  g_return_if_fail (candidate != NULL);

  g_signal_emit (self, signals[SIGNAL_CANDIDATE_GATHERED], 0, candidate);
}

/**
 * nav_gatherer_emit_done:
 * @self: a gatherer
 * @stream_id: the stream
 * @component_id: the component
 *
 * For implementations: emits [signal@Nav.Gatherer::done].
 *
 * Since: 1.0
 */
void
nav_gatherer_emit_done (NavGatherer *self,
                        guint        stream_id,
                        guint        component_id)
{
  g_return_if_fail (NAV_IS_GATHERER (self));

  g_signal_emit (self, signals[SIGNAL_DONE], 0, stream_id, component_id);
}

/**
 * nav_gatherer_emit_failed:
 * @self: a gatherer
 * @stream_id: the stream
 * @component_id: the component
 * @error: why the server gave no candidate
 *
 * For implementations: emits [signal@Nav.Gatherer::server-failed], before
 * [method@Nav.Gatherer.emit_done].
 *
 * Since: 1.0
 */
void
nav_gatherer_emit_failed (NavGatherer  *self,
                          guint         stream_id,
                          guint         component_id,
                          const GError *error)
{
  g_return_if_fail (NAV_IS_GATHERER (self));
  g_return_if_fail (error != NULL);

  g_signal_emit (self, signals[SIGNAL_FAILED], 0, stream_id, component_id, error);
}
