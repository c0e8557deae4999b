/* fuzz-records.c — every record decoder on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first byte picks the decoder and hints; the rest is the input.
 */
#include "zk-packet.h"
#include "zk-records.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
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
      out = zk_users_decode (data, size, hint, (hint & 1) ? 28 : 72, NULL, NULL, warnings, NULL);
      break;
    case 1:
      out = zk_users_decode (data, size, hint, 0, "GBK", NULL, warnings, NULL);
      break;
    case 2:
      out = zk_templates_decode (data, size, warnings, NULL);
      break;
    case 3:
      out = zk_faces_decode (data, size, warnings, NULL);
      break;
    case 4:
      out = zk_attendance_decode (data, size, hint, 0, NULL, warnings, NULL);
      break;
    case 5:
      out = zk_attendance_decode (data, size, 0, hint, NULL, warnings, NULL);
      break;
    case 6:
      zk_sizes_decode (data, size, &sizes, NULL);
      break;
    case 7:
      s = zk_option_parse_reply (data, size, "~SerialNumber", NULL);
      g_assert (s == NULL || g_utf8_validate (s, -1, NULL));
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

          g_assert (g_utf8_validate (u->name, -1, NULL));
          zk_user_encode (u, 72, NULL, rec, NULL);
        }
    }
  return 0;
}
