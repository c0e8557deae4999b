/* bs-attendance-page.h — BsAttendancePage: recent punches, searched and filtered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_ATTENDANCE_PAGE (bs_attendance_page_get_type ())
G_DECLARE_FINAL_TYPE (BsAttendancePage, bs_attendance_page, BS, ATTENDANCE_PAGE, BsPage)

/* reads the newest page of punches again (the filters as they are) */
void bs_attendance_page_reload (BsAttendancePage *self);
/* a punch that arrived live (what the Manager's PunchReceived carries):
 * on top when the filters would list it */
void bs_attendance_page_add_punch (BsAttendancePage *self,
                                   guint device_id,
                                   const char *pin,
                                   guint64 time_utc,
                                   const char *local_time,
                                   guint verify,
                                   guint state,
                                   const char *name);

G_END_DECLS
