/*
 * famez native layer: the operating-system primitives Node.js lacks.
 * One unit per concern: util.c (arguments and errors), socket.c (UNIX
 * sockets, fd passing), eventfd.c, eventfd-set.c (epoll), memory.c (shm, files, mmap), guard.c
 * (mappings a peer may shrink), watcher.c (uv_poll, relay); module.c
 * registers the exports. Plain C, Node-API version 8.
 * Every failure throws an Error with .code (errno name), .errno, .syscall.
 */
#ifndef FAMEZ_H
#define FAMEZ_H

#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) return fail_napi(env, #call);                       \
  } while (0)

/* util.c: errors and arguments */
napi_value fail_napi(napi_env env, const char *what);
napi_value throw_errno(napi_env env, int err, const char *syscall);
napi_value close_and_throw_errno(napi_env env, int fd, const char *syscall);
napi_value throw_type(napi_env env, const char *message);
napi_value make_int(napi_env env, int64_t v);
napi_value make_double(napi_env env, double v);
napi_value make_bool(napi_env env, bool v);
napi_value undefined(napi_env env);
bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
bool arg_int(napi_env env, napi_value v, int64_t *out);
bool arg_fd(napi_env env, napi_value v, int *fd);
bool arg_size(napi_env env, napi_value v, uint64_t *out);
bool arg_bool(napi_env env, napi_value v);
bool arg_string(napi_env env, napi_value v, char *buf, size_t size);

/* eventfd.c: reads and resets a counter without blocking past timeout_ms
 * (0 = nothing pending; <0 = -errno). */
int64_t drain_eventfd(int fd, int timeout_ms);
/* Whether drains read with preadv2(RWF_NOWAIT): probed once, at the first call. */
bool eventfd_nowait_reads(void);

/* guard.c: mappings that survive their file shrinking */
bool guard_add(void *start, size_t length, int prot); /* page-aligned range */
void guard_remove(void *start);
bool guard_lookup(void *start, int *prot, bool *broken); /* false: not registered */
void guard_mark(void *start, bool broken);
_Atomic unsigned long *guard_breaks_word(void); /* where that count lives */

/* The exported functions, by unit (module.c lists them). */
#define FAMEZ_EXPORTS(X)                                                       \
  X("listen", sock_listen) X("accept", sock_accept)                            \
  X("adoptListener", sock_adopt_listener) X("connect", sock_connect)           \
  X("close", fd_close) X("peerCredentials", sock_peer_cred)                    \
  X("send", sock_send) X("receive", sock_receive)                              \
  X("eventfd", efd_create) X("eventfdWrite", efd_write)                        \
  X("eventfdRead", efd_read) X("eventfdWait", efd_wait)                        \
  X("eventfdRingWait", efd_ring_wait)                                          \
  X("eventfdSetBlocking", efd_set_blocking)                                    \
  X("eventfdSetCreate", efd_set_create) X("eventfdSetWait", efd_set_wait)      \
  X("isEventfd", efd_is_eventfd) X("eventfdReadMode", efd_read_mode)           \
  X("shmOpen", shm_open_js) X("shmUnlink", shm_unlink_js)                      \
  X("openFile", file_open) X("openInDirectory", file_open_in_dir)              \
  X("memfdCreate", memfd_create_js) X("ftruncate", file_truncate)              \
  X("fallocate", file_allocate) X("fstat", file_stat) X("fsync", file_sync)    \
  X("map", mem_map) X("unmap", mem_unmap) X("msync", mem_sync)                 \
  X("mappingBroken", mem_broken) X("remap", mem_remap)                       \
  X("mappingBreaksWord", mem_breaks_word)                                      \
  X("redirectStdio", fd_redirect_stdio)

#define DECLARE(name, fn) napi_value fn(napi_env env, napi_callback_info info);
FAMEZ_EXPORTS(DECLARE)
#undef DECLARE

/* watcher.c: defines the Watcher class on exports */
bool watcher_register(napi_env env, napi_value exports);

#endif
