/*
 * hbtool - the few file-system calls the guest test scripts need and busybox
 * does not offer: xattrs, byte-range and flock locks between two processes,
 * a shared mmap written then read back, pread/pwrite at 64-bit offsets,
 * nanosecond times, raw statfs, raw readdir, unlink-while-open, and dropping
 * to another uid/gid before running a command.
 *
 * Built on the host with `gcc -static` and placed in the guest's initramfs as
 * /bin/hbtool.  Every subcommand prints what it observed and exits 0 when the
 * check held, 1 when it did not, 2 on a usage error.  Errors are reported by
 * errno NAME (strerrorname_np) so the scripts can compare them exactly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *ename(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static int fail(const char *what) {
  printf("%s: %s\n", what, ename(errno));
  return 1;
}

static int usage(void) {
  fputs("usage: hbtool xattr-set|xattr-get|xattr-list|xattr-remove|fcntl-pair|flock-pair|\n"
        "  mmap-rw|pwrite|pread|write-at|utimens|statfs|readdir|unlinked|runas ...\n", stderr);
  return 2;
}

/* ---- xattrs ------------------------------------------------------------- */

static int xattr_set(char **a) {
  if (setxattr(a[0], a[1], a[2], strlen(a[2]), 0) != 0) return fail("setxattr");
  return 0;
}

static int xattr_get(char **a) {
  char buf[65536];
  ssize_t n = getxattr(a[0], a[1], buf, sizeof buf);
  if (n < 0) return fail("getxattr");
  fwrite(buf, 1, (size_t)n, stdout);
  putchar('\n');
  return 0;
}

static int xattr_list(char **a) {
  char buf[65536];
  ssize_t n = listxattr(a[0], buf, sizeof buf);
  if (n < 0) return fail("listxattr");
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) puts(buf + i);
  return 0;
}

static int xattr_remove(char **a) {
  if (removexattr(a[0], a[1]) != 0) return fail("removexattr");
  return 0;
}

/* ---- locks between two processes ---------------------------------------- */

static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

/* Waits for one byte from the other process (the pipes sequence the steps). */
static void await(int fd) {
  char c;
  if (read(fd, &c, 1) != 1) _exit(3);
}

static void signal_peer(int fd) {
  if (write(fd, "x", 1) != 1) _exit(3);
}

/*
 * The parent write-locks bytes [0,100); the child, on its own open file,
 * must be refused an overlapping lock, see the parent as the holder through
 * F_GETLK, get a disjoint range, get the overlap once the parent unlocks,
 * and finally block in F_SETLKW until the parent's second lock goes away.
 */
static int fcntl_pair(char **a) {
  int p2c[2], c2p[2];
  int fd = open(a[0], O_RDWR | O_CREAT, 0644);
  if (fd < 0) return fail("open");
  if (pipe(p2c) || pipe(c2p)) return fail("pipe");
  if (setlk(fd, F_SETLK, F_WRLCK, 0, 100) != 0) return fail("parent F_SETLK");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    int bad = 0;
    int cfd = open(a[0], O_RDWR);
    if (cfd < 0) _exit(fail("child open"));
    if (setlk(cfd, F_SETLK, F_WRLCK, 50, 10) == 0) { puts("child got a conflicting lock"); bad = 1; }
    else if (errno != EAGAIN && errno != EACCES) { fail("child F_SETLK conflict"); bad = 1; }
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
    if (fcntl(cfd, F_GETLK, &q) != 0) { fail("child F_GETLK"); bad = 1; }
    else if (q.l_type != F_WRLCK || q.l_pid != parent) {
      printf("F_GETLK saw type=%d pid=%d, want F_WRLCK pid=%d\n", q.l_type, (int)q.l_pid, (int)parent);
      bad = 1;
    }
    if (setlk(cfd, F_SETLK, F_WRLCK, 100, 10) != 0) { fail("child disjoint F_SETLK"); bad = 1; }
    signal_peer(c2p[1]);
    await(p2c[0]); /* parent unlocked [0,100) */
    if (setlk(cfd, F_SETLK, F_WRLCK, 50, 10) != 0) { fail("child F_SETLK after unlock"); bad = 1; }
    if (setlk(cfd, F_SETLK, F_UNLCK, 0, 0) != 0) { fail("child unlock"); bad = 1; }
    signal_peer(c2p[1]);
    await(p2c[0]); /* parent holds [200,210) again */
    signal_peer(c2p[1]);
    if (setlk(cfd, F_SETLKW, F_WRLCK, 200, 10) != 0) { fail("child F_SETLKW"); bad = 1; }
    _exit(bad);
  }
  await(c2p[0]);
  if (setlk(fd, F_SETLK, F_UNLCK, 0, 100) != 0) return fail("parent unlock");
  signal_peer(p2c[1]);
  await(c2p[0]);
  if (setlk(fd, F_SETLK, F_WRLCK, 200, 10) != 0) return fail("parent second F_SETLK");
  signal_peer(p2c[1]);
  await(c2p[0]);
  usleep(200000); /* give the child time to block; correctness does not depend on it */
  if (setlk(fd, F_SETLK, F_UNLCK, 0, 0) != 0) return fail("parent final unlock");
  int st;
  if (waitpid(pid, &st, 0) != pid) return fail("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { puts("child failed"); return 1; }
  puts("fcntl locks ok");
  return 0;
}

/* The same dance with flock(2): whole-file, per open file description. */
static int flock_pair(char **a) {
  int p2c[2], c2p[2];
  int fd = open(a[0], O_RDWR | O_CREAT, 0644);
  if (fd < 0) return fail("open");
  if (pipe(p2c) || pipe(c2p)) return fail("pipe");
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) return fail("parent flock");
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    int bad = 0;
    int cfd = open(a[0], O_RDWR);
    if (cfd < 0) _exit(fail("child open"));
    if (flock(cfd, LOCK_SH | LOCK_NB) == 0) { puts("child got a conflicting flock"); bad = 1; }
    else if (errno != EWOULDBLOCK) { fail("child flock conflict"); bad = 1; }
    signal_peer(c2p[1]);
    await(p2c[0]);
    if (flock(cfd, LOCK_SH | LOCK_NB) != 0) { fail("child flock after unlock"); bad = 1; }
    _exit(bad);
  }
  await(c2p[0]);
  if (flock(fd, LOCK_UN) != 0) return fail("parent unlock");
  signal_peer(p2c[1]);
  int st;
  if (waitpid(pid, &st, 0) != pid) return fail("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { puts("child failed"); return 1; }
  puts("flock ok");
  return 0;
}

/* ---- data paths ----------------------------------------------------------- */

/* Writes a pattern through a shared mapping, then checks it with read(2). */
static int mmap_rw(char **a) {
  size_t len = strtoull(a[1], NULL, 0);
  int fd = open(a[0], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fail("open");
  if (ftruncate(fd, (off_t)len) != 0) return fail("ftruncate");
  unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return fail("mmap");
  for (size_t i = 0; i < len; i++) m[i] = (unsigned char)(i * 7 + 3);
  if (msync(m, len, MS_SYNC) != 0) return fail("msync");
  if (munmap(m, len) != 0) return fail("munmap");
  close(fd);
  fd = open(a[0], O_RDONLY);
  if (fd < 0) return fail("reopen");
  unsigned char buf[4096];
  size_t at = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++, at++)
      if (buf[i] != (unsigned char)(at * 7 + 3)) { printf("mismatch at %zu\n", at); return 1; }
  }
  if (n < 0) return fail("read");
  if (at != len) { printf("read %zu bytes, want %zu\n", at, len); return 1; }
  puts("mmap ok");
  return 0;
}

static int do_pwrite(char **a) {
  int fd = open(a[0], O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return fail("open");
  off_t off = (off_t)strtoll(a[1], NULL, 0);
  size_t len = strlen(a[2]);
  if (pwrite(fd, a[2], len, off) != (ssize_t)len) return fail("pwrite");
  return close(fd) ? fail("close") : 0;
}

/* Copies all of SRC into FILE at OFFSET with one pwrite (dd bs=1 would
 * make one 9P write per byte). */
static int write_at(char **a) {
  static char buf[1 << 20];
  int src = open(a[2], O_RDONLY);
  if (src < 0) return fail("open source");
  ssize_t n = read(src, buf, sizeof buf);
  if (n < 0) return fail("read source");
  close(src);
  int fd = open(a[0], O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return fail("open");
  if (pwrite(fd, buf, (size_t)n, (off_t)strtoll(a[1], NULL, 0)) != n) return fail("pwrite");
  return close(fd) ? fail("close") : 0;
}

static int do_pread(char **a) {
  char buf[65536];
  int fd = open(a[0], O_RDONLY);
  if (fd < 0) return fail("open");
  size_t len = strtoull(a[2], NULL, 0);
  if (len > sizeof buf) len = sizeof buf;
  ssize_t n = pread(fd, buf, len, (off_t)strtoll(a[1], NULL, 0));
  if (n < 0) return fail("pread");
  fwrite(buf, 1, (size_t)n, stdout);
  putchar('\n');
  return 0;
}

static int do_utimens(char **a) {
  struct timespec ts[2] = {
    {.tv_sec = strtoll(a[1], NULL, 0), .tv_nsec = strtol(a[2], NULL, 0)},
    {.tv_sec = strtoll(a[3], NULL, 0), .tv_nsec = strtol(a[4], NULL, 0)},
  };
  if (utimensat(AT_FDCWD, a[0], ts, AT_SYMLINK_NOFOLLOW) != 0) return fail("utimensat");
  struct stat st;
  if (lstat(a[0], &st) != 0) return fail("lstat");
  printf("%lld.%09ld %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  return 0;
}

static int do_statfs(char **a) {
  struct statfs s;
  if (statfs(a[0], &s) != 0) return fail("statfs");
  printf("type=%#lx bsize=%ld blocks=%" PRIu64 " bfree=%" PRIu64 " bavail=%" PRIu64
         " files=%" PRIu64 " ffree=%" PRIu64 " namelen=%ld\n",
         (unsigned long)s.f_type, (long)s.f_bsize, (uint64_t)s.f_blocks, (uint64_t)s.f_bfree,
         (uint64_t)s.f_bavail, (uint64_t)s.f_files, (uint64_t)s.f_ffree, (long)s.f_namelen);
  return 0;
}

/* Prints every name readdir returns (not . and ..), without stat-ing any. */
static int do_readdir(char **a) {
  DIR *d = opendir(a[0]);
  if (!d) return fail("opendir");
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) puts(e->d_name);
    errno = 0;
  }
  if (errno) return fail("readdir");
  closedir(d);
  return 0;
}

/* An unlinked file stays readable and writable through a descriptor. */
static int unlinked(char **a) {
  char buf[16] = {0};
  struct stat st;
  int fd = open(a[0], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fail("open");
  if (write(fd, "before", 6) != 6) return fail("write");
  if (unlink(a[0]) != 0) return fail("unlink");
  if (access(a[0], F_OK) == 0 || errno != ENOENT) { puts("name still visible"); return 1; }
  if (pwrite(fd, "after", 5, 6) != 5) return fail("pwrite after unlink");
  if (pread(fd, buf, 11, 0) != 11) return fail("pread after unlink");
  if (memcmp(buf, "beforeafter", 11) != 0) { printf("read back '%s'\n", buf); return 1; }
  if (fstat(fd, &st) != 0) return fail("fstat after unlink");
  printf("unlinked ok size=%lld nlink=%ld\n", (long long)st.st_size, (long)st.st_nlink);
  return close(fd) ? fail("close") : 0;
}

/* Drops to uid:gid (no supplementary groups), then runs the command. */
static int runas(char **a) {
  uid_t uid = (uid_t)strtoul(a[0], NULL, 10);
  gid_t gid = (gid_t)strtoul(a[1], NULL, 10);
  if (setgroups(0, NULL) != 0) return fail("setgroups");
  if (setgid(gid) != 0) return fail("setgid");
  if (setuid(uid) != 0) return fail("setuid");
  execvp(a[2], a + 2);
  return fail("execvp");
}

struct cmd {
  const char *name;
  int argc;
  int (*run)(char **);
};

static const struct cmd cmds[] = {
  {"xattr-set", 3, xattr_set},   {"xattr-get", 2, xattr_get}, {"xattr-list", 1, xattr_list},
  {"xattr-remove", 2, xattr_remove}, {"fcntl-pair", 1, fcntl_pair}, {"flock-pair", 1, flock_pair},
  {"mmap-rw", 2, mmap_rw},       {"pwrite", 3, do_pwrite},    {"pread", 3, do_pread},
  {"write-at", 3, write_at},
  {"utimens", 5, do_utimens},    {"statfs", 1, do_statfs},    {"readdir", 1, do_readdir},
  {"unlinked", 1, unlinked},     {"runas", 3, runas},
};

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return usage();
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    if (strcmp(argv[1], cmds[i].name) != 0) continue;
    /* runas takes a command of any length; the others an exact count */
    if (argc - 2 < cmds[i].argc || (cmds[i].run != runas && argc - 2 != cmds[i].argc)) return usage();
    return cmds[i].run(argv + 2);
  }
  return usage();
}
