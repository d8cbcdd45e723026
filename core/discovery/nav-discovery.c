/* nav-discovery.c: the abstract type of LAN discovery, and the peers it
 * finds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

G_DEFINE_QUARK (nav-discovery-error-quark, nav_discovery_error)

/* ------------------------------------------------------------ peers */

struct _NavDiscoveredPeer
{
  gatomicrefcount ref;
  gchar *instance_name;
  gchar *service_type;
  gchar *host_name;
  guint16 port;
  guint ifindex;
  GPtrArray *addresses;   /* GInetAddress */
  GStrv txt;
  /* From the TXT record, cached. */
  gchar *device_id, *capabilities, *reach, *nat_type;
  guint version;
};

G_DEFINE_BOXED_TYPE (NavDiscoveredPeer, nav_discovered_peer, nav_discovered_peer_ref, nav_discovered_peer_unref)

/**
 * nav_discovered_peer_new:
 * @instance_name: the DNS-SD instance name (UTF-8, unescaped)
 * @service_type: the service type, as `_netavanue._udp`
 *
 * Creates a peer description.  Implementations of [class@Nav.Discovery]
 * fill it with the setters before they hand it out.
 *
 * Returns: (transfer full): a new peer
 *
 * Since: 1.0
 */
NavDiscoveredPeer *
nav_discovered_peer_new (const gchar *instance_name,
                         const gchar *service_type)
{
  NavDiscoveredPeer *peer = g_new0 (NavDiscoveredPeer, 1);

  g_atomic_ref_count_init (&peer->ref);
  peer->instance_name = g_strdup (instance_name);
  peer->service_type = g_strdup (service_type);
  peer->addresses = g_ptr_array_new_with_free_func (g_object_unref);
  peer->txt = g_new0 (gchar *, 1);
  return peer;
}

/**
 * nav_discovered_peer_ref:
 * @peer: a peer
 *
 * Returns: (transfer full): @peer
 *
 * Since: 1.0
 */
NavDiscoveredPeer *
nav_discovered_peer_ref (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  g_atomic_ref_count_inc (&peer->ref);
  return peer;
}

/**
 * nav_discovered_peer_unref:
 * @peer: (transfer full): a peer
 *
 * Since: 1.0
 */
void
nav_discovered_peer_unref (NavDiscoveredPeer *peer)
{
  g_return_if_fail (peer != NULL);
  if (!g_atomic_ref_count_dec (&peer->ref))
    return;
  g_free (peer->instance_name);
  g_free (peer->service_type);
  g_free (peer->host_name);
  g_ptr_array_unref (peer->addresses);
  g_strfreev (peer->txt);
  g_free (peer->device_id);
  g_free (peer->capabilities);
  g_free (peer->reach);
  g_free (peer->nat_type);
  g_free (peer);
}

/**
 * nav_discovered_peer_set_host:
 * @peer: a peer being filled
 * @host_name: the target of its SRV record (`….local`)
 * @port: the port of its SRV record
 *
 * Since: 1.0
 */
void
nav_discovered_peer_set_host (NavDiscoveredPeer *peer,
                              const gchar       *host_name,
                              guint16            port)
{
  g_return_if_fail (peer != NULL);
  g_free (peer->host_name);
  peer->host_name = g_strdup (host_name);
  peer->port = port;
}

/**
 * nav_discovered_peer_add_address:
 * @peer: a peer being filled
 * @address: one address of its host
 *
 * Since: 1.0
 */
void
nav_discovered_peer_add_address (NavDiscoveredPeer *peer,
                                 GInetAddress      *address)
{
  guint i;

  g_return_if_fail (peer != NULL);
  g_return_if_fail (G_IS_INET_ADDRESS (address));
  for (i = 0; i < peer->addresses->len; i++)
    if (g_inet_address_equal (g_ptr_array_index (peer->addresses, i), address))
      return;
  g_ptr_array_add (peer->addresses, g_object_ref (address));
}

/* The first value of @key (RFC 6763 §6.4: keys compared ignoring case). */
static const gchar *
txt_lookup (const gchar * const *txt,
            const gchar         *key)
{
  gsize klen = strlen (key);

  for (; txt != NULL && *txt != NULL; txt++)
    if (g_ascii_strncasecmp (*txt, key, klen) == 0)
      {
        if ((*txt)[klen] == '=')
          return *txt + klen + 1;
        if ((*txt)[klen] == '\0')
          return "";
      }
  return NULL;
}

/* A NAT type as [property@Nav.Agent:nat-type] takes it: words of
 * lower-case letters and dashes, at most 64 bytes (what the peer wrote
 * is untrusted: anything else is not a NAT type, and is only in the TXT
 * strings). */
static gboolean
nat_type_valid (const gchar *s)
{
  gsize n = s != NULL ? strlen (s) : 0;

  return n > 0 && n <= 64 && strspn (s, "abcdefghijklmnopqrstuvwxyz- ") == n;
}

/**
 * nav_discovered_peer_set_txt:
 * @peer: a peer being filled
 * @txt: (array zero-terminated=1): its TXT record's strings, `key=value`
 *
 * Since: 1.0
 */
void
nav_discovered_peer_set_txt (NavDiscoveredPeer   *peer,
                             const gchar * const *txt)
{
  const gchar *v;

  g_return_if_fail (peer != NULL);
  g_strfreev (peer->txt);
  peer->txt = g_strdupv ((gchar **) txt);
  if (peer->txt == NULL)
    peer->txt = g_new0 (gchar *, 1);
  g_free (peer->device_id);
  g_free (peer->capabilities);
  g_free (peer->reach);
  g_free (peer->nat_type);
  peer->device_id = g_strdup (txt_lookup (txt, "id"));
  peer->nat_type = nat_type_valid (txt_lookup (txt, "nat")) ? g_strdup (txt_lookup (txt, "nat")) : NULL;
  peer->capabilities = g_strdup (txt_lookup (txt, "caps"));
  peer->reach = g_strdup (txt_lookup (txt, "reach"));
  v = txt_lookup (txt, "v");
  peer->version = v != NULL ? (guint) g_ascii_strtoull (v, NULL, 10) : 0;
}

/**
 * nav_discovered_peer_set_interface:
 * @peer: a peer being filled
 * @ifindex: the index of the interface it was found on
 *
 * Since: 1.0
 */
void
nav_discovered_peer_set_interface (NavDiscoveredPeer *peer,
                                   guint              ifindex)
{
  g_return_if_fail (peer != NULL);
  peer->ifindex = ifindex;
}

/**
 * nav_discovered_peer_get_instance_name:
 * @peer: a peer
 *
 * Returns: its DNS-SD instance name, as people read it
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_instance_name (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->instance_name;
}

/**
 * nav_discovered_peer_get_service_type:
 * @peer: a peer
 *
 * Returns: its service type, as `_netavanue._udp`
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_service_type (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->service_type;
}

/**
 * nav_discovered_peer_get_host_name:
 * @peer: a peer
 *
 * Returns: (nullable): the host name its SRV record names
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_host_name (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->host_name;
}

/**
 * nav_discovered_peer_get_port:
 * @peer: a peer
 *
 * Returns: the port its SRV record names
 *
 * Since: 1.0
 */
guint16
nav_discovered_peer_get_port (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);
  return peer->port;
}

/**
 * nav_discovered_peer_get_addresses:
 * @peer: a peer
 *
 * Returns: (transfer none) (element-type Gio.InetAddress): the addresses
 *   of its host, IPv4 and IPv6
 *
 * Since: 1.0
 */
GPtrArray *
nav_discovered_peer_get_addresses (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->addresses;
}

/**
 * nav_discovered_peer_get_interface:
 * @peer: a peer
 *
 * Returns: the index of the network interface it was found on
 *
 * Since: 1.0
 */
guint
nav_discovered_peer_get_interface (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);
  return peer->ifindex;
}

/**
 * nav_discovered_peer_get_txt:
 * @peer: a peer
 *
 * Returns: (transfer none) (array zero-terminated=1): its TXT strings
 *
 * Since: 1.0
 */
const gchar * const *
nav_discovered_peer_get_txt (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return (const gchar * const *) peer->txt;
}

/**
 * nav_discovered_peer_lookup_txt:
 * @peer: a peer
 * @key: a TXT key
 *
 * Returns: (nullable): the value of @key, "" for a key given without a
 *   value, %NULL when absent
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_lookup_txt (NavDiscoveredPeer *peer,
                                const gchar       *key)
{
  g_return_val_if_fail (peer != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return txt_lookup ((const gchar * const *) peer->txt, key);
}

/**
 * nav_discovered_peer_get_device_id:
 * @peer: a peer
 *
 * Returns: (nullable): its device id (TXT `id=`)
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_device_id (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->device_id;
}

/**
 * nav_discovered_peer_get_capabilities:
 * @peer: a peer
 *
 * Returns: (nullable): its capability summary (TXT `caps=`)
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_capabilities (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->capabilities;
}

/**
 * nav_discovered_peer_get_reach:
 * @peer: a peer
 *
 * Returns: (nullable): how to reach it (TXT `reach=`), as its
 *   application wrote it
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_reach (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->reach;
}

/**
 * nav_discovered_peer_get_nat_type:
 * @peer: a peer
 *
 * Returns: (nullable): its NAT type (TXT `nat=`), in the syntax of
 *   [property@Nav.Agent:nat-type], for the peer's agent's
 *   [property@Nav.Agent:remote-nat-type]; %NULL when absent or not a NAT
 *   type
 *
 * Since: 1.0
 */
const gchar *
nav_discovered_peer_get_nat_type (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);
  return peer->nat_type;
}

/**
 * nav_discovered_peer_get_protocol_version:
 * @peer: a peer
 *
 * Returns: the version of its TXT keys (`v=`), 0 when absent
 *
 * Since: 1.0
 */
guint
nav_discovered_peer_get_protocol_version (NavDiscoveredPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);
  return peer->version;
}

/**
 * nav_discovered_peer_equal:
 * @a: a peer
 * @b: another
 *
 * Returns: whether both say the same: name, host, port, addresses, TXT
 *
 * Since: 1.0
 */
gboolean
nav_discovered_peer_equal (NavDiscoveredPeer *a,
                           NavDiscoveredPeer *b)
{
  guint i;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (g_strcmp0 (a->instance_name, b->instance_name) != 0 || g_strcmp0 (a->host_name, b->host_name) != 0 ||
      a->port != b->port || a->addresses->len != b->addresses->len ||
      !g_strv_equal ((const gchar * const *) a->txt, (const gchar * const *) b->txt))
    return FALSE;
  for (i = 0; i < a->addresses->len; i++)
    if (!g_inet_address_equal (g_ptr_array_index (a->addresses, i), g_ptr_array_index (b->addresses, i)))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------ discovery */

/**
 * NavDiscovery:
 *
 * Finds NetAvanue peers on the local network with no server, and lets
 * them find this one: multicast DNS (RFC 6762) and DNS-SD (RFC 6763) on
 * every interface, IPv4 and IPv6, under the service type
 * `_netavanue._udp`, so that Avahi, Bonjour and `avahi-browse` see the
 * peers too.
 *
 * Publishing announces an instance ([property@Nav.Discovery:instance-name],
 * renamed `Name (2)` and so on if another host already uses it) with
 * an SRV record ([property@Nav.Discovery:port]) and a TXT record:
 * `v=1` (the version of these keys), `id=` the device id, `caps=` the
 * capability summary, `reach=` how to reach the peer (the application's
 * text, for example a signaling room).  On
 * [method@Nav.Discovery.stop] it says goodbye (TTL 0) so that the
 * others forget it at once.
 *
 * Browsing emits [signal@Nav.Discovery::peer-found] when an instance is
 * resolved (SRV, TXT and at least one address),
 * [signal@Nav.Discovery::peer-changed] when what it says changes, and
 * [signal@Nav.Discovery::peer-lost] after its goodbye or when its
 * records expire (the peer died: at most its records' TTL, 120 s for
 * the SRV record, later).  This instance's own service is not reported.
 *
 * An abstract type: the implementation is the `discovery` module's
 * (`mdns`, a responder of its own, which shares port 5353 with Avahi
 * when a daemon runs), reached through the registry at the
 * `nav-discovery` extension point, so the core links nothing new.
 *
 * Every signal is emitted in [property@Nav.Discovery:context].
 *
 * ```python
 * d = Nav.Discovery.new()
 * d.props.port = 4000
 * d.props.reach = "room=red-lion-star"
 * d.connect("peer-found", lambda d, peer: print(peer.get_instance_name()))
 * d.start()
 * ```
 *
 * Since: 1.0
 */

typedef struct {
  GMainContext *context;
  gchar *instance_name;
  gchar *service_type;
  gchar *device_id;
  gchar *capabilities;
  gchar *reach;
  gchar *nat_type;
  GStrv txt;
  guint16 port;
  gboolean publish;
  gboolean browse;
  gboolean started;
} NavDiscoveryPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NavDiscovery, nav_discovery, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_INSTANCE_NAME,
  PROP_SERVICE_TYPE,
  PROP_DEVICE_ID,
  PROP_CAPABILITIES,
  PROP_REACH,
  PROP_NAT_TYPE,
  PROP_TXT,
  PROP_PORT,
  PROP_PUBLISH,
  PROP_BROWSE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_PEER_FOUND,
  SIGNAL_PEER_LOST,
  SIGNAL_PEER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
changed_txt (NavDiscovery *self)
{
  NavDiscoveryPrivate *priv = nav_discovery_get_instance_private (self);

  if (priv->started && NAV_DISCOVERY_GET_CLASS (self)->update != NULL)
    NAV_DISCOVERY_GET_CLASS (self)->update (self);
}

static void
nav_discovery_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NavDiscovery *self = NAV_DISCOVERY (object);
  NavDiscoveryPrivate *priv = nav_discovery_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, priv->context);
      break;
    case PROP_INSTANCE_NAME:
      g_value_set_string (value, priv->instance_name);
      break;
    case PROP_SERVICE_TYPE:
      g_value_set_string (value, priv->service_type);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, priv->device_id);
      break;
    case PROP_CAPABILITIES:
      g_value_set_string (value, priv->capabilities);
      break;
    case PROP_REACH:
      g_value_set_string (value, priv->reach);
      break;
    case PROP_NAT_TYPE:
      g_value_set_string (value, priv->nat_type);
      break;
    case PROP_TXT:
      g_value_set_boxed (value, priv->txt);
      break;
    case PROP_PORT:
      g_value_set_uint (value, priv->port);
      break;
    case PROP_PUBLISH:
      g_value_set_boolean (value, priv->publish);
      break;
    case PROP_BROWSE:
      g_value_set_boolean (value, priv->browse);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_discovery_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  NavDiscovery *self = NAV_DISCOVERY (object);
  NavDiscoveryPrivate *priv = nav_discovery_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&priv->context, g_main_context_unref);
      priv->context = g_value_get_boxed (value) != NULL ? g_main_context_ref (g_value_get_boxed (value))
                                                        : g_main_context_ref_thread_default ();
      break;
    case PROP_INSTANCE_NAME:
      nav_discovery_set_instance_name (self, g_value_get_string (value));
      break;
    case PROP_SERVICE_TYPE:
      g_free (priv->service_type);
      priv->service_type = g_strdup (g_value_get_string (value) != NULL ? g_value_get_string (value)
                                                                        : NAV_DISCOVERY_SERVICE_TYPE);
      break;
    case PROP_DEVICE_ID:
      g_free (priv->device_id);
      priv->device_id = g_value_dup_string (value);
      if (priv->device_id == NULL)
        {
          guint8 bytes[8];
          gsize i;

          /* Until the device identity of issue 18 exists: random, for the
           * life of this object. */
          for (i = 0; i < sizeof bytes; i++)
            bytes[i] = g_random_int_range (0, 256);
          priv->device_id = g_strdup_printf ("%02x%02x%02x%02x%02x%02x%02x%02x", bytes[0], bytes[1],
                                             bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
        }
      break;
    case PROP_CAPABILITIES:
      nav_discovery_set_capabilities (self, g_value_get_string (value));
      break;
    case PROP_REACH:
      nav_discovery_set_reach (self, g_value_get_string (value));
      break;
    case PROP_NAT_TYPE:
      nav_discovery_set_nat_type (self, g_value_get_string (value));
      break;
    case PROP_TXT:
      g_strfreev (priv->txt);
      priv->txt = g_value_dup_boxed (value);
      changed_txt (self);
      break;
    case PROP_PORT:
      priv->port = g_value_get_uint (value);
      break;
    case PROP_PUBLISH:
      priv->publish = g_value_get_boolean (value);
      break;
    case PROP_BROWSE:
      priv->browse = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_discovery_finalize (GObject *object)
{
  NavDiscovery *self = NAV_DISCOVERY (object);
  NavDiscoveryPrivate *priv = nav_discovery_get_instance_private (self);

  g_clear_pointer (&priv->context, g_main_context_unref);
  g_free (priv->instance_name);
  g_free (priv->service_type);
  g_free (priv->device_id);
  g_free (priv->capabilities);
  g_free (priv->reach);
  g_free (priv->nat_type);
  g_strfreev (priv->txt);

  G_OBJECT_CLASS (nav_discovery_parent_class)->finalize (object);
}

static void
nav_discovery_init (NavDiscovery *self)
{
  NavDiscoveryPrivate *priv = nav_discovery_get_instance_private (self);

  priv->instance_name = g_strdup_printf ("NetAvanue on %s", g_get_host_name ());
}

static void
nav_discovery_class_init (NavDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nav_discovery_get_property;
  object_class->set_property = nav_discovery_set_property;
  object_class->finalize = nav_discovery_finalize;

  /**
   * NavDiscovery:context:
   *
   * The main context of the sockets, timers and signals; %NULL at
   * construction means the thread-default context.
   *
   * Since: 1.0
   */
  props[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:instance-name:
   *
   * The DNS-SD instance name to publish (UTF-8, at most 63 bytes),
   * "NetAvanue on HOST" by default.  After a conflict with another host
   * (RFC 6762 §9) it is renamed "NAME (2)", "NAME (3)", … and notified.
   *
   * Since: 1.0
   */
  props[PROP_INSTANCE_NAME] =
    g_param_spec_string ("instance-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:service-type:
   *
   * The service type, `_netavanue._udp` by default.
   *
   * Since: 1.0
   */
  props[PROP_SERVICE_TYPE] =
    g_param_spec_string ("service-type", NULL, NULL, NAV_DISCOVERY_SERVICE_TYPE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:device-id:
   *
   * The device id published as `id=`; random for the life of the
   * object when not given.
   *
   * Since: 1.0
   */
  props[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:capabilities:
   *
   * The capability summary published as `caps=` (for example
   * `ice,dtls,datachannel`).
   *
   * Since: 1.0
   */
  props[PROP_CAPABILITIES] =
    g_param_spec_string ("capabilities", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:reach:
   *
   * How to reach this peer, published as `reach=`: the application's
   * text, at most 200 bytes.
   *
   * Since: 1.0
   */
  props[PROP_REACH] =
    g_param_spec_string ("reach", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:nat-type:
   *
   * This peer's NAT type, published as `nat=` in the syntax of
   * [property@Nav.Agent:nat-type] (for example `endpoint-independent
   * address-and-port-dependent`, or `full-cone`): the agent's, once its
   * RFC 5780 discovery or the application set it.  The peers that find
   * it read it with [method@Nav.DiscoveredPeer.get_nat_type] and set
   * their agent's [property@Nav.Agent:remote-nat-type] before the
   * descriptions are even traded.  A value that is not a NAT type (lower
   * case letters, dashes and spaces, at most 64 bytes) is not published.
   *
   * Since: 1.0
   */
  props[PROP_NAT_TYPE] =
    g_param_spec_string ("nat-type", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:txt:
   *
   * More TXT strings (`key=value`) to publish after the standard ones.
   *
   * Since: 1.0
   */
  props[PROP_TXT] =
    g_param_spec_boxed ("txt", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:port:
   *
   * The port of the SRV record.
   *
   * Since: 1.0
   */
  props[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:publish:
   *
   * Whether [method@Nav.Discovery.start] publishes this peer.
   *
   * Since: 1.0
   */
  props[PROP_PUBLISH] =
    g_param_spec_boolean ("publish", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NavDiscovery:browse:
   *
   * Whether [method@Nav.Discovery.start] browses for the others.
   *
   * Since: 1.0
   */
  props[PROP_BROWSE] =
    g_param_spec_boolean ("browse", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * NavDiscovery::peer-found:
   * @self: the discovery
   * @peer: the peer
   *
   * A peer was resolved: its SRV, TXT and at least one address are known.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PEER_FOUND] =
    g_signal_new ("peer-found", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_DISCOVERED_PEER);

  /**
   * NavDiscovery::peer-lost:
   * @self: the discovery
   * @peer: the peer, as last known
   *
   * The peer said goodbye, or its records expired.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PEER_LOST] =
    g_signal_new ("peer-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_DISCOVERED_PEER);

  /**
   * NavDiscovery::peer-changed:
   * @self: the discovery
   * @peer: the peer, as it is now
   *
   * What a found peer says changed: its TXT record, port or addresses.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PEER_CHANGED] =
    g_signal_new ("peer-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_DISCOVERED_PEER);
}

/**
 * nav_discovery_new:
 *
 * Creates a discovery bound to the thread-default main context, from
 * the preferred implementation at the `nav-discovery` extension point
 * (the `discovery` module's `mdns`).
 *
 * Returns: (transfer full) (nullable): a new discovery, or %NULL (with a
 *   warning) when no module implements it
 *
 * Since: 1.0
 */
NavDiscovery *
nav_discovery_new (void)
{
  g_autoptr (GError) error = NULL;
  GObject *object;

  g_type_ensure (NAV_TYPE_DISCOVERY);
  object = nav_registry_create (nav_registry_get_default (), NAV_DISCOVERY_EXTENSION_POINT_NAME, NULL, &error,
                                NULL);
  if (object == NULL)
    {
      g_warning (_("No LAN discovery: %s"), error->message);
      return NULL;
    }
  return NAV_DISCOVERY (object);
}

/**
 * nav_discovery_start:
 * @self: a discovery
 * @error: return location for a #GError
 *
 * Starts publishing and browsing.
 *
 * Returns: %TRUE when started
 *
 * Since: 1.0
 */
gboolean
nav_discovery_start (NavDiscovery  *self,
                     GError       **error)
{
  NavDiscoveryPrivate *priv;

  g_return_val_if_fail (NAV_IS_DISCOVERY (self), FALSE);
  priv = nav_discovery_get_instance_private (self);
  if (priv->started)
    {
      g_set_error_literal (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_ALREADY_STARTED,
                           _("The discovery is already started"));
      return FALSE;
    }
  if (priv->publish && (priv->instance_name == NULL || *priv->instance_name == '\0' ||
                        strlen (priv->instance_name) > 63 ||
                        !g_utf8_validate (priv->instance_name, -1, NULL)))
    {
      g_set_error (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a DNS-SD instance name (1 to 63 bytes of UTF-8)"),
                   priv->instance_name != NULL ? priv->instance_name : "");
      return FALSE;
    }
  if (priv->reach != NULL && strlen (priv->reach) > 200)
    {
      g_set_error_literal (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_INVALID_ARGUMENT,
                           _("The reach text is longer than 200 bytes"));
      return FALSE;
    }
  if (!NAV_DISCOVERY_GET_CLASS (self)->start (self, error))
    return FALSE;
  priv->started = TRUE;
  return TRUE;
}

/**
 * nav_discovery_stop:
 * @self: a discovery
 *
 * Says goodbye for what was published (the others forget this peer at
 * once) and stops browsing.  It may be started again.
 *
 * Since: 1.0
 */
void
nav_discovery_stop (NavDiscovery *self)
{
  NavDiscoveryPrivate *priv;

  g_return_if_fail (NAV_IS_DISCOVERY (self));
  priv = nav_discovery_get_instance_private (self);
  if (!priv->started)
    return;
  priv->started = FALSE;
  NAV_DISCOVERY_GET_CLASS (self)->stop (self);
}

/**
 * nav_discovery_list_peers:
 * @self: a discovery
 *
 * Returns: (transfer full) (element-type NavDiscoveredPeer): the peers
 *   known now; free with `g_list_free_full (list, (GDestroyNotify)
 *   nav_discovered_peer_unref)`
 *
 * Since: 1.0
 */
GList *
nav_discovery_list_peers (NavDiscovery *self)
{
  g_return_val_if_fail (NAV_IS_DISCOVERY (self), NULL);
  return NAV_DISCOVERY_GET_CLASS (self)->list_peers (self);
}

/**
 * nav_discovery_is_started:
 * @self: a discovery
 *
 * Returns: whether it runs
 *
 * Since: 1.0
 */
gboolean
nav_discovery_is_started (NavDiscovery *self)
{
  NavDiscoveryPrivate *priv;

  g_return_val_if_fail (NAV_IS_DISCOVERY (self), FALSE);
  priv = nav_discovery_get_instance_private (self);
  return priv->started;
}

#define GETTER(type, name, field)                                             \
  type                                                                        \
  nav_discovery_get_##name (NavDiscovery *self)                               \
  {                                                                           \
    NavDiscoveryPrivate *priv;                                                \
                                                                              \
    g_return_val_if_fail (NAV_IS_DISCOVERY (self), (type) 0);                 \
    priv = nav_discovery_get_instance_private (self);                         \
    return priv->field;                                                       \
  }

/**
 * nav_discovery_get_context:
 * @self: a discovery
 *
 * Returns: (transfer none): its main context
 *
 * Since: 1.0
 */
GETTER (GMainContext *, context, context)

/**
 * nav_discovery_get_instance_name:
 * @self: a discovery
 *
 * Returns: the instance name published (after any renaming)
 *
 * Since: 1.0
 */
GETTER (const gchar *, instance_name, instance_name)

/**
 * nav_discovery_get_service_type:
 * @self: a discovery
 *
 * Returns: the service type
 *
 * Since: 1.0
 */
GETTER (const gchar *, service_type, service_type)

/**
 * nav_discovery_get_device_id:
 * @self: a discovery
 *
 * Returns: the device id published
 *
 * Since: 1.0
 */
GETTER (const gchar *, device_id, device_id)

/**
 * nav_discovery_get_capabilities:
 * @self: a discovery
 *
 * Returns: (nullable): the capability summary
 *
 * Since: 1.0
 */
GETTER (const gchar *, capabilities, capabilities)

/**
 * nav_discovery_get_reach:
 * @self: a discovery
 *
 * Returns: (nullable): the reach text
 *
 * Since: 1.0
 */
GETTER (const gchar *, reach, reach)

/**
 * nav_discovery_get_port:
 * @self: a discovery
 *
 * Returns: the SRV port
 *
 * Since: 1.0
 */
GETTER (guint16, port, port)

/**
 * nav_discovery_get_publish:
 * @self: a discovery
 *
 * Returns: whether it publishes
 *
 * Since: 1.0
 */
GETTER (gboolean, publish, publish)

/**
 * nav_discovery_get_browse:
 * @self: a discovery
 *
 * Returns: whether it browses
 *
 * Since: 1.0
 */
GETTER (gboolean, browse, browse)

/**
 * nav_discovery_set_instance_name:
 * @self: a discovery
 * @name: the instance name
 *
 * Sets [property@Nav.Discovery:instance-name]; while started, the
 * service is published again under the new name.
 *
 * Since: 1.0
 */
void
nav_discovery_set_instance_name (NavDiscovery *self,
                                 const gchar  *name)
{
  NavDiscoveryPrivate *priv;

  g_return_if_fail (NAV_IS_DISCOVERY (self));
  priv = nav_discovery_get_instance_private (self);
  if (g_strcmp0 (priv->instance_name, name) == 0 || name == NULL)
    return;
  g_free (priv->instance_name);
  priv->instance_name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INSTANCE_NAME]);
  changed_txt (self);
}

/* A string property's setter: the field replaced, the property
 * notified and the TXT record announced again; nothing when equal. */
static void
set_txt_string (NavDiscovery *self,
                gchar       **field,
                const gchar  *value,
                guint         prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
  changed_txt (self);
}

/**
 * nav_discovery_set_capabilities:
 * @self: a discovery
 * @capabilities: (nullable): the capability summary
 *
 * Sets [property@Nav.Discovery:capabilities]; while started, the TXT
 * record is announced again (the others emit `peer-changed`).
 *
 * Since: 1.0
 */
void
nav_discovery_set_capabilities (NavDiscovery *self,
                                const gchar  *capabilities)
{
  NavDiscoveryPrivate *priv;

  g_return_if_fail (NAV_IS_DISCOVERY (self));
  priv = nav_discovery_get_instance_private (self);
  set_txt_string (self, &priv->capabilities, capabilities, PROP_CAPABILITIES);
}

/**
 * nav_discovery_set_reach:
 * @self: a discovery
 * @reach: (nullable): how to reach this peer
 *
 * Sets [property@Nav.Discovery:reach]; while started, the TXT record is
 * announced again.
 *
 * Since: 1.0
 */
void
nav_discovery_set_reach (NavDiscovery *self,
                         const gchar  *reach)
{
  NavDiscoveryPrivate *priv;

  g_return_if_fail (NAV_IS_DISCOVERY (self));
  priv = nav_discovery_get_instance_private (self);
  set_txt_string (self, &priv->reach, reach, PROP_REACH);
}

/**
 * nav_discovery_get_nat_type:
 * @self: a discovery
 *
 * Returns: (nullable): [property@Nav.Discovery:nat-type]
 *
 * Since: 1.0
 */
GETTER (const gchar *, nat_type, nat_type)

/**
 * nav_discovery_set_nat_type:
 * @self: a discovery
 * @nat_type: (nullable): this peer's NAT type
 *
 * Sets [property@Nav.Discovery:nat-type]; while started, the TXT record
 * is announced again (the others emit `peer-changed`).
 *
 * Since: 1.0
 */
void
nav_discovery_set_nat_type (NavDiscovery *self,
                            const gchar  *nat_type)
{
  NavDiscoveryPrivate *priv;

  g_return_if_fail (NAV_IS_DISCOVERY (self));
  priv = nav_discovery_get_instance_private (self);
  set_txt_string (self, &priv->nat_type, nat_type, PROP_NAT_TYPE);
}

/**
 * nav_discovery_build_txt:
 * @self: a discovery
 *
 * The TXT strings to publish: `v=`, `id=`, `caps=`, `reach=` and `nat=`
 * when set, then [property@Nav.Discovery:txt].
 *
 * Returns: (transfer full): the strings
 *
 * Since: 1.0
 */
gchar **
nav_discovery_build_txt (NavDiscovery *self)
{
  NavDiscoveryPrivate *priv;
  GStrvBuilder *builder;
  gchar **txt;

  g_return_val_if_fail (NAV_IS_DISCOVERY (self), NULL);
  priv = nav_discovery_get_instance_private (self);
  builder = g_strv_builder_new ();
  {
    g_autofree gchar *v = g_strdup_printf ("v=%u", NAV_DISCOVERY_PROTOCOL_VERSION);
    g_autofree gchar *id = g_strdup_printf ("id=%s", priv->device_id);
    g_autofree gchar *caps = priv->capabilities != NULL ? g_strdup_printf ("caps=%s", priv->capabilities) : NULL;
    g_autofree gchar *reach = priv->reach != NULL ? g_strdup_printf ("reach=%s", priv->reach) : NULL;

    g_strv_builder_add (builder, v);
    g_strv_builder_add (builder, id);
    if (caps != NULL)
      g_strv_builder_add (builder, caps);
    if (reach != NULL)
      g_strv_builder_add (builder, reach);
    if (nat_type_valid (priv->nat_type))
      {
        g_autofree gchar *nat = g_strdup_printf ("nat=%s", priv->nat_type);

        g_strv_builder_add (builder, nat);
      }
  }
  if (priv->txt != NULL)
    g_strv_builder_addv (builder, (const gchar **) priv->txt);
  txt = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return txt;
}
