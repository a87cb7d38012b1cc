# cache.sh - data paths under the mount's cache mode (cache=none, loose,
# mmap): write and read back, a shared mmap written then read with read(2),
# a file the host wrote before boot. The Linux client refuses a writable
# shared mapping without a cache (cache=none: EINVAL).
# Leaves c/written (fact sha:written) and c/mapped (pattern from hbtool).
. "$LIB"
case ",$HB_MOUNT_OPTS," in *,cache=loose,* | *,cache=mmap,* | *,cache=fscache,*) cached=1 ;; *) cached=0 ;; esac
check mkdir mkdir c
check read-host-file eq "$(sha pre/host.bin)" "$(cat "$EXTRA/host.sha")"
check write dd if=/dev/urandom of=c/written bs=65536 count=8
fact sha:written "$(sha c/written)"
check read-back eq "$(sha256sum < c/written)" "$(sha256sum < c/written)"
check append-then-read sh -c 'echo tail >> c/written && [ "$(tail -c 5 c/written)" = tail ]'
fact sha:written-final "$(sha c/written)"
if [ $cached = 1 ]; then
  check mmap-write-read hbtool mmap-rw c/mapped 300000
else
  check mmap-shared-write-refused refused EINVAL hbtool mmap-rw c/mapped 300000
fi
check mount-shows-mode sh -c 'grep " /mnt/9p " /proc/mounts'
finish_checks
