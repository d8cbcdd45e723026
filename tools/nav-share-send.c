/* nav-share-send.c: nav-share's sending side
 *
 * Up to NAV_SHARE_PARALLEL files at once, each on a data channel of its
 * own ("f:INDEX:OFFSET"), read in messages of up to 256 KiB (the peer's
 * max-message-size, message_size()) while the
 * channel's buffered amount is below NAV_SHARE_HIGH_MARK and refilled at
 * buffered-amount-low: the memory held is bounded whatever the size.
 * When the receiver keeps a part from an earlier try it sends the
 * SHA-256 of that part; we hash the same prefix of ours and start after
 * it only if they agree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n.h>

#include "nav-share.h"

#define TEXT_MAX (1024 * 1024)

gboolean
nav_share_send_prepare (NavShare *share,
                        GError  **error)
{
  guint i;

  if (share->text != NULL)
    {
      if (strcmp (share->text, "-") == 0)
        {
          g_autoptr (GString) text = g_string_new (NULL);
          gchar buffer[4096];
          gsize n;

          while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0 && text->len <= TEXT_MAX)
            g_string_append_len (text, buffer, n);
          g_free (share->text);
          share->text = g_string_free (g_steal_pointer (&text), FALSE);
        }
      if (strlen (share->text) > TEXT_MAX || !g_utf8_validate (share->text, -1, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("--text takes at most 1 MiB of UTF-8 text; send a file instead"));
          return FALSE;
        }
      if (share->paths != NULL && share->paths[0] != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Send either --text or files"));
          return FALSE;
        }
      share->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_share_entry_free);
    }
  else
    {
      if (share->paths == NULL || share->paths[0] == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Nothing to send: give files or --text"));
          return FALSE;
        }
      share->entries = nav_share_walk ((const gchar *const *) share->paths, &share->skipped, error);
      if (share->entries == NULL)
        return FALSE;
      if (share->entries->len == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Nothing left to send"));
          return FALSE;
        }
    }
  share->files = g_new0 (NavShareFile, MAX (share->entries->len, 1));
  for (i = 0; i < share->entries->len; i++)
    {
      NavShareFile *file = &share->files[i];

      file->share = share;
      file->index = i;
      file->entry = g_ptr_array_index (share->entries, i);
      file->fd = -1;
      if (file->entry->kind == NAV_SHARE_FILE)
        {
          share->n_files++;
          share->total_bytes += file->entry->size;
        }
    }
  if (share->text == NULL)
    {
      g_autofree gchar *size = nav_share_format_size (share->total_bytes);

      g_print (ngettext ("Sending %u file (%s) in %u entries\n", "Sending %u files (%s) in %u entries\n",
                         share->n_files), share->n_files, size, share->entries->len);
    }
  return TRUE;
}

void
nav_share_send_offer (NavShare *share)
{
  g_autoptr (JsonObject) offer = json_object_new ();

  json_object_set_string_member (offer, "t", "offer");
#ifdef NAV_SHARE_TEST_HOOKS
  /* tests/share's nav-share-evil: a sender that lies about its files. */
  if (g_getenv ("NAV_SHARE_EVIL_PATH") != NULL && share->entries->len > 0)
    {
      NavShareEntry *first = g_ptr_array_index (share->entries, 0);

      g_free (first->path);
      first->path = g_strdup (g_getenv ("NAV_SHARE_EVIL_PATH"));
    }
  for (guint i = 0; g_getenv ("NAV_SHARE_EVIL_LINK") != NULL && i < share->entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (share->entries, i);

      if (e->kind == NAV_SHARE_SYMLINK)
        {
          g_free (e->target);
          e->target = g_strdup (g_getenv ("NAV_SHARE_EVIL_LINK"));
        }
    }
#endif
  json_object_set_member (offer, "files", nav_share_manifest_to_json (share->entries));
  if (share->text != NULL)
    json_object_set_string_member (offer, "text", share->text);
  nav_share_send_control (share, offer);
  g_print (_("Waiting for the receiver to accept…\n"));
}

/* ------------------------------------------------------------ one file */

static void pump (NavShareFile *file);
static void start_more (NavShare *share);

static void
on_file_state (NavChannel      *channel,
               NavChannelState  state,
               gpointer         user_data)
{
  NavShareFile *file = user_data;

  if (state == NAV_CHANNEL_STATE_OPEN)
    pump (file);
  else if (state >= NAV_CHANNEL_STATE_CLOSING && !file->ok && !file->share->finished)
    nav_share_lost (file->share, _("The channel of “%s” closed before the end"), file->entry->path);
}

static void
on_file_low (NavChannel *channel,
             gpointer    user_data)
{
  pump (user_data);
}

static void
send_end (NavShareFile *file)
{
  g_autoptr (JsonObject) end = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  gchar hex[NAV_SHARE_HASH_HEX_LEN];

  json_object_set_string_member (end, "t", "end");
  nav_share_hasher_sync (file);
  nav_share_hash_hex (&file->sum, hex);
#ifdef NAV_SHARE_TEST_HOOKS
  /* tests/share's nav-share-evil: the file "arrives damaged" (a hash
   * that is not the data's), which the receiver must notice. */
  if (g_getenv ("NAV_SHARE_EVIL_HASH") != NULL)
    hex[0] = hex[0] == '0' ? '1' : '0';
#endif
  json_object_set_string_member (end, "h", hex);
  json_object_ref (end);
  text = nav_share_message_build (end);
  json_object_unref (end);
  if (!nav_data_channel_send_text (file->channel, text, &error))
    {
      nav_share_lost (file->share, _("Cannot send the end of “%s”: %s"), file->entry->path, error->message);
      return;
    }
  file->ended = TRUE;
  g_clear_pointer (&file->buffer, g_free);
  if (file->fd >= 0)
    close (file->fd);
  file->fd = -1;
}

/* The messages of a file: as large as the peer takes (its
 * a=max-message-size, 256 KiB between two of us), at most MESSAGE_MAX,
 * at least NAV_SHARE_CHUNK (64 KiB, what any peer takes, RFC 8841
 * §6.1).  Fewer, larger messages: fewer reads, sends and hash calls
 * here, fewer deliveries and writes on the other side. */
#define MESSAGE_MAX (256 * 1024)

static gsize
message_size (NavShareFile *file)
{
  guint64 max = nav_data_channel_get_max_message_size (file->channel);

  return max == 0 ? MESSAGE_MAX : (gsize) CLAMP (max, NAV_SHARE_CHUNK, MESSAGE_MAX);
}

/* A file's first messages are small, then each is as large as what the
 * file has sent so far (4, 4, 8, 16 … KiB up to message_size()).  The
 * receiver has a message only when all of it arrived, and a new
 * association's congestion window is about 4 KiB (RFC 9260 §7.2.1:
 * min(4 MTU, max(2 MTU, 4404 bytes))) that doubles each round trip at
 * best: a first message of 256 KiB reached the receiver six round trips
 * after the start (120 ms at 10 ms each way), 4 KiB in one.  Seven more
 * messages per file, nothing for throughput. */
#define FIRST_MESSAGE (4 * 1024)

static gsize
ramp_size (NavShareFile *file,
           gsize         size)
{
  guint64 sent = file->position - file->offset;

  return sent >= size ? size : MAX (FIRST_MESSAGE, (gsize) sent);
}

static void
pump (NavShareFile *file)
{
  NavShare *share = file->share;
  NavChannel *channel = NAV_CHANNEL (file->channel);
  g_autoptr (GError) error = NULL;
  gsize size;

  if (share->finished || file->ended || nav_channel_get_state (channel) != NAV_CHANNEL_STATE_OPEN)
    return;
  size = message_size (file);
  while (nav_channel_get_buffered_amount (channel) < NAV_SHARE_HIGH_MARK)
    {
      /* Read into a buffer of its own that the association keeps (as a
       * GBytes) until the peer acknowledged it: no copy on the way. */
      gsize want = ramp_size (file, size);
      g_autofree guint8 *buffer = g_malloc (want);
      g_autoptr (GBytes) message = NULL;
      gssize n = file->position < file->entry->size
                   ? read (file->fd, buffer, MIN (want, file->entry->size - file->position))
                   : 0;

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          nav_share_fail (share, _("Cannot read “%s”: %s"), file->entry->source, g_strerror (errno));
          return;
        }
      if (n == 0)
        {
          if (file->position != file->entry->size)
            {
              nav_share_fail (share, _("“%s” changed while it was sent"), file->entry->source);
              return;
            }
          send_end (file);
          return;
        }
      message = g_bytes_new_take (g_steal_pointer (&buffer), n);
      if (!nav_channel_send (channel, message, &error))
        {
          nav_share_lost (share, _("Cannot send “%s”: %s"), file->entry->path, error->message);
          return;
        }
      if (share->first_byte_us == 0)
        share->first_byte_us = g_get_monotonic_time ();
      nav_share_hasher_push (file, message);
      file->position += n;
      share->moved_bytes += n;
    }
}

/* The SHA-256 of the first @length bytes of the file. */
static gboolean
hash_prefix (NavShareFile *file,
             guint64       length)
{
  g_autofree guint8 *buffer = g_malloc (NAV_SHARE_CHUNK);
  guint64 done = 0;

  while (done < length)
    {
      gssize n = read (file->fd, buffer, MIN (NAV_SHARE_CHUNK, length - done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      nav_share_hash_update (&file->sum, buffer, n);
      done += n;
    }
  return TRUE;
}

static void
start_file (NavShareFile *file)
{
  NavShare *share = file->share;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *label = NULL;
  struct stat st;

  file->started = TRUE;
  file->fd = open (file->entry->source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (file->fd < 0 || fstat (file->fd, &st) != 0)
    {
      nav_share_fail (share, _("Cannot open “%s”: %s"), file->entry->source, g_strerror (errno));
      return;
    }
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size != file->entry->size)
    {
      nav_share_fail (share, _("“%s” changed since it was listed"), file->entry->source);
      return;
    }
  /* Read from start to end once: a larger readahead. */
  (void) posix_fadvise (file->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  nav_share_hasher_sync (file);
  nav_share_hash_init (&file->sum);
  if (file->offset > 0)
    {
      /* Keep the receiver's part only if it is ours. */
      gchar prefix[NAV_SHARE_HASH_HEX_LEN] = "";

      if (!hash_prefix (file, file->offset) || (nav_share_hash_hex (&file->sum, prefix), FALSE) ||
          g_strcmp0 (prefix, file->prefix_hash) != 0)
        {
          g_print (_("“%s”: the receiver's partial copy differs; sending it whole\n"), file->entry->path);
          nav_share_hash_init (&file->sum);
          file->offset = 0;
          if (lseek (file->fd, 0, SEEK_SET) != 0)
            {
              nav_share_fail (share, _("Cannot read “%s”: %s"), file->entry->source, g_strerror (errno));
              return;
            }
        }
      else
        share->resumed_bytes += file->offset;
    }
  file->position = file->offset;
  label = g_strdup_printf ("f:%u:%" G_GUINT64_FORMAT, file->index, file->offset);
  file->channel = nav_peer_connection_create_data_channel (share->pc, label, NULL, &error);
  if (file->channel == NULL)
    {
      nav_share_fail (share, _("Cannot open a channel for “%s”: %s"), file->entry->path, error->message);
      return;
    }
  g_object_set (file->channel, "buffered-amount-low-threshold", (guint64) NAV_SHARE_LOW_MARK, NULL);
  g_signal_connect (file->channel, "state-changed", G_CALLBACK (on_file_state), file);
  g_signal_connect (file->channel, "buffered-amount-low", G_CALLBACK (on_file_low), file);
  share->active++;
  if (nav_channel_get_state (NAV_CHANNEL (file->channel)) == NAV_CHANNEL_STATE_OPEN)
    pump (file);
}

static void
start_more (NavShare *share)
{
  while (!share->finished && share->active < NAV_SHARE_PARALLEL && share->next_file < share->entries->len)
    {
      NavShareFile *file = &share->files[share->next_file++];

      if (file->entry->kind == NAV_SHARE_FILE)
        start_file (file);
    }
}

/* ------------------------------------------------------------ the receiver's answers */

static gboolean
get_index (NavShare   *share,
           JsonObject *message,
           guint      *index)
{
  JsonNode *node = json_object_get_member (message, "i");
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  if (value < 0 || value >= share->entries->len)
    return FALSE;
  *index = (guint) value;
  return share->files[*index].entry->kind == NAV_SHARE_FILE;
}

static void
on_accept (NavShare   *share,
           JsonObject *message)
{
  JsonNode *node = json_object_get_member (message, "files");
  JsonArray *files = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint i, n;

  if (files == NULL)
    {
      nav_share_fail (share, _("A malformed answer from the receiver"));
      return;
    }
  n = json_array_get_length (files);
  for (i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (files, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonNode *offset = o != NULL ? json_object_get_member (o, "o") : NULL;
      JsonNode *hash = o != NULL ? json_object_get_member (o, "h") : NULL;
      NavShareFile *file;
      guint index;

      if (o == NULL || !get_index (share, o, &index) || offset == NULL || !JSON_NODE_HOLDS_VALUE (offset) ||
          json_node_get_value_type (offset) != G_TYPE_INT64 || hash == NULL || !JSON_NODE_HOLDS_VALUE (hash) ||
          json_node_get_value_type (hash) != G_TYPE_STRING)
        {
          nav_share_fail (share, _("A malformed answer from the receiver"));
          return;
        }
      file = &share->files[index];
      if (json_node_get_int (offset) < 0 || (guint64) json_node_get_int (offset) > file->entry->size)
        {
          nav_share_fail (share, _("A malformed answer from the receiver"));
          return;
        }
      file->offset = (guint64) json_node_get_int (offset);
      g_free (file->prefix_hash);
      file->prefix_hash = g_strdup (json_node_get_string (hash));
    }
  if (share->text != NULL)
    g_print (_("The receiver accepted the text\n"));
  else
    g_print (_("The receiver accepted; sending\n"));
  nav_share_progress_start (share);
  start_more (share);
}

void
nav_share_send_control_message (NavShare    *share,
                                const gchar *type,
                                JsonObject  *message)
{
  guint index;

  if (strcmp (type, "accept") == 0)
    on_accept (share, message);
  else if (strcmp (type, "reject") == 0)
    nav_share_fail (share, _("The receiver declined"));
  else if (strcmp (type, "ok") == 0 && get_index (share, message, &index) && share->files[index].ended &&
           !share->files[index].ok)
    {
      NavShareFile *file = &share->files[index];

      file->ok = TRUE;
      share->files_ok++;
      share->active--;
      g_debug ("nav-share: %s received", file->entry->path);
      start_more (share);
    }
  else if (strcmp (type, "done") == 0 && share->files_ok == share->n_files)
    {
      g_autoptr (JsonObject) bye = json_object_new ();

      share->completed = TRUE;
      nav_share_progress_stop (share);
      json_object_set_string_member (bye, "t", "bye");
      nav_share_send_control (share, bye);
      nav_share_summary (share);
      /* The code is spent; a moment for "bye" to leave. */
      nav_share_finish_later (share, 300, 0);
    }
  else
    nav_share_fail (share, _("An unexpected message from the receiver (%s)"), type);
}

/* Back to the state before the offer, for the next receiver. */
void
nav_share_send_reset (NavShare *share)
{
  guint i;

  for (i = 0; i < share->entries->len; i++)
    {
      NavShareFile *file = &share->files[i];

      nav_share_hasher_sync (file);
      nav_share_file_free (file);
      memset (file, 0, sizeof *file);
      file->share = share;
      file->index = i;
      file->entry = g_ptr_array_index (share->entries, i);
      file->fd = -1;
    }
  share->next_file = 0;
  share->active = 0;
  share->files_ok = 0;
  share->resumed_bytes = 0;
  share->moved_bytes = 0;
  share->first_byte_us = 0;
  share->last_decile = -1;
}
