/* nav-gatherer.c: the interface of candidate gatherers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"

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
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavGatherer, nav_gatherer, G_TYPE_OBJECT)

enum {
  SIGNAL_CANDIDATE_GATHERED,
  SIGNAL_DONE,
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
