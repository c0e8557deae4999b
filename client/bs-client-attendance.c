/* bs-client-attendance.c — ListAttendance's filter, the same for biosyncctl and the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bs-client.h"

GVariant *
bs_attendance_query_to_filter (const BsAttendanceQuery *query)
{
  g_auto (GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);

  g_return_val_if_fail (query != NULL, NULL);

  /* the service keeps times as signed µs; a later one is no limit */
  if (query->from_usec != 0)
    g_variant_dict_insert (&filter, "from", "x", (gint64)MIN (query->from_usec, G_MAXINT64));
  if (query->to_usec != 0 && query->to_usec <= G_MAXINT64)
    g_variant_dict_insert (&filter, "to", "x", (gint64)query->to_usec);
  if (query->device_id != 0)
    g_variant_dict_insert (&filter, "device", "u", query->device_id);
  if (query->area_id != 0)
    g_variant_dict_insert (&filter, "area", "u", query->area_id);
  if (query->pin != NULL && query->pin[0] != '\0')
    g_variant_dict_insert (&filter, "pin", "s", query->pin);
  if (query->text != NULL && query->text[0] != '\0')
    g_variant_dict_insert (&filter, "text", "s", query->text);
  if (query->before_id > 0)
    g_variant_dict_insert (&filter, "before", "x", query->before_id);
  return g_variant_dict_end (&filter);
}
