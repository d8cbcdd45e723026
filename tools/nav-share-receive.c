/* nav-share-receive.c: nav-share's receiving side
 *
 * The manifest is checked (nav_share_check_manifest()), shown, and
 * accepted (or --yes).  Each file is written to NAME.part beside its
 * final name, hashed as it comes, and renamed into place with its mode
 * and modification time only once its SHA-256 matches the sender's; a
 * failure leaves at most the .part, never a wrong file under the final
 * name.  A .part from an earlier try is offered back to the sender (its
 * length and SHA-256), which continues after it when it is a prefix of
 * its file.  Nothing is written through a symbolic link: every parent
 * directory is checked with lstat(), files are opened with O_NOFOLLOW,
 * and the manifest's links are made last.
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
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "nav-share.h"

#define LIST_MAX 20

static const gchar *
output_dir (NavShare *share)
{
  return share->output != NULL ? share->output : ".";
}

/* Every directory between the output directory and @path's own (not
 * @path): a real directory, never a link. */
static gboolean
parents_are_safe (NavShare    *share,
                  const gchar *path,
                  gboolean     create,
                  GError     **error)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GString) current = g_string_new (output_dir (share));
  guint i, n = g_strv_length (parts);

  for (i = 0; i + 1 < n; i++)
    {
      struct stat st;

      g_string_append_printf (current, "/%s", parts[i]);
      if (create && mkdir (current->str, 0700) != 0 && errno != EEXIST)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _("Cannot create “%s”: %s"),
                       current->str, g_strerror (saved));
          return FALSE;
        }
      if (lstat (current->str, &st) != 0)
        {
          if (!create && errno == ENOENT)
            return TRUE;
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Cannot use “%s”: %s"), current->str,
                       g_strerror (errno));
          return FALSE;
        }
      if (!S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                       _("“%s” is not a directory (or is a symbolic link): nothing is written through it"),
                       current->str);
          return FALSE;
        }
    }
  return TRUE;
}

static gchar *
hash_file (const gchar *path,
           guint64      length,
           NavShareHash *sum)
{
  g_autofree guint8 *buffer = g_malloc (NAV_SHARE_CHUNK);
  gchar hex[NAV_SHARE_HASH_HEX_LEN];
  guint64 done = 0;
  gint fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  while (done < length)
    {
      gssize n = read (fd, buffer, MIN (NAV_SHARE_CHUNK, length - done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      nav_share_hash_update (sum, buffer, n);
      done += n;
    }
  close (fd);
  if (done != length)
    return NULL;
  nav_share_hash_hex (sum, hex);
  return g_strdup (hex);
}

/* ------------------------------------------------------------ the plan */

/* What is there already: a finished identical-looking file, a .part to
 * continue, or an existing file that --overwrite must allow. */
static gboolean
plan_file (NavShare     *share,
           NavShareFile *file,
           GError      **error)
{
  struct stat st;

  file->final_path = g_build_filename (output_dir (share), file->entry->path, NULL);
  file->part_path = g_strconcat (file->final_path, ".part", NULL);
  nav_share_hash_init (&file->sum);
  if (lstat (file->final_path, &st) == 0)
    {
      if (S_ISREG (st.st_mode) && (guint64) st.st_size == file->entry->size && !share->overwrite)
        {
          /* Perhaps from an earlier try that ended after this file. */
          file->prefix_hash = hash_file (file->final_path, file->entry->size, &file->sum);
          file->offset = file->entry->size;
          file->complete_already = file->prefix_hash != NULL;
          if (file->complete_already)
            return TRUE;
          nav_share_hash_init (&file->sum);
        }
      if (!share->overwrite)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("“%s” exists (use --overwrite to replace it)"), file->final_path);
          return FALSE;
        }
      if (S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, _("“%s” is a directory"), file->final_path);
          return FALSE;
        }
    }
  if (lstat (file->part_path, &st) == 0 && S_ISREG (st.st_mode) && (guint64) st.st_size <= file->entry->size &&
      st.st_size > 0)
    {
      file->prefix_hash = hash_file (file->part_path, st.st_size, &file->sum);
      if (file->prefix_hash != NULL)
        {
          file->offset = st.st_size;
          share->resumed_bytes += file->offset;
        }
      else
        nav_share_hash_init (&file->sum);
    }
  return TRUE;
}

static void
send_accept (NavShare *share)
{
  g_autoptr (JsonObject) accept = json_object_new ();
  JsonArray *files = json_array_new ();
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < share->entries->len; i++)
    {
      NavShareFile *file = &share->files[i];
      JsonObject *o;

      if (file->entry->kind == NAV_SHARE_DIRECTORY)
        {
          g_autofree gchar *path = g_strconcat (file->entry->path, "/x", NULL);

          if (!parents_are_safe (share, path, TRUE, &error))
            {
              nav_share_fail (share, "%s", error->message);
              json_array_unref (files);
              return;
            }
        }
      if (file->entry->kind != NAV_SHARE_FILE || file->offset == 0)
        continue;
      o = json_object_new ();
      json_object_set_int_member (o, "i", i);
      json_object_set_int_member (o, "o", (gint64) file->offset);
      json_object_set_string_member (o, "h", file->prefix_hash);
      json_array_add_object_element (files, o);
    }
  json_object_set_string_member (accept, "t", "accept");
  json_object_set_array_member (accept, "files", files);
  nav_share_send_control (share, accept);
  if (share->resumed_bytes > 0)
    {
      g_autofree gchar *kept = nav_share_format_size (share->resumed_bytes);

      g_print (_("Resuming: %s already here\n"), kept);
    }
  nav_share_progress_start (share);
}

static void
decline (NavShare *share)
{
  g_autoptr (JsonObject) reject = json_object_new ();

  json_object_set_string_member (reject, "t", "reject");
  nav_share_send_control (share, reject);
  share->authenticated = FALSE;         /* no "error" after it */
  nav_share_fail (share, _("Declined"));
}

static gboolean
on_stdin (gint         fd,
          GIOCondition condition,
          gpointer     user_data)
{
  NavShare *share = user_data;
  gchar answer[64] = "";
  gssize n = read (fd, answer, sizeof answer - 1);

  share->stdin_id = 0;
  if (n > 0 && (answer[0] == 'y' || answer[0] == 'Y'))
    send_accept (share);
  else
    decline (share);
  return G_SOURCE_REMOVE;
}

static void
maybe_finish (NavShare *share);

static void
on_offer (NavShare   *share,
          JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  JsonNode *files = json_object_get_member (message, "files");
  JsonNode *text = json_object_get_member (message, "text");
  guint i, listed = 0;
  g_autofree gchar *total = NULL;

  if (share->entries != NULL || files == NULL || !JSON_NODE_HOLDS_ARRAY (files) ||
      (text != NULL && (!JSON_NODE_HOLDS_VALUE (text) || json_node_get_value_type (text) != G_TYPE_STRING)))
    {
      nav_share_fail (share, _("A malformed offer from the sender"));
      return;
    }
  share->entries = nav_share_manifest_from_json (json_node_get_array (files), &error);
  if (share->entries == NULL || !nav_share_check_manifest (share->entries, &error))
    {
      nav_share_fail (share, "%s", error->message);
      return;
    }
  share->files = g_new0 (NavShareFile, MAX (share->entries->len, 1));
  for (i = 0; i < share->entries->len; i++)
    {
      share->files[i].share = share;
      share->files[i].index = i;
      share->files[i].entry = g_ptr_array_index (share->entries, i);
      share->files[i].fd = -1;
    }
  if (text != NULL)
    {
      if (share->entries->len != 0)
        {
          nav_share_fail (share, _("A malformed offer from the sender"));
          return;
        }
      g_print (_("Text from the sender:\n"));
      fflush (stdout);
      /* As is, on standard output: a script may take it. */
      fputs (json_node_get_string (text), stdout);
      fputs ("\n", stdout);
      fflush (stdout);
      send_accept (share);
      maybe_finish (share);
      return;
    }
  for (i = 0; i < share->entries->len; i++)
    {
      NavShareFile *file = &share->files[i];

      if (file->entry->kind != NAV_SHARE_FILE)
        continue;
      share->n_files++;
      share->total_bytes += file->entry->size;
      if (!parents_are_safe (share, file->entry->path, FALSE, &error) || !plan_file (share, file, &error))
        {
          nav_share_fail (share, "%s", error->message);
          return;
        }
    }
  total = nav_share_format_size (share->total_bytes);
  g_print (ngettext ("The sender offers %u file (%s):\n", "The sender offers %u files (%s):\n", share->n_files),
           share->n_files, total);
  for (i = 0; i < share->entries->len && listed < LIST_MAX; i++)
    {
      NavShareEntry *e = g_ptr_array_index (share->entries, i);
      g_autofree gchar *size = nav_share_format_size (e->size);
      g_autofree gchar *safe = g_strescape (e->path, NULL);

      if (e->kind == NAV_SHARE_FILE)
        g_print ("  %s  %s\n", safe, size);
      else if (e->kind == NAV_SHARE_DIRECTORY)
        g_print ("  %s/\n", safe);
      else
        g_print ("  %s → %s\n", safe, e->target);
      listed++;
    }
  if (share->entries->len > listed)
    g_print (_("  … and %u more\n"), share->entries->len - listed);
  if (share->yes)
    {
      send_accept (share);
      maybe_finish (share);
      return;
    }
  g_print (_("Accept? [y/N] "));
  fflush (stdout);
  share->stdin_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, share);
}

/* ------------------------------------------------------------ the end */

static void
finish_tree (NavShare *share)
{
  gint i;

  /* Links last, so that no file was written through one. */
  for (i = 0; i < (gint) share->entries->len; i++)
    {
      NavShareEntry *e = g_ptr_array_index (share->entries, i);
      g_autofree gchar *path = NULL;
      g_autoptr (GError) error = NULL;

      if (e->kind != NAV_SHARE_SYMLINK)
        continue;
      path = g_build_filename (output_dir (share), e->path, NULL);
      if (!parents_are_safe (share, e->path, FALSE, &error))
        {
          g_printerr (_("nav-share: not making the link: %s\n"), error->message);
          continue;
        }
      if (share->overwrite)
        unlink (path);
      if (symlink (e->target, path) != 0 && errno != EEXIST)
        g_printerr (_("nav-share: cannot make the link “%s”: %s\n"), path, g_strerror (errno));
    }
  /* Directories deepest first: their mtimes are final once their
   * children are in. */
  for (i = (gint) share->entries->len - 1; i >= 0; i--)
    {
      NavShareEntry *e = g_ptr_array_index (share->entries, i);
      g_autofree gchar *path = NULL;
      struct timespec times[2];
      struct stat st;

      if (e->kind != NAV_SHARE_DIRECTORY)
        continue;
      path = g_build_filename (output_dir (share), e->path, NULL);
      if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      chmod (path, e->mode & 01777);
      times[0].tv_sec = 0;
      times[0].tv_nsec = UTIME_OMIT;
      times[1].tv_sec = e->mtime_ns / 1000000000;
      times[1].tv_nsec = e->mtime_ns % 1000000000;
      utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    }
}

static void
maybe_finish (NavShare *share)
{
  g_autoptr (JsonObject) done = NULL;

  if (share->files_ok < share->n_files || share->linger_id != 0 || share->finished)
    return;
  share->completed = TRUE;
  finish_tree (share);
  nav_share_progress_stop (share);
  done = json_object_new ();
  json_object_set_string_member (done, "t", "done");
  nav_share_send_control (share, done);
  if (share->text == NULL && share->n_files + share->entries->len > 0)
    nav_share_summary (share);
  /* Until the sender's "bye", briefly. */
  nav_share_finish_later (share, 2000, 0);
}

void
nav_share_receive_control_message (NavShare    *share,
                                   const gchar *type,
                                   JsonObject  *message)
{
  if (strcmp (type, "offer") == 0)
    on_offer (share, message);
  else if (strcmp (type, "bye") == 0 && share->linger_id != 0)
    {
      g_clear_handle_id (&share->linger_id, g_source_remove);
      nav_share_finish (share);
    }
  else
    nav_share_fail (share, _("An unexpected message from the sender (%s)"), type);
}

/* ------------------------------------------------------------ one file */

static void
send_ok (NavShareFile *file)
{
  g_autoptr (JsonObject) ok = json_object_new ();

  json_object_set_string_member (ok, "t", "ok");
  json_object_set_int_member (ok, "i", file->index);
  nav_share_send_control (file->share, ok);
  file->ok = TRUE;
  file->share->files_ok++;
  maybe_finish (file->share);
}

static void
file_error (NavShareFile *file,
            int           saved)
{
  if (saved == ENOSPC || saved == EDQUOT)
    nav_share_fail (file->share,
                    _("The disk is full: “%s” could not be written (%s).  The partial file “%s” is kept: "
                      "receive again once there is room, and the transfer resumes"),
                    file->final_path, g_strerror (saved), file->part_path);
  else
    nav_share_fail (file->share, _("Cannot write “%s”: %s"), file->part_path, g_strerror (saved));
}

/* Writes on a thread of their own: the main context decrypts and
 * reassembles, and the copy into the page cache was the largest cost
 * left on it.  Each message is queued with its offset (pwrite(), so the
 * order of writes does not matter for what lands where) on a target of
 * the writer's own: a duplicate of the file's descriptor and a reference
 * to its channel, so that the main context may close either meanwhile.
 * The channel is in manual consume mode: its bytes go back to the SCTP
 * receive window once written, so what is queued is bounded by that
 * window and a slow disk stops the sender (back-pressure end to end).
 * A write error is kept on the target and reported by the main context
 * (writer_check()). */
typedef struct {
  gint fd;                      /* the writer's own descriptor */
  NavDataChannel *channel;      /* released by the main context only */
  gint error;                   /* errno of the first failed write */
  gboolean started;             /* the marks below are set */
  guint64 flushing;             /* writeback started below this */
  guint64 dropped;              /* written back and dropped below this */
} WriteTarget;

/* Write-behind: every WRITE_BEHIND bytes of a file, their writeback is
 * started (sync_file_range()), and the range before them, once written
 * back, leaves the page cache (POSIX_FADV_DONTNEED).  A transfer's
 * page cache stays at a few of these ranges instead of the whole file:
 * the same pages are used again and again (on a virtual machine, each
 * page never touched before costs the host a fault: writing a GiB into
 * new pages took 2.9 s of system time, into pages used again 0.25 s),
 * the disk works during the transfer instead of in the fdatasync()
 * before the rename, and the receiver does not push the machine's other
 * caches out for a file it only stores. */
#define WRITE_BEHIND (8 * 1024 * 1024)
/* How many of those ranges are being written back before the oldest is
 * waited for: the disk's slack (a file system mounted with "discard" is
 * busy for a while after a large file is deleted). */
#define WRITE_BEHIND_RANGES 4

static void
write_behind (WriteTarget *t,
              guint64      start,
              guint64      end)
{
  if (!t->started)
    {
      t->started = TRUE;
      t->flushing = t->dropped = start - start % WRITE_BEHIND;
    }
  while (end >= t->flushing + WRITE_BEHIND)
    {
      if (sync_file_range (t->fd, t->flushing, WRITE_BEHIND, SYNC_FILE_RANGE_WRITE) != 0)
        return;                 /* not on this file system: the page cache as usual */
      t->flushing += WRITE_BEHIND;
      if (t->flushing - t->dropped > WRITE_BEHIND_RANGES * WRITE_BEHIND)
        {
          if (sync_file_range (t->fd, t->dropped, WRITE_BEHIND,
                               SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                               SYNC_FILE_RANGE_WAIT_AFTER) != 0)
            return;
          posix_fadvise (t->fd, t->dropped, WRITE_BEHIND, POSIX_FADV_DONTNEED);
          t->dropped += WRITE_BEHIND;
        }
    }
}

static NavShareWork writer;    /* targets: WriteTarget */

static gint
write_all (gint          fd,
           const guint8 *data,
           gsize         len,
           guint64       offset)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = pwrite (fd, data + done, len - done, offset + done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n < 0 ? errno : ENOSPC;
      done += n;
    }
  return 0;
}

static gpointer
writer_thread (gpointer data)
{
  NavShareJob *job = NULL;

  for (;;)
    {
      WriteTarget *t;
      gsize len;
      const guint8 *bytes;
      gint error = 0;

      job = nav_share_work_next (&writer, job);
      t = job->target;
      bytes = g_bytes_get_data (job->bytes, &len);
#ifdef NAV_SHARE_TEST_HOOKS
      /* tests/share's nav-share-evil: a disk slower than the network,
       * which must stop the sender rather than fill the receiver. */
      if (g_getenv ("NAV_SHARE_EVIL_SLOW_WRITE_MS") != NULL)
        g_usleep (1000 * g_ascii_strtoull (g_getenv ("NAV_SHARE_EVIL_SLOW_WRITE_MS"), NULL, 10));
#endif
      if (g_atomic_int_get (&t->error) == 0)
        error = write_all (t->fd, bytes, len, job->offset);
      if (error == 0)
        write_behind (t, job->offset, job->offset + len);
      if (error != 0)
        g_atomic_int_compare_and_exchange (&t->error, 0, error);
      /* Written (or failed: the transfer ends anyway): the window
       * reopens. */
      nav_data_channel_consume (t->channel, len);
    }
  return NULL;
}

static void
target_free (gpointer data)
{
  WriteTarget *t = data;

  if (t->fd >= 0)
    close (t->fd);
  g_clear_object (&t->channel);
  g_free (t);
}

/* Queues @bytes for @file at @offset; FALSE (errno set) when the
 * writer's descriptor cannot be made. */
static gboolean
writer_push (NavShareFile *file,
             GBytes       *bytes,
             guint64       offset)
{
  WriteTarget *t = nav_share_work_lock (&writer, file, "nav-share-write", writer_thread, target_free);

  if (t == NULL)
    {
      gint fd = fcntl (file->fd, F_DUPFD_CLOEXEC, 0);

      if (fd < 0)
        {
          int saved = errno;

          g_mutex_unlock (&writer.lock);
          errno = saved;
          return FALSE;
        }
      t = g_new0 (WriteTarget, 1);
      t->fd = fd;
      t->channel = g_object_ref (file->channel);
      g_hash_table_insert (writer.targets, file, t);
    }
  nav_share_work_push_locked (&writer, t, bytes, offset);
  g_mutex_unlock (&writer.lock);
  return TRUE;
}

/* The errno of @file's first failed write, or 0; with @finish, once what
 * is queued is written, and @file's target is forgotten. */
static gint
writer_check (NavShareFile *file,
              gboolean      finish)
{
  WriteTarget *t;
  gint error = 0;

  g_mutex_lock (&writer.lock);
  if (finish)
    nav_share_work_wait_locked (&writer);
  t = writer.targets != NULL ? g_hash_table_lookup (writer.targets, file) : NULL;
  if (t != NULL)
    error = g_atomic_int_get (&t->error);
  if (t != NULL && finish)
    g_hash_table_remove (writer.targets, file);
  g_mutex_unlock (&writer.lock);
  return error;
}

/* The end of a receiving @share: what the writer has not written yet is
 * dropped, the write under way waited for and every target released,
 * before the files and channels go. */
void
nav_share_receive_stop (NavShare *share)
{
  if (writer.thread == NULL)
    return;
  g_mutex_lock (&writer.lock);
  nav_share_work_drop_locked (&writer);
  g_hash_table_remove_all (writer.targets);
  g_mutex_unlock (&writer.lock);
}

static void
on_file_data (NavChannel *channel,
              GBytes     *bytes,
              gpointer    user_data)
{
  NavShareFile *file = user_data;
  NavShare *share = file->share;
  gsize len = g_bytes_get_size (bytes);
  gint error;

  if (share->finished)
    return;
  if (file->ended || file->fd < 0 || file->position + len > file->entry->size)
    {
      nav_share_fail (share, _("The sender sent more than the size of “%s”"), file->entry->path);
      return;
    }
  if (share->first_byte_us == 0)
    share->first_byte_us = g_get_monotonic_time ();
  if ((error = writer_check (file, FALSE)) != 0)
    {
      file_error (file, error);
      return;
    }
  if (!writer_push (file, bytes, file->position))
    {
      file_error (file, errno);
      return;
    }
  nav_share_hasher_push (file, bytes);
  file->position += len;
  share->moved_bytes += len;
}

static void
on_file_end (NavDataChannel *channel,
             const gchar    *text,
             gpointer        user_data)
{
  NavShareFile *file = user_data;
  NavShare *share = file->share;
  g_autoptr (JsonObject) message = NULL;
  const gchar *type = NULL;
  JsonNode *hash;
  gchar hex[NAV_SHARE_HASH_HEX_LEN];
  struct timespec times[2];
  gint write_error;

  if (share->finished)
    return;
  message = nav_share_message_parse (text, strlen (text), &type, NULL);
  hash = message != NULL ? json_object_get_member (message, "h") : NULL;
  if (message == NULL || strcmp (type, "end") != 0 || hash == NULL || !JSON_NODE_HOLDS_VALUE (hash) ||
      json_node_get_value_type (hash) != G_TYPE_STRING || file->ended)
    {
      nav_share_fail (share, _("A malformed message on the channel of “%s”"), file->entry->path);
      return;
    }
  file->ended = TRUE;
  /* The end message's bytes too, in manual consume mode. */
  nav_data_channel_consume (channel, strlen (text));
  write_error = writer_check (file, TRUE);
#ifdef NAV_SHARE_TEST_HOOKS
  g_print ("writer queue high-water mark: %lu bytes\n", (gulong) writer.queued_max);
#endif
  nav_share_hasher_sync (file);
  nav_share_hash_hex (&file->sum, hex);
  if (file->position != file->entry->size ||
      g_strcmp0 (json_node_get_string (hash), hex) != 0)
    {
      if (file->fd >= 0)
        {
          close (file->fd);
          file->fd = -1;
          unlink (file->part_path);
        }
      nav_share_fail (share, _("“%s” arrived damaged (its SHA-256 differs from the sender's): not kept"),
                      file->entry->path);
      return;
    }
  if (file->complete_already && file->fd < 0)
    {
      send_ok (file);
      return;
    }
  if (write_error != 0)
    {
      file_error (file, write_error);
      return;
    }
  /* Once, before the rename: what integrity needs (no sync per
   * message). */
  if (fdatasync (file->fd) != 0)
    {
      file_error (file, errno);
      return;
    }
  fchmod (file->fd, file->entry->mode & 01777);
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = file->entry->mtime_ns / 1000000000;
  times[1].tv_nsec = file->entry->mtime_ns % 1000000000;
  futimens (file->fd, times);
  if (close (file->fd) != 0)
    {
      file->fd = -1;
      file_error (file, errno);
      return;
    }
  file->fd = -1;
  if (!share->overwrite && g_file_test (file->final_path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      nav_share_fail (share, _("“%s” appeared meanwhile; kept as “%s”"), file->final_path, file->part_path);
      return;
    }
  if (rename (file->part_path, file->final_path) != 0)
    {
      file_error (file, errno);
      return;
    }
  send_ok (file);
}

static void
on_file_channel_state (NavChannel      *channel,
                       NavChannelState  state,
                       gpointer         user_data)
{
  NavShareFile *file = user_data;

  if (state >= NAV_CHANNEL_STATE_CLOSING && !file->ended && !file->share->finished)
    nav_share_fail (file->share, _("The channel of “%s” closed before the end"), file->entry->path);
}

void
nav_share_receive_file_channel (NavShare       *share,
                                NavDataChannel *channel,
                                const gchar    *label)
{
  g_autoptr (GError) error = NULL;
  guint64 index = 0, offset = 0;
  g_auto (GStrv) parts = g_strsplit (label, ":", -1);
  NavShareFile *file;

  if (share->entries == NULL || g_strv_length (parts) != 3 ||
      !g_ascii_string_to_unsigned (parts[1], 10, 0, share->entries->len - 1, &index, NULL) ||
      !g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXINT64, &offset, NULL) ||
      share->files[index].entry->kind != NAV_SHARE_FILE || share->files[index].started ||
      (offset != 0 && offset != share->files[index].offset))
    {
      nav_channel_close (NAV_CHANNEL (channel));
      nav_share_fail (share, _("The sender opened an unexpected channel: refused"));
      return;
    }
  file = &share->files[index];
  file->started = TRUE;
  nav_share_hasher_sync (file);
  file->channel = g_object_ref (channel);
  /* The window is given back as the writer writes (back-pressure). */
  nav_data_channel_set_manual_consume (channel, TRUE);
  g_signal_connect (channel, "message", G_CALLBACK (on_file_data), file);
  g_signal_connect (channel, "text-message", G_CALLBACK (on_file_end), file);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_file_channel_state), file);
  if (offset != file->offset)
    {
      /* The sender found our part differs from its file. */
      share->resumed_bytes -= file->offset;
      file->offset = 0;
      file->complete_already = FALSE;
      nav_share_hash_init (&file->sum);
    }
  file->position = file->offset;
  if (file->complete_already)
    return;
  if (!parents_are_safe (share, file->entry->path, TRUE, &error))
    {
      nav_share_fail (share, "%s", error->message);
      return;
    }
  file->fd = open (file->part_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (file->fd < 0 || ftruncate (file->fd, file->offset) != 0 ||
      lseek (file->fd, file->offset, SEEK_SET) != (off_t) file->offset)
    {
      file_error (file, errno);
      return;
    }
}
