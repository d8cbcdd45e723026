/* nav-demo-group.c: nav-demo --group N (issue 18): N member processes in
 * a room of a signaling server elect a hub; the hub is killed, again and
 * again, and the survivors elect the next one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <netavanue/netavanue.h>

#include "nav-demo-group.h"

static gint opt_group = 0;
static gboolean opt_room_only = FALSE;
static gboolean opt_no_standby = FALSE;
static gint opt_core = 0;
static gint opt_member = -1;
static gint opt_kills = -1;
static gchar *opt_identity = NULL;
static gchar *opt_topology = NULL;
static gint opt_hysteresis = -1;
static gint opt_heartbeat = -1;
static gint opt_lease = -1;
static gchar *opt_control = NULL;
static gint64 opt_claim_bandwidth = -1;
static gboolean opt_claim_reachable = FALSE;

static const GOptionEntry group_entries[] = {
  { "group", 0, 0, G_OPTION_ARG_INT, &opt_group,
    N_("Start N member processes that elect a hub in a signaling room (of --signal, or an "
       "embedded server), print their scores and the hub, and kill hubs to show re-elections"),
    N_("N") },
  { "group-kills", 0, 0, G_OPTION_ARG_INT, &opt_kills,
    N_("With --group: how many hubs to kill (default N - 1)"), N_("K") },
  { "group-member", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &opt_member,
    N_("Run as member I of a group (with --signal and --room); reads “send TEXT” and “quit” "
       "lines on standard input"), N_("I") },
  { "group-identity", 0, 0, G_OPTION_ARG_FILENAME, &opt_identity,
    N_("With --group-member: the device key file (default: a key of this process only)"),
    N_("PATH") },
  { "group-hysteresis", 0, 0, G_OPTION_ARG_INT, &opt_hysteresis,
    N_("With --group-member: the hub changes while alive only for a score this many percent "
       "higher (default 10)"), N_("PERCENT") },
  { "group-heartbeat", 0, 0, G_OPTION_ARG_INT, &opt_heartbeat,
    N_("With --group-member: milliseconds between the hub's heartbeats (default 50)"), N_("MS") },
  { "group-lease", 0, 0, G_OPTION_ARG_INT, &opt_lease,
    N_("With --group-member: milliseconds without a heartbeat before the hub is lost "
       "(default 200; a lossy WAN wants more)"), N_("MS") },
  { "group-control", 0, 0, G_OPTION_ARG_FILENAME, &opt_control,
    N_("With --group-member: read the command lines from this file (a FIFO) instead of "
       "standard input"), N_("PATH") },
  { "group-topology", 0, 0, G_OPTION_ARG_STRING, &opt_topology,
    N_("With --group-member: star (default), mesh or hybrid"), N_("TOPOLOGY") },
  { "group-room-only", 0, 0, G_OPTION_ARG_NONE, &opt_room_only,
    N_("With --group-member: no data channels, everything through the signaling room"), NULL },
  { "group-no-standby", 0, 0, G_OPTION_ARG_NONE, &opt_no_standby,
    N_("With --group-member: spokes keep no warm link to the runner-up"), NULL },
  { "group-claim-bandwidth", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &opt_claim_bandwidth,
    N_("With --group-member: claim this bandwidth whatever was measured, and count claims "
       "unchecked (a lying member, for tests)"), N_("KBPS") },
  { "group-claim-reachable", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_claim_reachable,
    N_("With --group-member: claim that a peer reached this device directly, whatever the "
       "links (a lying member, for tests)"), NULL },
  { "group-core", 0, 0, G_OPTION_ARG_INT, &opt_core,
    N_("With --group-member and the hybrid topology: members in the mesh (default 3)"), N_("K") },
  { NULL }
};

void
nav_demo_group_add_options (GOptionContext *context)
{
  GOptionGroup *group = g_option_group_new ("group", _("Group options:"),
                                            _("Show the group and hub election options"),
                                            NULL, NULL);

  g_option_group_add_entries (group, group_entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_add_group (context, group);
}

gboolean
nav_demo_group_requested (void)
{
  return opt_group > 0 || opt_member >= 0;
}

/* ------------------------------------------------------------- a member */

typedef struct
{
  gint index;
  GMainLoop *loop;
  NavGroup *group;
  GObject *capability;
  gint exit_status;
} Member;

static const gchar *
role_name (NavElectionRole role)
{
  switch (role)
    {
    case NAV_ELECTION_ROLE_HUB: return "hub";
    case NAV_ELECTION_ROLE_SPOKE: return "spoke";
    default: return "electing";
    }
}

static void
on_hub_changed (NavElection *election,
                const gchar *hub_id,
                guint64      epoch,
                Member      *m)
{
  g_autofree gchar *runner = nav_election_dup_runner_up_id (election);

  g_print ("member=%d event=hub hub=%s epoch=%" G_GUINT64_FORMAT " role=%s runner-up=%s t_us=%"
           G_GINT64_FORMAT "\n", m->index, hub_id ? hub_id : "-", epoch,
           role_name (nav_election_get_role (election)), runner ? runner : "-",
           g_get_monotonic_time ());
}

static void
on_refused (NavElection      *election,
            NavRecordRefusal  reason,
            Member           *m)
{
  g_print ("member=%d event=refused reason=%s count=%" G_GUINT64_FORMAT "\n", m->index,
           nav_record_refusal_to_string (reason), nav_election_get_refusals (election, reason));
}

/* Which record was refused, from which sender: the test tells the
 * attacker's records from an honest member's refused hub claims. */
static void
on_record_refused (NavGroup         *group,
                   const gchar      *sender,
                   const gchar      *signer,
                   guint64           sequence,
                   NavRecordRefusal  reason,
                   Member           *m)
{
  g_print ("member=%d event=record-refused from=%s signer=%s sequence=%" G_GUINT64_FORMAT
           " reason=%s\n", m->index, sender != NULL ? sender : "-", signer != NULL ? signer : "-",
           sequence, nav_record_refusal_to_string (reason));
}

static void
on_message (NavGroup    *group,
            const gchar *origin,
            GBytes      *data,
            Member      *m)
{
  gsize length;
  const gchar *text = g_bytes_get_data (data, &length);

  g_print ("member=%d event=message origin=%s text=%.*s t_us=%" G_GINT64_FORMAT "\n",
           m->index, origin, (int) length, text, g_get_monotonic_time ());
}

static void
on_link_changed (NavGroup    *group,
                 const gchar *device_id,
                 gboolean     open,
                 Member      *m)
{
  guint links = 0, created = 0;

  g_object_get (group, "links-open", &links, "links-created", &created, NULL);
  g_print ("member=%d event=link peer=%s state=%s links=%u created=%u t_us=%" G_GINT64_FORMAT "\n",
           m->index, device_id, open ? "open" : "closed", links, created, g_get_monotonic_time ());
}

static void
print_stats (Member *m)
{
  guint links = 0, created = 0, restarts = 0, refused = 0, msg_refused = 0, msg_replayed = 0;
  guint64 room = 0, channel = 0, relay = 0, duplicates = 0;
  guint64 msg_origin = 0, msg_relayed = 0, msg_copies = 0;
  g_autofree gchar *session = NULL;

  g_object_get (m->group, "links-open", &links, "links-created", &created,
                "session-id", &session, "ice-restarts", &restarts, "links-refused", &refused,
                "messages-refused", &msg_refused, "messages-replayed", &msg_replayed, NULL);
  nav_group_get_path_counts (m->group, &room, &channel, &relay, &duplicates);
  nav_group_get_message_counts (m->group, &msg_origin, &msg_relayed, &msg_copies);
  g_print ("member=%d event=stats links=%u created=%u session=%s room=%llu channel=%llu "
           "relay=%llu duplicates=%llu restarts=%u links-refused=%u messages-refused=%u "
           "messages-replayed=%u messages-from-origin=%llu messages-relayed=%llu "
           "message-copies=%llu\n", m->index, links, created,
           session, (unsigned long long) room, (unsigned long long) channel,
           (unsigned long long) relay, (unsigned long long) duplicates, restarts, refused,
           msg_refused, msg_replayed, (unsigned long long) msg_origin,
           (unsigned long long) msg_relayed, (unsigned long long) msg_copies);
}

/* NavGroup:messages-refused and :messages-replayed. */
static void
on_message_counter (NavGroup   *group,
                    GParamSpec *pspec,
                    Member     *m)
{
  guint count = 0;

  g_object_get (group, pspec->name, &count, NULL);
  g_print ("member=%d event=%s count=%u\n", m->index, pspec->name, count);
}

static void
on_claim_capped (NavElection *election,
                 const gchar *device_id,
                 guint        claimed_kbps,
                 guint        counted_kbps,
                 Member      *m)
{
  g_print ("member=%d event=capped-claim member-id=%s claimed=%u counted=%u count=%"
           G_GUINT64_FORMAT "\n", m->index, device_id, claimed_kbps, counted_kbps,
           nav_election_get_capped_claims (election));
}

static void
on_reachability_changed (NavElection *election,
                         const gchar *device_id,
                         gboolean     reachable,
                         Member      *m)
{
  g_print ("member=%d event=reachable member-id=%s reachable=%d t_us=%" G_GINT64_FORMAT "\n",
           m->index, device_id, reachable, g_get_monotonic_time ());
}

static void
on_claim_unconfirmed (NavElection *election,
                      const gchar *device_id,
                      const gchar *claim,
                      Member      *m)
{
  g_print ("member=%d event=unconfirmed-claim member-id=%s claim=%s count=%" G_GUINT64_FORMAT
           "\n", m->index, device_id, claim, nav_election_get_unconfirmed_claims (election));
}

static void
update_claims (Member *m)
{
  g_autoptr (NavCapabilityClaims) claims = NULL;

  g_object_get (m->capability, "claims", &claims, NULL);
  if (opt_claim_bandwidth >= 0)
    claims->bandwidth_kbps = (guint32) MIN (opt_claim_bandwidth, G_MAXUINT32);
  if (opt_claim_reachable)
    claims->reachable = TRUE;
  nav_group_set_claims (m->group, claims);
  g_print ("member=%d event=claims score=%u cpus=%u battery=%u charging=%d reachable=%d\n",
           m->index, nav_capability_claims_default_score (claims),
           claims->cpu_count, claims->battery_percent, claims->charging, claims->reachable);
}

static void
on_capability_changed (GObject *capability,
                       Member  *m)
{
  update_claims (m);
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Member *m = data;
  g_autoptr (GError) error = NULL;

  if (!nav_group_join_finish (NAV_GROUP (source), result, &error))
    {
      g_printerr ("member %d: %s\n", m->index, error->message);
      m->exit_status = 1;
      g_main_loop_quit (m->loop);
      return;
    }
  g_print ("member=%d event=joined\n", m->index);
}

static gboolean
on_stdin (GIOChannel   *channel,
          GIOCondition  condition,
          gpointer      data)
{
  Member *m = data;
  g_autofree gchar *line = NULL;
  gsize length = 0;
  GIOStatus status = g_io_channel_read_line (channel, &line, &length, NULL, NULL);

  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (status != G_IO_STATUS_NORMAL || g_str_has_prefix (line, "quit"))
    {
      g_main_loop_quit (m->loop);
      return G_SOURCE_REMOVE;
    }
  g_strchomp (line);
  if (g_str_has_prefix (line, "send "))
    {
      g_autoptr (GBytes) bytes = g_bytes_new (line + 5, strlen (line + 5));
      g_autoptr (GError) error = NULL;

      if (!nav_group_send (m->group, bytes, &error))
        g_printerr ("member %d: %s\n", m->index, error->message);
    }
  else if (g_str_has_prefix (line, "stats"))
    print_stats (m);
  else if (g_str_has_prefix (line, "network-changed"))
    nav_group_network_changed (m->group);
  else if (g_str_has_prefix (line, "refresh"))
    {
      gboolean changed = FALSE;

      g_signal_emit_by_name (m->capability, "refresh", &changed);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_term (gpointer data)
{
  g_main_loop_quit (((Member *) data)->loop);
  return G_SOURCE_REMOVE;
}

static int
run_member (const gchar *signal_uri,
            const gchar *room)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDeviceIdentity) identity = NULL;
  g_autoptr (NavModuleInfo) module = NULL;
  GIOChannel *in;
  GType type;
  Member m = { opt_member, NULL, NULL, NULL, 0 };
  NavGroupTopology topology = NAV_GROUP_TOPOLOGY_STAR;

  if (signal_uri == NULL || room == NULL)
    {
      g_printerr (_("--group-member needs --signal and --room\n"));
      return 2;
    }
  if (g_strcmp0 (opt_topology, "mesh") == 0)
    topology = NAV_GROUP_TOPOLOGY_MESH;
  else if (g_strcmp0 (opt_topology, "hybrid") == 0)
    topology = NAV_GROUP_TOPOLOGY_HYBRID;
  identity = opt_identity != NULL ? nav_device_identity_load (opt_identity, &error) :
             nav_device_identity_new_ephemeral ();
  if (identity == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  module = nav_registry_lookup_module (nav_registry_get_default (), "election");
  type = g_type_from_name ("NavDeviceCapability");
  if (module == NULL || type == G_TYPE_INVALID)
    {
      g_printerr (_("The election module is not installed\n"));
      return 1;
    }

  if (opt_control != NULL)
    {
      in = g_io_channel_new_file (opt_control, "r", &error);
      if (in == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  else
    in = g_io_channel_unix_new (0);

  m.loop = g_main_loop_new (NULL, FALSE);
  m.capability = g_object_new (type, "poll-interval", 1, NULL);
  m.group = g_object_new (NAV_TYPE_GROUP, "identity", identity, "topology", topology,
                          "use-channels", !opt_room_only, "warm-standby", !opt_no_standby,
                          "core-size", (guint) (opt_core >= 2 ? opt_core : 3), NULL);
  if (opt_hysteresis >= 0)
    g_object_set (nav_group_get_election (m.group), "hysteresis", (guint) opt_hysteresis, NULL);
  if (opt_claim_bandwidth >= 0)
    g_object_set (nav_group_get_election (m.group), "check-bandwidth", FALSE, NULL);
  if (opt_heartbeat > 0)
    g_object_set (nav_group_get_election (m.group), "heartbeat-interval", (guint) opt_heartbeat, NULL);
  if (opt_lease > 0)
    g_object_set (nav_group_get_election (m.group), "lease-timeout", (guint) opt_lease,
                  "member-timeout", (guint) MAX (opt_lease * 5, 1000), NULL);
  g_print ("member=%d event=start id=%s pid=%d\n", m.index,
           nav_device_identity_get_device_id (identity), (int) getpid ());
  g_signal_connect (nav_group_get_election (m.group), "hub-changed", G_CALLBACK (on_hub_changed), &m);
  g_signal_connect (nav_group_get_election (m.group), "refused", G_CALLBACK (on_refused), &m);
  g_signal_connect (m.group, "record-refused", G_CALLBACK (on_record_refused), &m);
  g_signal_connect (nav_group_get_election (m.group), "claim-capped", G_CALLBACK (on_claim_capped), &m);
  g_signal_connect (nav_group_get_election (m.group), "reachability-changed",
                    G_CALLBACK (on_reachability_changed), &m);
  g_signal_connect (nav_group_get_election (m.group), "claim-unconfirmed",
                    G_CALLBACK (on_claim_unconfirmed), &m);
  g_signal_connect (m.group, "message", G_CALLBACK (on_message), &m);
  g_signal_connect (m.group, "notify::messages-refused", G_CALLBACK (on_message_counter), &m);
  g_signal_connect (m.group, "notify::messages-replayed", G_CALLBACK (on_message_counter), &m);
  g_signal_connect (m.group, "link-changed", G_CALLBACK (on_link_changed), &m);
  g_signal_connect (m.capability, "changed", G_CALLBACK (on_capability_changed), &m);
  /* Claims before the first record goes out. */
  update_claims (&m);
  nav_group_join_async (m.group, signal_uri, room, NULL, on_joined, &m);

  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &m);
  g_unix_signal_add (SIGTERM, on_term, &m);
  g_main_loop_run (m.loop);

  nav_group_leave (m.group);
  g_print ("member=%d event=left\n", m.index);
  g_signal_handlers_disconnect_by_data (nav_group_get_election (m.group), &m);
  g_signal_handlers_disconnect_by_data (m.group, &m);
  g_signal_handlers_disconnect_by_data (m.capability, &m);
  g_object_unref (m.group);
  g_object_unref (m.capability);
  g_io_channel_unref (in);
  g_main_loop_unref (m.loop);
  return m.exit_status;
}

/* ---------------------------------------------------------- the parent */

typedef struct
{
  gint index;
  GSubprocess *process;
  GDataInputStream *out;
  gchar *id;
  gchar *hub;
  guint64 epoch;
  guint score;
  gboolean dead;
} Child;

typedef struct
{
  GMainLoop *loop;
  Child *children;
  gint n;
  gint kills_left;
  guint kill_id;
  gint64 killed_at;
  gchar *agreed_hub;
  guint64 agreed_epoch;
  gint status;
} Parent;

static void read_next (Parent *p, Child *c);

static Child *
child_by_id (Parent      *p,
             const gchar *id)
{
  gint i;

  for (i = 0; i < p->n; i++)
    if (g_strcmp0 (p->children[i].id, id) == 0)
      return &p->children[i];
  return NULL;
}

static gboolean
kill_hub (gpointer data)
{
  Parent *p = data;
  Child *hub = child_by_id (p, p->agreed_hub);

  p->kill_id = 0;
  if (hub == NULL || hub->dead)
    return G_SOURCE_REMOVE;
  g_print (_("group: killing the hub, member %d (SIGKILL)\n"), hub->index);
  hub->dead = TRUE;
  p->kills_left--;
  p->killed_at = g_get_monotonic_time ();
  g_subprocess_send_signal (hub->process, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
check_agreement (Parent *p)
{
  const gchar *hub = NULL;
  guint64 epoch = 0;
  Child *hc;
  gint i, live = 0;

  for (i = 0; i < p->n; i++)
    {
      Child *c = &p->children[i];

      if (c->dead)
        continue;
      live++;
      if (c->hub == NULL || (hub != NULL && (strcmp (hub, c->hub) != 0 || epoch != c->epoch)))
        return;
      hub = c->hub;
      epoch = c->epoch;
    }
  if (hub == NULL || (g_strcmp0 (hub, p->agreed_hub) == 0 && epoch == p->agreed_epoch))
    return;
  hc = child_by_id (p, hub);
  if (hc == NULL || hc->dead)
    return;
  g_free (p->agreed_hub);
  p->agreed_hub = g_strdup (hub);
  p->agreed_epoch = epoch;
  if (p->killed_at != 0)
    g_print (_("group: the %d survivors agree on member %d (score %u), epoch %llu, "
               "%.0f ms after the kill\n"), live, hc->index, hc->score, (unsigned long long) epoch,
             (g_get_monotonic_time () - p->killed_at) / 1000.0);
  else
    g_print (_("group: the %d members agree on member %d (score %u) as hub, epoch %llu\n"),
             live, hc->index, hc->score, (unsigned long long) epoch);
  if (p->kills_left > 0 && live > 1)
    p->kill_id = g_timeout_add (1000, kill_hub, p);
  else
    g_main_loop_quit (p->loop);
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Child *c = data;
  Parent *p = g_object_get_data (source, "parent");
  g_autofree gchar *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                  result, NULL, NULL);
  g_autoptr (GRegex) re = NULL;
  g_autoptr (GMatchInfo) match = NULL;

  if (line == NULL)
    return;
  g_print ("  %s\n", line);
  if (c->dead)
    return;
  if (strstr (line, "event=start") != NULL)
    {
      const gchar *id = strstr (line, "id=");

      g_free (c->id);
      c->id = g_strndup (id + 3, 32);
    }
  else if (strstr (line, "event=claims") != NULL)
    c->score = atoi (strstr (line, "score=") + 6);
  else if (strstr (line, "event=hub") != NULL)
    {
      const gchar *hub = strstr (line, " hub=") + 5;

      g_free (c->hub);
      c->hub = *hub == '-' ? NULL : g_strndup (hub, 32);
      c->epoch = g_ascii_strtoull (strstr (line, "epoch=") + 6, NULL, 10);
      check_agreement (p);
    }
  read_next (p, c);
}

static void
read_next (Parent *p,
           Child  *c)
{
  g_data_input_stream_read_line_async (c->out, G_PRIORITY_DEFAULT, NULL, on_line, c);
}

static gboolean
on_parent_timeout (gpointer data)
{
  Parent *p = data;

  g_printerr (_("group: no agreement in time\n"));
  p->status = 1;
  g_main_loop_quit (p->loop);
  return G_SOURCE_REMOVE;
}

static int
run_parent (const gchar *argv0,
            const gchar *signal_uri,
            gint         timeout_s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) server = NULL;
  g_autofree gchar *uri = g_strdup (signal_uri);
  g_autofree gchar *room = g_strdup_printf ("nav-group-%d", (int) getpid ());
  Parent p = { 0 };
  guint timeout_id;
  gint i;

  if (uri == NULL)
    {
      guint port = 0;

      server = nav_registry_create (nav_registry_get_default (), NAV_SERVER_EXTENSION_POINT_NAME,
                                    "signaling", &error, "listening-ip", "127.0.0.1",
                                    "listening-port", 0, "threads", 1, "rate", 0, "ip-rate", 0, NULL);
      if (server == NULL || !nav_server_start (NAV_SERVER (server), &error))
        {
          g_printerr (_("Cannot start the embedded signaling server: %s\n"), error->message);
          return 1;
        }
      g_object_get (server, "bound-port", &port, NULL);
      uri = g_strdup_printf ("ws://127.0.0.1:%u/", port);
    }
  g_print (_("group: %d members in room %s of %s\n"), opt_group, room, uri);

  p.loop = g_main_loop_new (NULL, FALSE);
  p.n = opt_group;
  p.kills_left = opt_kills >= 0 ? opt_kills : opt_group - 1;
  p.children = g_new0 (Child, p.n);
  for (i = 0; i < p.n; i++)
    {
      Child *c = &p.children[i];
      g_autofree gchar *index = g_strdup_printf ("%d", i);
      const gchar *args[] = { argv0, "--group-member", index, "--signal", uri, "--room", room, NULL };

      c->index = i;
      c->process = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
      if (c->process == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      c->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (c->process));
      g_object_set_data (G_OBJECT (c->out), "parent", &p);
      read_next (&p, c);
    }
  timeout_id = g_timeout_add_seconds (timeout_s, on_parent_timeout, &p);
  g_main_loop_run (p.loop);
  g_source_remove (timeout_id);
  g_clear_handle_id (&p.kill_id, g_source_remove);

  for (i = 0; i < p.n; i++)
    {
      Child *c = &p.children[i];

      if (!c->dead)
        g_subprocess_send_signal (c->process, SIGTERM);
      g_subprocess_wait (c->process, NULL, NULL);
      g_object_unref (c->out);
      g_object_unref (c->process);
      g_free (c->id);
      g_free (c->hub);
    }
  g_free (p.children);
  g_free (p.agreed_hub);
  g_main_loop_unref (p.loop);
  if (server != NULL)
    nav_server_stop (NAV_SERVER (server));
  return p.status;
}

int
nav_demo_group_run (const gchar *argv0,
                    const gchar *signal_uri,
                    const gchar *room,
                    gint         timeout_s)
{
  if (opt_member >= 0)
    return run_member (signal_uri, room);
  if (opt_group < 2 || opt_group > 64)
    {
      g_printerr (_("--group takes 2 to 64 members\n"));
      return 2;
    }
  return run_parent (argv0, signal_uri, timeout_s);
}
