/* test-session-gate.c — the global cap on device sessions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bsd-session-gate.h"

typedef struct
{
  BsdSessionGate *gate;
  GMutex lock;
  guint per_device[4];
  guint open;
  guint max_open;
  gboolean overlap; /* two sessions on one device */
} Shared;

typedef struct
{
  Shared *shared;
  guint device;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  Shared *s = w->shared;
  guint round;

  for (round = 0; round < 20; round++)
    {
      g_assert_true (bsd_session_gate_acquire (s->gate, w->device, NULL, NULL));
      g_mutex_lock (&s->lock);
      if (++s->per_device[w->device] > 1)
        s->overlap = TRUE;
      s->open++;
      s->max_open = MAX (s->max_open, s->open);
      g_mutex_unlock (&s->lock);

      g_usleep (200);

      g_mutex_lock (&s->lock);
      s->per_device[w->device]--;
      s->open--;
      g_mutex_unlock (&s->lock);
      bsd_session_gate_release (s->gate, w->device);
    }
  return NULL;
}

static void
test_cap_and_exclusion (void)
{
  Shared s = { 0 };
  Worker workers[12];
  GThread *threads[12];
  guint i;

  g_mutex_init (&s.lock);
  s.gate = bsd_session_gate_new (2);
  for (i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      workers[i].shared = &s;
      workers[i].device = i % 4; /* three workers compete for each device */
      threads[i] = g_thread_new ("worker", worker_run, &workers[i]);
    }
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_false (s.overlap);
  g_assert_cmpuint (s.max_open, <=, 2);
  g_assert_cmpuint (bsd_session_gate_get_peak (s.gate), ==, 2);
  g_assert_cmpuint (bsd_session_gate_get_open (s.gate), ==, 0);
  g_object_unref (s.gate);
  g_mutex_clear (&s.lock);
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (50 * 1000);
  cancel_later (data);
  return NULL;
}

static void
test_cancel_while_waiting (void)
{
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (1);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  GThread *thread;

  g_assert_true (bsd_session_gate_acquire (gate, 1, NULL, NULL));
  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  /* the cap is reached: this waits until the cancellable fires */
  g_assert_false (bsd_session_gate_acquire (gate, 2, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_thread_join (thread);
  g_assert_cmpuint (bsd_session_gate_get_open (gate), ==, 1);
  bsd_session_gate_release (gate, 1);
  g_assert_cmpuint (bsd_session_gate_get_open (gate), ==, 0);
}

static void
test_raise_cap_wakes_waiters (void)
{
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (1);

  g_assert_true (bsd_session_gate_acquire (gate, 1, NULL, NULL));
  bsd_session_gate_set_max (gate, 3);
  g_assert_cmpuint (bsd_session_gate_get_max (gate), ==, 3);
  g_assert_true (bsd_session_gate_acquire (gate, 2, NULL, NULL));
  g_assert_true (bsd_session_gate_acquire (gate, 3, NULL, NULL));
  g_assert_cmpuint (bsd_session_gate_get_open (gate), ==, 3);
  bsd_session_gate_set_max (gate, 0); /* clamped to 1 */
  g_assert_cmpuint (bsd_session_gate_get_max (gate), ==, 1);
  bsd_session_gate_release (gate, 1);
  bsd_session_gate_release (gate, 2);
  bsd_session_gate_release (gate, 3);
}

typedef struct
{
  BsdSessionGate *gate;
  guint device;
  GAsyncQueue *order; /* device ids, in the order their sessions opened */
} Waiting;

static gpointer
wait_and_record (gpointer data)
{
  Waiting *w = data;

  g_assert_true (bsd_session_gate_acquire (w->gate, w->device, NULL, NULL));
  g_async_queue_push (w->order, GUINT_TO_POINTER (w->device));
  bsd_session_gate_release (w->gate, w->device);
  return NULL;
}

static void
wait_until_waiting (BsdSessionGate *gate, guint n)
{
  while (bsd_session_gate_get_waiting (gate) < n)
    g_usleep (1000);
}

/* a freed slot goes to the longest waiter: a worker that asked early is
 * never overtaken by later ones (with a plain broadcast any may win) */
static void
test_first_come_first_served (void)
{
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (1);
  g_autoptr (GAsyncQueue) order = g_async_queue_new ();
  Waiting waiting[6];
  GThread *threads[6];
  guint i;

  g_assert_true (bsd_session_gate_acquire (gate, 100, NULL, NULL));
  for (i = 0; i < G_N_ELEMENTS (waiting); i++)
    {
      waiting[i] = (Waiting){ gate, i + 1, order };
      threads[i] = g_thread_new ("waiting", wait_and_record, &waiting[i]);
      wait_until_waiting (gate, i + 1);
    }
  bsd_session_gate_release (gate, 100);
  for (i = 0; i < G_N_ELEMENTS (waiting); i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_async_queue_pop (order)), ==, i + 1);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_assert_cmpuint (bsd_session_gate_get_waiting (gate), ==, 0);
  g_assert_cmpuint (bsd_session_gate_get_open (gate), ==, 0);
}

/* a waiter whose device is busy does not hold up a free slot for others */
static void
test_busy_device_does_not_block (void)
{
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (2);
  g_autoptr (GAsyncQueue) order = g_async_queue_new ();
  Waiting same = { gate, 1, order };
  GThread *thread;

  g_assert_true (bsd_session_gate_acquire (gate, 1, NULL, NULL));
  thread = g_thread_new ("same-device", wait_and_record, &same);
  wait_until_waiting (gate, 1);
  /* device 1 waits for itself; device 2 takes the second slot at once */
  g_assert_true (bsd_session_gate_acquire (gate, 2, NULL, NULL));
  g_assert_cmpuint (bsd_session_gate_get_open (gate), ==, 2);
  bsd_session_gate_release (gate, 2);
  bsd_session_gate_release (gate, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_async_queue_pop (order)), ==, 1);
  g_thread_join (thread);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session-gate/cap-and-exclusion", test_cap_and_exclusion);
  g_test_add_func ("/session-gate/cancel", test_cancel_while_waiting);
  g_test_add_func ("/session-gate/raise-cap", test_raise_cap_wakes_waiters);
  g_test_add_func ("/session-gate/first-come-first-served", test_first_come_first_served);
  g_test_add_func ("/session-gate/busy-device-does-not-block", test_busy_device_does_not_block);
  return g_test_run ();
}
