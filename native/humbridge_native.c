// humbridge's only native code: the host calls Node does not have.
// For the FUSE mount:
// (a) a unix socketpair, and receiving one descriptor over it (SCM_RIGHTS),
//     which is how fusermount3 hands back /dev/fuse (_FUSE_COMMFD);
// (b) FUSE_DEV_IOC_CLONE: another /dev/fuse descriptor for one connection;
// (c) FUSE_DEV_IOC_BACKING_OPEN / _CLOSE for passthrough I/O;
// (d) reading /dev/fuse on the event loop: Node can wait for a socket but
//     not for a character device, and a read on its thread pool costs two
//     thread hand-offs per request (see fuse/README.md, "Readers").
// For the VFS core (both front ends):
// (e) utimensat with nanoseconds, UTIME_NOW and UTIME_OMIT (Node's utimes
//     takes float seconds, cuts them to microseconds and has no OMIT);
// (f) lseek with SEEK_DATA / SEEK_HOLE and 64-bit offsets;
// (g) openat, unlinkat and statx of one name in a directory descriptor, and
//     statx of a descriptor: Node has only paths, and the /proc/self/fd/<fd>/<name>
//     path it is given costs the kernel a walk through /proc on every
//     lookup and stat (src/host/host.ts). These three return -errno instead
//     of throwing: a missing name is an everyday answer, not an exception.
// Every failure throws an Error whose `code` is the errno name (EPERM, ...).

#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

// From linux/fuse.h; Debian 12's headers predate the backing ioctls.
struct hb_backing_map {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define HB_IOC_MAGIC 229
#define HB_IOC_CLONE _IOR(HB_IOC_MAGIC, 0, uint32_t)
#define HB_IOC_BACKING_OPEN _IOW(HB_IOC_MAGIC, 1, struct hb_backing_map)
#define HB_IOC_BACKING_CLOSE _IOW(HB_IOC_MAGIC, 2, uint32_t)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *name = strerrorname_np(err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, text, error, num, sc;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, -err, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

// Reads `n` int32 arguments; throws a TypeError and returns 0 when they are not numbers.
static int int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < n) {
    napi_throw_type_error(env, NULL, "missing argument");
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "arguments must be integers");
      return 0;
    }
  }
  return 1;
}

static napi_value int_value(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

// socketpair() -> [fd, fd]: AF_UNIX stream sockets, close-on-exec (spawn's stdio
// entries are dup'ed, so a child still gets the end it is given).
static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return throw_errno(env, errno, "socketpair");
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, int_value(env, sv[0]));
  napi_set_element(env, arr, 1, int_value(env, sv[1]));
  return arr;
}

// recvFd(sock) -> fd: one descriptor sent with SCM_RIGHTS, without waiting
// (EAGAIN when none is queued; call it once the sender has finished).
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  int32_t sock;
  if (!int_args(env, info, 1, &sock)) return NULL;
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "recvmsg");
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (n == 0 || c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    return throw_errno(env, n == 0 ? ECONNRESET : EPROTO, "recvmsg");
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return int_value(env, fd);
}

// cloneDevice(sessionFd) -> fd: a fresh /dev/fuse descriptor attached to the
// connection of `sessionFd` (requests are then read from either).
static napi_value js_clone(napi_env env, napi_callback_info info) {
  int32_t session;
  if (!int_args(env, info, 1, &session)) return NULL;
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/fuse");
  uint32_t src = (uint32_t)session;
  if (ioctl(fd, HB_IOC_CLONE, &src) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl FUSE_DEV_IOC_CLONE");
  }
  return int_value(env, fd);
}

// backingOpen(devFd, fileFd) -> backing id for a FOPEN_PASSTHROUGH open reply.
static napi_value js_backing_open(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!int_args(env, info, 2, a)) return NULL;
  struct hb_backing_map map = {.fd = a[1], .flags = 0, .padding = 0};
  int id = ioctl(a[0], HB_IOC_BACKING_OPEN, &map);
  if (id < 0) return throw_errno(env, errno, "ioctl FUSE_DEV_IOC_BACKING_OPEN");
  return int_value(env, id);
}

// backingClose(devFd, id): the kernel drops its reference to the backing file.
static napi_value js_backing_close(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!int_args(env, info, 2, a)) return NULL;
  uint32_t id = (uint32_t)a[1];
  if (ioctl(a[0], HB_IOC_BACKING_CLOSE, &id) != 0) return throw_errno(env, errno, "ioctl FUSE_DEV_IOC_BACKING_CLOSE");
  return NULL;
}

// One time argument of futimens: a bigint of nanoseconds since the epoch
// (negative before it), or the string "now" or "omit".
static int time_arg(napi_env env, napi_value v, struct timespec *ts) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_string) {
    char s[8];
    size_t n;
    napi_get_value_string_utf8(env, v, s, sizeof s, &n);
    if (strcmp(s, "now") == 0) ts->tv_nsec = UTIME_NOW;
    else if (strcmp(s, "omit") == 0) ts->tv_nsec = UTIME_OMIT;
    else goto bad;
    ts->tv_sec = 0;
    return 1;
  }
  if (t == napi_bigint) {
    int64_t ns;
    bool lossless;
    napi_get_value_bigint_int64(env, v, &ns, &lossless);
    if (!lossless) goto bad;
    int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    if (rem < 0) rem += 1000000000, sec--;
    ts->tv_sec = sec;
    ts->tv_nsec = rem;
    return 1;
  }
bad:
  napi_throw_type_error(env, NULL, "a time is a bigint of nanoseconds, 'now' or 'omit'");
  return 0;
}

// futimens(fd, atime, mtime): the times of exactly the inode `fd` holds,
// O_PATH descriptors included (a symlink's is the link itself): utimensat
// with an empty name and AT_EMPTY_PATH (Linux 5.8+), else through
// /proc/self/fd/N, whose magic link ends at the inode and follows nothing.
static napi_value js_futimens(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  struct timespec ts[2];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "futimens(fd, atime, mtime)");
    return NULL;
  }
  if (!time_arg(env, argv[1], &ts[0]) || !time_arg(env, argv[2], &ts[1])) return NULL;
  if (utimensat(fd, "", ts, AT_EMPTY_PATH) == 0) return NULL;
  if (errno != EINVAL && errno != ENOENT) return throw_errno(env, errno, "utimensat");
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  if (utimensat(AT_FDCWD, path, ts, 0) != 0) return throw_errno(env, errno, "utimensat");
  return NULL;
}

// lseek(fd, offset, whence) -> the new offset (bigint). SEEK_DATA (3) and
// SEEK_HOLE (4) answer where data or a hole starts; ENXIO past the end.
static napi_value js_lseek(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, whence;
  int64_t off;
  bool lossless;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bigint_int64(env, argv[1], &off, &lossless) != napi_ok ||
      !lossless || napi_get_value_int32(env, argv[2], &whence) != napi_ok) {
    napi_throw_type_error(env, NULL, "lseek(fd, offset: bigint, whence)");
    return NULL;
  }
  off_t r = lseek(fd, (off_t)off, whence);
  if (r < 0) return throw_errno(env, errno, "lseek");
  napi_value v;
  napi_create_bigint_int64(env, (int64_t)r, &v);
  return v;
}

// A name from a Buffer, NUL-terminated in `out` (NAME_MAX bytes at most, no NUL inside).
static int name_arg(napi_env env, napi_value v, char out[256], const char *syscall) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "a name is a Buffer");
    return 0;
  }
  if (len == 0 || len > 255 || memchr(data, 0, len) != NULL) {
    throw_errno(env, len > 255 ? ENAMETOOLONG : EINVAL, syscall);
    return 0;
  }
  memcpy(out, data, len);
  out[len] = 0;
  return 1;
}

// renameat2(olddirfd, oldname, newdirfd, newname, flags): RENAME_NOREPLACE and
// RENAME_EXCHANGE done by the kernel in one step (glibc 2.36 has no wrapper
// everywhere, hence the syscall). EINVAL means this filesystem lacks the flag.
static napi_value js_renameat2(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t olddir, newdir, flags;
  char oldname[256], newname[256];
  if (argc < 5 || napi_get_value_int32(env, argv[0], &olddir) != napi_ok || napi_get_value_int32(env, argv[2], &newdir) != napi_ok ||
      napi_get_value_int32(env, argv[4], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "renameat2(olddirfd, oldname, newdirfd, newname, flags)");
    return NULL;
  }
  if (!name_arg(env, argv[1], oldname, "renameat2") || !name_arg(env, argv[3], newname, "renameat2")) return NULL;
  if (syscall(SYS_renameat2, olddir, oldname, newdir, newname, (unsigned)flags) != 0) return throw_errno(env, errno, "renameat2");
  return NULL;
}

// openat(dirfd, name, flags, mode) -> a descriptor, or -errno.
static napi_value js_openat(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd, flags, mode;
  char name[256];
  if (argc < 4 || napi_get_value_int32(env, argv[0], &dirfd) != napi_ok || napi_get_value_int32(env, argv[2], &flags) != napi_ok ||
      napi_get_value_int32(env, argv[3], &mode) != napi_ok) {
    napi_throw_type_error(env, NULL, "openat(dirfd, name, flags, mode)");
    return NULL;
  }
  if (!name_arg(env, argv[1], name, "openat")) return NULL;
  int fd = openat(dirfd, name, flags, (mode_t)mode);
  return int_value(env, fd < 0 ? -errno : fd);
}

// unlinkat(dirfd, name, flags) -> 0 or -errno.
static napi_value js_unlinkat(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd, flags;
  char name[256];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &dirfd) != napi_ok || napi_get_value_int32(env, argv[2], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "unlinkat(dirfd, name, flags)");
    return NULL;
  }
  if (!name_arg(env, argv[1], name, "unlinkat")) return NULL;
  return int_value(env, unlinkat(dirfd, name, flags) != 0 ? -errno : 0);
}

// The fields statx fills into its BigInt64Array, in this order (native/index.ts reads them).
enum { ST_DEV, ST_INO, ST_MODE, ST_NLINK, ST_UID, ST_GID, ST_RDEV, ST_SIZE, ST_BLOCKS, ST_BLKSIZE, ST_ATIME, ST_MTIME, ST_CTIME, ST_BTIME, ST_FIELDS };

static int64_t ns_of(struct statx_timestamp t) {
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// statx of `name` in dirfd (flags: AT_SYMLINK_NOFOLLOW, or AT_EMPTY_PATH
// with "" for dirfd itself) into `out` (ST_FIELDS values): 0 or -errno.
static int statx_into(int dirfd, const char *name, int flags, int64_t *out) {
  struct statx st;
  if (statx(dirfd, name, flags | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &st) != 0) return -errno;
  out[ST_DEV] = (int64_t)makedev(st.stx_dev_major, st.stx_dev_minor);
  out[ST_INO] = (int64_t)st.stx_ino;
  out[ST_MODE] = st.stx_mode;
  out[ST_NLINK] = st.stx_nlink;
  out[ST_UID] = st.stx_uid;
  out[ST_GID] = st.stx_gid;
  out[ST_RDEV] = (int64_t)makedev(st.stx_rdev_major, st.stx_rdev_minor);
  out[ST_SIZE] = (int64_t)st.stx_size;
  out[ST_BLOCKS] = (int64_t)st.stx_blocks;
  out[ST_BLKSIZE] = st.stx_blksize;
  out[ST_ATIME] = ns_of(st.stx_atime);
  out[ST_MTIME] = ns_of(st.stx_mtime);
  out[ST_CTIME] = ns_of(st.stx_ctime);
  out[ST_BTIME] = (st.stx_mask & STATX_BTIME) ? ns_of(st.stx_btime) : 0;
  return 0;
}

// `v` as the BigInt64Array of ST_FIELDS values statx_into fills: 1, or 0 when it is not one.
static int stat_out_arg(napi_env env, napi_value v, int64_t **out) {
  napi_typedarray_type type;
  size_t count;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &count, &data, NULL, NULL) != napi_ok || type != napi_bigint64_array || count < ST_FIELDS) return 0;
  *out = data;
  return 1;
}

// statx(dirfd, name | null, out) -> 0 or -errno. With a name: that entry of
// directory dirfd, never following it (lstat); with null: dirfd itself
// (fstat, O_PATH descriptors too). The same fields and device numbers as
// Node's stat (libuv's statx: makedev of major and minor, btime 0 where the
// filesystem has none).
static napi_value js_statx(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd;
  napi_valuetype kind;
  int64_t *out;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &dirfd) != napi_ok || napi_typeof(env, argv[1], &kind) != napi_ok || !stat_out_arg(env, argv[2], &out)) {
    napi_throw_type_error(env, NULL, "statx(dirfd, name | null, BigInt64Array(14))");
    return NULL;
  }
  char name[256] = "";
  int flags = AT_EMPTY_PATH;
  if (kind != napi_null) {
    if (!name_arg(env, argv[1], name, "statx")) return NULL;
    flags = AT_SYMLINK_NOFOLLOW;
  }
  return int_value(env, statx_into(dirfd, name, flags, out));
}

// open_file(dirfd, name, flags, out) -> a descriptor, or -errno: the regular
// file `name` of directory dirfd opened for I/O with `flags`, never following
// it, and its statx in `out` (as statx fills it), in one call. It is opened
// O_NONBLOCK (cleared after): something other than a regular file put under
// that name meanwhile (a FIFO) must neither hang the server nor be kept:
// ENXIO, closed. Callers check the inode is the one they meant.
static napi_value js_open_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd, flags;
  int64_t *out;
  char name[256];
  if (argc < 4 || napi_get_value_int32(env, argv[0], &dirfd) != napi_ok || napi_get_value_int32(env, argv[2], &flags) != napi_ok ||
      !stat_out_arg(env, argv[3], &out)) {
    napi_throw_type_error(env, NULL, "openFile(dirfd, name, flags, BigInt64Array(14))");
    return NULL;
  }
  if (!name_arg(env, argv[1], name, "openat")) return NULL;
  int fd = openat(dirfd, name, (flags & ~O_NONBLOCK) | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) return int_value(env, -errno);
  int err = -statx_into(fd, "", AT_EMPTY_PATH, out);
  if (err == 0 && !S_ISREG(out[ST_MODE])) err = ENXIO;
  // F_SETFL changes only the status flags (O_APPEND, O_DIRECT, O_NOATIME,
  // O_NONBLOCK, O_ASYNC) and ignores the rest: the caller's, less
  // O_NONBLOCK, are the ones the descriptor must keep. No F_GETFL needed.
  if (err == 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) err = errno;
  if (err != 0) {
    close(fd);
    return int_value(env, -err);
  }
  return int_value(env, fd);
}

// getxattr(fd, name, into) -> the value's length, or -errno: extended
// attribute `name` (a string) of the inode descriptor `fd` stands for (O_PATH
// too, through /proc/self/fd, which is not followed further), read into the
// Buffer `into` (ERANGE when it does not fit). An absent attribute is the
// common answer (`ls -l` and every write ask one), so it comes back as a
// number, not as a thrown error.
static napi_value js_getxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  char name[257];
  size_t len;
  void *into;
  size_t size;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &into, &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "getxattr(fd, name, Buffer)");
    return NULL;
  }
  // XATTR_NAME_MAX is 255: a longer name (read cut to 256 here) is ERANGE, as getxattr(2) says.
  if (len == 0 || len > 255) return int_value(env, len == 0 ? -EINVAL : -ERANGE);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = getxattr(path, name, into, size);
  return int_value(env, n < 0 ? -errno : (int32_t)n);
}

// One /dev/fuse descriptor read on the event loop: when it is readable,
// requests are read into `buf` (reused) and handed to `cb(n)` one at a time;
// `cb(-errno)` for a failure other than EAGAIN/EINTR (ENODEV: unmounted).
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_ref buf_ref;
  napi_async_context ctx;
  int fd;
  void *buf;
  size_t len;
  int stopped;
} hb_reader;

// Requests read per wake-up before other event-loop work gets a turn
// (the poll is level-triggered: the rest are read on the next turn).
#define HB_READS_PER_WAKE 32

static void reader_call(hb_reader *r, int32_t n) {
  napi_handle_scope scope;
  napi_open_handle_scope(r->env, &scope);
  napi_value cb, recv, arg, result;
  napi_get_reference_value(r->env, r->cb, &cb);
  napi_get_global(r->env, &recv);
  napi_create_int32(r->env, n, &arg);
  if (napi_make_callback(r->env, r->ctx, recv, cb, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(r->env, &err);
    napi_fatal_exception(r->env, err);
  }
  napi_close_handle_scope(r->env, scope);
}

static void reader_ready(uv_poll_t *p, int status, int events) {
  (void)events;
  hb_reader *r = p->data;
  // An error status (POLLERR: the connection ended) still reads once, for
  // the kernel's own errno (ENODEV after an unmount).
  for (int i = 0; i < HB_READS_PER_WAKE && !r->stopped; i++) {
    ssize_t n = read(r->fd, r->buf, r->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (status < 0) reader_call(r, status);
      return;
    }
    reader_call(r, n < 0 ? -errno : (int32_t)n);
    if (n <= 0) return;
  }
}

static void reader_closed(uv_handle_t *h) {
  hb_reader *r = h->data;
  napi_delete_reference(r->env, r->cb);
  napi_delete_reference(r->env, r->buf_ref);
  napi_async_destroy(r->env, r->ctx);
  free(r);
}

// startReader(fd, buffer, cb) -> reader: makes `fd` non-blocking and reads it
// whenever it is readable (see hb_reader). stopReader(reader) ends that.
static napi_value js_start_reader(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *data;
  size_t len;
  napi_valuetype t;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "startReader(fd, buffer, callback)");
    return NULL;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return throw_errno(env, errno, "fcntl O_NONBLOCK");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EINVAL, "napi_get_uv_event_loop");
  hb_reader *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "calloc");
  r->env = env;
  r->fd = fd;
  r->buf = data;
  r->len = len;
  int err = uv_poll_init(loop, &r->poll, fd);
  if (err == 0) {
    r->poll.data = r;
    err = uv_poll_start(&r->poll, UV_READABLE, reader_ready);
    if (err != 0) uv_close((uv_handle_t *)&r->poll, NULL);
  }
  if (err != 0) {
    free(r);
    fcntl(fd, F_SETFL, fl);
    return throw_errno(env, -err, "uv_poll_start");
  }
  napi_value name, ext;
  napi_create_reference(env, argv[2], 1, &r->cb);
  napi_create_reference(env, argv[1], 1, &r->buf_ref);
  napi_create_string_utf8(env, "humbridge:fuse-reader", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->ctx);
  napi_create_external(env, r, NULL, NULL, &ext);
  return ext;
}

static napi_value js_stop_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hb_reader *r;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&r) != napi_ok) {
    napi_throw_type_error(env, NULL, "stopReader(reader)");
    return NULL;
  }
  if (!r->stopped) {
    r->stopped = 1;
    uv_poll_stop(&r->poll);
    uv_close((uv_handle_t *)&r->poll, reader_closed);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvFd", NULL, js_recv_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cloneDevice", NULL, js_clone, NULL, NULL, NULL, napi_enumerable, NULL},
      {"backingOpen", NULL, js_backing_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"backingClose", NULL, js_backing_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futimens", NULL, js_futimens, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lseek", NULL, js_lseek, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renameat2", NULL, js_renameat2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openat", NULL, js_openat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unlinkat", NULL, js_unlinkat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"statx", NULL, js_statx, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openFile", NULL, js_open_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getxattr", NULL, js_getxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReader", NULL, js_start_reader, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopReader", NULL, js_stop_reader, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
