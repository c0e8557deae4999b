/* zk-records-members.c — each record's members by name, in one order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one list the simulator's fixture dumps and biosync-zk --json write
 * from: a writer walks the members instead of naming them itself.
 */
#include "config.h"

#include "zk-records.h"

void
zk_members_foreach (const ZkMember *members, gsize n_members, ZkMemberFunc func, gpointer user_data)
{
  for (gsize i = 0; i < n_members; i++)
    func (&members[i], user_data);
}

void
zk_user_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkUser *user = record;
  const ZkMember members[] = {
    { "uid", ZK_MEMBER_INT, .number = user->uid },
    { "user_id", ZK_MEMBER_TEXT, .text = user->user_id },
    { "name", ZK_MEMBER_TEXT, .text = user->name != NULL ? user->name : "" },
    { "privilege", ZK_MEMBER_INT, .number = user->privilege },
    { "password", ZK_MEMBER_STRING, .text = user->password },
    { "card", ZK_MEMBER_INT, .number = user->card },
    { "group", ZK_MEMBER_INT, .number = user->group },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

void
zk_template_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkTemplate *tmpl = record;
  const ZkMember members[] = {
    { "uid", ZK_MEMBER_INT, .number = tmpl->uid },
    { "fid", ZK_MEMBER_INT, .number = tmpl->fid },
    { "valid", ZK_MEMBER_INT, .number = tmpl->valid },
    { "template", ZK_MEMBER_BYTES, .bytes = tmpl->data },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

void
zk_attendance_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkAttendance *att = record;
  g_autofree char *time = zk_time_to_iso8601 (&att->time);
  const ZkMember members[] = {
    { "uid", ZK_MEMBER_INT, .number = att->uid },
    { "user_id", ZK_MEMBER_TEXT, .text = att->user_id },
    { "time", ZK_MEMBER_STRING, .text = time },
    { "verify", ZK_MEMBER_INT, .number = att->verify },
    { "state", ZK_MEMBER_INT, .number = att->state },
    { "workcode", ZK_MEMBER_INT, .number = att->workcode },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

void
zk_sizes_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkSizes *sizes = record;
  const ZkMember members[] = {
    { "users", ZK_MEMBER_INT, .number = sizes->users },
    { "user_capacity", ZK_MEMBER_INT, .number = sizes->user_capacity },
    { "users_available", ZK_MEMBER_INT, .number = sizes->users_available },
    { "fingers", ZK_MEMBER_INT, .number = sizes->fingers },
    { "finger_capacity", ZK_MEMBER_INT, .number = sizes->finger_capacity },
    { "fingers_available", ZK_MEMBER_INT, .number = sizes->fingers_available },
    { "records", ZK_MEMBER_INT, .number = sizes->records },
    { "record_capacity", ZK_MEMBER_INT, .number = sizes->record_capacity },
    { "records_available", ZK_MEMBER_INT, .number = sizes->records_available },
    { "faces", ZK_MEMBER_INT, .number = sizes->faces },
    { "face_capacity", ZK_MEMBER_INT, .number = sizes->face_capacity },
    { "admins", ZK_MEMBER_INT, .number = sizes->admins },
    { "passwords", ZK_MEMBER_INT, .number = sizes->passwords },
    { "oplogs", ZK_MEMBER_INT, .number = sizes->oplogs },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}
