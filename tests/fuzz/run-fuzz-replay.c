/* run-fuzz-replay.c: runs a libFuzzer target without libFuzzer
 *
 * Feeds every file of the corpus directories (or files) given on the
 * command line to LLVMFuzzerTestOneInput, then deterministic mutations of
 * them (bit flips, byte changes, truncations, insertions, deletions and
 * duplicated chunks), so that every build, with any compiler, exercises
 * the fuzz target and the code under it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define REPLAY_MAX_INPUT 4096

static void
add_file (GPtrArray   *inputs,
          const gchar *path)
{
  GError *error = NULL;
  gchar *contents;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  g_ptr_array_add (inputs, g_bytes_new_take (contents, length));
}

static void
add_path (GPtrArray   *inputs,
          const gchar *path)
{
  GDir *dir;
  GPtrArray *names;
  const gchar *name;
  guint i;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      add_file (inputs, path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  /* Sorted, so that the mutations are the same on every run */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (i = 0; i < names->len; i++)
    {
      const gchar *file = *(const gchar **) &names->pdata[i];

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        add_file (inputs, file);
    }
  g_ptr_array_unref (names);
}

static gsize
mutate (GRand        *rand,
        guint8       *buffer,
        const guint8 *seed,
        gsize         length)
{
  guint n, i;

  length = MIN (length, REPLAY_MAX_INPUT / 2);
  memcpy (buffer, seed, length);
  for (n = g_rand_int_range (rand, 1, 5); n > 0; n--)
    {
      guint kind = g_rand_int_range (rand, 0, 6);

      if (length == 0)
        kind = 3;
      switch (kind)
        {
        case 0:   /* flip a bit */
          i = g_rand_int_range (rand, 0, length * 8);
          buffer[i / 8] ^= 1 << (i % 8);
          break;
        case 1:   /* set a byte to an interesting value */
          {
            static const guint8 values[] = { 0x00, 0x01, 0x03, 0x04, 0x7f,
                                             0x80, 0xfc, 0xff };

            buffer[g_rand_int_range (rand, 0, length)] =
              values[g_rand_int_range (rand, 0, G_N_ELEMENTS (values))];
          }
          break;
        case 2:   /* truncate */
          length = g_rand_int_range (rand, 0, length + 1);
          break;
        case 3:   /* append random bytes */
          {
            guint extra = g_rand_int_range (rand, 1, 9);

            for (i = 0; i < extra && length < REPLAY_MAX_INPUT; i++)
              buffer[length++] = (guint8) g_rand_int (rand);
          }
          break;
        case 4:   /* delete a chunk of 4 */
          i = g_rand_int_range (rand, 0, length);
          if (i + 4 <= length)
            {
              memmove (buffer + i, buffer + i + 4, length - i - 4);
              length -= 4;
            }
          break;
        default:  /* duplicate an aligned chunk (an attribute, maybe) */
          {
            gsize from = g_rand_int_range (rand, 0, length) & ~(gsize) 3;
            gsize size = MIN ((gsize) g_rand_int_range (rand, 4, 33),
                              length - from);

            if (length + size <= REPLAY_MAX_INPUT)
              {
                memmove (buffer + from + size, buffer + from, length - from);
                length += size;
              }
          }
          break;
        }
    }
  return length;
}

int
main (int    argc,
      char **argv)
{
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint iterations = 20000;
  GRand *rand;
  guint8 *buffer;
  guint i;
  int arg;

  for (arg = 1; arg < argc; arg++)
    {
      if (g_str_has_prefix (argv[arg], "--iterations="))
        iterations = (guint) g_ascii_strtoull (argv[arg] + 13, NULL, 10);
      else
        add_path (inputs, argv[arg]);
    }
  if (inputs->len == 0)
    {
      g_printerr ("usage: %s [--iterations=N] CORPUS-DIR-OR-FILE...\n",
                  argv[0]);
      return 2;
    }

  for (i = 0; i < inputs->len; i++)
    {
      GBytes *input = g_ptr_array_index (inputs, i);

      LLVMFuzzerTestOneInput (g_bytes_get_data (input, NULL),
                              g_bytes_get_size (input));
    }

  rand = g_rand_new_with_seed (0x46555a5a);
  buffer = g_malloc (REPLAY_MAX_INPUT);
  for (i = 0; i < iterations; i++)
    {
      GBytes *seed = g_ptr_array_index (inputs, i % inputs->len);
      gsize length;
      guint8 *exact;

      length = mutate (rand, buffer, g_bytes_get_data (seed, NULL),
                       g_bytes_get_size (seed));
      /* An exact-size copy, so that AddressSanitizer sees any read past
       * the end of the input */
      exact = g_memdup2 (buffer, length);
      LLVMFuzzerTestOneInput (exact, length);
      g_free (exact);
    }
  g_free (buffer);
  g_rand_free (rand);

  g_print ("%u corpus inputs and %u mutations run\n", inputs->len, iterations);
  g_ptr_array_unref (inputs);
  return 0;
}
