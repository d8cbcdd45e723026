/* nav-io-stream.c: the GIOStream of a reliable NavAgent's component
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three private types, as libnice's NiceIOStream: NavIOStream holds a
 * NavInputStream and a NavOutputStream, both pollable, over one
 * component of a reliable agent.  They hold the agent weakly (the agent
 * holds the NavIOStream): once it is gone, reads and writes fail with
 * G_IO_ERROR_CLOSED.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nav-io-stream-private.h"

typedef struct {
  GWeakRef agent;
  guint stream_id;
  guint component_id;
} Target;

static NavAgent *
target_get (Target  *t,
            GError **error)
{
  NavAgent *agent = g_weak_ref_get (&t->agent);

  if (agent == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                         _("The agent of the stream was destroyed"));
  return agent;
}

static gssize
target_transfer (Target        *t,
                 gboolean       write,
                 void          *buf,
                 gsize          len,
                 gboolean       blocking,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr (NavAgent) agent = target_get (t, error);

  if (agent == NULL)
    return -1;
  if (len == 0)
    return 0;
  return nav_agent_reliable_transfer (agent, t->stream_id, t->component_id, write, buf, len,
                                      blocking, cancellable, error);
}

static gboolean
target_check (Target       *t,
              GIOCondition  condition)
{
  g_autoptr (NavAgent) agent = g_weak_ref_get (&t->agent);

  /* A stream whose agent is gone is "ready": the read or write says why. */
  return agent == NULL ||
         nav_agent_reliable_check (agent, t->stream_id, t->component_id, condition);
}

static GSource *
target_source (Target       *t,
               GObject      *stream,
               GIOCondition  condition,
               GCancellable *cancellable)
{
  g_autoptr (NavAgent) agent = g_weak_ref_get (&t->agent);
  GSource *pollable = g_pollable_source_new (stream);
  GSource *child;

  if (agent != NULL)
    child = nav_agent_reliable_source_new (agent, t->stream_id, t->component_id, condition);
  else
    {
      child = g_timeout_source_new (0);
      g_source_set_dummy_callback (child);
    }
  g_source_add_child_source (pollable, child);
  g_source_unref (child);
  if (cancellable != NULL)
    {
      GSource *cancel = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel);
      g_source_add_child_source (pollable, cancel);
      g_source_unref (cancel);
    }
  return pollable;
}

/* ------------------------------------------------------------ input */

#define NAV_TYPE_INPUT_STREAM (nav_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavInputStream, nav_input_stream, NAV, INPUT_STREAM, GInputStream)

struct _NavInputStream {
  GInputStream parent_instance;
  Target target;
};

static void nav_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavInputStream, nav_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      nav_input_stream_pollable_init))

static gssize
nav_input_stream_read (GInputStream  *stream,
                       void          *buffer,
                       gsize          count,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return target_transfer (&NAV_INPUT_STREAM (stream)->target, FALSE, buffer, count, TRUE,
                          cancellable, error);
}

static gboolean
nav_input_stream_close (GInputStream  *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  Target *t = &NAV_INPUT_STREAM (stream)->target;
  g_autoptr (NavAgent) agent = g_weak_ref_get (&t->agent);

  if (agent != NULL)
    nav_agent_reliable_shutdown (agent, t->stream_id, t->component_id, TRUE, FALSE);
  return TRUE;
}

static gboolean
nav_input_stream_is_readable (GPollableInputStream *stream)
{
  return target_check (&NAV_INPUT_STREAM (stream)->target, G_IO_IN);
}

static gssize
nav_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                   void                  *buffer,
                                   gsize                  count,
                                   GError               **error)
{
  return target_transfer (&NAV_INPUT_STREAM (stream)->target, FALSE, buffer, count, FALSE,
                          NULL, error);
}

static GSource *
nav_input_stream_create_source (GPollableInputStream *stream,
                                GCancellable         *cancellable)
{
  return target_source (&NAV_INPUT_STREAM (stream)->target, G_OBJECT (stream), G_IO_IN,
                        cancellable);
}

static void
nav_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = nav_input_stream_is_readable;
  iface->read_nonblocking = nav_input_stream_read_nonblocking;
  iface->create_source = nav_input_stream_create_source;
}

static void
nav_input_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&NAV_INPUT_STREAM (object)->target.agent);
  G_OBJECT_CLASS (nav_input_stream_parent_class)->finalize (object);
}

static void
nav_input_stream_class_init (NavInputStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = nav_input_stream_finalize;
  stream_class->read_fn = nav_input_stream_read;
  stream_class->close_fn = nav_input_stream_close;
}

static void
nav_input_stream_init (NavInputStream *stream)
{
}

/* ----------------------------------------------------------- output */

#define NAV_TYPE_OUTPUT_STREAM (nav_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavOutputStream, nav_output_stream, NAV, OUTPUT_STREAM, GOutputStream)

struct _NavOutputStream {
  GOutputStream parent_instance;
  Target target;
};

static void nav_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavOutputStream, nav_output_stream, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      nav_output_stream_pollable_init))

static gssize
nav_output_stream_write (GOutputStream  *stream,
                         const void     *buffer,
                         gsize           count,
                         GCancellable   *cancellable,
                         GError        **error)
{
  return target_transfer (&NAV_OUTPUT_STREAM (stream)->target, TRUE, (void *) buffer, count,
                          TRUE, cancellable, error);
}

static gboolean
nav_output_stream_close (GOutputStream  *stream,
                         GCancellable   *cancellable,
                         GError        **error)
{
  Target *t = &NAV_OUTPUT_STREAM (stream)->target;
  g_autoptr (NavAgent) agent = g_weak_ref_get (&t->agent);

  /* Our FIN, after the queued data. */
  if (agent != NULL)
    nav_agent_reliable_shutdown (agent, t->stream_id, t->component_id, FALSE, TRUE);
  return TRUE;
}

static gboolean
nav_output_stream_is_writable (GPollableOutputStream *stream)
{
  return target_check (&NAV_OUTPUT_STREAM (stream)->target, G_IO_OUT);
}

static gssize
nav_output_stream_write_nonblocking (GPollableOutputStream  *stream,
                                     const void             *buffer,
                                     gsize                   count,
                                     GError                **error)
{
  return target_transfer (&NAV_OUTPUT_STREAM (stream)->target, TRUE, (void *) buffer, count,
                          FALSE, NULL, error);
}

static GSource *
nav_output_stream_create_source (GPollableOutputStream *stream,
                                 GCancellable          *cancellable)
{
  return target_source (&NAV_OUTPUT_STREAM (stream)->target, G_OBJECT (stream), G_IO_OUT,
                        cancellable);
}

static void
nav_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = nav_output_stream_is_writable;
  iface->write_nonblocking = nav_output_stream_write_nonblocking;
  iface->create_source = nav_output_stream_create_source;
}

static void
nav_output_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&NAV_OUTPUT_STREAM (object)->target.agent);
  G_OBJECT_CLASS (nav_output_stream_parent_class)->finalize (object);
}

static void
nav_output_stream_class_init (NavOutputStreamClass *klass)
{
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = nav_output_stream_finalize;
  stream_class->write_fn = nav_output_stream_write;
  stream_class->close_fn = nav_output_stream_close;
}

static void
nav_output_stream_init (NavOutputStream *stream)
{
}

/* ------------------------------------------------------------- both */

#define NAV_TYPE_IO_STREAM (nav_io_stream_get_type ())
G_DECLARE_FINAL_TYPE (NavIOStream, nav_io_stream, NAV, IO_STREAM, GIOStream)

struct _NavIOStream {
  GIOStream parent_instance;
  GInputStream *input;
  GOutputStream *output;
};

G_DEFINE_FINAL_TYPE (NavIOStream, nav_io_stream, G_TYPE_IO_STREAM)

static GInputStream *
nav_io_stream_get_input_stream (GIOStream *stream)
{
  return NAV_IO_STREAM (stream)->input;
}

static GOutputStream *
nav_io_stream_get_output_stream (GIOStream *stream)
{
  return NAV_IO_STREAM (stream)->output;
}

static void
nav_io_stream_dispose (GObject *object)
{
  NavIOStream *self = NAV_IO_STREAM (object);

  /* GIOStream closes both streams on dispose: they must still be there. */
  G_OBJECT_CLASS (nav_io_stream_parent_class)->dispose (object);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
}

static void
nav_io_stream_class_init (NavIOStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nav_io_stream_dispose;
  stream_class->get_input_stream = nav_io_stream_get_input_stream;
  stream_class->get_output_stream = nav_io_stream_get_output_stream;
}

static void
nav_io_stream_init (NavIOStream *stream)
{
}

static void
target_init (Target   *t,
             NavAgent *agent,
             guint     stream_id,
             guint     component_id)
{
  g_weak_ref_init (&t->agent, agent);
  t->stream_id = stream_id;
  t->component_id = component_id;
}

GIOStream *
nav_io_stream_new (NavAgent *agent,
                   guint     stream_id,
                   guint     component_id)
{
  NavIOStream *self = g_object_new (NAV_TYPE_IO_STREAM, NULL);
  NavInputStream *input = g_object_new (NAV_TYPE_INPUT_STREAM, NULL);
  NavOutputStream *output = g_object_new (NAV_TYPE_OUTPUT_STREAM, NULL);

  target_init (&input->target, agent, stream_id, component_id);
  target_init (&output->target, agent, stream_id, component_id);
  self->input = G_INPUT_STREAM (input);
  self->output = G_OUTPUT_STREAM (output);
  return G_IO_STREAM (self);
}
