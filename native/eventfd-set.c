/* A set of eventfds one thread waits on together: an epoll instance. For a
 * worker thread given several doorbells (a switch's, one per sender), so that
 * it wakes straight from the kernel, not through the event loop. */
#include "famez.h"

#include <errno.h>
#include <limits.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_READY 64

/* eventfdSetCreate(fds): an epoll fd watching each fd for input; a ready one
 * is reported by its index in fds. */
napi_value efd_set_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t length;
  bool is_array;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &length) != napi_ok)
    return throw_type(env, "eventfdSetCreate(fds: number[])");
  int set = epoll_create1(EPOLL_CLOEXEC);
  if (set < 0) return throw_errno(env, errno, "epoll_create1");
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    int fd;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok || !arg_fd(env, element, &fd)) {
      close(set);
      return throw_type(env, "eventfdSetCreate(fds: number[])");
    }
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = ((uint64_t)(uint32_t)fd << 32) | i};
    if (epoll_ctl(set, EPOLL_CTL_ADD, fd, &event) < 0) return close_and_throw_errno(env, set, "epoll_ctl");
  }
  return make_int(env, set);
}

/* eventfdSetWait(set, ready: Int32Array, counts: Float64Array, timeoutMs):
 * BLOCKS until one of the set rings (or timeoutMs pass; -1 = no limit), then
 * drains each that rang: their indexes in ready, their counts in counts; the
 * number of them, 0 on timeout. */
napi_value efd_set_wait(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int set;
  int64_t timeout;
  napi_typedarray_type ready_type, counts_type;
  size_t ready_length, counts_length;
  void *ready_data, *counts_data;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!arg_fd(env, argv[0], &set) || !arg_int(env, argv[3], &timeout) || timeout < -1 || timeout > INT_MAX ||
      napi_get_typedarray_info(env, argv[1], &ready_type, &ready_length, &ready_data, NULL, NULL) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &counts_type, &counts_length, &counts_data, NULL, NULL) != napi_ok ||
      ready_type != napi_int32_array || counts_type != napi_float64_array || ready_length == 0 ||
      counts_length < ready_length)
    return throw_type(env,
                      "eventfdSetWait(set: number, ready: Int32Array, counts: Float64Array as long, timeoutMs: integer >= -1)");
  struct epoll_event events[MAX_READY];
  int max = ready_length < MAX_READY ? (int)ready_length : MAX_READY;
  int n;
  do n = epoll_wait(set, events, max, (int)timeout);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "epoll_wait");
  int32_t *ready = ready_data;
  double *counts = counts_data;
  int found = 0;
  for (int i = 0; i < n; i++) {
    int64_t count = drain_eventfd((int)(events[i].data.u64 >> 32), 0);
    if (count < 0) return throw_errno(env, (int)-count, "read");
    if (count == 0) continue; /* taken by another reader first */
    ready[found] = (int32_t)(events[i].data.u64 & 0xffffffffu);
    counts[found++] = (double)count;
  }
  return make_int(env, found);
}
