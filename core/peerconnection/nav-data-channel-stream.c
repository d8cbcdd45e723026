/* nav-data-channel-stream.c: a reliable, ordered data channel as a byte
 * stream (GIOStream), for GIO users and for what libnice's reliable
 * mode carried
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three private types: NavDcIOStream holds a NavDcInputStream and a
 * NavDcOutputStream, both pollable, sharing one Shared record.  The
 * channel's receive function fills Shared's queue; reads empty it and
 * give the bytes back to the SCTP receive window (manual consume), so a
 * reader that stops stops the peer.  Writes are binary messages of up
 * to 64 KiB and wait while more than 1 MiB is buffered.  Everything that
 * changes readiness replaces Shared's waker (a GCancellable whose
 * sources wake the pollable sources) and broadcasts its GCond.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-data-channel-private.h"

#define MESSAGE_MAX (64 * 1024)
#define WRITE_HIGH (1024 * 1024)
#define WRITE_LOW (256 * 1024)

typedef struct {
  gint refs;
  GMutex lock;
  GCond cond;
  GWeakRef channel;
  GMainContext *context;        /* the channel's: waits there run it */
  GQueue in;                    /* GBytes received, not read */
  gsize in_offset;              /* into the head */
  gboolean eof;                 /* the channel closes: no more will come */
  GCancellable *waker;
} Shared;

static Shared *
shared_ref (Shared *s)
{
  g_atomic_int_inc (&s->refs);
  return s;
}

static void
shared_unref (gpointer data)
{
  Shared *s = data;

  if (!g_atomic_int_dec_and_test (&s->refs))
    return;
  g_queue_clear_full (&s->in, (GDestroyNotify) g_bytes_unref);
  g_weak_ref_clear (&s->channel);
  g_clear_object (&s->waker);
  g_main_context_unref (s->context);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

/* Called without the lock: wakes the sources and the waiters. */
static void
shared_wake (Shared *s)
{
  GCancellable *old;

  g_mutex_lock (&s->lock);
  old = s->waker;
  s->waker = g_cancellable_new ();
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  g_cancellable_cancel (old);
  g_object_unref (old);
  g_main_context_wakeup (s->context);
}

/* In the channel's context: every message, text or binary. */
static void
on_receive (NavChannel   *channel,
            const guint8 *data,
            gsize         len,
            gpointer      user_data)
{
  Shared *s = user_data;

  if (len == 0)
    return;
  g_mutex_lock (&s->lock);
  g_queue_push_tail (&s->in, g_bytes_new (data, len));
  g_mutex_unlock (&s->lock);
  shared_wake (s);
}

static void
on_state (NavChannel      *channel,
          NavChannelState  state,
          gpointer         user_data)
{
  Shared *s = user_data;

  if (state != NAV_CHANNEL_STATE_CLOSING && state != NAV_CHANNEL_STATE_CLOSED)
    return;
  g_mutex_lock (&s->lock);
  s->eof = TRUE;
  g_mutex_unlock (&s->lock);
  shared_wake (s);
}

static void
on_low (NavChannel *channel,
        gpointer    user_data)
{
  shared_wake (user_data);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Shared *s = user_data;

  g_mutex_lock (&s->lock);
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  g_main_context_wakeup (s->context);
}

/* Waits, lock held, until @ready says so or @cancellable is cancelled.
 * In the context's thread the context runs meanwhile (the data comes
 * through it). */
static gboolean
shared_wait (Shared        *s,
             gboolean     (*ready) (Shared *s),
             GCancellable  *cancellable,
             GError       **error)
{
  gulong id = 0;
  gboolean owner;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), s, NULL);
  owner = g_main_context_acquire (s->context);
  while (!ready (s) && !g_cancellable_is_cancelled (cancellable))
    {
      if (owner)
        {
          g_mutex_unlock (&s->lock);
          g_main_context_iteration (s->context, TRUE);
          g_mutex_lock (&s->lock);
        }
      else
        g_cond_wait (&s->cond, &s->lock);
    }
  if (owner)
    g_main_context_release (s->context);
  if (id != 0)
    {
      g_mutex_unlock (&s->lock);
      g_cancellable_disconnect (cancellable, id);
      g_mutex_lock (&s->lock);
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static NavDataChannel *
shared_channel (Shared  *s,
                GError **error)
{
  NavDataChannel *channel = g_weak_ref_get (&s->channel);

  if (channel == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The data channel is gone"));
  return channel;
}

static gboolean
shared_ready (Shared     *s,
              gboolean  (*ready) (Shared *s))
{
  gboolean result;

  g_mutex_lock (&s->lock);
  result = ready (s);
  g_mutex_unlock (&s->lock);
  return result;
}

/* A source that fires when @ready holds: at once if it does now, else on
 * the next wake. */
static GSource *
shared_source (Shared       *s,
               GObject      *stream,
               gboolean    (*ready) (Shared *s),
               GCancellable *cancellable)
{
  GSource *base, *source;

  g_mutex_lock (&s->lock);
  base = ready (s) ? g_timeout_source_new (0) : g_cancellable_source_new (s->waker);
  g_mutex_unlock (&s->lock);
  source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

/* ------------------------------------------------------------ input */

#define NAV_TYPE_DC_INPUT_STREAM (nav_dc_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavDcInputStream, nav_dc_input_stream, NAV, DC_INPUT_STREAM, GInputStream)

struct _NavDcInputStream
{
  GInputStream parent_instance;
  Shared *shared;
};

static void nav_dc_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavDcInputStream, nav_dc_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      nav_dc_input_stream_pollable_init))

static gboolean
readable (Shared *s)
{
  return s->in.length > 0 || s->eof;
}

/* Lock held: copies what is queued into @buffer. */
static gsize
take_locked (Shared *s,
             guint8 *buffer,
             gsize   count)
{
  gsize done = 0;

  while (done < count && s->in.length > 0)
    {
      GBytes *head = g_queue_peek_head (&s->in);
      gsize len;
      const guint8 *data = g_bytes_get_data (head, &len);
      gsize n = MIN (count - done, len - s->in_offset);

      memcpy (buffer + done, data + s->in_offset, n);
      done += n;
      s->in_offset += n;
      if (s->in_offset == len)
        {
          g_bytes_unref (g_queue_pop_head (&s->in));
          s->in_offset = 0;
        }
    }
  return done;
}

static gssize
input_read (NavDcInputStream  *self,
            void              *buffer,
            gsize              count,
            gboolean           blocking,
            GCancellable      *cancellable,
            GError           **error)
{
  Shared *s = self->shared;
  g_autoptr (NavDataChannel) channel = NULL;
  gsize done;

  if (count == 0)
    return 0;
  g_mutex_lock (&s->lock);
  if (!readable (s))
    {
      if (!blocking)
        {
          g_mutex_unlock (&s->lock);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                               _("Nothing to read yet"));
          return -1;
        }
      if (!shared_wait (s, readable, cancellable, error))
        {
          g_mutex_unlock (&s->lock);
          return -1;
        }
    }
  done = take_locked (s, buffer, count);
  g_mutex_unlock (&s->lock);
  /* The window reopens as the reader reads. */
  channel = g_weak_ref_get (&s->channel);
  if (done > 0 && channel != NULL)
    nav_data_channel_consume (channel, done);
  return done;
}

static gssize
nav_dc_input_stream_read (GInputStream  *stream,
                          void          *buffer,
                          gsize          count,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return input_read (NAV_DC_INPUT_STREAM (stream), buffer, count, TRUE, cancellable, error);
}

static gboolean
nav_dc_input_stream_is_readable (GPollableInputStream *stream)
{
  return shared_ready (NAV_DC_INPUT_STREAM (stream)->shared, readable);
}

static GSource *
nav_dc_input_stream_create_source (GPollableInputStream *stream,
                                   GCancellable         *cancellable)
{
  return shared_source (NAV_DC_INPUT_STREAM (stream)->shared, G_OBJECT (stream), readable,
                        cancellable);
}

static gssize
nav_dc_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                      void                  *buffer,
                                      gsize                  count,
                                      GError               **error)
{
  return input_read (NAV_DC_INPUT_STREAM (stream), buffer, count, FALSE, NULL, error);
}

static void
nav_dc_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = nav_dc_input_stream_is_readable;
  iface->create_source = nav_dc_input_stream_create_source;
  iface->read_nonblocking = nav_dc_input_stream_read_nonblocking;
}

static void
nav_dc_input_stream_finalize (GObject *object)
{
  shared_unref (NAV_DC_INPUT_STREAM (object)->shared);
  G_OBJECT_CLASS (nav_dc_input_stream_parent_class)->finalize (object);
}

static void
nav_dc_input_stream_class_init (NavDcInputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nav_dc_input_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = nav_dc_input_stream_read;
}

static void
nav_dc_input_stream_init (NavDcInputStream *self)
{
}

/* ------------------------------------------------------------ output */

#define NAV_TYPE_DC_OUTPUT_STREAM (nav_dc_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavDcOutputStream, nav_dc_output_stream, NAV, DC_OUTPUT_STREAM, GOutputStream)

struct _NavDcOutputStream
{
  GOutputStream parent_instance;
  Shared *shared;
};

static void nav_dc_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavDcOutputStream, nav_dc_output_stream, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      nav_dc_output_stream_pollable_init))

/* Room to write, or a state in which the write will say why not. */
static gboolean
writable (Shared *s)
{
  g_autoptr (NavDataChannel) channel = g_weak_ref_get (&s->channel);

  if (channel == NULL || s->eof)
    return TRUE;
  return nav_channel_get_state (NAV_CHANNEL (channel)) != NAV_CHANNEL_STATE_CONNECTING &&
         nav_channel_get_buffered_amount (NAV_CHANNEL (channel)) < WRITE_HIGH;
}

static gssize
output_write (NavDcOutputStream  *self,
              const void         *buffer,
              gsize               count,
              gboolean            blocking,
              GCancellable       *cancellable,
              GError            **error)
{
  Shared *s = self->shared;
  g_autoptr (NavDataChannel) channel = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize n;

  if (count == 0)
    return 0;
  g_mutex_lock (&s->lock);
  if (!writable (s))
    {
      if (!blocking)
        {
          g_mutex_unlock (&s->lock);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                               _("The data channel's buffer is full"));
          return -1;
        }
      if (!shared_wait (s, writable, cancellable, error))
        {
          g_mutex_unlock (&s->lock);
          return -1;
        }
    }
  g_mutex_unlock (&s->lock);
  channel = shared_channel (s, error);
  if (channel == NULL)
    return -1;
  n = MIN (count, MESSAGE_MAX);
  n = MIN (n, nav_data_channel_get_max_message_size (channel) > 0
              ? nav_data_channel_get_max_message_size (channel) : n);
  if (!nav_channel_send_data (NAV_CHANNEL (channel), buffer, n, &local_error))
    {
      if (g_error_matches (local_error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_BUFFER_FULL))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                             _("The data channel's buffer is full"));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                     _("The data channel cannot send: %s"), local_error->message);
      return -1;
    }
  return n;
}

static gssize
nav_dc_output_stream_write (GOutputStream  *stream,
                            const void     *buffer,
                            gsize           count,
                            GCancellable   *cancellable,
                            GError        **error)
{
  return output_write (NAV_DC_OUTPUT_STREAM (stream), buffer, count, TRUE, cancellable, error);
}

static gboolean
nav_dc_output_stream_is_writable (GPollableOutputStream *stream)
{
  return shared_ready (NAV_DC_OUTPUT_STREAM (stream)->shared, writable);
}

static GSource *
nav_dc_output_stream_create_source (GPollableOutputStream *stream,
                                    GCancellable          *cancellable)
{
  return shared_source (NAV_DC_OUTPUT_STREAM (stream)->shared, G_OBJECT (stream), writable,
                        cancellable);
}

static gssize
nav_dc_output_stream_write_nonblocking (GPollableOutputStream  *stream,
                                        const void             *buffer,
                                        gsize                   count,
                                        GError                **error)
{
  return output_write (NAV_DC_OUTPUT_STREAM (stream), buffer, count, FALSE, NULL, error);
}

static void
nav_dc_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = nav_dc_output_stream_is_writable;
  iface->create_source = nav_dc_output_stream_create_source;
  iface->write_nonblocking = nav_dc_output_stream_write_nonblocking;
}

static void
nav_dc_output_stream_finalize (GObject *object)
{
  shared_unref (NAV_DC_OUTPUT_STREAM (object)->shared);
  G_OBJECT_CLASS (nav_dc_output_stream_parent_class)->finalize (object);
}

static void
nav_dc_output_stream_class_init (NavDcOutputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nav_dc_output_stream_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = nav_dc_output_stream_write;
}

static void
nav_dc_output_stream_init (NavDcOutputStream *self)
{
}

/* ------------------------------------------------------------ the pair */

#define NAV_TYPE_DC_IO_STREAM (nav_dc_io_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavDcIOStream, nav_dc_io_stream, NAV, DC_IO_STREAM, GIOStream)

struct _NavDcIOStream
{
  GIOStream parent_instance;
  Shared *shared;
  NavDcInputStream *input;
  NavDcOutputStream *output;
};

G_DEFINE_FINAL_TYPE (NavDcIOStream, nav_dc_io_stream, G_TYPE_IO_STREAM)

static GInputStream *
nav_dc_io_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (NAV_DC_IO_STREAM (stream)->input);
}

static GOutputStream *
nav_dc_io_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (NAV_DC_IO_STREAM (stream)->output);
}

static gboolean
nav_dc_io_stream_close (GIOStream     *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  NavDcIOStream *self = NAV_DC_IO_STREAM (stream);
  g_autoptr (NavDataChannel) channel = g_weak_ref_get (&self->shared->channel);

  if (channel != NULL)
    nav_channel_close (NAV_CHANNEL (channel));
  return TRUE;
}

static void
nav_dc_io_stream_dispose (GObject *object)
{
  NavDcIOStream *self = NAV_DC_IO_STREAM (object);
  g_autoptr (NavDataChannel) channel = g_weak_ref_get (&self->shared->channel);

  if (channel != NULL)
    g_signal_handlers_disconnect_by_data (channel, self->shared);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  G_OBJECT_CLASS (nav_dc_io_stream_parent_class)->dispose (object);
}

static void
nav_dc_io_stream_finalize (GObject *object)
{
  shared_unref (NAV_DC_IO_STREAM (object)->shared);
  G_OBJECT_CLASS (nav_dc_io_stream_parent_class)->finalize (object);
}

static void
nav_dc_io_stream_class_init (NavDcIOStreamClass *klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nav_dc_io_stream_dispose;
  G_OBJECT_CLASS (klass)->finalize = nav_dc_io_stream_finalize;
  io_class->get_input_stream = nav_dc_io_stream_get_input_stream;
  io_class->get_output_stream = nav_dc_io_stream_get_output_stream;
  io_class->close_fn = nav_dc_io_stream_close;
}

static void
nav_dc_io_stream_init (NavDcIOStream *self)
{
}

GIOStream *
nav_data_channel_stream_new (NavDataChannel *channel)
{
  NavDcIOStream *self = g_object_new (NAV_TYPE_DC_IO_STREAM, NULL);
  Shared *s = g_new0 (Shared, 1);
  NavChannelState state = nav_channel_get_state (NAV_CHANNEL (channel));

  s->refs = 1;
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  g_weak_ref_init (&s->channel, channel);
  s->context = g_main_context_ref_thread_default ();
  s->waker = g_cancellable_new ();
  s->eof = state == NAV_CHANNEL_STATE_CLOSING || state == NAV_CHANNEL_STATE_CLOSED;
  self->shared = s;
  self->input = g_object_new (NAV_TYPE_DC_INPUT_STREAM, NULL);
  self->input->shared = shared_ref (s);
  self->output = g_object_new (NAV_TYPE_DC_OUTPUT_STREAM, NULL);
  self->output->shared = shared_ref (s);

  g_object_set (channel, "buffered-amount-low-threshold", (guint64) WRITE_LOW, NULL);
  nav_data_channel_set_manual_consume (channel, TRUE);
  nav_channel_set_receive_func (NAV_CHANNEL (channel), on_receive, shared_ref (s), shared_unref);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_state), s);
  g_signal_connect (channel, "buffered-amount-low", G_CALLBACK (on_low), s);
  return G_IO_STREAM (self);
}
