// Anchored host paths. Node has no openat(2), so every export path Node is
// given is built from a descriptor: `/proc/self/fd/<fd>` names exactly the
// inode the descriptor holds, and `/proc/self/fd/<dirfd>/<name>` names one
// entry of that directory. (The calls of every lookup, stat, create and
// unlink go to the native addon's openat, statx and unlinkat instead, which
// take the descriptor itself.) Guest names are bytes and are appended as
// bytes, never joined onto the export's path string, so non-UTF-8 names
// round-trip and a rename of any ancestor cannot redirect us.

/** open(2) O_PATH (Linux, every architecture Node runs on): a handle that only anchors. */
export const O_PATH = 0o10000000;
export const O_NOFOLLOW = 0o400000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;

const SLASH = 0x2f;

/** `/proc/self/fd/<fd>`: follows to exactly the inode `fd` holds, even after rename or unlink. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/**
 * `/proc/self/fd/<dirfd>/<name>` as bytes. `name` must be one component
 * (checked by the caller with isValidName). Only operations that never
 * follow their final component may use it, and only with a directory's fd:
 * the kernel would walk through a symlink's fd.
 */
export function childPath(dirfd: number, name: Buffer): Buffer {
  const head = Buffer.from(`/proc/self/fd/${dirfd}/`, 'latin1');
  return Buffer.concat([head, name], head.length + name.length);
}

/** One path component: not empty, no '/', no NUL, not '.' or '..'. */
export function isValidName(name: Buffer): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.includes(SLASH) || name.includes(0)) return false;
  if (name.length === 1 && name[0] === 0x2e) return false;
  if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) return false;
  return true;
}
