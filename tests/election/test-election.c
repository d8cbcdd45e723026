/* test-election.c: NavElection among several members on a simulated
 * network (a virtual clock, a bus with partitions and crashes): agreement,
 * hub loss, a degraded battery, hysteresis, a healed partition, forged
 * hub claims, a capped bandwidth claim, a pluggable scorer, reachability
 * verified by peers; and throughout, never two hubs in one
 * epoch.  The multi-process tests through nav-server are in
 * tests/election/test-group.py.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <netavanue/netavanue.h>

#define MAX_MEMBERS 24
#define DELAY_US 1000

typedef struct _Sim Sim;

typedef struct
{
  Sim *sim;
  guint index;
  NavDeviceIdentity *identity;
  NavElection *election;
  gint64 due;
  gboolean dead;
  guint side;        /* partition side */
  guint32 deaf;      /* nodes whose packets this node does not hear */
  GBytes *last_sent; /* this node's last record */
} Node;

typedef struct
{
  gint64 at;
  guint from, to;
  GBytes *bytes;
} Packet;

struct _Sim
{
  Node nodes[MAX_MEMBERS];
  guint n;
  gint64 now;
  GQueue packets;
  GHashTable *epoch_hubs;   /* epoch → device id: every hub ever adopted */
};

static NavCapabilityClaims
claims_for (guint cpus,
            guint battery,
            gboolean charging)
{
  NavCapabilityClaims c = {
    .cpu_count = cpus, .memory_mb = 8192, .battery_percent = battery,
    .charging = charging, .network_type = NAV_NETWORK_TYPE_WIFI,
  };
  return c;
}

static void
on_send (NavElection *election,
         GBytes      *bytes,
         Node        *node)
{
  Sim *sim = node->sim;
  guint i;

  g_clear_pointer (&node->last_sent, g_bytes_unref);
  node->last_sent = g_bytes_ref (bytes);
  for (i = 0; i < sim->n; i++)
    {
      Packet *p;

      if (i == node->index)
        continue;
      p = g_new0 (Packet, 1);
      p->at = sim->now + DELAY_US;
      p->from = node->index;
      p->to = i;
      p->bytes = g_bytes_ref (bytes);
      g_queue_push_tail (&sim->packets, p);
    }
}

static void
on_hub_changed (NavElection *election,
                const gchar *hub_id,
                guint64      epoch,
                Node        *node)
{
  const gchar *known;

  if (g_getenv ("SIM_TRACE"))
    g_printerr ("t=%" G_GINT64_FORMAT " node %u: hub %.6s epoch %" G_GUINT64_FORMAT "\n",
                node->sim->now / 1000, node->index, hub_id ? hub_id : "-", epoch);
  if (hub_id == NULL)
    return;
  known = g_hash_table_lookup (node->sim->epoch_hubs, &epoch);
  if (known != NULL)
    g_assert_cmpstr (known, ==, hub_id);   /* one hub an epoch */
  else
    {
      guint64 *key = g_new (guint64, 1);

      *key = epoch;
      g_hash_table_insert (node->sim->epoch_hubs, key, g_strdup (hub_id));
    }
}

static Sim *
sim_new (guint                      n,
         const NavCapabilityClaims *claims,
         GType                      type)
{
  Sim *sim = g_new0 (Sim, 1);
  guint i;

  g_assert_cmpuint (n, <=, MAX_MEMBERS);
  sim->n = n;
  sim->now = 1000000;
  g_queue_init (&sim->packets);
  sim->epoch_hubs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  for (i = 0; i < n; i++)
    {
      Node *node = &sim->nodes[i];

      node->sim = sim;
      node->index = i;
      node->identity = nav_device_identity_new_ephemeral ();
      node->election = g_object_new (type, "identity", node->identity, NULL);
      nav_election_set_claims (node->election, &claims[i]);
      g_signal_connect (node->election, "send", G_CALLBACK (on_send), node);
      g_signal_connect (node->election, "hub-changed", G_CALLBACK (on_hub_changed), node);
    }
  for (i = 0; i < n; i++)
    {
      sim->nodes[i].due = sim->now;
      nav_election_start (sim->nodes[i].election, sim->now);
    }
  return sim;
}

static void
packet_free (gpointer data)
{
  Packet *p = data;

  g_bytes_unref (p->bytes);
  g_free (p);
}

static void
sim_free (Sim *sim)
{
  guint i;

  for (i = 0; i < sim->n; i++)
    {
      g_signal_handlers_disconnect_by_data (sim->nodes[i].election, &sim->nodes[i]);
      g_object_unref (sim->nodes[i].election);
      g_object_unref (sim->nodes[i].identity);
      g_clear_pointer (&sim->nodes[i].last_sent, g_bytes_unref);
    }
  g_queue_clear_full (&sim->packets, packet_free);
  g_hash_table_unref (sim->epoch_hubs);
  g_free (sim);
}

/* Advances the virtual clock by @ms, 1 ms a step. */
static void
sim_run (Sim  *sim,
         guint ms)
{
  gint64 end = sim->now + (gint64) ms * 1000;

  while (sim->now < end)
    {
      guint i;

      sim->now += 1000;
      while (!g_queue_is_empty (&sim->packets) &&
             ((Packet *) g_queue_peek_head (&sim->packets))->at <= sim->now)
        {
          Packet *p = g_queue_pop_head (&sim->packets);
          Node *to = &sim->nodes[p->to];

          if (!to->dead && !sim->nodes[p->from].dead &&
              to->side == sim->nodes[p->from].side && !(to->deaf & (1u << p->from)))
            nav_election_receive (to->election, NULL, p->bytes, sim->now, NULL);
          packet_free (p);
        }
      for (i = 0; i < sim->n; i++)
        {
          Node *node = &sim->nodes[i];

          if (!node->dead && sim->now >= node->due)
            node->due = nav_election_tick (node->election, sim->now);
        }
    }
}

/* Whether every live member of @side (G_MAXUINT: all) follows the same
 * hub in the same epoch; the hub's id and epoch returned. */
static gboolean
sim_agreed (Sim      *sim,
            guint     side,
            gchar   **hub_out,
            guint64  *epoch_out)
{
  g_autofree gchar *hub = NULL;
  guint64 epoch = 0;
  guint hubs = 0, i;
  gboolean first = TRUE;

  for (i = 0; i < sim->n; i++)
    {
      Node *node = &sim->nodes[i];
      g_autofree gchar *h = NULL;

      if (node->dead || (side != G_MAXUINT && node->side != side))
        continue;
      h = nav_election_dup_hub_id (node->election);
      if (h == NULL)
        return FALSE;
      if (nav_election_get_role (node->election) == NAV_ELECTION_ROLE_HUB)
        hubs++;
      if (first)
        {
          hub = g_steal_pointer (&h);
          epoch = nav_election_get_epoch (node->election);
          first = FALSE;
        }
      else if (strcmp (hub, h) != 0 || epoch != nav_election_get_epoch (node->election))
        return FALSE;
    }
  if (hubs != 1)
    return FALSE;
  if (hub_out != NULL)
    *hub_out = g_steal_pointer (&hub);
  if (epoch_out != NULL)
    *epoch_out = epoch;
  return TRUE;
}

/* Runs until agreement; returns the virtual milliseconds it took. */
static guint
sim_run_until_agreed (Sim     *sim,
                      guint    side,
                      guint    limit_ms,
                      gchar  **hub,
                      guint64 *epoch)
{
  guint ms = 0;

  while (!sim_agreed (sim, side, NULL, NULL))
    {
      g_assert_cmpuint (ms, <, limit_ms);
      sim_run (sim, 1);
      ms++;
    }
  /* Stable: still agreed a few heartbeats later, on the same hub. */
  {
    g_autofree gchar *h1 = NULL;
    g_autofree gchar *h2 = NULL;
    guint64 e1, e2;

    g_assert_true (sim_agreed (sim, side, &h1, &e1));
    sim_run (sim, 300);
    g_assert_true (sim_agreed (sim, side, &h2, &e2));
    g_assert_cmpstr (h1, ==, h2);
    g_assert_cmpuint (e1, ==, e2);
    if (hub != NULL)
      *hub = g_steal_pointer (&h2);
    if (epoch != NULL)
      *epoch = e2;
  }
  return ms;
}

static const gchar *
id_of (Sim  *sim,
       guint i)
{
  return nav_device_identity_get_device_id (sim->nodes[i].identity);
}

static void
five_claims (NavCapabilityClaims *c)
{
  /* Node 3 is the best, node 1 the runner-up, clearly. */
  c[0] = claims_for (2, 90, FALSE);
  c[1] = claims_for (16, NAV_BATTERY_NONE, TRUE);
  c[2] = claims_for (4, 50, FALSE);
  c[3] = claims_for (32, NAV_BATTERY_NONE, TRUE);
  c[4] = claims_for (1, 70, FALSE);
}

static void
test_agree (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  guint64 epoch;
  Sim *sim;
  guint i;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));
  g_assert_cmpuint (epoch, >=, 1);
  for (i = 0; i < 5; i++)
    {
      g_autofree gchar *runner = nav_election_dup_runner_up_id (sim->nodes[i].election);

      g_assert_cmpuint (nav_election_get_member_count (sim->nodes[i].election), ==, 5);
      g_assert_cmpstr (runner, ==, id_of (sim, 1));
      g_assert_cmpuint (nav_election_get_member_score (sim->nodes[i].election, id_of (sim, 3)), ==,
                        nav_capability_claims_default_score (&c[3]));
    }
  sim_free (sim);
}

/* The hub crashes (no leave): the lease runs out and the runner-up takes
 * over with a higher epoch, within 500 ms with the LAN defaults. */
static void
test_hub_crash (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  guint64 epoch, epoch2;
  g_autofree gchar *hub2 = NULL;
  Sim *sim;
  guint ms;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  sim->nodes[3].dead = TRUE;
  ms = sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub2, &epoch2);
  g_test_message ("hub crash: agreed on the runner-up after %u virtual ms", ms);
  g_assert_cmpuint (ms, <=, 500);
  g_assert_cmpstr (hub2, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch2, >, epoch);

  /* And again: the next one (2 CPUs at 90 % battery outscore 4 CPUs at
   * 50 %). */
  sim->nodes[1].dead = TRUE;
  g_clear_pointer (&hub2, g_free);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub2, &epoch);
  g_assert_cmpstr (hub2, ==, id_of (sim, 0));
  g_assert_cmpuint (epoch, >, epoch2);
  sim_free (sim);
}

/* A member misses the hub's heartbeats for longer than the lease (a
 * loaded machine, a slow path), while the others do not: once it hears
 * the hub again, it follows it again in the same epoch (it used to
 * refuse the hub's records of its own epoch as forged and stay electing
 * for as long as that hub lived: a 20-member group on a loaded machine
 * never formed).  And when that hub dies, the member agrees on the
 * runner-up within the lease, not after the member timeout. */
static void
test_lease_lapse (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  g_autofree gchar *hub2 = NULL;
  g_autofree gchar *hub3 = NULL;
  guint64 epoch, epoch2, epoch3;
  Sim *sim;
  guint ms;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));

  sim->nodes[0].deaf = 1u << 3;
  sim_run (sim, 400);
  g_assert_cmpint (nav_election_get_role (sim->nodes[0].election), ==,
                   NAV_ELECTION_ROLE_ELECTING);
  g_assert_cmpint (nav_election_get_role (sim->nodes[1].election), ==,
                   NAV_ELECTION_ROLE_SPOKE);
  sim->nodes[0].deaf = 0;
  ms = sim_run_until_agreed (sim, G_MAXUINT, 500, &hub2, &epoch2);
  g_test_message ("lease lapse: member 0 follows the hub again after %u virtual ms", ms);
  g_assert_cmpstr (hub2, ==, id_of (sim, 3));
  g_assert_cmpuint (epoch2, ==, epoch);

  sim->nodes[3].dead = TRUE;
  ms = sim_run_until_agreed (sim, G_MAXUINT, 500, &hub3, &epoch3);
  g_test_message ("lease lapse: then the hub crashes, agreed after %u virtual ms", ms);
  g_assert_cmpstr (hub3, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch3, >, epoch);
  sim_free (sim);
}

/* After the hub crashed and its lease ran out, a copy of its last record
 * arrives late (it came over two paths, one slow): refused as a replay,
 * not taken as the dead hub alive again (which made the group wait for
 * the member timeout, 1 s, before electing). */
static void
test_late_copy (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  g_autofree gchar *hub2 = NULL;
  g_autoptr (GBytes) last = NULL;
  guint64 epoch, epoch2;
  NavRecordRefusal refusal = NAV_RECORD_REFUSAL_MALFORMED;
  Sim *sim;
  guint i, ms;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));
  last = g_bytes_ref (sim->nodes[3].last_sent);
  sim->nodes[3].dead = TRUE;
  sim_run (sim, 260);     /* past the lease (200 ms): the runner-up claims */
  for (i = 0; i < 5; i++)
    if (i != 3)
      {
        g_assert_false (nav_election_receive (sim->nodes[i].election, NULL, last, sim->now,
                                              &refusal));
        g_assert_cmpint (refusal, ==, NAV_RECORD_REFUSAL_REPLAY);
      }
  ms = sim_run_until_agreed (sim, G_MAXUINT, 500, &hub2, &epoch2);
  g_test_message ("late copy: agreed %u virtual ms after the copy", ms);
  g_assert_cmpstr (hub2, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch2, >, epoch);
  sim_free (sim);
}

/* The hub leaves: no lease to wait for. */
static void
test_hub_leaves (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub2 = NULL;
  guint64 epoch, epoch2;
  Sim *sim;
  guint ms;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, NULL, &epoch);
  nav_election_leave (sim->nodes[3].election, sim->now);
  sim->nodes[3].dead = TRUE;
  /* The leave record is delivered before the node counts as dead. */
  sim->nodes[3].dead = FALSE;
  sim->nodes[3].due = G_MAXINT64;
  ms = sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub2, &epoch2);
  g_test_message ("hub leave: agreed after %u virtual ms", ms);
  g_assert_cmpuint (ms, <, 100);
  g_assert_cmpstr (hub2, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch2, >, epoch);
  sim_free (sim);
}

/* The hub's battery drops under 20 % while not charging: it yields. */
static void
test_battery_yield (void)
{
  NavCapabilityClaims c[5];
  NavCapabilityClaims low;
  g_autofree gchar *hub = NULL;
  g_autofree gchar *hub2 = NULL;
  guint64 epoch, epoch2;
  Sim *sim;

  five_claims (c);
  c[3] = claims_for (32, 90, FALSE);   /* a big laptop on battery */
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));

  low = claims_for (32, 15, FALSE);
  nav_election_set_claims (sim->nodes[3].election, &low);
  g_assert_cmpint (nav_election_get_role (sim->nodes[3].election), !=, NAV_ELECTION_ROLE_HUB);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub2, &epoch2);
  g_assert_cmpstr (hub2, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch2, >, epoch);

  /* Plugged in again: charging, it is no longer degraded, and it scores
   * clearly more: it takes the hub back. */
  low.charging = TRUE;
  nav_election_set_claims (sim->nodes[3].election, &low);
  g_clear_pointer (&hub, g_free);
  sim_run (sim, 500);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));
  g_assert_cmpuint (epoch, >, epoch2);
  sim_free (sim);
}

/* A small score change does not move the hub; a clear margin does. */
static void
test_hysteresis (void)
{
  NavCapabilityClaims c[3] = {
    claims_for (10, NAV_BATTERY_NONE, TRUE),
    claims_for (8, NAV_BATTERY_NONE, TRUE),
    claims_for (2, NAV_BATTERY_NONE, TRUE),
  };
  NavCapabilityClaims up;
  g_autofree gchar *hub = NULL;
  guint64 epoch, epoch2;
  Sim *sim;
  guint hub_score;

  sim = sim_new (3, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 0));
  hub_score = nav_capability_claims_default_score (&c[0]);

  /* Node 1 now scores a little more than the hub (under 10 %). */
  up = claims_for (13, NAV_BATTERY_NONE, TRUE);
  g_assert_cmpuint (nav_capability_claims_default_score (&up), >, hub_score);
  g_assert_cmpuint (nav_capability_claims_default_score (&up) * 100, <=, hub_score * 110);
  nav_election_set_claims (sim->nodes[1].election, &up);
  g_clear_pointer (&hub, g_free);
  sim_run (sim, 500);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch2);
  g_assert_cmpstr (hub, ==, id_of (sim, 0));
  g_assert_cmpuint (epoch2, ==, epoch);

  /* Clearly more. */
  up = claims_for (64, NAV_BATTERY_NONE, TRUE);
  nav_election_set_claims (sim->nodes[1].election, &up);
  g_clear_pointer (&hub, g_free);
  sim_run (sim, 500);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch2);
  g_assert_cmpstr (hub, ==, id_of (sim, 1));
  g_assert_cmpuint (epoch2, >, epoch);
  sim_free (sim);
}

/* A 2|3 partition: one hub a side; healed: one hub, a higher epoch. */
static void
test_partition_heal (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *a = NULL;
  g_autofree gchar *b = NULL;
  g_autofree gchar *healed = NULL;
  guint64 epoch, ea, eb, eh;
  Sim *sim;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, NULL, &epoch);

  /* {3, 4} | {0, 1, 2} */
  sim->nodes[3].side = sim->nodes[4].side = 1;
  sim_run (sim, 500);
  sim_run_until_agreed (sim, 1, 2000, &a, &ea);
  sim_run_until_agreed (sim, 0, 2000, &b, &eb);
  g_assert_cmpstr (a, ==, id_of (sim, 3));
  g_assert_cmpstr (b, ==, id_of (sim, 1));
  g_assert_cmpuint (eb, >, epoch);

  sim->nodes[3].side = sim->nodes[4].side = 0;
  sim_run (sim, 500);
  sim_run_until_agreed (sim, G_MAXUINT, 3000, &healed, &eh);
  g_assert_cmpstr (healed, ==, id_of (sim, 3));
  g_assert_cmpuint (eh, >, MAX (ea, eb));
  sim_free (sim);
}

/* The heal of a partition where the best member, hub of the older epoch,
 * never hears the other side's hub (a one-way path from it): that hub
 * yields to it at its first heartbeat and its side elects in the later
 * epoch, refusing the best member's heartbeats as stale; the best member
 * must learn that epoch from the members' records and claim above it, or
 * the group never has one hub again. */
static void
test_partition_heal_one_way (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *healed = NULL;
  guint64 epoch, eb, eh;
  Sim *sim;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, NULL, &epoch);

  sim->nodes[3].side = sim->nodes[4].side = 1;
  sim_run (sim, 500);
  sim_run_until_agreed (sim, 0, 2000, NULL, &eb);
  g_assert_cmpuint (eb, >, epoch);

  /* Node 3 hears everyone but node 1, the other side's hub. */
  sim->nodes[3].deaf = 1u << 1;
  sim->nodes[3].side = sim->nodes[4].side = 0;
  sim_run (sim, 500);
  sim_run_until_agreed (sim, G_MAXUINT, 3000, &healed, &eh);
  g_assert_cmpstr (healed, ==, id_of (sim, 3));
  g_assert_cmpuint (eh, >, eb);
  sim_free (sim);
}

/* A member claiming the hub without being the best, a hub record naming
 * another key, a hub claim by a degraded member: refused and counted,
 * the hub unchanged. */
static void
test_forged_hub (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  g_autofree gchar *after = NULL;
  guint64 epoch, epoch2;
  Sim *sim;
  NavCapabilityRecord r = { 0 };
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GBytes) bytes = NULL;
  NavRecordRefusal reason;
  guint i;

  five_claims (c);
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);

  /* Node 4 (the weakest) claims the next epoch, properly signed. */
  key = nav_device_identity_get_public_key (sim->nodes[4].identity);
  r.kind = NAV_RECORD_KIND_HUB;
  memcpy (r.public_key, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  memcpy (r.hub_key, r.public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  r.sequence = G_MAXINT64;   /* above anything node 4 sent */
  r.epoch = epoch + 1;
  r.timestamp_ms = g_get_real_time () / 1000;
  r.claims = c[4];
  bytes = nav_capability_record_sign (&r, sim->nodes[4].identity);
  for (i = 0; i < 4; i++)
    {
      g_assert_false (nav_election_receive (sim->nodes[i].election, NULL, bytes, sim->now, &reason));
      g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_FORGED_HUB);
      g_assert_cmpuint (nav_election_get_refusals (sim->nodes[i].election,
                                                   NAV_RECORD_REFUSAL_FORGED_HUB), >=, 1);
    }
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Node 4 announces node 3 as hub of a new epoch (the hub key is not its
   * own). */
  key = (g_bytes_unref (key), nav_device_identity_get_public_key (sim->nodes[3].identity));
  memcpy (r.hub_key, g_bytes_get_data (key, NULL), NAV_DEVICE_PUBLIC_KEY_SIZE);
  r.sequence++;
  bytes = nav_capability_record_sign (&r, sim->nodes[4].identity);
  g_assert_false (nav_election_receive (sim->nodes[0].election, NULL, bytes, sim->now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_FORGED_HUB);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* An impossible claim to win: refused before it is ranked. */
  r.claims.cpu_count = 60000;
  r.sequence++;
  memcpy (r.hub_key, r.public_key, NAV_DEVICE_PUBLIC_KEY_SIZE);
  bytes = nav_capability_record_sign (&r, sim->nodes[4].identity);
  g_assert_false (nav_election_receive (sim->nodes[0].election, NULL, bytes, sim->now, &reason));
  g_assert_cmpint (reason, ==, NAV_RECORD_REFUSAL_IMPOSSIBLE);

  /* The group still agrees on the same hub (which may have claimed a
   * higher epoch over the forged one: it cannot tell a forger from the
   * hub of a healed partition). */
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &after, &epoch2);
  g_assert_cmpstr (after, ==, hub);
  g_assert_cmpuint (epoch2, >=, epoch);
  sim_free (sim);
}

/* Equal scores: the lower public key wins, the same on every member. */
/* A weak member claiming 10 Gbit/s wins on its claim alone; with
 * check-bandwidth, every member (itself included) counts the claim only
 * up to what it measured on its link to it (1 Mbit/s here) plus
 * claim-margin, and the best member by its other capabilities wins. */
static guint capped_signals;

static void
on_claim_capped (NavElection *election,
                 const gchar *device_id,
                 guint        claimed,
                 guint        counted)
{
  g_assert_cmpuint (claimed, ==, 10000000);
  g_assert_cmpuint (counted, ==, 1500);
  capped_signals++;
}

static void
test_capped_claim (void)
{
  NavCapabilityClaims c[5], capped;
  g_autofree gchar *hub = NULL;
  Sim *sim;
  guint i, j;

  five_claims (c);
  c[4].bandwidth_kbps = 10000000;
  g_assert_cmpuint (nav_capability_claims_default_score (&c[4]), >,
                    nav_capability_claims_default_score (&c[3]));

  /* Unchecked, the claim wins. */
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
  g_assert_cmpstr (hub, ==, id_of (sim, 4));
  g_clear_pointer (&hub, g_free);
  sim_free (sim);

  /* Checked against a measurement of 1 Mbit/s to it: it loses. */
  capped_signals = 0;
  sim = sim_new (5, c, NAV_TYPE_ELECTION);
  for (i = 0; i < 5; i++)
    {
      g_signal_connect (sim->nodes[i].election, "claim-capped", G_CALLBACK (on_claim_capped), NULL);
      for (j = 0; j < 5; j++)
        nav_election_set_measured_bandwidth (sim->nodes[i].election, id_of (sim, j), 1000);
      g_object_set (sim->nodes[i].election, "check-bandwidth", TRUE, NULL);
    }
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
  g_assert_cmpstr (hub, ==, id_of (sim, 3));
  capped = c[4];
  capped.bandwidth_kbps = 1500;   /* 1000 measured + 50 % */
  for (i = 0; i < 5; i++)
    {
      g_assert_cmpuint (nav_election_get_member_score (sim->nodes[i].election, id_of (sim, 4)), ==,
                        nav_capability_claims_default_score (&capped));
      g_assert_cmpuint (nav_election_get_capped_claims (sim->nodes[i].election), >=, 1);
      /* The honest claims (no bandwidth) count as they are. */
      g_assert_cmpuint (nav_election_get_member_score (sim->nodes[i].election, id_of (sim, 3)), ==,
                        nav_capability_claims_default_score (&c[3]));
    }
  g_assert_cmpuint (capped_signals, >=, 5);
  sim_free (sim);
}

static void
test_tie (void)
{
  NavCapabilityClaims c[4];
  g_autofree gchar *hub = NULL;
  Sim *sim;
  guint i, best = 0;

  for (i = 0; i < 4; i++)
    c[i] = claims_for (4, NAV_BATTERY_NONE, TRUE);
  sim = sim_new (4, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
  for (i = 1; i < 4; i++)
    {
      g_autoptr (GBytes) ki = nav_device_identity_get_public_key (sim->nodes[i].identity);
      g_autoptr (GBytes) kb = nav_device_identity_get_public_key (sim->nodes[best].identity);

      if (memcmp (g_bytes_get_data (ki, NULL), g_bytes_get_data (kb, NULL), 32) < 0)
        best = i;
    }
  g_assert_cmpstr (hub, ==, id_of (sim, best));
  sim_free (sim);
}

/* A scorer of the application's: fewest processors wins. */
typedef NavElection FrugalElection;
typedef NavElectionClass FrugalElectionClass;
static GType frugal_election_get_type (void);
G_DEFINE_TYPE (FrugalElection, frugal_election, NAV_TYPE_ELECTION)

static guint
frugal_score (NavElection               *self,
              const NavCapabilityClaims *claims)
{
  return 1000 - claims->cpu_count;
}

static void
frugal_election_class_init (FrugalElectionClass *klass)
{
  klass->score = frugal_score;
}

static void
frugal_election_init (FrugalElection *self)
{
}

static void
test_pluggable_scorer (void)
{
  NavCapabilityClaims c[5];
  g_autofree gchar *hub = NULL;
  Sim *sim;

  five_claims (c);
  sim = sim_new (5, c, frugal_election_get_type ());
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
  g_assert_cmpstr (hub, ==, id_of (sim, 4));
  sim_free (sim);
}

/* A scorer of the application's that wants a reachable hub: reachable
 * (verified by a peer) first, then the default score. */
typedef NavElection ReachElection;
typedef NavElectionClass ReachElectionClass;
static GType reach_election_get_type (void);
G_DEFINE_TYPE (ReachElection, reach_election, NAV_TYPE_ELECTION)

static guint
reach_score (NavElection               *self,
             const NavCapabilityClaims *claims)
{
  return (claims->reachable ? 100000 : 0) + nav_capability_claims_default_score (claims);
}

static void
reach_election_class_init (ReachElectionClass *klass)
{
  klass->score = reach_score;
}

static void
reach_election_init (ReachElection *self)
{
}

/* Node 3 is the best by the default score and reached by no one; node 0
 * claims to be reachable, on its word only; nodes 1 and 2 have a direct
 * link to each other.  With the default scorer node 3 wins (and no score
 * moves); with a scorer that wants reachability, node 2, the better of
 * the two verified, and not node 0.  Every member counts node 0's claim
 * once, and no other. */
static void
test_reachable (void)
{
  NavCapabilityClaims c[4];
  GType types[2] = { NAV_TYPE_ELECTION, 0 };
  guint t, i, j;

  types[1] = reach_election_get_type ();
  c[0] = claims_for (2, 90, FALSE);
  c[0].reachable = TRUE;
  c[1] = claims_for (4, 50, FALSE);
  c[2] = claims_for (8, NAV_BATTERY_NONE, TRUE);
  c[3] = claims_for (32, NAV_BATTERY_NONE, TRUE);
  for (t = 0; t < 2; t++)
    {
      g_autofree gchar *hub = NULL;
      Sim *sim = sim_new (4, c, types[t]);

      nav_election_set_direct_link (sim->nodes[1].election, id_of (sim, 2), TRUE);
      nav_election_set_direct_link (sim->nodes[2].election, id_of (sim, 1), TRUE);
      sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
      g_assert_cmpstr (hub, ==, id_of (sim, t == 0 ? 3 : 2));
      sim_run (sim, 1500);   /* past a member timeout */
      for (i = 0; i < 4; i++)
        {
          NavElection *e = sim->nodes[i].election;

          g_assert_false (nav_election_is_member_reachable (e, id_of (sim, 0)));
          g_assert_true (nav_election_is_member_reachable (e, id_of (sim, 1)));
          g_assert_true (nav_election_is_member_reachable (e, id_of (sim, 2)));
          g_assert_false (nav_election_is_member_reachable (e, id_of (sim, 3)));
          g_assert_cmpuint (nav_election_get_unconfirmed_claims (e), ==, 1);
          if (t == 0)
            for (j = 0; j < 4; j++)
              g_assert_cmpuint (nav_election_get_member_score (e, id_of (sim, j)), ==,
                                nav_capability_claims_default_score (&c[j]));
          else
            g_assert_cmpuint (nav_election_get_member_score (e, id_of (sim, 2)), ==,
                              100000 + nav_capability_claims_default_score (&c[2]));
        }

      /* The link goes: node 2 no longer verified anywhere, and with the
       * reachability scorer, the hub is node 3 again (it beats node 2's
       * default score by far more than the hysteresis). */
      nav_election_set_direct_link (sim->nodes[1].election, id_of (sim, 2), FALSE);
      nav_election_set_direct_link (sim->nodes[2].election, id_of (sim, 1), FALSE);
      g_clear_pointer (&hub, g_free);
      sim_run (sim, 500);
      sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, NULL);
      g_assert_cmpstr (hub, ==, id_of (sim, 3));
      for (i = 0; i < 4; i++)
        g_assert_false (nav_election_is_member_reachable (sim->nodes[i].election, id_of (sim, 2)));
      sim_free (sim);
    }
}

/* 20 members, the hub crashes twice. */
static void
test_twenty (void)
{
  NavCapabilityClaims c[20];
  g_autofree gchar *hub = NULL;
  guint64 epoch;
  Sim *sim;
  guint i, ms;

  for (i = 0; i < 20; i++)
    c[i] = claims_for (1 + i * 3, NAV_BATTERY_NONE, TRUE);
  sim = sim_new (20, c, NAV_TYPE_ELECTION);
  sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_assert_cmpstr (hub, ==, id_of (sim, 19));
  sim->nodes[19].dead = TRUE;
  g_clear_pointer (&hub, g_free);
  ms = sim_run_until_agreed (sim, G_MAXUINT, 2000, &hub, &epoch);
  g_test_message ("20 members, hub crash: agreed after %u virtual ms", ms);
  g_assert_cmpuint (ms, <=, 500);
  g_assert_cmpstr (hub, ==, id_of (sim, 18));
  sim_free (sim);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/election/agree", test_agree);
  g_test_add_func ("/election/hub-crash", test_hub_crash);
  g_test_add_func ("/election/hub-leaves", test_hub_leaves);
  g_test_add_func ("/election/battery-yield", test_battery_yield);
  g_test_add_func ("/election/hysteresis", test_hysteresis);
  g_test_add_func ("/election/partition-heal", test_partition_heal);
  g_test_add_func ("/election/partition-heal-one-way", test_partition_heal_one_way);
  g_test_add_func ("/election/lease-lapse", test_lease_lapse);
  g_test_add_func ("/election/late-copy", test_late_copy);
  g_test_add_func ("/election/forged-hub", test_forged_hub);
  g_test_add_func ("/election/tie", test_tie);
  g_test_add_func ("/election/capped-claim", test_capped_claim);
  g_test_add_func ("/election/pluggable-scorer", test_pluggable_scorer);
  g_test_add_func ("/election/twenty", test_twenty);
  g_test_add_func ("/election/reachable", test_reachable);
  return g_test_run ();
}
