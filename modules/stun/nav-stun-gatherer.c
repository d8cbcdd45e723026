/* nav-stun-gatherer.c: the server-reflexive candidate gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-gatherer.h"

#include <string.h>

#include <glib/gi18n-lib.h>

/**
 * NavStunGatherer:
 *
 * Finds server-reflexive candidates (RFC 8445 §5.1.1.2): for each UDP
 * host candidate it sends a Binding request to each STUN server through
 * the candidate's own transport, so the mapping found is the one peers
 * will see, and turns each distinct mapped address into a candidate whose
 * base is the host candidate.
 *
 * A server that never answers holds the gathering for the whole of a
 * transaction: with the RFC 8489 §6.2.1 defaults (RTO 500 ms, Rc 7,
 * Rm 16) that is 39.5 s.  [property@Nav.StunGatherer:stun-initial-timeout]
 * and [property@Nav.StunGatherer:stun-max-retransmissions] shorten it, as
 * [class@Nav.Agent] does with its own properties of the same names.
 */

struct _NavStunGatherer
{
  GObject parent_instance;

  GMainContext *context;
  gchar **servers;
  NavStunRetransmitParams params;
  GPtrArray *gatherings;        /* of Gathering* */
  gchar *software;              /* SOFTWARE of the requests, or NULL */
};

static void nav_stun_gatherer_gatherer_init (NavGathererInterface *iface);

G_DEFINE_TYPE_WITH_CODE (NavStunGatherer, nav_stun_gatherer, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER,
                                                nav_stun_gatherer_gatherer_init))

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_SERVERS,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_SOFTWARE,
  N_PROPS
};

/* One gather() call */
typedef struct
{
  NavStunGatherer *self;        /* weak: the gatherer owns the gathering */
  guint stream_id;
  guint component_id;
  GPtrArray *bases;             /* of NavCandidate* (copies) */
  GPtrArray *probes;            /* of Probe* */
  GPtrArray *found;             /* of NavAddress*: mapped addresses emitted */
  GCancellable *cancellable;
  guint pending;
  gboolean done;
  gboolean answered;            /* a success response came */
  GError *error;                /* why a probe failed, for ::server-failed */
  GSource *idle;                /* the call's own step: gone with the gathering */
} Gathering;

/* One Binding request from one base to one server */
typedef struct
{
  Gathering *gathering;
  NavCandidate *base;           /* borrowed from gathering->bases */
  NavTransport *transport;      /* strong */
  NavAddress server;
  NavStunTransaction *transaction;
  gulong received_id;
} Probe;

static void gathering_step_done (Gathering *g);

static void
probe_free (Probe *p)
{
  if (p->received_id != 0)
    g_signal_handler_disconnect (p->transport, p->received_id);
  nav_stun_transaction_free (p->transaction);
  g_clear_object (&p->transport);
  g_free (p);
}

static void
gathering_free (Gathering *g)
{
  /* A gatherer dropped before its context ran the idle (a busy loop runs
   * default-priority sources first). */
  if (g->idle != NULL)
    {
      g_source_destroy (g->idle);
      g_source_unref (g->idle);
    }
  g_cancellable_cancel (g->cancellable);
  g_object_unref (g->cancellable);
  g_ptr_array_unref (g->probes);
  g_ptr_array_unref (g->bases);
  g_ptr_array_unref (g->found);
  g_clear_error (&g->error);
  g_free (g);
}

static gboolean
probe_send (NavStunTransaction *transaction,
            const guint8       *data,
            gsize               length,
            gpointer            user_data,
            GError            **error)
{
  Probe *p = user_data;
  g_autoptr (GError) local_error = NULL;

  /* A lost datagram is what retransmissions are for. */
  if (!nav_transport_send (p->transport, &p->server, data, length, &local_error))
    g_debug ("event=srflx-send-failed error=\"%s\"", local_error->message);
  return TRUE;
}

static void
probe_received (NavTransport     *transport,
                GBytes           *bytes,
                const NavAddress *from,
                gpointer          user_data)
{
  Probe *p = user_data;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (NavStunMessage) msg = NULL;

  if (!nav_stun_message_is_stun (data, len))
    return;
  msg = nav_stun_message_parse (data, len, NULL);
  if (msg != NULL)
    nav_stun_transaction_handle_response (p->transaction, msg);
}

static void
probe_done (NavStunTransaction *transaction,
            NavStunMessage     *response,
            const GError       *error,
            gpointer            user_data)
{
  Probe *p = user_data;
  Gathering *g = p->gathering;
  NavAddress mapped;
  guint i;

  if (p->received_id != 0)
    {
      g_signal_handler_disconnect (p->transport, p->received_id);
      p->received_id = 0;
    }

  if (response != NULL &&
      nav_stun_message_get_class (response) == NAV_STUN_CLASS_SUCCESS_RESPONSE &&
      (nav_stun_message_get_xor_mapped_address (response, &mapped, NULL) ||
       nav_stun_message_get_mapped_address (response, &mapped, NULL)))
    {
      gboolean seen = nav_address_equal (&mapped, &p->base->addr);

      g->answered = TRUE;
      for (i = 0; i < g->found->len && !seen; i++)
        seen = nav_address_equal (g->found->pdata[i], &mapped);
      /* RFC 8445 §5.1.3: a srflx candidate equal to its base, or to one
       * already found, is redundant. */
      if (!seen)
        {
          g_autoptr (NavCandidate) c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
          g_autofree gchar *foundation = NULL;
          gchar ip[NAV_ADDRESS_STRING_LEN];

          g_ptr_array_add (g->found, nav_address_copy (&mapped));
          c->transport = NAV_CANDIDATE_TRANSPORT_UDP;
          c->addr = mapped;
          c->base_addr = p->base->addr;
          c->related_addr = p->base->addr;
          c->stream_id = g->stream_id;
          c->component_id = g->component_id;
          c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                                        NAV_CANDIDATE_TRANSPORT_UDP,
                                                        65535, g->component_id);
          /* RFC 8445 §5.1.1.3: same type, base IP and server, same
           * foundation. */
          {
            g_autofree gchar *base_ip = nav_address_ip_to_string (&p->base->addr);

            nav_address_to_string_buf (&p->server, ip);
            foundation = g_strdup_printf ("%u",
                                          g_str_hash (base_ip) ^ g_str_hash (ip) ^ 0x5352u);
          }
          nav_candidate_set_foundation (c, foundation);
          nav_candidate_set_owner (c, p->transport);
          nav_gatherer_emit_candidate_gathered (NAV_GATHERER (g->self), c);
        }
    }
  else
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      g_debug ("event=srflx-failed server=%s error=\"%s\"",
               nav_address_to_string_buf (&p->server, buf),
               error != NULL ? error->message : "error response");
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&g->error);
          if (error != NULL && g_error_matches (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT))
            g->error = g_error_new (NAV_ERROR, NAV_ERROR_TIMED_OUT,
                                    _("The STUN server %s never answered (%s)"), buf, error->message);
          else if (error != NULL)
            g->error = g_error_new (NAV_ERROR, NAV_ERROR_FAILED,
                                    _("The STUN server %s did not answer: %s"), buf, error->message);
          else
            g->error = g_error_new (NAV_ERROR, NAV_ERROR_FAILED,
                                    _("The STUN server %s answered with an error"), buf);
        }
    }
  gathering_step_done (g);
}

static void
gathering_step_done (Gathering *g)
{
  NavStunGatherer *self = g->self;

  if (--g->pending > 0 || g->done)
    return;
  g->done = TRUE;
  /* Every request failed: the application should hear why (an answer
   * to any base, even a redundant one, is no failure). */
  if (!g->answered && g->error != NULL && !g_cancellable_is_cancelled (g->cancellable))
    nav_gatherer_emit_failed (NAV_GATHERER (self), g->stream_id, g->component_id, g->error);
  nav_gatherer_emit_done (NAV_GATHERER (self), g->stream_id, g->component_id);
}

static gboolean
gathering_idle (gpointer user_data)
{
  gathering_step_done (user_data);
  return G_SOURCE_REMOVE;
}

static void
server_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Gathering *g = user_data;
  g_autoptr (NavAddress) server = NULL;
  g_autoptr (GError) error = NULL;
  guint i;

  server = nav_net_resolve_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;     /* the gathering is gone */

  if (server != NULL)
    for (i = 0; i < g->bases->len; i++)
      {
        NavCandidate *base = g->bases->pdata[i];
        g_autoptr (NavStunMessageBuilder) b = NULL;
        g_autoptr (GBytes) request = NULL;
        Probe *p;

        if (base->owner == NULL || base->transport != NAV_CANDIDATE_TRANSPORT_UDP ||
            nav_address_get_family (&base->addr) != nav_address_get_family (server))
          continue;
        b = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
        if (g->self->software != NULL)
          nav_stun_message_builder_add_software (b, g->self->software, NULL);
        nav_stun_message_builder_add_fingerprint (b, NULL);
        request = nav_stun_message_builder_finish (b, NULL);
        if (request == NULL)
          continue;

        p = g_new0 (Probe, 1);
        p->gathering = g;
        p->base = base;
        p->transport = g_object_ref (base->owner);
        p->server = *server;
        p->transaction = nav_stun_transaction_new (g->self->context, request, FALSE,
                                                   &g->self->params, probe_send,
                                                   probe_done, p);
        p->received_id = g_signal_connect (p->transport, "received",
                                           G_CALLBACK (probe_received), p);
        g_ptr_array_add (g->probes, p);
        g->pending++;
        nav_stun_transaction_start (p->transaction);
      }
  else
    {
      g_debug ("event=srflx-resolve-failed error=\"%s\"", error->message);
      g_clear_error (&g->error);
      g->error = g_error_new (NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                              _("The STUN server cannot be resolved: %s"), error->message);
    }

  gathering_step_done (g);
}

static void
nav_stun_gatherer_gather (NavGatherer *gatherer,
                          guint        stream_id,
                          guint        component_id,
                          GPtrArray   *bases)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (gatherer);
  Gathering *g = g_new0 (Gathering, 1);
  guint i;

  g->self = self;
  g->stream_id = stream_id;
  g->component_id = component_id;
  g->bases = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  g->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_free);
  g->found = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_address_free);
  g->cancellable = g_cancellable_new ();
  for (i = 0; bases != NULL && i < bases->len; i++)
    g_ptr_array_add (g->bases, nav_candidate_copy (bases->pdata[i]));
  g_ptr_array_add (self->gatherings, g);

  /* One step for the call itself, so that done comes after this returns
   * even with no server (the interface promises it never comes from
   * inside the call). */
  g->pending = 1;
  for (i = 0; self->servers != NULL && self->servers[i] != NULL; i++)
    {
      g->pending++;
      nav_net_resolve_async (self->context, self->servers[i], NAV_STUN_PROTOCOL_UDP,
                             G_SOCKET_FAMILY_INVALID, FALSE, g->cancellable,
                             server_resolved, g);
    }
  g->idle = g_idle_source_new ();
  g_source_set_callback (g->idle, gathering_idle, g, NULL);
  g_source_attach (g->idle, self->context);
}

static void
nav_stun_gatherer_stop (NavGatherer *gatherer)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (gatherer);
  guint i, j;

  for (i = 0; i < self->gatherings->len; i++)
    {
      Gathering *g = self->gatherings->pdata[i];

      g_cancellable_cancel (g->cancellable);
      for (j = 0; j < g->probes->len; j++)
        {
          Probe *p = g->probes->pdata[j];

          if (!nav_stun_transaction_is_done (p->transaction))
            {
              g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                              _("Gathering stopped"));

              nav_stun_transaction_fail (p->transaction, error);
            }
        }
      if (!g->done)
        {
          g->done = TRUE;
          nav_gatherer_emit_done (gatherer, g->stream_id, g->component_id);
        }
    }
}

/* NavGatherer.configure: the STUN servers and how their requests are
 * retransmitted; the settings not set keep their value. */
static gboolean
nav_stun_gatherer_configure (NavGatherer      *gatherer,
                             const NavConfig  *config,
                             GError          **error)
{
  static const gchar * const taken[] = {
    "stun-servers", "stun-initial-timeout", "stun-max-retransmissions",
    "stun-reliable-timeout", "software", NULL
  };
  NavStunGatherer *self = NAV_STUN_GATHERER (gatherer);
  guint retransmissions;

  if (!nav_config_check (config, taken, G_OBJECT_TYPE_NAME (self), error))
    return FALSE;
  if (nav_config_is_set (config, "stun-servers"))
    {
      g_clear_pointer (&self->servers, g_strfreev);
      nav_config_get (config, "stun-servers", &self->servers, NULL);
    }
  if (nav_config_is_set (config, "stun-initial-timeout"))
    nav_config_get (config, "stun-initial-timeout", &self->params.rto_ms, NULL);
  if (nav_config_is_set (config, "stun-max-retransmissions"))
    {
      nav_config_get (config, "stun-max-retransmissions", &retransmissions, NULL);
      self->params.rc = retransmissions + 1;
    }
  if (nav_config_is_set (config, "stun-reliable-timeout"))
    nav_config_get (config, "stun-reliable-timeout", &self->params.ti_ms, NULL);
  if (nav_config_is_set (config, "software"))
    {
      g_clear_pointer (&self->software, g_free);
      nav_config_get (config, "software", &self->software, NULL);
    }
  return TRUE;
}

static void
nav_stun_gatherer_gatherer_init (NavGathererInterface *iface)
{
  iface->gather = nav_stun_gatherer_gather;
  iface->stop = nav_stun_gatherer_stop;
  iface->configure = nav_stun_gatherer_configure;
}

void
nav_stun_gatherer_set_retransmit_params (NavStunGatherer               *self,
                                         const NavStunRetransmitParams *params)
{
  g_return_if_fail (NAV_IS_STUN_GATHERER (self));
  self->params = *params;
  /* At least one transmission, as the transaction does. */
  self->params.rc = MAX (self->params.rc, 1);
}

static void
nav_stun_gatherer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_SERVERS: g_value_set_boxed (value, self->servers); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    default:
      if (!nav_stun_retransmit_params_get_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_gatherer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_SERVERS:
      g_strfreev (self->servers);
      self->servers = g_value_dup_boxed (value);
      break;
    case PROP_SOFTWARE:
      g_free (self->software);
      self->software = g_value_dup_string (value);
      break;
    default:
      /* Transactions already started keep the values they started with. */
      if (!nav_stun_retransmit_params_set_property (&self->params, PROP_STUN_INITIAL_TIMEOUT,
                                                    prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_gatherer_constructed (GObject *object)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (object);

  G_OBJECT_CLASS (nav_stun_gatherer_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_gatherer_finalize (GObject *object)
{
  NavStunGatherer *self = NAV_STUN_GATHERER (object);

  g_ptr_array_unref (self->gatherings);
  g_strfreev (self->servers);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (nav_stun_gatherer_parent_class)->finalize (object);
}

static void
nav_stun_gatherer_class_init (NavStunGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nav_stun_gatherer_get_property;
  object_class->set_property = nav_stun_gatherer_set_property;
  object_class->constructed = nav_stun_gatherer_constructed;
  object_class->finalize = nav_stun_gatherer_finalize;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  /**
   * NavStunGatherer:software:
   *
   * The SOFTWARE attribute (RFC 8489 §14.14, fewer than 128 characters)
   * of the Binding requests, or %NULL for none: what the agent's
   * [method@Nav.Agent.set_software] sets.
   *
   * Since: 1.0
   */
  g_object_class_install_property (object_class, PROP_SOFTWARE,
    g_param_spec_string ("software", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * NavStunGatherer:servers:
   *
   * The STUN servers, as `HOST[:PORT]` strings.
   */
  g_object_class_install_property (object_class, PROP_SERVERS,
    g_param_spec_boxed ("servers", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * NavStunGatherer:stun-initial-timeout:
   * NavStunGatherer:stun-max-retransmissions:
   * NavStunGatherer:stun-reliable-timeout:
   *
   * RTO and Rc of RFC 8489 §6.2.1 (Rc minus one: the transmissions after
   * the first; after the last one the gatherer waits 16 times RTO, Rm,
   * before it gives the server up), and Ti of §6.2.2 in milliseconds,
   * the same settings as every object that runs STUN transactions (see
   * nav_stun_retransmit_params_install()).  The gatherer sends its
   * Binding requests over UDP, from the host candidates' own sockets, so
   * Ti has no effect today; it is there so that the STUN and TURN
   * gatherers take the same settings.
   *
   * Since: 1.0
   */
  nav_stun_retransmit_params_install (object_class, PROP_STUN_INITIAL_TIMEOUT,
                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

static void
nav_stun_gatherer_init (NavStunGatherer *self)
{
  nav_stun_retransmit_params_init (&self->params);
  self->gatherings = g_ptr_array_new_with_free_func ((GDestroyNotify) gathering_free);
}

NavStunGatherer *
nav_stun_gatherer_new (GMainContext        *context,
                       const gchar * const *servers)
{
  return g_object_new (NAV_TYPE_STUN_GATHERER, "context", context,
                       "servers", servers, NULL);
}
