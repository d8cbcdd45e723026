/* lossy-relay-test-util.h: a UDP relay of the test's own between two
 * agents on loopback that drops one data datagram in ten, shared by
 * tests/ice/test-reliable.c and tests/interop/test-libnice-reliable.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Side 0's agent talks to socket[0], side 1's to socket[1]; what comes
 * in on one leaves from the other toward the other side's host address.
 * STUN always passes, so that ICE connects and stays up; pseudo-TCP
 * segments lose one in ten, by a GRand of a fixed seed.
 */
#pragma once

#include <string.h>
#include <gio/gio.h>

#include <netavanue/netavanue.h>

typedef struct {
  GSocket *socket[2];
  GSource *source[2];
  GSocketAddress *host[2];      /* where what is meant for side i goes */
  GRand *rand;
  guint relayed;
  guint dropped;
} LossyRelay;

static inline gboolean
lossy_relay_forward (GSocket      *from_socket,
                     GIOCondition  condition,
                     gpointer      data)
{
  LossyRelay *r = data;
  guint to = from_socket == r->socket[0] ? 1 : 0;
  guint8 buf[65536];

  for (;;)
    {
      gssize n = g_socket_receive_from (from_socket, NULL, (gchar *) buf, sizeof buf, NULL, NULL);

      if (n < 0)
        break;
      if (!nav_stun_message_is_stun (buf, n) && g_rand_int_range (r->rand, 0, 10) == 0)
        {
          r->dropped++;
          continue;
        }
      r->relayed++;
      g_socket_send_to (r->socket[to], r->host[to], (const gchar *) buf, n, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

/* Two sockets on 127.0.0.1, relaying from the main context; takes
 * @host0 and @host1, the two agents' host addresses. */
static inline void
lossy_relay_init (LossyRelay     *r,
                  GSocketAddress *host0,
                  GSocketAddress *host1)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);

  memset (r, 0, sizeof *r);
  r->rand = g_rand_new_with_seed (20261123);
  r->host[0] = host0;
  r->host[1] = host1;
  for (guint i = 0; i < 2; i++)
    {
      r->socket[i] = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                   G_SOCKET_PROTOCOL_UDP, NULL);
      g_assert_nonnull (r->socket[i]);
      g_assert_true (g_socket_bind (r->socket[i], any, FALSE, NULL));
      g_socket_set_blocking (r->socket[i], FALSE);
      r->source[i] = g_socket_create_source (r->socket[i], G_IO_IN, NULL);
      g_source_set_callback (r->source[i], (GSourceFunc) (void (*) (void)) lossy_relay_forward,
                             r, NULL);
      g_source_attach (r->source[i], NULL);
    }
}

/* The remote candidate for side @side's agent of @stream_id: the relay
 * socket it talks to, as the one host candidate of component 1. */
static inline NavCandidate *
lossy_relay_candidate (LossyRelay *r,
                       guint       side,
                       guint       stream_id)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (r->socket[side], NULL);
  NavCandidate *c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  NavAddress *addr = nav_address_new_from_socket_address (local, NULL);

  c->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  c->addr = *addr;
  c->base_addr = *addr;
  c->priority = 2130706431;
  c->stream_id = stream_id;
  c->component_id = 1;
  nav_candidate_set_foundation (c, "1");
  nav_address_free (addr);
  return c;
}

static inline void
lossy_relay_clear (LossyRelay *r)
{
  for (guint i = 0; i < 2; i++)
    {
      if (r->source[i] != NULL)
        {
          g_source_destroy (r->source[i]);
          g_source_unref (r->source[i]);
        }
      g_clear_object (&r->socket[i]);
      g_clear_object (&r->host[i]);
    }
  g_clear_pointer (&r->rand, g_rand_free);
}
