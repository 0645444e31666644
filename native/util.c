/* Errors and argument checks shared by every unit. */
#include "famez.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

napi_value fail_napi(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "ENAPI",
                     info && info->error_message ? info->error_message : what);
  }
  return NULL;
}

/* Throw Error("<syscall>: <message>") with code, errno and syscall set. */
napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *name = strerrorname_np(err);
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, name ? name : "E?",
           strerror(err));
  napi_value msg, code, error, num, sc;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH,
                          &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

/* A call on a new fd failed: throw its errno (saved before close can change it) and close the fd. */
napi_value close_and_throw_errno(napi_env env, int fd, const char *syscall) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, syscall);
}

napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value make_double(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

napi_value make_bool(napi_env env, bool v) {
  napi_value out;
  napi_get_boolean(env, v, &out);
  return out;
}

napi_value undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

bool get_args(napi_env env, napi_callback_info info, size_t want,
                     napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
    return false;
  for (size_t i = argc; i < want; i++) argv[i] = undefined(env);
  return true;
}

/* A finite integer within int64 (fractions, NaN and infinities refused). */
bool arg_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d)
    return false;
  *out = (int64_t)d;
  return true;
}

bool arg_fd(napi_env env, napi_value v, int *fd) {
  int64_t n;
  if (!arg_int(env, v, &n) || n < 0 || n > INT_MAX) return false;
  *fd = (int)n;
  return true;
}

/* A non-negative integer that a double holds exactly (sizes, offsets). */
bool arg_size(napi_env env, napi_value v, uint64_t *out) {
  double d;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d > 9007199254740991.0 || d != (double)(uint64_t)d)
    return false;
  *out = (uint64_t)d;
  return true;
}

bool arg_bool(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

/* Copies a JS string into buf; false if it is not a string or too long. */
bool arg_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok)
    return false;
  return len < size - 1 && strlen(buf) == len;
}

