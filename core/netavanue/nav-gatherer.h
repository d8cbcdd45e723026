/* nav-gatherer.h: the interface of candidate gatherers
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
#include <netavanue/nav-config.h>

G_BEGIN_DECLS

/**
 * NAV_GATHERER_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.Gatherer]
 * implementations register.
 */
#define NAV_GATHERER_EXTENSION_POINT_NAME "nav-gatherer"

#define NAV_TYPE_GATHERER (nav_gatherer_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavGatherer, nav_gatherer, NAV, GATHERER, GObject)

/**
 * NavGathererInterface:
 * @g_iface: the parent interface.
 * @gather: starts gathering the candidates of one component.  @bases holds
 *   the component's host candidates (with their owning transports) that
 *   other gatherers build on; a gatherer that makes its own bases (the host
 *   gatherer) ignores it.  Emits [signal@Nav.Gatherer::candidate-gathered]
 *   for each candidate, then [signal@Nav.Gatherer::done] exactly once, even
 *   on failure; never synchronously from this call.
 * @stop: stops every gathering under way; [signal@Nav.Gatherer::done] is
 *   still emitted for each.
 * @candidate_gathered: class handler of the signal.
 * @done: class handler of the signal.
 * @configure: takes the agent's settings (a configuration of
 *   [ctor@Nav.Config.new_for_gatherer]) before the first @gather, failing
 *   with %NAV_ERROR_NOT_SUPPORTED, naming it, on a setting that is set
 *   and the gatherer cannot honour; %NULL means each setting that is set
 *   goes to the writable property of the same name.
 *
 * The virtual methods of [iface@Nav.Gatherer].
 *
 * Since: 1.0
 */
struct _NavGathererInterface
{
  GTypeInterface g_iface;

  void (*gather)             (NavGatherer  *self,
                              guint         stream_id,
                              guint         component_id,
                              GPtrArray    *bases);
  void (*stop)               (NavGatherer  *self);

  /* signals */
  void (*candidate_gathered) (NavGatherer  *self,
                              NavCandidate *candidate);
  void (*done)               (NavGatherer  *self,
                              guint         stream_id,
                              guint         component_id);

  gboolean (*configure)      (NavGatherer      *self,
                              const NavConfig  *config,
                              GError          **error);

  /*< private >*/
  gpointer padding[7];
};

NAV_AVAILABLE_IN_ALL
void          nav_gatherer_gather      (NavGatherer  *self,
                                        guint         stream_id,
                                        guint         component_id,
                                        GPtrArray    *bases);
NAV_AVAILABLE_IN_ALL
void          nav_gatherer_stop        (NavGatherer  *self);
NAV_AVAILABLE_IN_ALL
GMainContext *nav_gatherer_get_context (NavGatherer  *self);
NAV_AVAILABLE_IN_ALL
gboolean      nav_gatherer_configure   (NavGatherer      *self,
                                        const NavConfig  *config,
                                        GError          **error);

/* For implementations */
NAV_AVAILABLE_IN_ALL
void          nav_gatherer_emit_candidate_gathered (NavGatherer  *self,
                                                    NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
void          nav_gatherer_emit_done               (NavGatherer  *self,
                                                    guint         stream_id,
                                                    guint         component_id);
NAV_AVAILABLE_IN_ALL
void          nav_gatherer_emit_failed             (NavGatherer  *self,
                                                    guint         stream_id,
                                                    guint         component_id,
                                                    const GError *error);

G_END_DECLS
