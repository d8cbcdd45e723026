/* nav-sctp-data-transport.c: WebRTC data channels on our own SCTP
 * association, over the DTLS channel of a peer connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NavSctpDataTransport implements NavSctpTransport: it holds the
 * sans-I/O association of sctp/ (RFC 9260 with RFC 3758, 6525, 8260 and
 * 9653), feeds it the DTLS channel's records (RFC 8261: one SCTP packet
 * per DTLS record), sends the packets it makes in batches, maps its
 * next deadline to a GSource of the context, and runs DCEP (RFC 8832)
 * on stream messages of PPID 50.  The channels are
 * nav-sctp-data-channel.c's.
 */
#include "config.h"

/* NAV_DEBUG=sctp: with the association's own messages. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "nav-sctp"

#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>

#include "nav-dcep.h"
#include "nav-gnutls-dtls.h"
#include "nav-sctp-plpmtud.h"
#include "nav-sctp-data-private.h"

/* Packets collected during one call of the association, handed to the
 * DTLS channel at once (one sendmmsg() below it). */
#define BATCH_MAX 64
/* The largest SCTP packet: a whole DTLS record's plaintext (RFC 8261 §5,
 * RFC 6347 §4.1.1: 2^14 bytes).  We start at the DTLS channel's MTU
 * (1200 bytes less the record's overhead) and send more only once a
 * probe of that size went through (RFC 8899, nav-sctp-plpmtud.c). */
#define PACKET_MAX 16384

/* What we probe up to when the peer's DTLS hello announced no record
 * size limit (RFC 8449): some stacks read a record's plaintext into a
 * small buffer and lose their place on a larger one (aiortc reads 1500
 * bytes, libwebrtc 2 KiB and fails the connection), so such a peer gets
 * no packet above an Ethernet frame's, probes included.  GnuTLS (ours,
 * libdatachannel's) announces 2^14. */
#define PACKET_MAX_UNANNOUNCED 1408

/* RFC 9260 §16 says 1 s for RTO.Min; WebRTC stacks use less (200 ms for
 * libdatachannel): a data channel on a 50 ms path does not wait a second
 * for each lost tail. */
#define RTO_MIN_US (200 * 1000)
#define RTO_MAX_US (10 * G_USEC_PER_SEC)

enum {
  PROP_0,
  PROP_MAIN_CONTEXT,
  PROP_STATE,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_CHANNELS,
  PROP_CONGESTION_CONTROL,
  PROP_RECEIVE_WINDOW,
  N_PROPS
};

struct _NavSctpDataTransport
{
  GObject parent_instance;

  GMainContext *context;
  GMutex lock;
  gboolean pcap;                /* NAV_DEBUG_PCAP captures the packets */

  /* Under the lock. */
  NavSctpAssociation *assoc;
  NavDtlsChannel *dtls;
  gulong dtls_state_id;
  gulong dtls_writable_id;
  NavDtlsRole role;
  gboolean started;
  gboolean connect_sent;
  gboolean closed;
  NavSctpTransportState state;
  NavCongestionControl congestion_control;
  guint64 receive_window;       /* NavSctpTransport:receive-window */
  guint remote_port;
  guint64 remote_max_message_size;  /* 0: no limit */
  guint max_channels;
  GHashTable *channels;         /* stream id → NavSctpDataChannel (a reference) */
  GPtrArray *waiting;           /* NavSctpDataChannel without an id yet */
  GSource *timer;
  /* Ready while the packets of a batch of received records wait to go
   * together (after_input_locked()). */
  GSource *flush;
  /* RFC 8899: the path MTU search (NAV_SCTP_PLPMTUD=0 turns it off). */
  NavSctpPlpmtud plpmtud;
  gboolean plpmtud_enabled;
  gboolean plpmtud_running;
  guint pending_mtu;            /* confirmed during a call, applied after it */
  guint64 dcep_errors;
  guint64 dropped_messages;

  /* Packets: the batch of the current call, then those the DTLS channel
   * would not take yet (GBytes, in order). */
  guint8 *batch;
  guint batch_len;
  GOutputVector vectors[BATCH_MAX];
  NavOutputMessage messages[BATCH_MAX];
  GQueue blocked;

  /* Events for the application, dispatched when the lock is released. */
  GQueue events;
  gboolean dispatching;
  gboolean dispatch_scheduled;
  gboolean disposing;
  gsize to_consume;             /* window bytes to give back after dispatch */
};

static void nav_sctp_data_transport_iface_init (NavSctpTransportInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavSctpDataTransport, nav_sctp_data_transport, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_SCTP_TRANSPORT,
                                                               nav_sctp_data_transport_iface_init))

static GParamSpec *properties[N_PROPS];
static guint data_channel_signal;

void
nav_sctp_data_transport_register (GTypeModule *module)
{
  nav_sctp_data_transport_register_type (module);
}

/* ------------------------------------------------------------ events */

void
nav_sctp_data_transport_lock (NavSctpDataTransport *self)
{
  g_mutex_lock (&self->lock);
}

void
nav_sctp_data_transport_push (NavSctpDataTransport *self,
                              NavSctpDataEventType  type,
                              NavSctpDataChannel   *channel)
{
  NavSctpDataEvent *ev = g_new0 (NavSctpDataEvent, 1);

  ev->type = type;
  ev->channel = channel != NULL ? g_object_ref (channel) : NULL;
  if (channel != NULL)
    ev->state = channel->state;
  g_queue_push_tail (&self->events, ev);
}

void
nav_sctp_data_transport_set_channel_state (NavSctpDataTransport *self,
                                           NavSctpDataChannel   *channel,
                                           NavChannelState       state)
{
  if (channel->state == state || channel->state == NAV_CHANNEL_STATE_CLOSED)
    return;
  channel->state = state;
  nav_sctp_data_transport_push (self, EVENT_CHANNEL_STATE, channel);
}

static void
set_state_locked (NavSctpDataTransport  *self,
                  NavSctpTransportState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  nav_sctp_data_transport_push (self, EVENT_TRANSPORT_STATE, NULL);
}

static void
dispatch (NavSctpDataTransport *self,
          NavSctpDataEvent     *ev)
{
  switch (ev->type)
    {
    case EVENT_CHANNEL_STATE:
      nav_sctp_data_channel_emit_state (ev->channel, ev->state);
      break;
    case EVENT_MESSAGE:
      nav_sctp_data_channel_deliver (ev->channel, ev->data, ev->text);
      break;
    case EVENT_BUFFERED_LOW:
      nav_channel_emit_buffered_amount_low (NAV_CHANNEL (ev->channel));
      break;
    case EVENT_DATA_CHANNEL:
      g_signal_emit (self, data_channel_signal, 0, ev->channel);
      break;
    case EVENT_TRANSPORT_STATE:
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CHANNELS]);
      break;
    case EVENT_MAX_MESSAGE_SIZE:
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_MESSAGE_SIZE]);
      break;
    }
}

static void
event_free (NavSctpDataEvent *ev)
{
  g_clear_object (&ev->channel);
  g_clear_pointer (&ev->data, g_bytes_unref);
  g_free (ev);
}

static void after_call_locked (NavSctpDataTransport *self);

static void unlock_and_dispatch (NavSctpDataTransport *self);

static gboolean
dispatch_idle_cb (gpointer user_data)
{
  NavSctpDataTransport *self = user_data;

  nav_sctp_data_transport_lock (self);
  self->dispatch_scheduled = FALSE;
  unlock_and_dispatch (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_dispatch_locked (NavSctpDataTransport *self)
{
  GSource *source;

  if (self->dispatch_scheduled || self->disposing)
    return;
  self->dispatch_scheduled = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, dispatch_idle_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[nav] data channel events");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Releases the lock and dispatches what was queued meanwhile: from the
 * transport's own callbacks in the context (a packet, a timer), whose
 * caller is the main loop.  A handler that calls back in queues more:
 * the outermost call dispatches it. */
static void
unlock_and_dispatch (NavSctpDataTransport *self)
{
  NavSctpDataEvent *ev;

  if (self->dispatching || self->events.length == 0)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  if (!g_main_context_is_owner (self->context))
    {
      schedule_dispatch_locked (self);
      g_mutex_unlock (&self->lock);
      return;
    }
  g_object_ref (self);
  self->dispatching = TRUE;
  while ((ev = g_queue_pop_head (&self->events)) != NULL)
    {
      g_mutex_unlock (&self->lock);
      dispatch (self, ev);
      g_mutex_lock (&self->lock);
      if (ev->type == EVENT_MESSAGE && !ev->channel->manual_consume)
        self->to_consume += g_bytes_get_size (ev->data);
      event_free (ev);
      /* The window reopens as the application takes the messages. */
      if ((self->to_consume > 64 * 1024 || self->events.length == 0) && self->to_consume > 0 &&
          self->assoc != NULL)
        {
          gsize n = self->to_consume;

          self->to_consume = 0;
          nav_sctp_association_consume (self->assoc, n);
          after_call_locked (self);
        }
    }
  self->dispatching = FALSE;
  g_mutex_unlock (&self->lock);
  g_object_unref (self);
}

/* Releases the lock after a call of the application (send, close, …):
 * what it caused is heard from the main loop, never from inside the
 * call, as a web page hears of it (a buffered-amount-low handler that
 * sends must not find itself inside its own send). */
void
nav_sctp_data_transport_unlock (NavSctpDataTransport *self)
{
  if (!self->dispatching && self->events.length > 0)
    schedule_dispatch_locked (self);
  g_mutex_unlock (&self->lock);
}

void
nav_sctp_data_transport_consume (NavSctpDataTransport *self,
                                 gsize                 bytes)
{
  nav_sctp_data_transport_lock (self);
  if (self->assoc != NULL && bytes > 0)
    {
      nav_sctp_association_consume (self->assoc, bytes);
      after_call_locked (self);
    }
  nav_sctp_data_transport_unlock (self);
}

/* ------------------------------------------------------------ packets */

/* The batch goes to the DTLS channel; what it cannot take now waits for
 * ::writable, in order (SCTP would retransmit a dropped packet, but only
 * after taking it for a loss and halving its window). */
static void
flush_locked (NavSctpDataTransport *self)
{
  guint i, n = self->batch_len;
  gint sent = 0;

  if (n == 0)
    return;
  self->batch_len = 0;
  if (self->blocked.length == 0 && self->dtls != NULL)
    {
      g_autoptr (GError) error = NULL;

      sent = nav_channel_send_messages (NAV_CHANNEL (self->dtls), self->messages, n, &error);
      if (sent < 0)
        {
          if (g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
            sent = 0;
          else
            {
              /* Lost, as on the network: SCTP recovers. */
              g_debug ("SCTP transport %p: packets not sent: %s", self, error->message);
              sent = n;
            }
        }
    }
  for (i = sent; i < n; i++)
    g_queue_push_tail (&self->blocked, g_bytes_new (self->vectors[i].buffer, self->vectors[i].size));
}

static void
send_packet_cb (NavSctpAssociation *assoc,
                const guint8       *data,
                gsize               len,
                gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;

  if (len > PACKET_MAX)
    return;
  /* NAV_DEBUG_PCAP: the packet before DTLS encrypts it. */
  if (G_UNLIKELY (self->pcap))
    nav_debug_pcap_write (NAV_DEBUG_PCAP_SCTP, TRUE, NULL, NULL, data, len);
  if (self->blocked.length > 0)
    {
      g_queue_push_tail (&self->blocked, g_bytes_new (data, len));
      return;
    }
  memcpy (self->batch + self->batch_len * PACKET_MAX, data, len);
  self->vectors[self->batch_len].size = len;
  self->batch_len++;
  if (self->batch_len == BATCH_MAX)
    flush_locked (self);
}

static void
on_dtls_writable (NavChannel *channel,
                  gpointer    user_data)
{
  NavSctpDataTransport *self = user_data;

  nav_sctp_data_transport_lock (self);
  while (self->blocked.length > 0 && self->dtls != NULL)
    {
      GBytes *bytes = g_queue_peek_head (&self->blocked);
      g_autoptr (GError) error = NULL;
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      if (!nav_channel_send_data (NAV_CHANNEL (self->dtls), data, len, &error) &&
          g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
        break;
      g_bytes_unref (g_queue_pop_head (&self->blocked));
    }
  unlock_and_dispatch (self);
}

/* ------------------------------------------------------------ timer */

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

static gboolean
flush_cb (gpointer user_data)
{
  NavSctpDataTransport *self = user_data;

  nav_sctp_data_transport_lock (self);
  g_source_set_ready_time (self->flush, -1);
  flush_locked (self);
  nav_sctp_data_transport_unlock (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_cb (gpointer user_data)
{
  NavSctpDataTransport *self = user_data;

  nav_sctp_data_transport_lock (self);
  if (self->assoc != NULL)
    {
      gint64 due = nav_sctp_association_get_timeout (self->assoc);

      g_source_set_ready_time (self->timer, -1);
      /* The timer also serves the path MTU search's deadline. */
      if (due >= 0 && due <= g_get_monotonic_time ())
        nav_sctp_association_handle_timeout (self->assoc);
      after_call_locked (self);
    }
  unlock_and_dispatch (self);
  return G_SOURCE_CONTINUE;
}

/* The path MTU search between calls of the association: a size a probe
 * confirmed during the last call is applied (never inside a callback),
 * and the probes that are due go. */
static void
plpmtud_locked (NavSctpDataTransport *self)
{
  guint sizes[NAV_SCTP_PLPMTUD_MAX_CANDIDATES];
  guint n;

  if (self->pending_mtu != 0)
    {
      g_debug ("SCTP transport %p: packets of %u bytes go through (RFC 8899 probe), were %u",
               self, self->pending_mtu, nav_sctp_association_get_mtu (self->assoc));
      nav_sctp_association_set_mtu (self->assoc, self->pending_mtu);
      self->pending_mtu = 0;
    }
  if (!self->plpmtud_running)
    return;
  n = nav_sctp_plpmtud_due (&self->plpmtud, g_get_monotonic_time (), sizes);
  for (guint i = 0; i < n; i++)
    nav_sctp_association_send_probe (self->assoc, sizes[i]);
}

static void
set_timer_locked (NavSctpDataTransport *self);

/* After each call of the association: its packets go, its deadline
 * (or the search's, if sooner) is the timer's. */
static void
after_call_locked (NavSctpDataTransport *self)
{
  if (self->assoc != NULL)
    plpmtud_locked (self);
  flush_locked (self);
  set_timer_locked (self);
}

/* After a received record, in the dispatch of the socket's batch of
 * datagrams: what it caused (SACKs here; on the sender, the DATA the
 * peer's SACK let go) waits for the others of the batch, which are read
 * and handled before the flush source runs, and all go in one
 * nav_channel_send_messages(): one DTLS batch, one segmented send (UDP
 * GSO) below it instead of one of one or two datagrams a SACK.  The
 * packets, SACKs included, are those sent without the wait, in the same
 * order; only when they leave changes, by the time the batch takes to
 * handle.  From another thread than the context's, at once as before. */
static void
after_input_locked (NavSctpDataTransport *self)
{
  if (self->assoc != NULL)
    plpmtud_locked (self);
  if (self->flush != NULL && self->batch_len > 0 && self->blocked.length == 0 &&
      g_main_context_is_owner (self->context))
    g_source_set_ready_time (self->flush, 0);
  else
    flush_locked (self);
  set_timer_locked (self);
}

static void
set_timer_locked (NavSctpDataTransport *self)
{
  gint64 deadline, current;

  if (self->assoc == NULL || self->timer == NULL)
    return;
  deadline = nav_sctp_association_get_timeout (self->assoc);
  if (self->plpmtud_running && self->plpmtud.deadline >= 0)
    deadline = deadline < 0 ? self->plpmtud.deadline : MIN (deadline, self->plpmtud.deadline);
  /* Only sooner: g_source_set_ready_time() wakes the context up (a
   * write to its eventfd, then a read) at every change, and the deadline
   * changes at nearly every packet (the delayed SACK timer started and
   * stopped, T3 restarted by each SACK).  A timer left earlier than the
   * deadline fires, finds nothing due and is set again (timer_cb()). */
  current = g_source_get_ready_time (self->timer);
  if (deadline >= 0 && (current < 0 || deadline < current))
    g_source_set_ready_time (self->timer, deadline);
}

/* ------------------------------------------------------------ channels */

static gboolean
id_is_ours (NavSctpDataTransport *self,
            guint                 id)
{
  /* RFC 8832 §6: the DTLS client's are even, the server's odd. */
  return (id % 2 == 0) == (self->role == NAV_DTLS_ROLE_CLIENT);
}

static void
remove_channel_locked (NavSctpDataTransport *self,
                       NavSctpDataChannel   *channel)
{
  if (channel->id >= 0 &&
      g_hash_table_lookup (self->channels, GINT_TO_POINTER (channel->id)) == channel)
    g_hash_table_remove (self->channels, GINT_TO_POINTER (channel->id));
  else
    g_ptr_array_remove (self->waiting, channel);
}

static void
channel_closed_locked (NavSctpDataTransport *self,
                       NavSctpDataChannel   *channel)
{
  /* The event keeps it alive until it is dispatched. */
  nav_sctp_data_transport_set_channel_state (self, channel, NAV_CHANNEL_STATE_CLOSED);
  remove_channel_locked (self, channel);
}

/* The lowest free id of our parity (W3C webrtc-pc §6.1). */
static gint
allocate_id_locked (NavSctpDataTransport *self)
{
  guint limit = self->max_channels > 0 ? self->max_channels : 65535;
  guint id;

  for (id = self->role == NAV_DTLS_ROLE_CLIENT ? 0 : 1; id < limit; id += 2)
    if (!g_hash_table_contains (self->channels, GUINT_TO_POINTER (id)))
      return id;
  return -1;
}

static gboolean
association_up (NavSctpDataTransport *self)
{
  return self->assoc != NULL && nav_sctp_association_get_state (self->assoc) ==
                                NAV_SCTP_STATE_ESTABLISHED;
}

static gboolean
association_sending (NavSctpDataTransport *self)
{
  NavSctpState state = self->assoc != NULL ? nav_sctp_association_get_state (self->assoc)
                                           : NAV_SCTP_STATE_CLOSED;

  return state >= NAV_SCTP_STATE_COOKIE_WAIT && state <= NAV_SCTP_STATE_ESTABLISHED;
}

static guint16
dcep_priority (NavDataChannelPriority priority)
{
  switch (priority)
    {
    case NAV_DATA_CHANNEL_PRIORITY_VERY_LOW:
      return 128;
    case NAV_DATA_CHANNEL_PRIORITY_MEDIUM:
      return 512;
    case NAV_DATA_CHANNEL_PRIORITY_HIGH:
      return 1024;
    case NAV_DATA_CHANNEL_PRIORITY_LOW:
    default:
      return 256;
    }
}

static NavDataChannelPriority
priority_from_dcep (guint16 value)
{
  if (value <= 128)
    return NAV_DATA_CHANNEL_PRIORITY_VERY_LOW;
  if (value <= 256)
    return NAV_DATA_CHANNEL_PRIORITY_LOW;
  if (value <= 512)
    return NAV_DATA_CHANNEL_PRIORITY_MEDIUM;
  return NAV_DATA_CHANNEL_PRIORITY_HIGH;
}

/* RFC 8832 §6: DATA_CHANNEL_OPEN goes ordered and reliable, whatever
 * the channel is; the channel's messages follow it ordered until the
 * ACK comes. */
static void
send_open_locked (NavSctpDataTransport *self,
                  NavSctpDataChannel   *channel)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) open = NULL;
  guint8 type = NAV_DCEP_CHANNEL_RELIABLE;
  guint32 reliability = 0;

  if (channel->max_retransmits >= 0)
    {
      type = NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT;
      reliability = channel->max_retransmits;
    }
  else if (channel->max_packet_life_time >= 0)
    {
      type = NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED;
      reliability = channel->max_packet_life_time;
    }
  if (!channel->ordered)
    type |= NAV_DCEP_CHANNEL_UNORDERED;
  open = nav_dcep_build_open (type, dcep_priority (channel->priority), reliability,
                              channel->label, channel->protocol);
  channel->open_to_send = FALSE;
  if (!nav_sctp_association_send_bytes (self->assoc, channel->id, NAV_DCEP_PPID_CONTROL, open,
                                        NULL, &error))
    {
      g_debug ("SCTP transport %p: DCEP OPEN of channel %d not sent: %s", self, channel->id,
               error->message);
      channel_closed_locked (self, channel);
      return;
    }
  channel->awaiting_ack = TRUE;
}

/* What a channel with an id does as the association progresses: its
 * DCEP OPEN is queued once the association is being set up (it may go
 * with the COOKIE ECHO), it opens once the association is up. */
static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const NavSctpDataChannel *ca = *(NavSctpDataChannel * const *) a;
  const NavSctpDataChannel *cb = *(NavSctpDataChannel * const *) b;

  return ca->id - cb->id;
}

static void
progress_channel_locked (NavSctpDataTransport *self,
                         NavSctpDataChannel   *channel)
{
  if (channel->id < 0 || channel->state != NAV_CHANNEL_STATE_CONNECTING)
    return;
  nav_sctp_data_transport_set_threshold_locked (self, channel);
  if (self->max_channels > 0 && (guint) channel->id >= self->max_channels)
    {
      g_debug ("SCTP transport %p: channel %d is beyond the %u streams the peer allows", self,
               channel->id, self->max_channels);
      channel_closed_locked (self, channel);
      return;
    }
  if (channel->open_to_send && association_sending (self))
    send_open_locked (self, channel);
  if (association_up (self) && channel->state == NAV_CHANNEL_STATE_CONNECTING)
    nav_sctp_data_transport_set_channel_state (self, channel, NAV_CHANNEL_STATE_OPEN);
}

/* The channels with an id, referenced, in stream order. */
static GPtrArray *
channels_locked (NavSctpDataTransport *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, g_object_ref (value));
  g_ptr_array_sort (all, compare_ids);
  return all;
}

static void
progress_all_locked (NavSctpDataTransport *self)
{
  g_autoptr (GPtrArray) all = channels_locked (self);
  guint i;

  for (i = 0; i < all->len; i++)
    progress_channel_locked (self, g_ptr_array_index (all, i));
}

/* Both ends send INIT once the DTLS channel is open, as libwebrtc's
 * dcSCTP and usrsctp do (RFC 9260 §5.2.1 resolves the collision): aiortc
 * waits for one when it is the ICE-controlled side, whoever makes the
 * channels. */
static void
maybe_connect_locked (NavSctpDataTransport *self)
{
  if (self->assoc == NULL || self->connect_sent || self->closed ||
      nav_channel_get_state (NAV_CHANNEL (self->dtls)) != NAV_CHANNEL_STATE_OPEN ||
      nav_sctp_association_get_state (self->assoc) != NAV_SCTP_STATE_CLOSED)
    return;
  self->connect_sent = TRUE;
  nav_sctp_association_connect (self->assoc);
  if (nav_sctp_association_get_state (self->assoc) == NAV_SCTP_STATE_COOKIE_WAIT)
    set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CONNECTING);
  progress_all_locked (self);
  after_call_locked (self);
}

static void
assign_ids_locked (NavSctpDataTransport *self)
{
  while (self->waiting->len > 0)
    {
      NavSctpDataChannel *channel = g_ptr_array_steal_index (self->waiting, 0);
      gint id = allocate_id_locked (self);

      if (id < 0)
        {
          nav_sctp_data_transport_set_channel_state (self, channel, NAV_CHANNEL_STATE_CLOSED);
          g_object_unref (channel);
          continue;
        }
      channel->id = id;
      g_hash_table_insert (self->channels, GINT_TO_POINTER (id), channel);
    }
}

static NavDataChannel *
create_data_channel (NavSctpTransport             *transport,
                     const gchar                  *label,
                     const NavDataChannelOptions  *options,
                     GError                      **error)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);
  NavSctpDataChannel *channel;

  nav_sctp_data_transport_lock (self);
  if (self->closed)
    {
      nav_sctp_data_transport_unlock (self);
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
                           _("The SCTP transport is closed"));
      return NULL;
    }
  if (options->negotiated &&
      g_hash_table_contains (self->channels, GINT_TO_POINTER (options->id)))
    {
      nav_sctp_data_transport_unlock (self);
      g_set_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_ID,
                   _("The data channel id %d is in use"), options->id);
      return NULL;
    }
  if (options->negotiated && self->max_channels > 0 && (guint) options->id >= self->max_channels)
    {
      nav_sctp_data_transport_unlock (self);
      g_set_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_ID,
                   _("The data channel id %d is beyond the %u streams of the association"),
                   options->id, self->max_channels);
      return NULL;
    }
  if (!options->negotiated && self->started && allocate_id_locked (self) < 0)
    {
      nav_sctp_data_transport_unlock (self);
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_TOO_MANY_CHANNELS,
                           _("Every stream id of the association is in use"));
      return NULL;
    }
  channel = nav_sctp_data_channel_new (self, label, strlen (label), options,
                                       options->protocol != NULL ? strlen (options->protocol) : 0);
  channel->open_to_send = !options->negotiated;
  if (options->negotiated)
    {
      channel->id = options->id;
      g_hash_table_insert (self->channels, GINT_TO_POINTER (channel->id), g_object_ref (channel));
    }
  else
    {
      g_ptr_array_add (self->waiting, g_object_ref (channel));
      if (self->started)
        assign_ids_locked (self);
    }
  if (self->started)
    {
      progress_channel_locked (self, channel);
      maybe_connect_locked (self);
      after_call_locked (self);
    }
  nav_sctp_data_transport_unlock (self);
  return NAV_DATA_CHANNEL (channel);
}

/* ------------------------------------------------------------ sending */

guint64
nav_sctp_data_transport_max_message_size_locked (NavSctpDataTransport *self)
{
  /* RFC 8841 §6: what the peer takes, within what our association cuts
   * and reassembles. */
  if (self->remote_max_message_size == 0)
    return NAV_SCTP_DATA_MAX_MESSAGE_SIZE;
  return MIN (self->remote_max_message_size, NAV_SCTP_DATA_MAX_MESSAGE_SIZE);
}

gboolean
nav_sctp_data_transport_send_locked (NavSctpDataTransport  *self,
                                     NavSctpDataChannel    *channel,
                                     const guint8          *data,
                                     gsize                  len,
                                     GBytes                *bytes,
                                     gboolean               text,
                                     GError               **error)
{
  NavSctpSendOptions options = { FALSE, -1, -1, 0 };
  g_autoptr (GError) local_error = NULL;
  guint64 max = nav_sctp_data_transport_max_message_size_locked (self);
  static const guint8 empty_placeholder = 0;
  guint32 ppid;
  gboolean ok;

  if (channel->state != NAV_CHANNEL_STATE_OPEN || self->assoc == NULL)
    {
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
                           channel->state == NAV_CHANNEL_STATE_CONNECTING
                           ? _("The data channel is not open yet")
                           : _("The data channel is closed"));
      return FALSE;
    }
  if (len > max)
    {
      g_set_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE,
                   _("A message of %lu bytes is larger than the peer takes "
                     "(a=max-message-size %llu)"), (unsigned long) len,
                   (unsigned long long) max);
      return FALSE;
    }
  /* RFC 8831 §6.6: an empty message is one byte with an "empty" PPID. */
  if (len == 0)
    {
      ppid = text ? NAV_DCEP_PPID_STRING_EMPTY : NAV_DCEP_PPID_BINARY_EMPTY;
      data = &empty_placeholder;
      len = 1;
      bytes = NULL;
    }
  else
    ppid = text ? NAV_DCEP_PPID_STRING : NAV_DCEP_PPID_BINARY;
  options.unordered = !channel->ordered && !channel->awaiting_ack;
  options.max_retransmits = channel->max_retransmits;
  options.lifetime_ms = channel->max_packet_life_time;
  if (bytes != NULL)
    ok = nav_sctp_association_send_bytes (self->assoc, channel->id, ppid, bytes, &options,
                                          &local_error);
  else
    ok = nav_sctp_association_send (self->assoc, channel->id, ppid, data, len, &options,
                                    &local_error);
  after_call_locked (self);
  if (ok)
    return TRUE;
  if (g_error_matches (local_error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_BUFFER_FULL))
    g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_BUFFER_FULL,
                         _("The send buffer is full: wait for buffered-amount-low"));
  else if (g_error_matches (local_error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_MESSAGE_TOO_LARGE))
    g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE,
                         local_error->message);
  else
    g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
                         local_error->message);
  return FALSE;
}

gsize
nav_sctp_data_transport_buffered_locked (NavSctpDataTransport *self,
                                         NavSctpDataChannel   *channel)
{
  if (self->assoc == NULL || channel->id < 0)
    return 0;
  return nav_sctp_association_get_buffered_amount (self->assoc, channel->id);
}

void
nav_sctp_data_transport_set_threshold_locked (NavSctpDataTransport *self,
                                              NavSctpDataChannel   *channel)
{
  if (self->assoc == NULL || channel->id < 0)
    return;
  nav_sctp_association_set_buffered_amount_low_threshold (self->assoc, channel->id,
                                                          MIN (channel->buffered_amount_low_threshold,
                                                               G_MAXSIZE));
}

/* RFC 8831 §6.7: closing resets our outgoing stream (after what is
 * queued on it); the peer resets its own in answer; the channel is
 * closed when both are. */
void
nav_sctp_data_transport_close_channel_locked (NavSctpDataTransport *self,
                                              NavSctpDataChannel   *channel)
{
  g_autoptr (GError) error = NULL;
  guint16 id;

  if (channel->state == NAV_CHANNEL_STATE_CLOSED || channel->reset_requested)
    return;
  if (channel->id < 0 || !association_up (self))
    {
      channel_closed_locked (self, channel);
      return;
    }
  nav_sctp_data_transport_set_channel_state (self, channel, NAV_CHANNEL_STATE_CLOSING);
  channel->reset_requested = TRUE;
  id = channel->id;
  if (!nav_sctp_association_reset_streams (self->assoc, &id, 1, &error))
    {
      g_debug ("SCTP transport %p: channel %u cannot be reset: %s", self, id, error->message);
      channel_closed_locked (self, channel);
    }
  after_call_locked (self);
}

/* ------------------------------------------------------------ the association's events */

static gint64
now_cb (gpointer user_data)
{
  return g_get_monotonic_time ();
}

/* The largest SCTP packet the path below may carry without IP
 * fragmentation, as far as this host knows: the route's MTU towards the
 * peer from the address our datagrams leave from (a throwaway UDP socket
 * bound there and connected to the peer: getsockopt IP_MTU / IPV6_MTU),
 * less the IP and UDP headers and a DTLS record's overhead.  Our UDP
 * sockets do not set DF, so a probe larger than the first hop's MTU would
 * go through as IP fragments and "succeed" (RFC 8899 §3 asks for probes
 * that are not fragmented): never probe beyond this.  0 when it cannot be
 * known — a relayed path (the local address is the TURN server's, not
 * ours), a channel that is not a datagram channel of a path — and then
 * the search stays within an Ethernet frame.  A path over ICE-TCP is
 * framed (RFC 4571) and fragments nothing. */
#define IP_UDP_DTLS_OVERHEAD(v6) ((v6) ? 40 + 8 + 64 : 20 + 8 + 64)

static guint
lower_path_limit (NavSctpDataTransport *self)
{
  NavChannel *lower;
  NavTransport *transport;
  const NavAddress *local, *peer;
  struct sockaddr_storage ss;
  socklen_t len;
  gboolean v6;
  int fd, mtu = 0;
  socklen_t mtu_len = sizeof mtu;

  if (!NAV_IS_GNUTLS_DTLS_CHANNEL (self->dtls))
    return 0;
  lower = nav_gnutls_dtls_channel_get_lower (NAV_GNUTLS_DTLS_CHANNEL (self->dtls));
  if (!NAV_IS_DATAGRAM_CHANNEL (lower))
    return 0;
  transport = nav_datagram_channel_get_transport (NAV_DATAGRAM_CHANNEL (lower));
  peer = nav_datagram_channel_get_peer (NAV_DATAGRAM_CHANNEL (lower));
  if (transport == NULL || peer == NULL || !nav_address_is_valid (peer))
    return 0;
  local = nav_transport_get_local_address (transport);
  if (local == NULL || !nav_address_is_valid (local))
    return 0;
  v6 = nav_address_get_family (local) == G_SOCKET_FAMILY_IPV6;
  fd = socket (v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  len = nav_address_copy_to_sockaddr (local, (struct sockaddr *) &ss, sizeof ss);
  if (v6)
    ((struct sockaddr_in6 *) &ss)->sin6_port = 0;
  else
    ((struct sockaddr_in *) &ss)->sin_port = 0;
  /* A relayed address is not ours: bind() fails, the limit is unknown. */
  if (len == 0 || bind (fd, (struct sockaddr *) &ss, len) != 0)
    goto out;
  len = nav_address_copy_to_sockaddr (peer, (struct sockaddr *) &ss, sizeof ss);
  if (len == 0 || connect (fd, (struct sockaddr *) &ss, len) != 0)
    goto out;
  if (getsockopt (fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &mtu_len) != 0)
    mtu = 0;
out:
  close (fd);
  if (nav_transport_is_reliable (transport) && mtu > 0)
    return G_MAXUINT16;
  return mtu > IP_UDP_DTLS_OVERHEAD (v6) ? (guint) (mtu - IP_UDP_DTLS_OVERHEAD (v6)) : 0;
}

static void
connected_cb (NavSctpAssociation *assoc,
              gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;
  NavSctpStats stats;

  nav_sctp_association_get_stats (assoc, &stats);
  self->max_channels = MIN (stats.outbound_streams, stats.inbound_streams);
  g_debug ("SCTP transport %p: up, %u streams, interleaving %d, zero checksum %d, congestion "
           "control %s", self, self->max_channels, stats.interleaving, stats.zero_checksum_sending,
           self->congestion_control == NAV_CONGESTION_CONTROL_MODEL ? "model" : "RFC 9260");
  set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CONNECTED);
  progress_all_locked (self);
  /* RFC 8899 §6.2.1: the search starts once the association is up; its
   * probes go after this call (after_call_locked()). */
  if (self->plpmtud_enabled && !self->plpmtud_running)
    {
      guint limit = NAV_IS_GNUTLS_DTLS_CHANNEL (self->dtls)
                      ? nav_gnutls_dtls_channel_get_peer_record_limit (NAV_GNUTLS_DTLS_CHANNEL (self->dtls))
                      : 0;
      guint max = limit > 0 ? MIN (limit, PACKET_MAX) : PACKET_MAX_UNANNOUNCED;
      guint path = lower_path_limit (self);

      /* Unknown (relayed or not a path of ours): an Ethernet frame's. */
      max = MIN (max, path > 0 ? path : PACKET_MAX_UNANNOUNCED);

      g_debug ("SCTP transport %p: path MTU search up to %u bytes (the peer's record size "
               "limit: %u, the route's: %u)", self, max, limit, path);
      nav_sctp_plpmtud_init (&self->plpmtud, nav_sctp_association_get_mtu (assoc), max);
      self->plpmtud_running = TRUE;
    }
}

static void
probe_acked_cb (NavSctpAssociation *assoc,
                gsize               size,
                gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;

  if (self->plpmtud_running && nav_sctp_plpmtud_acked (&self->plpmtud, size))
    self->pending_mtu = self->plpmtud.current;
}

static void
refuse_stream_locked (NavSctpDataTransport *self,
                      guint16               id,
                      const gchar          *why)
{
  g_autoptr (GError) error = NULL;

  self->dcep_errors++;
  g_debug ("SCTP transport %p: DCEP OPEN on stream %u refused: %s", self, id, why);
  /* RFC 8832 §6: a channel that cannot be opened is closed with a
   * stream reset. */
  if (!g_hash_table_contains (self->channels, GUINT_TO_POINTER (id)))
    nav_sctp_association_reset_streams (self->assoc, &id, 1, &error);
}

static gchar *
valid_utf8 (const gchar *text,
            gsize        len)
{
  return g_utf8_make_valid (text, len);
}

static void
handle_open_locked (NavSctpDataTransport *self,
                    guint16               id,
                    const guint8         *data,
                    gsize                 len)
{
  NavDcepOpen open;
  NavDcepResult result = nav_dcep_parse_open (data, len, &open);
  NavDataChannelOptions options;
  g_autofree gchar *label = NULL;
  g_autofree gchar *protocol = NULL;
  NavSctpDataChannel *channel;
  static const guint8 ack = NAV_DCEP_MESSAGE_ACK;
  g_autoptr (GError) error = NULL;

  if (result != NAV_DCEP_OK)
    {
      refuse_stream_locked (self, id, nav_dcep_result_to_string (result));
      return;
    }
  if (id_is_ours (self, id))
    {
      refuse_stream_locked (self, id, _("the stream id has our parity (RFC 8832 §6)"));
      return;
    }
  if (g_hash_table_contains (self->channels, GUINT_TO_POINTER (id)))
    {
      refuse_stream_locked (self, id, _("the stream id is in use"));
      return;
    }
  label = valid_utf8 (open.label, open.label_len);
  protocol = valid_utf8 (open.protocol, open.protocol_len);
  nav_data_channel_options_init (&options);
  options.ordered = !(open.channel_type & NAV_DCEP_CHANNEL_UNORDERED);
  switch (open.channel_type & ~NAV_DCEP_CHANNEL_UNORDERED)
    {
    case NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT:
      options.max_retransmits = MIN (open.reliability, (guint32) G_MAXINT);
      break;
    case NAV_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED:
      options.max_packet_life_time = MIN (open.reliability, (guint32) G_MAXINT);
      break;
    default:
      break;
    }
  options.priority = priority_from_dcep (open.priority);
  options.protocol = protocol;
  options.id = id;
  channel = nav_sctp_data_channel_new (self, label, strlen (label), &options, strlen (protocol));
  channel->id = id;
  channel->state = NAV_CHANNEL_STATE_OPEN;
  g_hash_table_insert (self->channels, GUINT_TO_POINTER (id), channel);
  /* RFC 8832 §6: the ACK, ordered and reliable. */
  if (!nav_sctp_association_send (self->assoc, id, NAV_DCEP_PPID_CONTROL, &ack, 1, NULL, &error))
    g_debug ("SCTP transport %p: DCEP ACK on stream %u not sent: %s", self, id, error->message);
  nav_sctp_data_transport_push (self, EVENT_DATA_CHANNEL, channel);
}

static void
handle_control_locked (NavSctpDataTransport *self,
                       NavSctpMessage       *message)
{
  NavSctpDataChannel *channel;

  switch (nav_dcep_message_type (message->data, message->len))
    {
    case NAV_DCEP_MESSAGE_OPEN:
      handle_open_locked (self, message->stream_id, message->data, message->len);
      break;
    case NAV_DCEP_MESSAGE_ACK:
      channel = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (message->stream_id));
      if (channel != NULL && channel->awaiting_ack)
        channel->awaiting_ack = FALSE;
      else
        self->dcep_errors++;
      break;
    default:
      self->dcep_errors++;
      g_debug ("SCTP transport %p: DCEP message of type %u dropped", self,
               nav_dcep_message_type (message->data, message->len));
      break;
    }
}

static void
queue_message_locked (NavSctpDataTransport *self,
                      NavSctpDataChannel   *channel,
                      GBytes               *data,
                      gboolean              text)
{
  nav_sctp_data_transport_push (self, EVENT_MESSAGE, channel);
  ((NavSctpDataEvent *) g_queue_peek_tail (&self->events))->data = data;
  ((NavSctpDataEvent *) g_queue_peek_tail (&self->events))->text = text;
}

static void
message_cb (NavSctpAssociation *assoc,
            NavSctpMessage     *message,
            gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;
  NavSctpDataChannel *channel;
  guint64 max = NAV_SCTP_DATA_MAX_MESSAGE_SIZE;
  gboolean text;

  if (message->ppid == NAV_DCEP_PPID_CONTROL)
    {
      handle_control_locked (self, message);
      self->to_consume += message->len;
      return;
    }
  channel = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (message->stream_id));
  if (channel == NULL || channel->state == NAV_CHANNEL_STATE_CLOSED ||
      channel->state == NAV_CHANNEL_STATE_CONNECTING)
    {
      /* A stream no open channel of ours has (RFC 8831 §6.5: the
       * application opens negotiated channels on both sides). */
      self->dropped_messages++;
      self->to_consume += message->len;
      return;
    }
  switch (message->ppid)
    {
    case NAV_DCEP_PPID_STRING:
    case NAV_DCEP_PPID_BINARY:
      text = message->ppid == NAV_DCEP_PPID_STRING;
      if (channel->partial_discard)
        {
          /* The last part of a message dropped for its size. */
          channel->partial_discard = FALSE;
          self->dropped_messages++;
          self->to_consume += message->len;
          return;
        }
      if (channel->partial != NULL)
        {
          /* The last part of a message sent in parts (the deprecated
           * PPIDs 52 and 54 before it). */
          g_byte_array_append (channel->partial, message->data, message->len);
          self->to_consume += message->len;
          queue_message_locked (self, channel,
                                g_byte_array_free_to_bytes (g_steal_pointer (&channel->partial)),
                                channel->partial_text);
          return;
        }
      queue_message_locked (self, channel, nav_sctp_message_steal (message), text);
      return;
    case NAV_DCEP_PPID_STRING_EMPTY:
    case NAV_DCEP_PPID_BINARY_EMPTY:
      self->to_consume += message->len;
      queue_message_locked (self, channel, g_bytes_new (NULL, 0),
                            message->ppid == NAV_DCEP_PPID_STRING_EMPTY);
      return;
    case NAV_DCEP_PPID_STRING_PARTIAL:
    case NAV_DCEP_PPID_BINARY_PARTIAL:
      /* Accepted on receive (RFC 8831 §8 deprecates them). */
      self->to_consume += message->len;
      if (channel->partial_discard)
        return;
      if (channel->partial == NULL)
        {
          channel->partial = g_byte_array_new ();
          channel->partial_text = message->ppid == NAV_DCEP_PPID_STRING_PARTIAL;
        }
      if (channel->partial->len + message->len > max)
        {
          /* Larger than we take whole: dropped, up to its last part. */
          g_clear_pointer (&channel->partial, g_byte_array_unref);
          channel->partial_discard = TRUE;
          return;
        }
      g_byte_array_append (channel->partial, message->data, message->len);
      return;
    default:
      self->dropped_messages++;
      self->to_consume += message->len;
      g_debug ("SCTP transport %p: a message of PPID %u dropped", self, message->ppid);
      return;
    }
}

static void
streams_reset_cb (NavSctpAssociation *assoc,
                  gboolean            incoming,
                  const guint16      *streams,
                  guint               n_streams,
                  gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;
  guint i;

  for (i = 0; i < n_streams; i++)
    {
      NavSctpDataChannel *channel = g_hash_table_lookup (self->channels,
                                                         GUINT_TO_POINTER (streams[i]));

      if (channel == NULL)
        continue;
      g_object_ref (channel);
      if (incoming)
        {
          /* The peer closed the channel: we answer with our own reset. */
          channel->incoming_reset = TRUE;
          g_clear_pointer (&channel->partial, g_byte_array_unref);
          if (!channel->reset_requested)
            nav_sctp_data_transport_close_channel_locked (self, channel);
        }
      else
        channel->outgoing_reset = TRUE;
      if (channel->incoming_reset && channel->outgoing_reset)
        channel_closed_locked (self, channel);
      g_object_unref (channel);
    }
}

static void
streams_reset_failed_cb (NavSctpAssociation *assoc,
                         const guint16      *streams,
                         guint               n_streams,
                         const gchar        *detail,
                         gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;
  guint i;

  for (i = 0; i < n_streams; i++)
    {
      NavSctpDataChannel *channel = g_hash_table_lookup (self->channels,
                                                         GUINT_TO_POINTER (streams[i]));

      g_debug ("SCTP transport %p: the peer refused to reset stream %u: %s", self, streams[i],
               detail);
      if (channel != NULL)
        channel_closed_locked (self, channel);
    }
}

static void
buffered_amount_low_cb (NavSctpAssociation *assoc,
                        guint16             stream_id,
                        gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;
  NavSctpDataChannel *channel = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (stream_id));

  if (channel != NULL && channel->state != NAV_CHANNEL_STATE_CLOSED)
    nav_sctp_data_transport_push (self, EVENT_BUFFERED_LOW, channel);
}

static void
close_all_locked (NavSctpDataTransport *self)
{
  g_autoptr (GPtrArray) all = channels_locked (self);
  guint i;

  for (i = 0; i < self->waiting->len; i++)
    g_ptr_array_add (all, g_object_ref (g_ptr_array_index (self->waiting, i)));
  for (i = 0; i < all->len; i++)
    channel_closed_locked (self, g_ptr_array_index (all, i));
}

static void
log_stats (NavSctpDataTransport *self,
           NavSctpAssociation   *assoc,
           const gchar          *when)
{
  NavSctpStats stats;

  nav_sctp_association_get_stats (assoc, &stats);
  g_debug ("SCTP transport %p %s: sent %" G_GUINT64_FORMAT " packets (%" G_GUINT64_FORMAT
           " DATA chunks), received %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " DATA chunks), "
           "dropped %" G_GUINT64_FORMAT " packets and %" G_GUINT64_FORMAT " chunks, "
           "%" G_GUINT64_FORMAT " duplicate TSNs, %" G_GUINT64_FORMAT " retransmissions, "
           "%" G_GUINT64_FORMAT " fast retransmits, %" G_GUINT64_FORMAT " T3 expirations, "
           "%" G_GUINT64_FORMAT " abandoned, %" G_GUINT64_FORMAT " FORWARD TSN, cwnd %" G_GSIZE_FORMAT
           ", flight %" G_GSIZE_FORMAT ", peer window %" G_GSIZE_FORMAT ", our window %"
           G_GSIZE_FORMAT ", srtt %" G_GINT64_FORMAT " us; DCEP errors %" G_GUINT64_FORMAT
           ", messages dropped %" G_GUINT64_FORMAT, self, when,
           stats.packets_sent, stats.data_chunks_sent, stats.packets_received,
           stats.data_chunks_received, stats.packets_dropped, stats.chunks_dropped,
           stats.duplicate_tsns, stats.retransmissions, stats.fast_retransmits,
           stats.t3_expirations, stats.messages_abandoned, stats.forward_tsns_sent, stats.cwnd,
           stats.flight_size, stats.peer_rwnd, stats.receive_window, stats.srtt_us,
           self->dcep_errors, self->dropped_messages);
}

static void
closed_cb (NavSctpAssociation *assoc,
           NavSctpCloseReason  reason,
           const gchar        *detail,
           gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;

  g_debug ("SCTP transport %p: the association closed (%d): %s", self, reason, detail);
  log_stats (self, assoc, "at close");
  close_all_locked (self);
  set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CLOSED);
}

static void
restarted_cb (NavSctpAssociation *assoc,
              gpointer            user_data)
{
  NavSctpDataTransport *self = user_data;

  /* RFC 9260 §5.2.4: the peer restarted; the streams' state, and so
   * every channel's DCEP state, is gone. */
  g_debug ("SCTP transport %p: the peer restarted the association", self);
  close_all_locked (self);
}

static void
error_cb (NavSctpAssociation *assoc,
          const GError       *error,
          gpointer            user_data)
{
  g_debug ("SCTP transport %p: %s", user_data, error->message);
}

static const NavSctpCallbacks callbacks = {
  .send_packet = send_packet_cb,
  .now = now_cb,
  .connected = connected_cb,
  .message = message_cb,
  .streams_reset = streams_reset_cb,
  .streams_reset_failed = streams_reset_failed_cb,
  .buffered_amount_low = buffered_amount_low_cb,
  .closed = closed_cb,
  .restarted = restarted_cb,
  .error = error_cb,
  .probe_acked = probe_acked_cb,
};

/* ------------------------------------------------------------ the DTLS channel */

static void
on_dtls_receive (NavChannel   *channel,
                 const guint8 *data,
                 gsize         len,
                 gpointer      user_data)
{
  NavSctpDataTransport *self = user_data;

  if (G_UNLIKELY (self->pcap))
    nav_debug_pcap_write (NAV_DEBUG_PCAP_SCTP, FALSE, NULL, NULL, data, len);
  nav_sctp_data_transport_lock (self);
  if (self->assoc != NULL)
    {
      nav_sctp_association_handle_input (self->assoc, data, len);
      if (self->state == NAV_SCTP_TRANSPORT_STATE_NEW &&
          nav_sctp_association_get_state (self->assoc) != NAV_SCTP_STATE_CLOSED)
        set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CONNECTING);
      after_input_locked (self);
    }
  unlock_and_dispatch (self);
}

static void
on_dtls_state (NavChannel      *channel,
               NavChannelState  state,
               gpointer         user_data)
{
  NavSctpDataTransport *self = user_data;

  nav_sctp_data_transport_lock (self);
  if (state == NAV_CHANNEL_STATE_OPEN)
    maybe_connect_locked (self);
  else if (state == NAV_CHANNEL_STATE_CLOSED && self->assoc != NULL && !self->closed)
    {
      /* Nothing can reach the peer any more. */
      g_debug ("SCTP transport %p: the DTLS channel closed", self);
      nav_sctp_association_abort (self->assoc, NULL);
      close_all_locked (self);
      set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CLOSED);
    }
  nav_sctp_data_transport_unlock (self);
}

static gboolean
start (NavSctpTransport  *transport,
       NavDtlsChannel    *dtls,
       NavDtlsRole        role,
       guint              remote_port,
       guint64            remote_max_message_size,
       GError           **error)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);
  NavSctpOptions options;
  gsize mtu;

  nav_sctp_data_transport_lock (self);
  if (self->started || self->closed)
    {
      nav_sctp_data_transport_unlock (self);
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
                           self->closed ? _("The SCTP transport is closed")
                                        : _("The SCTP transport is started already"));
      return FALSE;
    }
  self->started = TRUE;
  self->dtls = g_object_ref (dtls);
  self->role = role;
  self->remote_port = remote_port;
  self->remote_max_message_size = remote_max_message_size;
  nav_sctp_data_transport_push (self, EVENT_MAX_MESSAGE_SIZE, NULL);

  nav_sctp_options_init (&options);
  options.local_port = NAV_SCTP_DATA_LOCAL_PORT;
  options.remote_port = remote_port;
  /* One packet per DTLS record (RFC 8261 §5). */
  mtu = nav_channel_get_mtu (NAV_CHANNEL (dtls));
  options.mtu = mtu > 0 ? MIN (mtu, PACKET_MAX) : 1200;
  options.max_message_size = NAV_SCTP_DATA_MAX_MESSAGE_SIZE;
  options.rto_min_us = RTO_MIN_US;
  options.rto_max_us = RTO_MAX_US;
  /* RFC 9653: DTLS authenticates every packet already. */
  options.zero_checksum = TRUE;
  /* Delivered messages hold the window until the application took them
   * (at once, or as a stream reader reads). */
  options.manual_receive_window = TRUE;
  options.receive_buffer = self->receive_window;
  options.congestion_control = self->congestion_control == NAV_CONGESTION_CONTROL_MODEL
                               ? NAV_SCTP_CC_MODEL : NAV_SCTP_CC_RFC9260;
  self->assoc = nav_sctp_association_new (&options, &callbacks, self);

  self->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_set_priority (self->timer, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->timer, "[nav] SCTP timer");
  g_source_set_ready_time (self->timer, -1);
  g_source_attach (self->timer, self->context);
  self->flush = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->flush, flush_cb, self, NULL);
  g_source_set_priority (self->flush, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->flush, "[nav] SCTP flush");
  g_source_set_ready_time (self->flush, -1);
  g_source_attach (self->flush, self->context);

  self->pcap = nav_debug_pcap_is_active ();
  self->plpmtud_enabled = g_strcmp0 (g_getenv ("NAV_SCTP_PLPMTUD"), "0") != 0;
  nav_channel_set_receive_func (NAV_CHANNEL (dtls), on_dtls_receive, self, NULL);
  self->dtls_state_id = g_signal_connect (dtls, "state-changed", G_CALLBACK (on_dtls_state), self);
  self->dtls_writable_id = g_signal_connect (dtls, "writable", G_CALLBACK (on_dtls_writable), self);

  assign_ids_locked (self);
  maybe_connect_locked (self);
  nav_sctp_data_transport_unlock (self);
  return TRUE;
}

static void
detach_locked (NavSctpDataTransport *self)
{
  if (self->dtls != NULL)
    {
      g_clear_signal_handler (&self->dtls_state_id, self->dtls);
      g_clear_signal_handler (&self->dtls_writable_id, self->dtls);
      nav_channel_set_receive_func (NAV_CHANNEL (self->dtls), NULL, NULL, NULL);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->flush != NULL)
    {
      g_source_destroy (self->flush);
      g_clear_pointer (&self->flush, g_source_unref);
    }
}

static void
transport_close (NavSctpTransport *transport)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);

  nav_sctp_data_transport_lock (self);
  if (!self->closed)
    {
      self->closed = TRUE;
      if (self->assoc != NULL)
        {
          log_stats (self, self->assoc, "closing");
          /* RFC 9260 §9.1, "User-Initiated Abort": the peer learns at
           * once, without the round trips of a shutdown. */
          nav_sctp_association_abort (self->assoc, "peer connection closed");
          flush_locked (self);
        }
      close_all_locked (self);
      set_state_locked (self, NAV_SCTP_TRANSPORT_STATE_CLOSED);
      detach_locked (self);
    }
  nav_sctp_data_transport_unlock (self);
}

static NavSctpTransportState
get_state (NavSctpTransport *transport)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);
  NavSctpTransportState state;

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

static guint64
get_max_message_size (NavSctpTransport *transport)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);
  guint64 size;

  g_mutex_lock (&self->lock);
  size = self->started ? nav_sctp_data_transport_max_message_size_locked (self) : 65536;
  g_mutex_unlock (&self->lock);
  return size;
}

static guint
get_max_channels (NavSctpTransport *transport)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (transport);
  guint n;

  g_mutex_lock (&self->lock);
  n = self->max_channels;
  g_mutex_unlock (&self->lock);
  return n;
}

static void
nav_sctp_data_transport_iface_init (NavSctpTransportInterface *iface)
{
  iface->create_data_channel = create_data_channel;
  iface->start = start;
  iface->close = transport_close;
  iface->get_state = get_state;
  iface->get_max_message_size = get_max_message_size;
  iface->get_max_channels = get_max_channels;
}

/* ------------------------------------------------------------ object */

static void
nav_sctp_data_transport_dispose (GObject *object)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (object);

  g_mutex_lock (&self->lock);
  self->disposing = TRUE;
  g_mutex_unlock (&self->lock);
  transport_close (NAV_SCTP_TRANSPORT (self));
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->channels);
  g_ptr_array_set_size (self->waiting, 0);
  g_queue_clear_full (&self->events, (GDestroyNotify) event_free);
  g_clear_pointer (&self->assoc, nav_sctp_association_free);
  g_clear_object (&self->dtls);
  g_mutex_unlock (&self->lock);

  G_OBJECT_CLASS (nav_sctp_data_transport_parent_class)->dispose (object);
}

static void
nav_sctp_data_transport_finalize (GObject *object)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (object);

  g_hash_table_unref (self->channels);
  g_ptr_array_unref (self->waiting);
  g_queue_clear_full (&self->blocked, (GDestroyNotify) g_bytes_unref);
  g_free (self->batch);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (nav_sctp_data_transport_parent_class)->finalize (object);
}

static void
nav_sctp_data_transport_constructed (GObject *object)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (object);

  G_OBJECT_CLASS (nav_sctp_data_transport_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_sctp_data_transport_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavSctpTransport *self = NAV_SCTP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_MAIN_CONTEXT:
      g_value_set_boxed (value, NAV_SCTP_DATA_TRANSPORT (object)->context);
      break;
    case PROP_STATE:
      g_value_set_enum (value, get_state (self));
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint64 (value, get_max_message_size (self));
      break;
    case PROP_MAX_CHANNELS:
      g_value_set_uint (value, get_max_channels (self));
      break;
    case PROP_CONGESTION_CONTROL:
      g_value_set_enum (value, NAV_SCTP_DATA_TRANSPORT (object)->congestion_control);
      break;
    case PROP_RECEIVE_WINDOW:
      {
        NavSctpDataTransport *t = NAV_SCTP_DATA_TRANSPORT (object);

        g_mutex_lock (&t->lock);
        g_value_set_uint64 (value, t->receive_window);
        g_mutex_unlock (&t->lock);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_sctp_data_transport_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NavSctpDataTransport *self = NAV_SCTP_DATA_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_MAIN_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_CONGESTION_CONTROL:
      g_mutex_lock (&self->lock);
      self->congestion_control = g_value_get_enum (value);
      if (self->assoc != NULL)
        nav_sctp_association_set_congestion_control (self->assoc,
                                                     self->congestion_control == NAV_CONGESTION_CONTROL_MODEL
                                                     ? NAV_SCTP_CC_MODEL : NAV_SCTP_CC_RFC9260);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_RECEIVE_WINDOW:
      g_mutex_lock (&self->lock);
      if (self->assoc == NULL)
        self->receive_window = g_value_get_uint64 (value);
      else if (g_value_get_uint64 (value) > self->receive_window)
        {
          /* Running: it only grows (the peer may be sending into the
           * window it has). */
          self->receive_window = g_value_get_uint64 (value);
          nav_sctp_association_set_receive_buffer (self->assoc, self->receive_window);
        }
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_sctp_data_transport_class_init (NavSctpDataTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_sctp_data_transport_constructed;
  object_class->dispose = nav_sctp_data_transport_dispose;
  object_class->finalize = nav_sctp_data_transport_finalize;
  object_class->get_property = nav_sctp_data_transport_get_property;
  object_class->set_property = nav_sctp_data_transport_set_property;

  g_object_class_override_property (object_class, PROP_MAIN_CONTEXT, "main-context");
  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_MAX_MESSAGE_SIZE, "max-message-size");
  g_object_class_override_property (object_class, PROP_MAX_CHANNELS, "max-channels");
  g_object_class_override_property (object_class, PROP_CONGESTION_CONTROL, "congestion-control");
  g_object_class_override_property (object_class, PROP_RECEIVE_WINDOW, "receive-window");
  properties[PROP_STATE] = g_object_class_find_property (object_class, "state");
  properties[PROP_MAX_MESSAGE_SIZE] = g_object_class_find_property (object_class, "max-message-size");
  properties[PROP_MAX_CHANNELS] = g_object_class_find_property (object_class, "max-channels");
  data_channel_signal = g_signal_lookup ("data-channel", NAV_TYPE_SCTP_TRANSPORT);
}

static void
nav_sctp_data_transport_class_finalize (NavSctpDataTransportClass *klass)
{
}

static void
nav_sctp_data_transport_init (NavSctpDataTransport *self)
{
  g_mutex_init (&self->lock);
  self->congestion_control = NAV_CONGESTION_CONTROL_MODEL;
  self->receive_window = NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW;
  self->channels = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->batch = g_malloc (BATCH_MAX * PACKET_MAX);
  for (guint i = 0; i < BATCH_MAX; i++)
    {
      self->vectors[i].buffer = self->batch + i * PACKET_MAX;
      self->messages[i].buffers = &self->vectors[i];
      self->messages[i].n_buffers = 1;
    }
}
