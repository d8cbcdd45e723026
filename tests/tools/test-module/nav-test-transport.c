/* nav-test-transport.c: libnav-test-transport.so, a third-party transport
 * plugin for the tests of the transport contract (docs/modules.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written as a plugin author would, with the public header only and the
 * helpers of nav-module.h: NavTestTransport is a loopback transport (what
 * it sends comes back to it, delivered from its main context), and it can
 * be told to emit NavTransport::closed where a careless plugin does: from
 * dispose, or from finalize.
 */
#include <netavanue/netavanue.h>

#define NAV_TYPE_TEST_TRANSPORT (nav_test_transport_get_type ())
G_DECLARE_FINAL_TYPE (NavTestTransport, nav_test_transport, NAV, TEST_TRANSPORT, GObject)

struct _NavTestTransport
{
  GObject parent_instance;

  GMainContext *context;
  NavAddress *local_address;
  gboolean closed_on_close;
  gboolean closed_in_dispose;
  gboolean closed_in_finalize;

  gboolean closed;
  GPtrArray *pending;           /* GSource: deliveries not yet made */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  PROP_CLOSED_ON_CLOSE,
  PROP_CLOSED_IN_DISPOSE,
  PROP_CLOSED_IN_FINALIZE,
  N_PROPS
};

static void nav_test_transport_transport_init (NavTransportInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavTestTransport, nav_test_transport, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_TRANSPORT,
                                                               nav_test_transport_transport_init))

static const gsize fields[N_PROPS] = {
  [PROP_CONTEXT] = G_STRUCT_OFFSET (NavTestTransport, context),
  [PROP_LOCAL_ADDRESS] = G_STRUCT_OFFSET (NavTestTransport, local_address),
  [PROP_CLOSED_ON_CLOSE] = G_STRUCT_OFFSET (NavTestTransport, closed_on_close),
  [PROP_CLOSED_IN_DISPOSE] = G_STRUCT_OFFSET (NavTestTransport, closed_in_dispose),
  [PROP_CLOSED_IN_FINALIZE] = G_STRUCT_OFFSET (NavTestTransport, closed_in_finalize),
};

NAV_DEFINE_FIELD_PROPERTIES (nav_test_transport, fields)

typedef struct {
  NavTestTransport *self;       /* strong */
  GBytes *data;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  g_object_unref (d->self);
  g_bytes_unref (d->data);
  g_free (d);
}

/* The contract: received data is delivered in the transport's context. */
static gboolean
deliver (gpointer user_data)
{
  Delivery *d = user_data;
  GSource *source = g_main_current_source ();
  gsize len;
  const guint8 *bytes = g_bytes_get_data (d->data, &len);

  g_ptr_array_remove_fast (d->self->pending, source);
  if (!d->self->closed)
    nav_transport_deliver (NAV_TRANSPORT (d->self), bytes, len, d->self->local_address);
  return G_SOURCE_REMOVE;
}

static gboolean
nav_test_transport_send (NavTransport      *transport,
                         const NavAddress  *to,
                         const guint8      *data,
                         gsize              len,
                         GError           **error)
{
  NavTestTransport *self = NAV_TEST_TRANSPORT (transport);
  Delivery *d;
  GSource *source;

  if (self->closed)
    {
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                           "The test transport is closed");
      return FALSE;
    }

  d = g_new0 (Delivery, 1);
  d->self = g_object_ref (self);
  d->data = g_bytes_new (data, len);
  source = g_idle_source_new ();
  g_source_set_callback (source, deliver, d, delivery_free);
  g_source_set_static_name (source, "[nav-test] loopback delivery");
  g_ptr_array_add (self->pending, source);
  g_source_attach (source, self->context);
  return TRUE;
}

static const NavAddress *
nav_test_transport_get_local_address (NavTransport *transport)
{
  return NAV_TEST_TRANSPORT (transport)->local_address;
}

static void
nav_test_transport_close (NavTransport *transport)
{
  NavTestTransport *self = NAV_TEST_TRANSPORT (transport);

  if (self->closed)
    return;
  self->closed = TRUE;
  /* Each pending source holds a reference: destroying them drops it. */
  g_ptr_array_set_size (self->pending, 0);
  if (self->closed_on_close)
    nav_transport_emit_closed (transport, NULL);
}

static void
nav_test_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_test_transport_send;
  iface->get_local_address = nav_test_transport_get_local_address;
  iface->close = nav_test_transport_close;
}

static void
destroy_source (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

static void
nav_test_transport_constructed (GObject *object)
{
  NavTestTransport *self = NAV_TEST_TRANSPORT (object);

  G_OBJECT_CLASS (nav_test_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  self->local_address = nav_address_new_from_string ("192.0.2.1:5000", NULL);
}

static void
nav_test_transport_dispose (GObject *object)
{
  NavTestTransport *self = NAV_TEST_TRANSPORT (object);

  if (self->closed_in_dispose)
    nav_transport_emit_closed (NAV_TRANSPORT (self), NULL);

  G_OBJECT_CLASS (nav_test_transport_parent_class)->dispose (object);
}

static void
nav_test_transport_finalize (GObject *object)
{
  NavTestTransport *self = NAV_TEST_TRANSPORT (object);

  /* What the contract forbids, and the core must survive. */
  if (self->closed_in_finalize)
    nav_transport_emit_closed (NAV_TRANSPORT (self), NULL);

  g_ptr_array_unref (self->pending);
  g_clear_pointer (&self->local_address, nav_address_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_test_transport_parent_class)->finalize (object);
}

static void
nav_test_transport_class_init (NavTestTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_test_transport_constructed;
  object_class->dispose = nav_test_transport_dispose;
  object_class->finalize = nav_test_transport_finalize;
  object_class->get_property = nav_test_transport_get_property;
  object_class->set_property = nav_test_transport_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_LOCAL_ADDRESS, "local-address");
  g_object_class_install_property (object_class, PROP_CLOSED_ON_CLOSE,
      g_param_spec_boolean ("closed-on-close", NULL, NULL, TRUE, flags));
  g_object_class_install_property (object_class, PROP_CLOSED_IN_DISPOSE,
      g_param_spec_boolean ("closed-in-dispose", NULL, NULL, FALSE, flags));
  g_object_class_install_property (object_class, PROP_CLOSED_IN_FINALIZE,
      g_param_spec_boolean ("closed-in-finalize", NULL, NULL, FALSE, flags));
}

static void
nav_test_transport_class_finalize (NavTestTransportClass *klass)
{
}

static void
nav_test_transport_init (NavTestTransport *self)
{
  self->pending = g_ptr_array_new_with_free_func (destroy_source);
}

static void
register_types (GTypeModule *module)
{
  nav_test_transport_register_type (module);
}

static const NavModuleImplementation implementations[] = {
  { NAV_TRANSPORT_EXTENSION_POINT_NAME, "test-loopback", nav_test_transport_get_type, 1 },
  { NULL }
};

NAV_DEFINE_MODULE_FULL (nav_test_transport, "test-transport",
                        "A loopback transport for the tests of the transport contract",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue tests",
                        register_types, implementations);
