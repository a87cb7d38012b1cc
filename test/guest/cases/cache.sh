# cache.sh - data paths under each cache mode, one after the other on fresh
# mounts (tcp only): cache=none (the first mount), then cache=loose and
# cache=mmap. In each: read a file the host wrote before boot, write and
# read back, append, and a shared mmap written then read with read(2). The
# Linux client refuses a writable shared mapping without a page cache
# (cache=none: EINVAL). Leaves c-MODE/written (fact sha:MODE) and
# c-MODE/mapped (hbtool's pattern) for the host.
. "$LIB"
for mode in none loose mmap; do
  if [ $mode != none ]; then
    check_here remount-$mode remount cache=$mode
  fi
  check mounted-$mode sh -c "grep ' /mnt/9p ' /proc/mounts | grep -q '$([ $mode = none ] && echo 'sync,' || echo ",$mode,")'"
  d=c-$mode
  check read-host-file-$mode eq "$(sha pre/host.bin)" "$(cat "$EXTRA/host.sha")"
  check write-$mode sh -c "mkdir $d && dd if=/dev/urandom of=$d/written bs=65536 count=8 2>/dev/null"
  check read-back-$mode eq "$(cat $d/written | sha256sum)" "$(sha256sum < $d/written)"
  check append-$mode sh -c "echo tail >> $d/written && [ \"\$(tail -c 5 $d/written)\" = tail ]"
  fact sha:$mode "$(sha $d/written)"
  if [ $mode = none ]; then
    check mmap-shared-write-refused-$mode refused EINVAL hbtool mmap-rw $d/mapped 300000
  else
    check mmap-write-read-$mode hbtool mmap-rw $d/mapped 300000
  fi
done
finish_checks
