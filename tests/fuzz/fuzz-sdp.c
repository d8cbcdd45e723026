/* fuzz-sdp.c: libFuzzer target for NavPeerConnection's SDP parser
 * (core/peerconnection/nav-sdp.c), the text a peer sends
 *
 * Parses the input; what parses is written back and must parse again to
 * the same m-lines, with the same data channel m-line found.  The same
 * file is linked into fuzz-sdp-replay (run-fuzz-replay.c), which every
 * build runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-sdp-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* abort () rather than g_assert (), which G_DISABLE_ASSERT would remove */
#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavSdp *sdp, *again;
  NavSdpMedia *m, *m2;
  GError *error = NULL;
  gchar *text;
  guint index = 0, index2 = 0, i;

  sdp = nav_sdp_parse ((const gchar *) data, size, &error);
  if (sdp == NULL)
    {
      /* Refused with a message, never silently. */
      FUZZ_CHECK (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  FUZZ_CHECK (error == NULL);
  text = nav_sdp_to_string (sdp);
  again = nav_sdp_parse (text, strlen (text), &error);
  FUZZ_CHECK (again != NULL);
  FUZZ_CHECK (again->media->len == sdp->media->len);
  for (i = 0; i < sdp->media->len; i++)
    {
      NavSdpMedia *a = g_ptr_array_index (sdp->media, i);
      NavSdpMedia *b = g_ptr_array_index (again->media, i);

      FUZZ_CHECK (g_strcmp0 (a->media, b->media) == 0);
      FUZZ_CHECK (a->port == b->port);
      FUZZ_CHECK (g_strcmp0 (a->mid, b->mid) == 0);
      FUZZ_CHECK (a->sctp == b->sctp);
      if (a->port != 0)
        {
          FUZZ_CHECK (g_strcmp0 (a->ice_ufrag, b->ice_ufrag) == 0);
          FUZZ_CHECK (a->fingerprints->len == b->fingerprints->len);
          FUZZ_CHECK (a->setup == b->setup);
        }
    }
  m = nav_sdp_find_data_media (sdp, &index);
  m2 = nav_sdp_find_data_media (again, &index2);
  FUZZ_CHECK ((m == NULL) == (m2 == NULL));
  FUZZ_CHECK (m == NULL || index == index2);
  if (m != NULL)
    (void) nav_sdp_is_bundled (sdp, m->mid);
  g_free (text);
  nav_sdp_free (again);
  nav_sdp_free (sdp);
  return 0;
}
