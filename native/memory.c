/* Shared-memory objects, files and mappings. */
#include "famez.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_flags(napi_env env, napi_value opts) {
  napi_value v;
  int flags = O_CLOEXEC;
  bool has;
  napi_has_named_property(env, opts, "readOnly", &has);
  if (has && (napi_get_named_property(env, opts, "readOnly", &v), arg_bool(env, v)))
    flags |= O_RDONLY;
  else
    flags |= O_RDWR;
  napi_has_named_property(env, opts, "create", &has);
  if (has && (napi_get_named_property(env, opts, "create", &v), arg_bool(env, v)))
    flags |= O_CREAT;
  napi_has_named_property(env, opts, "exclusive", &has);
  if (has && (napi_get_named_property(env, opts, "exclusive", &v), arg_bool(env, v)))
    flags |= O_EXCL;
  return flags;
}

static bool get_open_args(napi_env env, napi_callback_info info, char *name,
                          size_t size, int *flags, int64_t *mode) {
  napi_value argv[3];
  napi_valuetype t;
  if (!get_args(env, info, 3, argv)) return false;
  if (!arg_string(env, argv[0], name, size) ||
      napi_typeof(env, argv[1], &t) != napi_ok || t != napi_object ||
      !arg_int(env, argv[2], mode)) {
    throw_type(env, "(name: string, { create?, exclusive?, readOnly? }, mode: number)");
    return false;
  }
  *flags = open_flags(env, argv[1]);
  return true;
}

/* shmOpen(name, flags, mode) -> fd of a POSIX shared-memory object. */
napi_value shm_open_js(napi_env env, napi_callback_info info) {
  char name[NAME_MAX + 2];
  int flags;
  int64_t mode;
  if (!get_open_args(env, info, name, sizeof name, &flags, &mode)) return NULL;
  int fd = shm_open(name, flags, (mode_t)mode);
  if (fd < 0) return throw_errno(env, errno, "shm_open");
  return make_int(env, fd);
}

napi_value shm_unlink_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[NAME_MAX + 2];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], name, sizeof name))
    return throw_type(env, "shmUnlink(name: string)");
  if (shm_unlink(name) < 0) return throw_errno(env, errno, "shm_unlink");
  return undefined(env);
}

/* openFile(path, flags, mode) -> fd of a regular file. */
napi_value file_open(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  int flags;
  int64_t mode;
  if (!get_open_args(env, info, path, sizeof path, &flags, &mode)) return NULL;
  int fd;
  do fd = open(path, flags, (mode_t)mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "open");
  return make_int(env, fd);
}

/* openInDirectory(dir) -> fd of a new file in dir (hugetlbfs, tmpfs, ...)
 * that is unlinked at once, as QEMU's server does with -m. */
napi_value file_open_in_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path - 16))
    return throw_type(env, "openInDirectory(dir: string)");
  strcat(path, "/famez.XXXXXX");
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "mkostemp");
  unlink(path);
  return make_int(env, fd);
}

napi_value memfd_create_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[250];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], name, sizeof name))
    return throw_type(env, "memfdCreate(name: string)");
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "memfd_create");
  return make_int(env, fd);
}

napi_value file_truncate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint64_t size;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &size))
    return throw_type(env, "ftruncate(fd: number, size: number)");
  int r;
  do r = ftruncate(fd, (off_t)size);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "ftruncate");
  return undefined(env);
}

napi_value file_allocate(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  uint64_t off, len;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &off) ||
      !arg_size(env, argv[2], &len))
    return throw_type(env, "fallocate(fd: number, offset: number, length: number)");
  int r;
  do r = fallocate(fd, 0, (off_t)off, (off_t)len);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "fallocate");
  return undefined(env);
}

/* stat(fd) -> { size, type: 'file' | 'socket' | 'other', blocks } */
napi_value file_stat(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, type;
  int fd;
  struct stat st;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "fstat(fd: number)");
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  const char *kind = S_ISREG(st.st_mode)    ? "file"
                     : S_ISSOCK(st.st_mode) ? "socket"
                                            : "other";
  CHECK(napi_create_object(env, &out));
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &type);
  napi_set_named_property(env, out, "size", make_double(env, (double)st.st_size));
  napi_set_named_property(env, out, "allocated",
                          make_double(env, (double)st.st_blocks * 512.0));
  napi_set_named_property(env, out, "type", type);
  return out;
}

napi_value file_sync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "fsync(fd: number)");
  if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
    return throw_errno(env, errno, "fsync");
  return undefined(env);
}

/* ---- mmap ---------------------------------------------------------------- */

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Unmapping happens in the finalizer only; an explicit unmap replaces the
 * pages with an inaccessible reservation, so no address is ever freed twice
 * or reused while V8 still holds the buffer. */
static void mapping_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  size_t len = (size_t)(uintptr_t)hint + ((uintptr_t)data - start);
  guard_remove((void *)start);
  munmap((void *)start, len);
}

/* Marks the ArrayBuffers that map() made, so unmap() touches no other. */
static const napi_type_tag MAPPING_TAG = {0x66616d657a6d6170ULL, 0x6d617070696e6721ULL};

static bool is_mapping(napi_env env, napi_value value) {
  bool is_ab = false, tagged = false;
  if (napi_is_arraybuffer(env, value, &is_ab) != napi_ok || !is_ab) return false;
  return napi_check_object_type_tag(env, value, &MAPPING_TAG, &tagged) == napi_ok && tagged;
}

/* map(fd, offset, length, writable) -> ArrayBuffer over the file's bytes. */
napi_value mem_map(napi_env env, napi_callback_info info) {
  napi_value argv[4], out;
  int fd;
  uint64_t offset, length;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &offset) ||
      !arg_size(env, argv[2], &length))
    return throw_type(env, "map(fd: number, offset: number, length: number, writable: boolean)");
  if (length == 0 || length > ((uint64_t)4 << 30))
    return throw_errno(env, EINVAL, "mmap");
  bool writable = arg_bool(env, argv[3]);
  struct stat st;
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  /* Touching a page past the end of a file kills the process (SIGBUS). */
  if (S_ISREG(st.st_mode) && offset + length > (uint64_t)st.st_size)
    return throw_errno(env, EINVAL, "mmap");
  size_t page = page_size();
  uint64_t start = offset & ~(uint64_t)(page - 1);
  size_t delta = (size_t)(offset - start);
  void *base = mmap(NULL, (size_t)length + delta,
                    PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd,
                    (off_t)start);
  if (base == MAP_FAILED) return throw_errno(env, errno, "mmap");
  /* A peer may shrink the file under us: touching the lost pages must not kill. */
  if (!guard_add(base, (size_t)length + delta, PROT_READ | (writable ? PROT_WRITE : 0))) {
    munmap(base, (size_t)length + delta);
    return throw_errno(env, ENOMEM, "mmap");
  }
  char *data = (char *)base + delta;
  if (napi_create_external_arraybuffer(env, data, (size_t)length, mapping_finalize,
                                       (void *)(uintptr_t)length, &out) != napi_ok) {
    guard_remove(base);
    munmap(base, (size_t)length + delta);
    return fail_napi(env, "napi_create_external_arraybuffer");
  }
  CHECK(napi_type_tag_object(env, out, &MAPPING_TAG));
  return out;
}

/* unmap(buffer): release the pages now and detach the buffer. */
napi_value mem_unmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t length;
  bool detached = false;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!is_mapping(env, argv[0])) return throw_type(env, "unmap(buffer: ArrayBuffer from map())");
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  if (detached) return undefined(env);
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  size_t len = length + ((uintptr_t)data - start);
  guard_remove((void *)start);
  if (mmap((void *)start, len, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
           0) == MAP_FAILED)
    return throw_errno(env, errno, "mmap");
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  return undefined(env);
}

/* msync(buffer): write a file-backed mapping's dirty pages to the file. */
napi_value mem_sync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t length;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!is_mapping(env, argv[0])) return throw_type(env, "msync(buffer: ArrayBuffer from map())");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  if (length && msync((void *)start, length + ((uintptr_t)data - start), MS_SYNC) < 0)
    return throw_errno(env, errno, "msync");
  return undefined(env);
}

/* The page-aligned range of a live buffer from map(); false (and a throw) otherwise. */
static bool mapping_range(napi_env env, napi_value buffer, const char *usage,
                          uintptr_t *start, size_t *len, size_t *delta) {
  void *data;
  size_t length;
  bool detached = false;
  if (!is_mapping(env, buffer)) return throw_type(env, usage), false;
  napi_is_detached_arraybuffer(env, buffer, &detached);
  if (detached) return throw_errno(env, EBADF, "remap"), false;
  if (napi_get_arraybuffer_info(env, buffer, &data, &length) != napi_ok)
    return fail_napi(env, "napi_get_arraybuffer_info"), false;
  *start = (uintptr_t)data & ~(uintptr_t)(page_size() - 1);
  *delta = (size_t)((uintptr_t)data - *start);
  *len = length + *delta;
  return true;
}

/* mappingBroken(buffer): whether its file shrank under it (the buffer then
 * reads zeros and writes go nowhere until remap). */
napi_value mem_broken(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uintptr_t start;
  size_t len, delta;
  int prot;
  bool broken = false;
  if (!get_args(env, info, 1, argv)) return NULL;
  bool detached = false;
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  if (is_mapping(env, argv[0]) && detached) return make_bool(env, false);
  if (!mapping_range(env, argv[0], "mappingBroken(buffer: ArrayBuffer from map())", &start, &len, &delta))
    return NULL;
  guard_lookup((void *)start, &prot, &broken);
  return make_bool(env, broken);
}

/* remap(buffer, fd, offset): maps the file back under a broken buffer, at
 * the same addresses. EINVAL while the file is still too short for it. */
napi_value mem_remap(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd, prot;
  uint64_t offset;
  uintptr_t start;
  size_t len, delta;
  bool broken;
  struct stat st;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (!arg_fd(env, argv[1], &fd) || !arg_size(env, argv[2], &offset))
    return throw_type(env, "remap(buffer: ArrayBuffer from map(), fd: number, offset: number)");
  if (!mapping_range(env, argv[0], "remap(buffer: ArrayBuffer from map(), fd: number, offset: number)", &start, &len, &delta))
    return NULL;
  if (!guard_lookup((void *)start, &prot, &broken) || (offset & (page_size() - 1)) != delta)
    return throw_errno(env, EINVAL, "remap");
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  if (S_ISREG(st.st_mode) && offset + (len - delta) > (uint64_t)st.st_size)
    return throw_errno(env, EINVAL, "remap");
  /* Mended first: a shrink right after the mmap breaks it again. */
  guard_mark((void *)start, false);
  if (mmap((void *)start, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)(offset - delta)) == MAP_FAILED) {
    int err = errno;
    guard_mark((void *)start, true);
    return throw_errno(env, err, "mmap");
  }
  return undefined(env);
}

/* mappingBreaksWord(): an ArrayBuffer over how many mappings broke since the start (8 bytes, native
 * endianness, never freed): JavaScript reads it without a call into the addon,
 * which costs as much as a system call on the message path. */
napi_value mem_breaks_word(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value buffer;
  CHECK(napi_create_external_arraybuffer(env, (void *)guard_breaks_word(), sizeof(unsigned long), NULL, NULL, &buffer));
  return buffer;
}
