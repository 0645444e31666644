/* The fd watcher: a uv_poll per fd, calling JS, or relaying eventfd rings. */
#include "famez.h"
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

/* A uv_poll on one fd that calls a JS function (events) when it is ready.
 * In eventfd mode the counter is drained here, before JS runs, because
 * uv_poll is level-triggered; the callback then gets the count. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref self;     /* strong while active: an active watcher is not GC'd */
  napi_ref callback;
  napi_async_context context;
  int fd;
  bool eventfd;
  int relay_fd;      /* eventfd mode: our dup() of the fd rings go straight to (-1: to JS) */
  double relayed;    /* rings relayed since JS last took the count */
  bool active;
  bool closed;      /* uv_close requested */
  bool finalized;   /* the JS object is gone */
} watcher_t;

static void watcher_free(uv_handle_t *h) {
  watcher_t *w = (watcher_t *)h->data;
  if (w->finalized) free(w);
  else w->closed = true, w->poll.data = NULL;
}

static void watcher_release(watcher_t *w) {
  if (w->active) {
    uv_poll_stop(&w->poll);
    w->active = false;
    uint32_t rc;
    napi_reference_unref(w->env, w->self, &rc);
  }
}

static void watcher_fire(uv_poll_t *handle, int status, int events) {
  watcher_t *w = (watcher_t *)handle->data;
  if (!w || !w->active || !w->callback) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[2], cb, recv, result;
  if (status < 0) {
    argv[0] = make_int(env, -1);
    argv[1] = make_int(env, status);
  } else if (w->eventfd) {
    int64_t count = drain_eventfd(w->fd, 0);
    if (count == 0) goto out; /* somebody else drained it: nothing to say */
    if (count < 0) {
      /* Not an eventfd (or gone): stop, or the level-triggered poll spins. */
      watcher_release(w);
      argv[0] = make_int(env, -1);
      argv[1] = make_int(env, count);
      goto call;
    }
    if (count > 0 && w->relay_fd >= 0) {
      /* Relayed without entering JS; only a failed write (the counter is
       * full, the fd gone) is JS's to decide. */
      uint64_t value = (uint64_t)count;
      ssize_t n;
      do n = write(w->relay_fd, &value, sizeof value);
      while (n < 0 && errno == EINTR);
      if (n == sizeof value) {
        w->relayed += (double)count;
        goto out;
      }
    }
    argv[0] = make_int(env, events);
    argv[1] = make_double(env, (double)count);
  } else {
    argv[0] = make_int(env, events);
    argv[1] = make_int(env, 0);
  }
call:
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_reference_value(env, w->self, &recv);
  /* napi_make_callback's steps, opened up: a callback may return an eventfd
   * to ring (sys.ringEventfdSoon), which is rung here, before the scope's
   * close runs promise jobs and ticks (JS that might close that fd), and
   * without a call of its own into the addon. */
  napi_callback_scope scope_cb;
  napi_value error = NULL;
  if (napi_open_callback_scope(env, recv, w->context, &scope_cb) != napi_ok) goto out;
  int32_t ring_fd;
  if (napi_call_function(env, recv, cb, 2, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending || napi_get_and_clear_last_exception(env, &error) != napi_ok) error = NULL;
  } else if (napi_get_value_int32(env, result, &ring_fd) == napi_ok && ring_fd >= 0) {
    uint64_t one = 1; /* a full counter or a closed fd: the ring is lost, as a failed ringEventfd's */
    ssize_t n;
    do n = write(ring_fd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
  }
  napi_close_callback_scope(env, scope_cb);
  /* Surface a throw as an uncaught exception now, not from a later call. */
  if (error) napi_fatal_exception(env, error);
out:
  napi_close_handle_scope(env, scope);
}

static int poll_events(int64_t mask) {
  return ((mask & 1) ? UV_READABLE : 0) | ((mask & 2) ? UV_WRITABLE : 0);
}

/* Closes our duplicate of the relay target. */
static void drop_relay(watcher_t *w) {
  if (w->relay_fd >= 0) close(w->relay_fd);
  w->relay_fd = -1;
}

/* Lets go of the JS callback: whatever it holds (the peer, its watcher)
 * becomes collectable; without this a closed watcher leaks them. */
static void drop_callback(napi_env env, watcher_t *w) {
  if (w->callback) napi_delete_reference(env, w->callback);
  w->callback = NULL;
}

static watcher_t *unwrap_watcher(napi_env env, napi_callback_info info,
                                 size_t n, napi_value *argv) {
  napi_value self;
  size_t argc = n;
  watcher_t *w = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  for (size_t i = argc; i < n; i++) argv[i] = undefined(env);
  if (napi_unwrap(env, self, (void **)&w) != napi_ok || !w) {
    throw_type(env, "not a Watcher");
    return NULL;
  }
  return w;
}

/* watcher.start(mask): 1 readable, 2 writable, 3 both. */
static napi_value watcher_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t mask;
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (!arg_int(env, argv[0], &mask) || mask < 1 || mask > 3)
    return throw_type(env, "start(mask: 1 | 2 | 3)");
  if (w->closed || w->poll.data == NULL) return throw_errno(env, EBADF, "uv_poll_start");
  int r = uv_poll_start(&w->poll, poll_events(mask), watcher_fire);
  if (r < 0) return throw_errno(env, -r, "uv_poll_start");
  if (!w->active) {
    uint32_t rc;
    napi_reference_ref(env, w->self, &rc);
    w->active = true;
  }
  return undefined(env);
}

/* watcher.stop(): no more calls; the watcher can be started again. */
static napi_value watcher_stop(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  watcher_release(w);
  return undefined(env);
}

/* watcher.close(): stop for good and release the uv handle. Call it before
 * closing the fd. */
static napi_value watcher_close(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  watcher_release(w);
  drop_relay(w);
  drop_callback(env, w);
  if (!w->closed && w->poll.data) {
    w->closed = true;
    uv_close((uv_handle_t *)&w->poll, watcher_free);
  }
  return undefined(env);
}

/* watcher.relay(fd): eventfd mode, each ring is written to fd at once, not
 * given to the callback (fd -1: back to the callback). The watcher writes to
 * its own dup() of fd, closed with it: closing fd and reusing its number
 * cannot send rings elsewhere. */
static napi_value watcher_relay(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (!w->eventfd || !arg_int(env, argv[0], &fd) || fd < -1 || fd > INT_MAX)
    return throw_type(env, "relay(fd: number | -1) on an eventfd watcher");
  int copy = -1;
  if (fd >= 0 && (copy = fcntl((int)fd, F_DUPFD_CLOEXEC, 3)) < 0) return throw_errno(env, errno, "dup");
  drop_relay(w);
  w->relay_fd = w->closed ? (close(copy), -1) : copy;
  return undefined(env);
}

/* watcher.takeRelayed(): rings relayed since the last call. */
static napi_value watcher_take_relayed(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  double relayed = w->relayed;
  w->relayed = 0;
  return make_double(env, relayed);
}

static napi_value watcher_set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (w->poll.data && !w->closed) {
    if (arg_bool(env, argv[0])) uv_ref((uv_handle_t *)&w->poll);
    else uv_unref((uv_handle_t *)&w->poll);
  }
  return undefined(env);
}

static void watcher_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watcher_t *w = (watcher_t *)data;
  drop_callback(env, w);
  drop_relay(w);
  napi_delete_reference(env, w->self);
  napi_async_destroy(env, w->context);
  w->finalized = true;
  if (w->poll.data == NULL) { /* uv handle already closed */
    free(w);
    return;
  }
  if (!w->closed) {
    uv_poll_stop(&w->poll);
    w->closed = true;
    w->active = false;
    uv_close((uv_handle_t *)&w->poll, watcher_free);
  }
  /* else: the pending close callback frees it */
}

/* new Watcher(fd, callback, eventfdMode) */
static napi_value watcher_new(napi_env env, napi_callback_info info) {
  napi_value argv[3], self, name;
  size_t argc = 3;
  int fd;
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  for (size_t i = argc; i < 3; i++) argv[i] = undefined(env);
  if (!arg_fd(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok ||
      t != napi_function)
    return throw_type(env, "new Watcher(fd: number, callback: function, eventfd: boolean)");
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc");
  w->env = env;
  w->fd = fd;
  w->eventfd = arg_bool(env, argv[2]);
  w->relay_fd = -1;
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) {
    free(w);
    return throw_errno(env, -r, "uv_poll_init");
  }
  w->poll.data = w;
  napi_create_string_utf8(env, "famez:watcher", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &w->context);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_wrap(env, self, w, watcher_finalize, NULL, &w->self); /* weak (0) */
  return self;
}

bool watcher_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"start", NULL, watcher_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, watcher_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, watcher_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRef", NULL, watcher_set_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relay", NULL, watcher_relay, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeRelayed", NULL, watcher_take_relayed, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value ctor;
  return napi_define_class(env, "Watcher", NAPI_AUTO_LENGTH, watcher_new, NULL,
                           sizeof methods / sizeof methods[0], methods, &ctor) == napi_ok &&
         napi_set_named_property(env, exports, "Watcher", ctor) == napi_ok;
}
