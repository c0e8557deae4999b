/* test-push-io.c — a push terminal's mirror as the planner sees it, and the plan as commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The template rules of issue 13 §2 between pull and push terminals:
 * fingerprints of one algorithm version go both ways (a pull v10 finger is
 * a push BIODATA type 1 v10 in the same ZK format), visible-light faces
 * only between terminals of the same face major version, never to a pull
 * terminal's near-infrared faces; the plan's writes become the commands of
 * PUSH-PROTOCOL.md §6.2.
 */
#include "config.h"

#include <string.h>

#include "bsd-plan.h"
#include "bsd-push-io.h"

#define VL_OPTIONS                                                                                 \
  "{\"FPVersion\":\"10\",\"FaceVersion\":\"39\",\"VisilightFun\":\"1\","                           \
  "\"MultiBioDataSupport\":\"0:1:0:0:0:0:0:0:0:1\",\"~MaxUserCount\":\"30\"}"
#define FP_OPTIONS "{\"FPVersion\":\"10\",\"MultiBioDataSupport\":\"0:0:0:0:0:0:0:0:0:0\"}"

static GBytes *
finger_bytes (guint8 seed)
{
  guint8 data[120] = { 0x4d, 0x98, 'S', 'S', '2', '1' };

  memset (data + 6, seed, sizeof data - 6);
  return g_bytes_new (data, sizeof data);
}

static PushUser *
push_user (const char *pin, const char *name, const char *card)
{
  PushUser *user = g_new0 (PushUser, 1);

  user->pin = g_strdup (pin);
  user->name = g_strdup (name);
  user->password = g_strdup ("");
  user->card = g_strdup (card);
  user->time_zones = g_strdup ("0000000100000000");
  user->verify = -1;
  user->group = 1;
  return user;
}

static PushTemplate *
push_template (const char *pin, guint type, guint no, guint index, guint major, guint8 seed)
{
  PushTemplate *tmpl = g_new0 (PushTemplate, 1);

  tmpl->pin = g_strdup (pin);
  tmpl->type = type;
  tmpl->no = no;
  tmpl->index = index;
  tmpl->valid = TRUE;
  tmpl->major_version = major;
  tmpl->data = finger_bytes (seed);
  return tmpl;
}

/* the options of a VL unit that makes its own faces from photos */
#define PHOTO_OPTIONS(major)                                                                       \
  "{\"FPVersion\":\"10\",\"FaceVersion\":\"" major "\",\"VisilightFun\":\"1\","                    \
  "\"BioPhotoFun\":\"1\",\"MultiBioPhotoSupport\":\"0:0:0:0:0:0:0:0:0:1\"}"

/* a comparison photo (@biophoto) or a user photo of PIN 7: a JPEG */
static PushPhoto *
push_photo (gboolean biophoto)
{
  static const guint8 jpeg[]
      = { 0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 0xff, 0xd9 };
  PushPhoto *photo = g_new0 (PushPhoto, 1);

  photo->pin = g_strdup ("7");
  photo->biophoto = biophoto;
  photo->type = PUSH_BIO_FACE_VL;
  photo->data = g_bytes_new_static (jpeg, sizeof jpeg);
  return photo;
}

/* a VL unit of @options holding nothing */
static BsdSnapshot *
empty_snapshot (guint device_id, const char *options)
{
  g_autoptr (GPtrArray) none_u = g_ptr_array_new ();
  g_autoptr (GPtrArray) none_t = g_ptr_array_new ();
  BsdPushCaps caps;
  BsdSnapshot *snap;

  bsd_push_caps_init (&caps, "2", options);
  snap = bsd_push_io_snapshot (device_id, "empty", &caps, none_u, none_t, NULL);
  bsd_push_caps_clear (&caps);
  return snap;
}

/* a push VL terminal holding PIN 7 (card as a VL unit writes it) with
 * finger 3, a VL face, and an NIR face and a second finger template the
 * planner cannot place; and @photo (owned, may be NULL) */
static BsdSnapshot *
vl_photo_snapshot (guint device_id, guint face_major, PushPhoto *photo)
{
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)push_template_free);
  g_autoptr (GPtrArray) photos = g_ptr_array_new_with_free_func ((GDestroyNotify)push_photo_free);
  g_autofree char *options = g_strdup_printf (
      "{\"FPVersion\":\"10\",\"FaceVersion\":\"%u\",\"VisilightFun\":\"1\"}", face_major);
  BsdPushCaps caps;
  BsdSnapshot *snap;

  if (photo)
    g_ptr_array_add (photos, photo);

  g_ptr_array_add (users, push_user ("7", "Ana", "[15CD5B07]"));
  g_ptr_array_add (templates, push_template ("7", PUSH_BIO_FINGER, 3, 0, 10, 1));
  g_ptr_array_add (templates, push_template ("7", PUSH_BIO_FINGER, 3, 1, 10, 2));
  g_ptr_array_add (templates, push_template ("7", PUSH_BIO_FACE_VL, 0, 0, face_major, 3));
  g_ptr_array_add (templates, push_template ("7", PUSH_BIO_FACE_NIR, 0, 0, 7, 4));
  /* a template of a PIN the terminal does not hold as a user */
  g_ptr_array_add (templates, push_template ("8", PUSH_BIO_FINGER, 1, 0, 10, 5));
  bsd_push_caps_init (&caps, "2", options);
  snap = bsd_push_io_snapshot (device_id, "push", &caps, users, templates, photos);
  bsd_push_caps_clear (&caps);
  return snap;
}

static BsdSnapshot *
vl_snapshot (guint device_id, guint face_major)
{
  return vl_photo_snapshot (device_id, face_major, NULL);
}

static void
test_snapshot (void)
{
  g_autoptr (BsdSnapshot) snap = vl_snapshot (2, 39);
  ZkUser *user;
  ZkTemplate *finger;

  g_assert_cmpuint (snap->users->len, ==, 1);
  user = snap->users->pdata[0];
  g_assert_cmpstr (user->user_id, ==, "7");
  g_assert_cmpuint (user->uid, ==, 1);
  /* [15CD5B07]: four bytes, least significant first */
  g_assert_cmpuint (user->card, ==, 0x075BCD15);
  g_assert_cmpuint (user->group, ==, 1);
  /* one template per finger, as a pull terminal holds it */
  g_assert_cmpuint (snap->templates->len, ==, 1);
  finger = snap->templates->pdata[0];
  g_assert_cmpuint (finger->uid, ==, 1);
  g_assert_cmpuint (finger->fid, ==, 3);
  g_assert_cmpstr (snap->fp_version, ==, "10");
  /* the VL face only, under a version no pull terminal says */
  g_assert_cmpuint (snap->faces->len, ==, 1);
  g_assert_true (snap->face_capable);
  g_assert_cmpstr (snap->face_version, ==, "VL 39");
  g_assert_cmpuint (snap->face_count, ==, 1);
}

/* a pull v10 terminal with PIN 9 and finger 6, and NIR faces of version 7 */
static BsdSnapshot *
pull_snapshot (guint device_id)
{
  BsdSnapshot *snap = bsd_snapshot_new (device_id, "pull");
  ZkUser *user = zk_user_new ();
  g_autoptr (GBytes) finger = finger_bytes (9);
  g_autoptr (GBytes) face = finger_bytes (10);

  snap->user_width = ZK_USER_SIZE_72;
  snap->fp_version = g_strdup ("10");
  snap->face_version = g_strdup ("7");
  snap->face_capable = TRUE;
  user->uid = 1;
  g_strlcpy (user->user_id, "9", sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("Bo");
  g_ptr_array_add (snap->users, user);
  g_ptr_array_add (snap->templates, zk_template_new (1, 6, 1, finger));
  g_ptr_array_add (snap->faces, zk_template_new (1, 0, 1, face));
  return snap;
}

static BsdPlan *
plan_of (BsdSnapshot *a, BsdSnapshot *b, BsdSnapshot *c)
{
  g_autoptr (BsdPlanInput) input = bsd_plan_input_new ();
  g_autoptr (GError) error = NULL;
  BsdPlan *plan;

  bsd_plan_input_add_snapshot (input, a);
  bsd_plan_input_add_snapshot (input, b);
  if (c)
    bsd_plan_input_add_snapshot (input, c);
  plan = bsd_plan_compute (input, &error);
  g_assert_no_error (error);
  return plan;
}

static guint
count_skips (const BsdDevicePlan *plan, BsdPlanItemKind kind, BsdSkipReason reason)
{
  guint n = 0;

  for (guint i = 0; i < plan->skips->len; i++)
    {
      BsdPlanSkip *skip = plan->skips->pdata[i];

      n += skip->kind == kind && skip->reason == reason;
    }
  return n;
}

static void
test_template_rules (void)
{
  g_autoptr (BsdPlan) plan = plan_of (pull_snapshot (1), vl_snapshot (2, 39), vl_snapshot (3, 40));
  BsdDevicePlan *pull = bsd_plan_get_device (plan, 1);
  BsdDevicePlan *vl39 = bsd_plan_get_device (plan, 2);
  BsdDevicePlan *vl40 = bsd_plan_get_device (plan, 3);

  /* fingerprints of version 10 go both ways */
  g_assert_cmpuint (pull->templates_add->len, ==, 1);
  g_assert_cmpuint (((BsdPlanTemplate *)pull->templates_add->pdata[0])->index, ==, 3);
  g_assert_cmpuint (vl39->templates_add->len, ==, 1);
  g_assert_cmpuint (((BsdPlanTemplate *)vl39->templates_add->pdata[0])->index, ==, 6);
  /* no face crosses kinds or face versions, and each skip says why */
  g_assert_cmpuint (pull->faces_add->len, ==, 0);
  g_assert_cmpuint (vl39->faces_add->len, ==, 0);
  g_assert_cmpuint (vl40->faces_add->len, ==, 0);
  g_assert_cmpuint (count_skips (pull, BSD_PLAN_ITEM_FACE, BSD_SKIP_FACE_VERSION), >, 0);
  g_assert_cmpuint (count_skips (vl39, BSD_PLAN_ITEM_FACE, BSD_SKIP_FACE_VERSION), >, 0);
}

static void
test_same_face_version (void)
{
  g_autoptr (BsdSnapshot) empty = NULL;
  g_autoptr (GPtrArray) none_u = g_ptr_array_new ();
  g_autoptr (GPtrArray) none_t = g_ptr_array_new ();
  g_autoptr (BsdPlan) plan = NULL;
  BsdPushCaps caps;

  bsd_push_caps_init (&caps, "2", VL_OPTIONS);
  empty = bsd_push_io_snapshot (3, "empty", &caps, none_u, none_t, NULL);
  bsd_push_caps_clear (&caps);
  plan = plan_of (pull_snapshot (1), vl_snapshot (2, 39), g_steal_pointer (&empty));
  /* an empty VL terminal of the same face version gets the face */
  g_assert_cmpuint (bsd_plan_get_device (plan, 3)->faces_add->len, ==, 1);
}

static const char *
write_of (GPtrArray *writes, BsdPlanItemKind kind)
{
  for (guint i = 0; i < writes->len; i++)
    {
      BsdPushWrite *write = writes->pdata[i];

      if (write->kind == kind)
        return write->command;
    }
  return NULL;
}

static void
test_writes (void)
{
  g_autoptr (GPtrArray) none_u = g_ptr_array_new ();
  g_autoptr (GPtrArray) none_t = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) writes = NULL;
  g_autoptr (GPtrArray) legacy = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdPushCaps caps, fp_caps;
  BsdDevicePlan *target;

  bsd_push_caps_init (&caps, "2", VL_OPTIONS);
  bsd_push_caps_init (&fp_caps, "2", FP_OPTIONS);
  plan = plan_of (vl_snapshot (1, 39),
                  bsd_push_io_snapshot (2, "empty", &caps, none_u, none_t, NULL), NULL);
  target = bsd_plan_get_device (plan, 2);
  writes = bsd_push_io_plan_writes (&caps, target, NULL, &error);
  g_assert_no_error (error);
  /* user, finger, face, in the order a pull apply writes them */
  g_assert_cmpuint (writes->len, ==, 3);
  g_assert_cmpint (((BsdPushWrite *)writes->pdata[0])->kind, ==, BSD_PLAN_ITEM_USER);
  g_assert_true (g_str_has_prefix (write_of (writes, BSD_PLAN_ITEM_USER),
                                   "DATA UPDATE USERINFO PIN=7\tName=Ana\tPri=0\tPasswd=\t"
                                   "Card=123456789\tGrp=1\t"));
  g_assert_true (g_str_has_prefix (write_of (writes, BSD_PLAN_ITEM_FINGER),
                                   "DATA UPDATE BIODATA Pin=7\tNo=3\tIndex=0\tValid=1\tDuress=0\t"
                                   "Type=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=TZhTUzIx"));
  g_assert_true (g_str_has_prefix (write_of (writes, BSD_PLAN_ITEM_FACE),
                                   "DATA UPDATE BIODATA Pin=7\tNo=0\tIndex=0\tValid=1\tDuress=0\t"
                                   "Type=9\tMajorVer=39\t"));
  /* a terminal without BIODATA for fingers takes FINGERTMP */
  legacy = bsd_push_io_plan_writes (&fp_caps, target, NULL, &error);
  g_assert_true (g_str_has_prefix (write_of (legacy, BSD_PLAN_ITEM_FINGER),
                                   "DATA UPDATE FINGERTMP PIN=7\tFID=3\tSize=160\tValid=1\tTMP="));
  bsd_push_caps_clear (&caps);
  bsd_push_caps_clear (&fp_caps);
}

/* an area sync's update of a PIN the terminal holds keeps its time
 * zones and verify mode: the planner's record has none */
static void
test_update_keeps_access (void)
{
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  g_autoptr (GPtrArray) none_t = g_ptr_array_new ();
  g_autoptr (GPtrArray) writes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  PushUser *old = push_user ("7", "Old", "[15CD5B07]");
  BsdDevicePlan *target;
  BsdPushCaps caps;

  g_free (old->time_zones);
  old->time_zones = g_strdup ("0001000200030000");
  old->verify = 15;
  g_ptr_array_add (held, old);
  bsd_push_caps_init (&caps, "2", VL_OPTIONS);
  /* the lowest device id wins the name: the terminal's record is updated */
  plan = plan_of (vl_snapshot (1, 39), bsd_push_io_snapshot (2, "held", &caps, held, none_t, NULL),
                  NULL);
  target = bsd_plan_get_device (plan, 2);
  g_assert_cmpuint (target->users_update->len, ==, 1);
  writes = bsd_push_io_plan_writes (&caps, target, held, &error);
  g_assert_no_error (error);
  g_assert_nonnull (write_of (writes, BSD_PLAN_ITEM_USER));
  g_assert_true (g_str_has_prefix (write_of (writes, BSD_PLAN_ITEM_USER),
                                   "DATA UPDATE USERINFO PIN=7\tName=Ana\t"));
  g_assert_nonnull (strstr (write_of (writes, BSD_PLAN_ITEM_USER), "\tTZ=0001000200030000\t"));
  g_assert_nonnull (strstr (write_of (writes, BSD_PLAN_ITEM_USER), "\tVerify=15"));
  bsd_push_caps_clear (&caps);
}

static guint
face_skips_of (const BsdDevicePlan *plan, const char *pin)
{
  guint n = 0;

  for (guint i = 0; i < plan->skips->len; i++)
    {
      BsdPlanSkip *skip = plan->skips->pdata[i];

      n += skip->kind == BSD_PLAN_ITEM_FACE && strcmp (skip->pin, pin) == 0;
    }
  return n;
}

static guint
count_skip_texts (const BsdDevicePlan *plan, const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < plan->skips->len; i++)
    n += strstr (((BsdPlanSkip *)plan->skips->pdata[i])->text, needle) != NULL;
  return n;
}

/* issue 13 §2: a face of another version goes as the person's comparison
 * photo to a unit that makes its own face from it, never to a pull terminal */
static void
test_photo_planned (void)
{
  g_autoptr (BsdPlan) plan
      = plan_of (pull_snapshot (1), vl_photo_snapshot (2, 39, push_photo (TRUE)),
                 empty_snapshot (3, PHOTO_OPTIONS ("40")));
  BsdDevicePlan *pull = bsd_plan_get_device (plan, 1);
  BsdDevicePlan *vl40 = bsd_plan_get_device (plan, 3);
  g_autoptr (JsonNode) json = bsd_plan_to_json (plan);
  JsonObject *totals = json_object_get_object_member (json_node_get_object (json), "totals");
  BsdPlanPhoto *photo;

  g_assert_cmpuint (vl40->photos_add->len, ==, 1);
  photo = vl40->photos_add->pdata[0];
  g_assert_cmpstr (photo->pin, ==, "7");
  g_assert_cmpuint (photo->source_device, ==, 2);
  /* the planned user's slot: the photo goes after the user */
  g_assert_cmpuint (photo->uid, ==, ((BsdPlanUser *)vl40->users_add->pdata[0])->uid);
  g_assert_cmpuint (g_bytes_get_size (photo->data), ==, 13);
  /* instead of the skip, not with it; no template of the other version */
  g_assert_cmpuint (vl40->faces_add->len, ==, 0);
  g_assert_cmpuint (face_skips_of (vl40, "7"), ==, 0);
  g_assert_cmpuint (vl40->counts.photos_add, ==, 1);
  g_assert_cmpint (json_object_get_int_member (totals, "photos_add"), ==, 1);
  g_assert_false (bsd_plan_is_empty (plan));
  /* a pull terminal's faces are another algorithm: no photo, the skip stays */
  g_assert_cmpuint (pull->photos_add->len, ==, 0);
  g_assert_cmpuint (face_skips_of (pull, "7"), ==, 1);
}

/* where no photo can go, the skip stays and says why */
static void
test_photo_skips (void)
{
  static const struct
  {
    const char *target_options;
    gboolean with_photo, biophoto;
    const char *why; /* in the skip's text, NULL = the plain version skip */
  } cases[] = {
    /* no photo known, or only a user photo (USERPIC: not for extraction) */
    { PHOTO_OPTIONS ("40"), FALSE, FALSE, "no comparison photo of the person is known" },
    { PHOTO_OPTIONS ("40"), TRUE, FALSE, "no comparison photo of the person is known" },
    /* a unit that does not make faces from photos, or not of type 9 */
    { "{\"FPVersion\":\"10\",\"FaceVersion\":\"40\",\"VisilightFun\":\"1\"}", TRUE, TRUE, NULL },
    { "{\"FPVersion\":\"10\",\"FaceVersion\":\"40\",\"VisilightFun\":\"1\",\"BioPhotoFun\":\"1\","
      "\"MultiBioPhotoSupport\":\"0:0:1:0:0:0:0:0:0:0\"}",
      TRUE, TRUE, NULL },
    { "{\"FPVersion\":\"10\",\"FaceVersion\":\"40\",\"VisilightFun\":\"1\",\"BioPhotoFun\":\"0\","
      "\"MultiBioPhotoSupport\":\"0:0:0:0:0:0:0:0:0:1\"}",
      TRUE, TRUE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BsdPlan) plan = plan_of (
          vl_photo_snapshot (1, 39, cases[i].with_photo ? push_photo (cases[i].biophoto) : NULL),
          empty_snapshot (2, cases[i].target_options), NULL);
      BsdDevicePlan *target = bsd_plan_get_device (plan, 2);

      g_assert_cmpuint (target->photos_add->len, ==, 0);
      g_assert_cmpuint (count_skips (target, BSD_PLAN_ITEM_FACE, BSD_SKIP_FACE_VERSION), ==, 1);
      g_assert_cmpuint (count_skip_texts (target, "photo"), ==, cases[i].why ? 1 : 0);
      if (cases[i].why)
        g_assert_cmpuint (count_skip_texts (target, cases[i].why), ==, 1);
    }
}

/* a face of the unit's own version goes as a template; a unit that holds
 * one for the person (it made it from the photo) gets no photo again */
static void
test_photo_not_needed (void)
{
  g_autoptr (BsdPlan) same = plan_of (vl_photo_snapshot (1, 39, push_photo (TRUE)),
                                      empty_snapshot (2, PHOTO_OPTIONS ("39")), NULL);
  g_autoptr (BsdPlan) made = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)push_template_free);
  BsdPushCaps caps;
  BsdSnapshot *holder;

  g_assert_cmpuint (bsd_plan_get_device (same, 2)->faces_add->len, ==, 1);
  g_assert_cmpuint (bsd_plan_get_device (same, 2)->photos_add->len, ==, 0);

  g_ptr_array_add (users, push_user ("7", "Ana", "[15CD5B07]"));
  /* its own face in another index than the source's */
  g_ptr_array_add (templates, push_template ("7", PUSH_BIO_FACE_VL, 0, 1, 40, 7));
  bsd_push_caps_init (&caps, "2", PHOTO_OPTIONS ("40"));
  holder = bsd_push_io_snapshot (2, "made", &caps, users, templates, NULL);
  bsd_push_caps_clear (&caps);
  made = plan_of (vl_photo_snapshot (1, 39, push_photo (TRUE)), holder, NULL);
  g_assert_cmpuint (bsd_plan_get_device (made, 2)->photos_add->len, ==, 0);
  g_assert_cmpuint (bsd_plan_get_device (made, 2)->faces_add->len, ==, 0);
  g_assert_cmpuint (count_skip_texts (bsd_plan_get_device (made, 2), "photo"), ==, 0);
}

/* the photo as a command: base64 with its Size, Format 0, PostBackTmpFlag
 * 1, last; bounded, and no field may open another */
static void
test_photo_writes (void)
{
  g_autoptr (BsdPlan) plan = plan_of (vl_photo_snapshot (1, 39, push_photo (TRUE)),
                                      empty_snapshot (2, PHOTO_OPTIONS ("40")), NULL);
  g_autoptr (PushPhoto) photo = push_photo (TRUE);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (photo->data, NULL), 13);
  g_autofree char *want_2 = g_strdup_printf (
      "DATA UPDATE BIOPHOTO PIN=7\tType=9\tSize=%zu\tContent=%s\tFormat=0\tPostBackTmpFlag=1",
      strlen (b64), b64);
  g_autofree char *want_3 = g_strdup_printf (
      "DATA UPDATE biophoto Pin=7\tType=9\tSize=%zu\tContent=%s\tFormat=0\tPostBackTmpFlag=1",
      strlen (b64), b64);
  g_autoptr (GPtrArray) writes = NULL;
  g_autoptr (GPtrArray) writes_3 = NULL;
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc0 (PUSH_PHOTO_MAX + 1), PUSH_PHOTO_MAX + 1);
  g_autoptr (GError) error = NULL;
  char *text;
  BsdPushCaps caps;
  BsdPushWrite *last;

  bsd_push_caps_init (&caps, "2", PHOTO_OPTIONS ("40"));
  g_assert_true (caps.bio_photo);
  writes = bsd_push_io_plan_writes (&caps, bsd_plan_get_device (plan, 2), NULL, &error);
  g_assert_no_error (error);
  last = writes->pdata[writes->len - 1];
  g_assert_cmpstr (last->command, ==, want_2);
  g_assert_cmpstr (last->action, ==, "photo");
  g_assert_cmpint (last->kind, ==, BSD_PLAN_ITEM_FACE);
  g_assert_cmpint (((BsdPushWrite *)writes->pdata[0])->kind, ==, BSD_PLAN_ITEM_USER);
  bsd_push_caps_clear (&caps);
  bsd_push_caps_init (&caps, "3", PHOTO_OPTIONS ("40"));
  writes_3 = bsd_push_io_plan_writes (&caps, bsd_plan_get_device (plan, 2), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((BsdPushWrite *)writes_3->pdata[writes_3->len - 1])->command, ==, want_3);
  bsd_push_caps_clear (&caps);

  text = push_format_biophoto_update (PUSH_DIALECT_2, "7", 9, big, &error);
  g_assert_error (error, PUSH_ERROR, PUSH_ERROR_INVALID);
  g_assert_null (text);
  g_clear_error (&error);
  text = push_format_biophoto_update (PUSH_DIALECT_2, "7\tType=1", 9, photo->data, &error);
  g_assert_error (error, PUSH_ERROR, PUSH_ERROR_UNSAFE);
  g_assert_null (text);
}

static void
test_queries (void)
{
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) info_types = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) queries = NULL;
  g_autoptr (GPtrArray) info = NULL;
  g_autoptr (GError) error = NULL;
  BsdPushCaps caps;

  bsd_push_caps_init (&caps, "2", "{}");
  g_assert_true (bsd_push_caps_unknown (&caps));
  info = bsd_push_io_queries (&caps, TRUE, info_types, &error);
  g_assert_cmpuint (info->len, ==, 1);
  g_assert_cmpstr (info->pdata[0], ==, "INFO");
  bsd_push_caps_clear (&caps);

  bsd_push_caps_init (&caps, "2", VL_OPTIONS);
  g_assert_false (bsd_push_caps_unknown (&caps));
  g_assert_cmpuint (caps.user_capacity, ==, 3000);
  queries = bsd_push_io_queries (&caps, FALSE, types, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queries->len, ==, 3);
  g_assert_cmpstr (queries->pdata[0], ==, "DATA QUERY USERINFO");
  g_assert_cmpstr (queries->pdata[1], ==, "DATA QUERY BIODATA Type=1");
  g_assert_cmpstr (queries->pdata[2], ==, "DATA QUERY BIODATA Type=9");
  g_assert_cmpuint (g_array_index (types, guint, 0), ==, BSD_PUSH_QUERY_USERS);
  g_assert_cmpuint (g_array_index (types, guint, 2), ==, PUSH_BIO_FACE_VL);
  bsd_push_caps_clear (&caps);
}

/* a 3.x unit refuses the 2.x names: its two tables, in its syntax */
static void
test_queries_3 (void)
{
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) queries = NULL;
  g_autoptr (GError) error = NULL;
  BsdPushCaps caps;

  bsd_push_caps_init (&caps, "3", VL_OPTIONS);
  queries = bsd_push_io_queries (&caps, FALSE, types, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queries->len, ==, 2);
  g_assert_cmpstr (queries->pdata[0], ==, "DATA QUERY tablename=user,fielddesc=*,filter=*");
  g_assert_cmpstr (queries->pdata[1], ==, "DATA QUERY tablename=biodata,fielddesc=*,filter=*");
  g_assert_cmpuint (g_array_index (types, guint, 0), ==, BSD_PUSH_QUERY_USERS);
  g_assert_cmpuint (g_array_index (types, guint, 1), ==, BSD_PUSH_QUERY_BIODATA);
  bsd_push_caps_clear (&caps);
}

/* the wait follows the terminal's own poll interval, within bounds */
static void
test_wait (void)
{
  static const struct
  {
    const char *dialect, *options;
    guint wait_s;
  } cases[] = {
    { "2", "{}", 3 * PUSH_DELAY_S + PUSH_ERROR_DELAY_S }, /* what the receiver tells it */
    { "2", "{\"Delay\":\"20\"}", 3 * 20 + PUSH_ERROR_DELAY_S },
    { "3", "{\"RequestDelay\":\"10\"}", 3 * 10 + PUSH_ERROR_DELAY_S },
    /* a 3.x unit's Delay is not its poll interval */
    { "3", "{\"Delay\":\"20\"}", 3 * PUSH_DELAY_S + PUSH_ERROR_DELAY_S },
    { "2", "{\"Delay\":\"86400\"}", 3 * BSD_PUSH_POLL_MAX_S + PUSH_ERROR_DELAY_S },
    { "2", "{\"Delay\":\"1\"}", 3 * BSD_PUSH_POLL_MIN_S + PUSH_ERROR_DELAY_S },
    { "2", "{\"Delay\":\"-5\"}", 3 * PUSH_DELAY_S + PUSH_ERROR_DELAY_S },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BsdPushCaps caps;

      bsd_push_caps_init (&caps, cases[i].dialect, cases[i].options);
      g_assert_cmpuint (bsd_push_caps_wait_s (&caps), ==, cases[i].wait_s);
      bsd_push_caps_clear (&caps);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push-io/snapshot", test_snapshot);
  g_test_add_func ("/push-io/template-rules", test_template_rules);
  g_test_add_func ("/push-io/same-face-version", test_same_face_version);
  g_test_add_func ("/push-io/writes", test_writes);
  g_test_add_func ("/push-io/update-keeps-access", test_update_keeps_access);
  g_test_add_func ("/push-io/photo-planned", test_photo_planned);
  g_test_add_func ("/push-io/photo-skips", test_photo_skips);
  g_test_add_func ("/push-io/photo-not-needed", test_photo_not_needed);
  g_test_add_func ("/push-io/photo-writes", test_photo_writes);
  g_test_add_func ("/push-io/queries", test_queries);
  g_test_add_func ("/push-io/queries-3", test_queries_3);
  g_test_add_func ("/push-io/wait", test_wait);
  return g_test_run ();
}
