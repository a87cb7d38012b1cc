# hostfs.sh - 9P2000.L file operations through the Linux client, checked in
# the guest here and on the host afterwards (facts, and what is left in w/).
# Needs from the host, in $EXTRA: host.sha (sha256 of pre/host.bin, which the
# host wrote before boot), offsets (one "OFFSET FILE" per line: write FILE's
# bytes at OFFSET into a 1 MiB file of zeros).
. "$LIB"
mkdir -p w w/tmp || exit 1

# -- data integrity ------------------------------------------------------------
check read-host-file eq "$(sha pre/host.bin)" "$(cat "$EXTRA/host.sha")"
check write-1M dd if=/dev/urandom of=w/rand.bin bs=65536 count=16
fact sha:rand.bin "$(sha w/rand.bin)"
check readback-1M eq "$(cat w/rand.bin | sha256sum | cut -d' ' -f1)" "$(sha w/rand.bin)"
check zero-1M dd if=/dev/zero of=w/patched.bin bs=65536 count=16
patch_all() {
  while read -r off file; do
    hbtool write-at w/patched.bin "$off" "$EXTRA/$file" || return 1
  done < "$EXTRA/offsets"
}
check random-offsets patch_all
fact sha:patched.bin "$(sha w/patched.bin)"
appends() {
  for i in $(seq 40); do echo "line $i" >> w/appended.txt || return 1; done
}
check appends appends
check append-count eq "$(wc -l < w/appended.txt)" 40
check truncate-shrink sh -c 'cp w/rand.bin w/trunc.bin && truncate -s 1000 w/trunc.bin && [ "$(stat -c %s w/trunc.bin)" = 1000 ]'
check truncate-grow sh -c 'truncate -s 5000 w/trunc.bin && [ "$(stat -c %s w/trunc.bin)" = 5000 ]'
check truncate-grow-zeros eq "$(tail -c 4000 w/trunc.bin | tr -d '\000' | wc -c)" 0
check truncate-keeps-head eq "$(head -c 1000 w/trunc.bin | sha256sum)" "$(head -c 1000 w/rand.bin | sha256sum)"
# Past 4 GiB: offsets that need all 64 bits of Tread/Twrite offset.
check sparse-straddle-4G hbtool pwrite w/sparse.bin 4294967290 straddles-4GiB
check sparse-past-4G hbtool pwrite w/sparse.bin 5000000000 tail-data
check sparse-size eq "$(stat -c %s w/sparse.bin)" 5000000009
check sparse-read-4G eq "$(hbtool pread w/sparse.bin 4294967290 14)" straddles-4GiB
check sparse-read-tail eq "$(hbtool pread w/sparse.bin 5000000000 100)" tail-data
check sparse-hole-zeros eq "$(hbtool pread w/sparse.bin 3000000000 8 | tr -d '\000')" ""

# -- rename variants -------------------------------------------------------------
check rename sh -c 'echo r > w/r1 && mv w/r1 w/r2 && [ ! -e w/r1 ] && [ "$(cat w/r2)" = r ]'
check rename-over-file sh -c 'echo new > w/n && echo old > w/o && mv -f w/n w/o && [ ! -e w/n ] && [ "$(cat w/o)" = new ]'
check rename-across-dirs sh -c 'mkdir w/d1 w/d2 && echo x > w/d1/f && mv w/d1/f w/d2/g && [ "$(cat w/d2/g)" = x ]'
check rename-dir-with-contents sh -c 'mkdir -p w/tree/a/b && echo deep > w/tree/a/b/f && mv w/tree w/tree2 && [ "$(cat w/tree2/a/b/f)" = deep ]'
check rename-dir-over-empty-dir sh -c 'mkdir w/empty && mv -T w/tree2 w/empty && [ "$(cat w/empty/a/b/f)" = deep ] && [ ! -e w/tree2 ]'
check rename-dir-over-full-dir refused 'not empty' mv -T w/d1 w/empty
check rename-open-file sh -c 'echo keep > w/open1 && exec 3<w/open1 && mv w/open1 w/open2 && [ "$(cat <&3)" = keep ]'

# -- links -------------------------------------------------------------------------
check hardlink ln w/rand.bin w/hard.bin
check hardlink-nlink eq "$(stat -c %h w/rand.bin)" 2
check hardlink-inode eq "$(stat -c %i w/hard.bin)" "$(stat -c %i w/rand.bin)"
check hardlink-shared-data sh -c 'echo one > w/h1 && ln w/h1 w/h2 && echo two >> w/h2 && [ "$(cat w/h1)" = "one
two" ] && rm w/h1 && [ "$(stat -c %h w/h2)" = 1 ]'
check symlink-relative ln -s rand.bin w/sym-rel
check symlink-absolute-dangling ln -s /no/such/target w/sym-abs
check symlink-to-dir ln -s d2 w/sym-dir
check readlink eq "$(readlink w/sym-rel)" rand.bin
check symlink-follow eq "$(sha w/sym-rel)" "$(sha w/rand.bin)"
check symlink-dir-follow eq "$(cat w/sym-dir/g)" x
check symlink-lstat eq "$(stat -c %F w/sym-abs)" "symbolic link"
check symlink-dangling refused 'No such file' cat w/sym-abs

# -- attributes --------------------------------------------------------------------
check chmod-file sh -c 'echo m > w/mode && chmod 640 w/mode && [ "$(stat -c %a w/mode)" = 640 ]'
check chmod-setuid sh -c 'echo s > w/suid && chmod 4755 w/suid && [ "$(stat -c %a w/suid)" = 4755 ]'
check chmod-sticky-dir sh -c 'mkdir w/sticky && chmod 1777 w/sticky && [ "$(stat -c %a w/sticky)" = 1777 ]'
check chown sh -c 'echo c > w/owned && chown 1234:2345 w/owned && [ "$(stat -c %u:%g w/owned)" = 1234:2345 ]'
check chgrp sh -c 'chgrp 3456 w/owned && [ "$(stat -c %u:%g w/owned)" = 1234:3456 ]'
check utime-seconds sh -c 'touch -d "2001-02-03 04:05:06" w/mode && [ "$(stat -c %Y w/mode)" = 981173106 ]'
# The 6.1 client keeps the superblock's default 1 s time granularity, so
# utimensat reaches the server in whole seconds; the server's nanoseconds
# still reach the guest (host.bin's times were set on the host).
check utimensat-seconds eq "$(hbtool utimens w/owned 1000000000 123456789 1200000000 987654321 | sed 's/[.][0-9]*//g')" "1000000000 1200000000"
fact utimens "$(hbtool utimens w/owned 1000000000 123456789 1200000000 987654321)"
check host-nanoseconds-seen eq "$(stat -c %y pre/host.bin)" "2005-05-05 05:05:05.123456789 +0000"
check mtime-advances-on-write sh -c 'touch -d "2001-01-01" w/appended.txt && echo more >> w/appended.txt && [ "$(stat -c %Y w/appended.txt)" -gt 978307200 ]'

# -- special files and open-file semantics -------------------------------------------
check mkfifo sh -c 'mkfifo w/fifo && [ -p w/fifo ]'
check fifo-carries-data sh -c '(echo through > w/fifo &) ; [ "$(cat w/fifo)" = through ]'
check unlink-while-open hbtool unlinked w/tmp/unlinked
check unlink-open-reader sh -c 'cp w/rand.bin w/tmp/gone && exec 4<w/tmp/gone && rm w/tmp/gone && [ ! -e w/tmp/gone ] && [ "$(sha256sum <&4)" = "$(sha256sum < w/rand.bin)" ]'

# -- trees ------------------------------------------------------------------------------
deep() {
  p=w/deep
  for i in $(seq 24); do p=$p/level$i; done
  mkdir -p "$p" && echo bottom > "$p/file" && echo side > w/deep/level1/side || return 1
  [ "$(cat "$p/file")" = bottom ]
}
check deep-tree deep
check rm-rf-deep-tree sh -c 'rm -rf w/deep && [ ! -e w/deep ]'
check mkdir-rmdir sh -c 'mkdir w/gone && rmdir w/gone && [ ! -e w/gone ]'
check rmdir-not-empty refused 'not empty' rmdir w/d2
check readdir eq "$(ls w/d2)" g

# -- file system queries, locks, xattrs --------------------------------------------------
check df df -k .
fact statfs "$(hbtool statfs .)"
check fcntl-locks-two-processes hbtool fcntl-pair w/locked
check flock-two-processes hbtool flock-pair w/flocked
check xattr-host-set eq "$(hbtool xattr-get pre/host.bin user.hb.host)" from-host
check xattr-set sh -c 'echo x > w/xa && hbtool xattr-set w/xa user.hb.color blue && hbtool xattr-set w/xa user.hb.kept yes'
check xattr-get eq "$(hbtool xattr-get w/xa user.hb.color)" blue
check xattr-list sh -c 'hbtool xattr-list w/xa | grep -qx user.hb.color && hbtool xattr-list w/xa | grep -qx user.hb.kept'
check xattr-remove hbtool xattr-remove w/xa user.hb.color
check xattr-removed-gone refused ENODATA hbtool xattr-get w/xa user.hb.color

# -- remount: everything above survives a fresh mount ---------------------------------
if [ "$HB_TRANSPORT" = tcp ]; then
  before=$(sha w/rand.bin)
  check_here remount remount
  check remount-data eq "$(sha w/rand.bin)" "$before"
  check remount-symlink eq "$(readlink w/sym-rel)" rand.bin
fi
finish_checks
