/* nav-net-listener.c: a listening TCP socket and its accept loop
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net.h"

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

/* Connections accepted per dispatch: a flood does not starve the rest of
 * the context. */
#define ACCEPTS_PER_DISPATCH 64
#define BACKOFF_MIN_MS 10
#define BACKOFF_MAX_MS 1000

struct _NavNetListener
{
  GMainContext *context;
  int fd;
  GSocket *gsocket;             /* once asked for: then it owns fd */
  NavAddress address;
  gchar *kind;
  NavNetAcceptFunc func;
  gpointer user_data;
  GSource *source;
  GSource *retry;
  guint backoff_ms;
  gboolean accepting;
  gboolean dispatching;
  gboolean doomed;
  NavNetListenerStats stats;
};

static gboolean on_acceptable (gint fd, GIOCondition condition, gpointer user_data);

static void
watch (NavNetListener *self,
       gboolean        on)
{
  if (on && self->source == NULL)
    {
      self->source = g_unix_fd_source_new (self->fd, G_IO_IN);
      g_source_set_callback (self->source, G_SOURCE_FUNC (on_acceptable), self, NULL);
      g_source_set_static_name (self->source, "[nav] listener");
      g_source_attach (self->source, self->context);
    }
  else if (!on && self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
}

static gboolean
on_retry (gpointer user_data)
{
  NavNetListener *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  if (self->accepting)
    on_acceptable (self->fd, G_IO_IN, self);
  return G_SOURCE_REMOVE;
}

static void
back_off (NavNetListener *self,
          int             errsv)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (self->backoff_ms == 0)
    {
      self->stats.paused++;
      /* Once an episode, not once an attempt.  A message, not a warning:
       * the server goes on, and comes back by itself. */
      g_message ("event=accept-paused transport=%s address=%s reason=\"%s\"",
                 self->kind, nav_address_to_string_buf (&self->address, buf),
                 g_strerror (errsv));
      self->backoff_ms = BACKOFF_MIN_MS;
    }
  else
    self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
  watch (self, FALSE);
  if (self->retry == NULL)
    {
      self->retry = g_timeout_source_new (self->backoff_ms);
      g_source_set_callback (self->retry, on_retry, self, NULL);
      g_source_set_static_name (self->retry, "[nav] listener back-off");
      g_source_attach (self->retry, self->context);
    }
}

static void
resume (NavNetListener *self)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (self->backoff_ms != 0)
    {
      g_message ("event=accept-resumed transport=%s address=%s", self->kind,
                 nav_address_to_string_buf (&self->address, buf));
      self->backoff_ms = 0;
    }
  if (self->accepting)
    watch (self, TRUE);
}

static gboolean
on_acceptable (gint         fd,
               GIOCondition condition,
               gpointer     user_data)
{
  NavNetListener *self = user_data;
  guint i;

  self->dispatching = TRUE;
  for (i = 0; i < ACCEPTS_PER_DISPATCH && self->accepting && !self->doomed; i++)
    {
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      NavAddress remote;
      int cfd = accept4 (self->fd, (struct sockaddr *) &ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (cfd < 0)
        {
          int errsv = errno;

          if (errsv == EINTR || errsv == ECONNABORTED || errsv == EPROTO)
            continue;
          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            {
              if (self->backoff_ms != 0)
                resume (self);
              break;
            }
          if (nav_net_errno_is_resource (errsv))
            {
              back_off (self, errsv);
              break;
            }
          self->stats.errors++;
          g_debug ("event=accept-failed transport=%s reason=\"%s\"", self->kind, g_strerror (errsv));
          break;
        }
      if (self->backoff_ms != 0)
        resume (self);
      self->stats.accepted++;
      nav_address_init (&remote);
      nav_address_set_from_sockaddr (&remote, (struct sockaddr *) &ss, sl);
      self->func (self, cfd, &remote, self->user_data);
    }
  self->dispatching = FALSE;
  if (self->doomed)
    {
      nav_net_listener_free (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

NavNetListener *
nav_net_listener_new_from_fd (GMainContext      *context,
                              int                fd,
                              int                backlog,
                              NavNetAcceptFunc   func,
                              gpointer           user_data,
                              const gchar       *kind,
                              GError           **error)
{
  NavNetListener *self;
  NavAddress bound;

  if (listen (fd, backlog) < 0 || !nav_net_socket_get_local (fd, &bound))
    {
      int errsv = errno;

      nav_net_socket_get_local (fd, &bound);
      nav_net_set_listen_error (error, &bound, kind, errsv);
      close (fd);
      return NULL;
    }
  self = g_new0 (NavNetListener, 1);
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->fd = fd;
  self->address = bound;
  self->kind = g_strdup (kind);
  self->func = func;
  self->user_data = user_data;
  self->accepting = TRUE;
  watch (self, TRUE);
  return self;
}

NavNetListener *
nav_net_listener_new (GMainContext      *context,
                      const NavAddress  *address,
                      NavNetSocketFlags  flags,
                      int                backlog,
                      NavNetAcceptFunc   func,
                      gpointer           user_data,
                      const gchar       *kind,
                      GError           **error)
{
  int errsv = 0;
  int fd = nav_net_socket_open (address, SOCK_STREAM, flags | NAV_NET_SOCKET_REUSEADDR, 0,
                                NULL, &errsv);

  if (fd < 0)
    {
      nav_net_set_listen_error (error, address, kind, errsv);
      return NULL;
    }
  return nav_net_listener_new_from_fd (context, fd, backlog, func, user_data, kind, error);
}

void
nav_net_listener_free (NavNetListener *self)
{
  if (self == NULL)
    return;
  /* Freed from its own accept callback: at the end of the dispatch. */
  if (self->dispatching)
    {
      self->doomed = TRUE;
      self->accepting = FALSE;
      return;
    }
  watch (self, FALSE);
  nav_net_source_clear (&self->retry);
  if (self->gsocket != NULL)
    {
      g_socket_close (self->gsocket, NULL);
      g_object_unref (self->gsocket);
    }
  else if (self->fd >= 0)
    close (self->fd);
  g_main_context_unref (self->context);
  g_free (self->kind);
  g_free (self);
}

const NavAddress *
nav_net_listener_get_address (NavNetListener *self)
{
  return &self->address;
}

int
nav_net_listener_get_fd (NavNetListener *self)
{
  return self->fd;
}

GSocket *
nav_net_listener_get_socket (NavNetListener *self)
{
  if (self->gsocket == NULL)
    self->gsocket = g_socket_new_from_fd (self->fd, NULL);
  return self->gsocket;
}

void
nav_net_listener_set_accepting (NavNetListener *self,
                                gboolean        accepting)
{
  self->accepting = accepting;
  if (accepting && self->retry == NULL)
    watch (self, TRUE);
  else if (!accepting)
    watch (self, FALSE);
}

const NavNetListenerStats *
nav_net_listener_get_stats (NavNetListener *self)
{
  return &self->stats;
}
