/* bsd-scheduler.c — the auto_device_sync and log collection timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signals:
 *   due (BsdScheduleKind kind): a run of @kind should start now. The
 *     handler starts it and calls bsd_scheduler_set_busy() until it ends.
 *   changed (BsdScheduleKind kind): next/last times of @kind changed.
 */
#include "config.h"

#include "bsd-scheduler.h"

/* how often the wall clock is compared with the monotonic one */
#define DRIFT_CHECK_S 30
/* a wall-clock move larger than this re-publishes the next times */
#define DRIFT_TOLERANCE_US (2 * G_USEC_PER_SEC)
/* an overdue run starts a sixth of a minute (10 s) after it is armed:
 * time for the start-up recovery and a settings change to settle */
#define CATCH_UP_PER_UNIT 6

typedef struct
{
  gboolean enabled;
  guint interval_minutes;
  gint64 deadline; /* monotonic µs, 0 = none */
  guint64 next_wall;
  guint64 last_wall;
  gboolean busy;
  guint skipped;
  GSource *timer;
} Schedule;

struct _BsdScheduler
{
  GObject parent_instance;

  guint unit_ms;
  Schedule schedules[2];
  guint64 since_wall; /* counting started here for a kind that never ran */
  GSource *drift_timer;
  gint64 wall_minus_mono; /* at the last publication */
};

enum
{
  SIGNAL_DUE,
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BsdScheduler, bsd_scheduler, G_TYPE_OBJECT)

static void arm (BsdScheduler *self, BsdScheduleKind kind, guint64 delay_ms);
static void arm_from_last (BsdScheduler *self, BsdScheduleKind kind);

static void
publish (BsdScheduler *self, BsdScheduleKind kind)
{
  Schedule *s = &self->schedules[kind];
  gint64 now_mono = g_get_monotonic_time ();
  gint64 now_wall = g_get_real_time ();
  guint64 next = s->deadline ? (guint64)(now_wall + MAX (s->deadline - now_mono, 0)) : 0;

  self->wall_minus_mono = now_wall - now_mono;
  /* second resolution: nobody needs the microseconds to wiggle */
  next -= next % G_USEC_PER_SEC;
  if (next != s->next_wall)
    {
      s->next_wall = next;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, kind);
    }
}

static gboolean
fire_cb (gpointer user_data)
{
  GSource *source = g_main_current_source ();
  BsdScheduler *self = user_data;
  BsdScheduleKind kind = self->schedules[BSD_SCHEDULE_AUTO_SYNC].timer == source
                             ? BSD_SCHEDULE_AUTO_SYNC
                             : BSD_SCHEDULE_LOGS;
  Schedule *s = &self->schedules[kind];

  g_clear_pointer (&s->timer, g_source_unref);
  if (s->busy)
    {
      s->skipped++;
      g_debug ("scheduler: %s still running, this run is skipped",
               kind == BSD_SCHEDULE_AUTO_SYNC ? "auto_device_sync" : "log collection");
    }
  else
    {
      s->last_wall = (guint64)g_get_real_time ();
      g_signal_emit (self, signals[SIGNAL_DUE], 0, kind);
    }
  /* run or skipped, the next one is an interval from now */
  arm (self, kind, (guint64)s->interval_minutes * self->unit_ms);
  return G_SOURCE_REMOVE;
}

static void
arm (BsdScheduler *self, BsdScheduleKind kind, guint64 delay_ms)
{
  Schedule *s = &self->schedules[kind];

  if (s->timer)
    {
      g_source_destroy (s->timer);
      g_clear_pointer (&s->timer, g_source_unref);
    }
  if (!s->enabled || s->interval_minutes == 0)
    s->deadline = 0;
  else
    {
      s->deadline = g_get_monotonic_time () + (gint64)delay_ms * 1000;
      /* a GLib timeout runs on the monotonic clock */
      s->timer = g_timeout_source_new ((guint)MIN (delay_ms, G_MAXUINT));
      g_source_set_callback (s->timer, fire_cb, self, NULL);
      g_source_set_name (s->timer, "biosync scheduler");
      g_source_attach (s->timer, g_main_context_get_thread_default ());
    }
  publish (self, kind);
}

/* due an interval after the last run (or, never run, after counting
 * started), also across restarts: a restart never postpones a run. An
 * overdue run starts soon; a last run in the future (the wall clock went
 * back) counts as now */
static void
arm_from_last (BsdScheduler *self, BsdScheduleKind kind)
{
  Schedule *s = &self->schedules[kind];
  guint64 interval_ms = (guint64)s->interval_minutes * self->unit_ms;
  gint64 now = g_get_real_time ();
  gint64 reference = s->last_wall ? (gint64)s->last_wall : (gint64)self->since_wall;
  gint64 due_ms;

  if (reference == 0 || reference > now)
    reference = now;
  due_ms = (reference - now) / 1000 + (gint64)interval_ms;
  if (due_ms <= 0)
    arm (self, kind, self->unit_ms / CATCH_UP_PER_UNIT);
  else
    arm (self, kind, (guint64)due_ms);
}

static gboolean
drift_cb (gpointer user_data)
{
  BsdScheduler *self = user_data;
  gint64 delta = (g_get_real_time () - g_get_monotonic_time ()) - self->wall_minus_mono;

  /* the wall clock jumped (NTP step, manual change): the deadlines stand,
   * their wall-clock forms move */
  if (ABS (delta) > DRIFT_TOLERANCE_US)
    {
      publish (self, BSD_SCHEDULE_AUTO_SYNC);
      publish (self, BSD_SCHEDULE_LOGS);
    }
  return G_SOURCE_CONTINUE;
}

void
bsd_scheduler_set_auto_sync (BsdScheduler *self, gboolean enabled, guint interval_minutes)
{
  Schedule *s = &self->schedules[BSD_SCHEDULE_AUTO_SYNC];

  g_return_if_fail (BSD_IS_SCHEDULER (self));
  s->enabled = enabled;
  s->interval_minutes = MAX (interval_minutes, 1);
  arm_from_last (self, BSD_SCHEDULE_AUTO_SYNC);
}

void
bsd_scheduler_set_log_interval (BsdScheduler *self, guint interval_minutes)
{
  Schedule *s = &self->schedules[BSD_SCHEDULE_LOGS];

  g_return_if_fail (BSD_IS_SCHEDULER (self));
  s->enabled = interval_minutes > 0;
  s->interval_minutes = interval_minutes;
  arm_from_last (self, BSD_SCHEDULE_LOGS);
}

void
bsd_scheduler_set_busy (BsdScheduler *self, BsdScheduleKind kind, gboolean busy)
{
  g_return_if_fail (BSD_IS_SCHEDULER (self));
  self->schedules[kind].busy = busy;
}

gboolean
bsd_scheduler_get_busy (BsdScheduler *self, BsdScheduleKind kind)
{
  return self->schedules[kind].busy;
}

guint64
bsd_scheduler_get_next (BsdScheduler *self, BsdScheduleKind kind)
{
  return self->schedules[kind].next_wall;
}

guint64
bsd_scheduler_get_last (BsdScheduler *self, BsdScheduleKind kind)
{
  return self->schedules[kind].last_wall;
}

void
bsd_scheduler_set_last (BsdScheduler *self, BsdScheduleKind kind, guint64 wall_usec)
{
  self->schedules[kind].last_wall = wall_usec;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, kind);
}

void
bsd_scheduler_set_since (BsdScheduler *self, guint64 wall_usec)
{
  g_return_if_fail (BSD_IS_SCHEDULER (self));
  self->since_wall = wall_usec;
}

guint
bsd_scheduler_get_skipped (BsdScheduler *self, BsdScheduleKind kind)
{
  return self->schedules[kind].skipped;
}

static void
bsd_scheduler_dispose (GObject *object)
{
  BsdScheduler *self = BSD_SCHEDULER (object);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (self->schedules); i++)
    if (self->schedules[i].timer)
      {
        g_source_destroy (self->schedules[i].timer);
        g_clear_pointer (&self->schedules[i].timer, g_source_unref);
      }
  if (self->drift_timer)
    {
      g_source_destroy (self->drift_timer);
      g_clear_pointer (&self->drift_timer, g_source_unref);
    }
  G_OBJECT_CLASS (bsd_scheduler_parent_class)->dispose (object);
}

static void
bsd_scheduler_class_init (BsdSchedulerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_scheduler_dispose;

  signals[SIGNAL_DUE] = g_signal_new ("due", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
bsd_scheduler_init (BsdScheduler *self)
{
  self->unit_ms = 60000;
}

BsdScheduler *
bsd_scheduler_new (guint unit_ms)
{
  BsdScheduler *self = g_object_new (BSD_TYPE_SCHEDULER, NULL);

  self->unit_ms = MAX (unit_ms, 1);
  self->wall_minus_mono = g_get_real_time () - g_get_monotonic_time ();
  self->drift_timer = g_timeout_source_new_seconds (DRIFT_CHECK_S);
  g_source_set_callback (self->drift_timer, drift_cb, self, NULL);
  g_source_attach (self->drift_timer, g_main_context_get_thread_default ());
  return self;
}
