/* nav-tool-progress.h: what nav-stun and nav-turn print while a server
 * does not answer
 *
 * A request over UDP is sent again after RTO, 2 RTO, 4 RTO, … (RFC 8489
 * §6.2.1): Rc transmissions, then Rm × RTO for the last answer.  The
 * tools follow the same schedule with a timer of their own and say, at
 * each retransmission, how long they have waited, so that a silent
 * server is visible at once rather than after the whole 39.5 s.  Over
 * TCP and TLS the request is sent once (§6.2.2): they say they are still
 * waiting every few seconds until Ti.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <glib/gi18n.h>

/* RFC 8489 §6.2.1: Rm */
#define NAV_TOOL_PROGRESS_RM 16
#define NAV_TOOL_PROGRESS_RELIABLE_EVERY_MS 5000

typedef struct
{
  const gchar *tool;
  gchar *server;
  gboolean reliable;
  guint rto_ms;
  guint rc;
  guint ti_ms;
  guint sent;                   /* transmissions so far (UDP) */
  gint64 started_us;
  guint source_id;
} NavToolProgress;

static gboolean nav_tool_progress_tick (gpointer user_data);

static void
nav_tool_progress_arm (NavToolProgress *p,
                       guint            after_ms)
{
  p->source_id = g_timeout_add (MAX (after_ms, 1u), nav_tool_progress_tick, p);
}

static gboolean
nav_tool_progress_tick (gpointer user_data)
{
  NavToolProgress *p = user_data;
  gdouble waited = (g_get_monotonic_time () - p->started_us) / (gdouble) G_USEC_PER_SEC;

  p->source_id = 0;
  if (p->reliable)
    {
      g_printerr (_("%s: no answer from %s after %.1f s; waiting up to %.1f s\n"),
                  p->tool, p->server, waited, p->ti_ms / 1000.0);
      nav_tool_progress_arm (p, NAV_TOOL_PROGRESS_RELIABLE_EVERY_MS);
      return G_SOURCE_REMOVE;
    }
  /* transmission k is at (2^(k-1) - 1) RTO */
  p->sent++;
  g_printerr (_("%s: no answer from %s after %.1f s; sending the request again (%u of %u)\n"),
              p->tool, p->server, waited, p->sent, p->rc);
  if (p->sent < p->rc)
    nav_tool_progress_arm (p, p->rto_ms << MIN (p->sent - 1, 20u));
  return G_SOURCE_REMOVE;
}

/* Starts following one request to @server: @reliable for TCP and TLS
 * (then @ti_ms matters), UDP otherwise (@rto_ms, @rc). */
static inline void
nav_tool_progress_start (NavToolProgress *p,
                         const gchar     *tool,
                         const gchar     *server,
                         gboolean         reliable,
                         guint            rto_ms,
                         guint            rc,
                         guint            ti_ms)
{
  p->tool = tool;
  p->server = g_strdup (server);
  p->reliable = reliable;
  p->rto_ms = MAX (rto_ms, 1u);
  p->rc = MAX (rc, 1u);
  p->ti_ms = ti_ms;
  p->sent = 1;
  p->started_us = g_get_monotonic_time ();
  if (reliable)
    nav_tool_progress_arm (p, MIN (ti_ms, (guint) NAV_TOOL_PROGRESS_RELIABLE_EVERY_MS));
  else if (p->rc > 1)
    nav_tool_progress_arm (p, p->rto_ms);
}

/* The answer came, or the request failed: nothing more to say. */
static inline void
nav_tool_progress_stop (NavToolProgress *p)
{
  if (p->source_id != 0)
    g_source_remove (p->source_id);
  p->source_id = 0;
  g_clear_pointer (&p->server, g_free);
}
