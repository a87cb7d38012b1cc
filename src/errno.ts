// Errno codes as they travel through humbridge: symbolic names only.
// Each front end maps a code to its own wire form at one point; this leaf
// module holds the two tables they need: Linux numbers (9P2000.L and .u put
// Linux numbers on the wire whatever the host is) and the strerror text
// (9P2000 and .u carry an error string).

export const LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  ENOTSUP: 95,
  EOVERFLOW: 75,
  EBADMSG: 74,
  EPROTO: 71,
  EDQUOT: 122,
  ESTALE: 116,
  ETIMEDOUT: 110,
  ECONNRESET: 104,
  ECANCELED: 125,
} as const;

export type ErrnoCode = keyof typeof LINUX_ERRNO;

export const STRERROR: Record<ErrnoCode, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  ERANGE: 'Numerical result out of range',
  EDEADLK: 'Resource deadlock avoided',
  ENAMETOOLONG: 'File name too long',
  ENOLCK: 'No locks available',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ENODATA: 'No data available',
  ENOTSUP: 'Operation not supported',
  EOVERFLOW: 'Value too large for defined data type',
  EBADMSG: 'Bad message',
  EPROTO: 'Protocol error',
  EDQUOT: 'Disk quota exceeded',
  ESTALE: 'Stale file handle',
  ETIMEDOUT: 'Connection timed out',
  ECONNRESET: 'Connection reset by peer',
  ECANCELED: 'Operation canceled',
};

export function isErrnoCode(code: unknown): code is ErrnoCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(LINUX_ERRNO, code);
}

const BY_NUMBER = new Map<number, ErrnoCode>(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k as ErrnoCode]));

/** The code of Linux errno number `n` (EIO for one this table lacks). */
export function errnoCode(n: number): ErrnoCode {
  return BY_NUMBER.get(n) ?? 'EIO';
}
