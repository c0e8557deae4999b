/* fuzz-records.c — every record decoder on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first byte picks the decoder and hints; the rest is the input.
 * Whatever comes out obeys the string rule of zk-text.h: user ids are
 * clean or empty, punch PINs clean or escaped, names, option values and
 * the skip summaries valid text without control characters.
 */
#include "zk-packet.h"
#include "zk-records.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) out = NULL;
  guint8 selector, hint;
  ZkSizes sizes;
  guint32 a, b;
  char *s;

  if (size < 2)
    return 0;
  selector = data[0];
  hint = data[1];
  data += 2;
  size -= 2;

  switch (selector % 9)
    {
    case 0:
      out = zk_users_decode (data, size, hint, (hint & 1) ? 28 : 72, NULL, NULL, skips, NULL);
      break;
    case 1:
      out = zk_users_decode (data, size, hint, 0, "GBK", NULL, skips, NULL);
      break;
    case 2:
      out = zk_templates_decode (data, size, hint, skips, NULL);
      g_assert (out == NULL || hint == 0 || out->len <= hint);
      break;
    case 3:
      out = zk_faces_decode (data, size, skips, NULL);
      break;
    case 4:
      out = zk_attendance_decode (data, size, hint, 0, NULL, skips, NULL);
      break;
    case 5:
      out = zk_attendance_decode (data, size, 0, hint, NULL, skips, NULL);
      break;
    case 6:
      zk_sizes_decode (data, size, &sizes, NULL);
      break;
    case 7:
      s = zk_option_parse_reply (data, size, "~SerialNumber", NULL);
      g_assert (s == NULL || zk_text_display_is_clean (s, -1));
      g_free (s);
      s = zk_text_identity_escape ((const char *)data, (gssize)size);
      g_assert (zk_text_display_is_clean (s, -1));
      g_free (s);
      break;
    default:
      zk_query_reply_parse (data, size, &a);
      zk_prepare_data_parse (data, size, &a, &b);
      zk_packet_parse (data, size, TRUE, NULL, NULL, NULL);
      if (size >= 8)
        zk_tcp_wrapper_parse (data, &a);
      break;
    }

  /* whatever was decoded must re-encode without trouble */
  if (out && (selector % 9) <= 1)
    {
      guint i;

      for (i = 0; i < out->len; i++)
        {
          ZkUser *u = out->pdata[i];
          guint8 rec[72];

          g_assert (zk_text_display_is_clean (u->name, -1));
          g_assert (zk_text_identity_is_clean (u->user_id, -1));
          zk_user_encode (u, 72, NULL, rec, NULL);
        }
    }
  if (out && (selector % 9 == 4 || selector % 9 == 5))
    for (guint i = 0; i < out->len; i++)
      g_assert (zk_text_display_is_clean (((ZkAttendance *)out->pdata[i])->user_id, -1));
  zk_skips_summarize (skips, warnings);
  for (guint i = 0; i < warnings->len; i++)
    g_assert (zk_text_display_is_clean (warnings->pdata[i], -1));
  return 0;
}
