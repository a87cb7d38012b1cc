# humfs.sh - a humfs export served by an unprivileged host user, used by the
# guest's root: ownership, device numbers, FIFOs and setuid/setgid/sticky
# bits live in the metadata files, so the guest sees what it set although no
# host file can carry it. Everything is made under h/ with explicit modes
# (no umask in play); humfs.guest.ts knows each record this must leave.
# Runs under 9P2000.L and 9P2000.u ($HB_DIALECT): .u has no link count
# and no statfs, the rest is the same.
# The host made, before boot: pre/host.txt ("from the host\n", 0640,
# owner 1001:1002 in its record); $EXTRA/total is the superblock's total.
. "$LIB"
mkdir h || exit 1

# -- what humfsify recorded for the host's tree -------------------------------------
check host-record eq "$(stat -c '%a %u:%g' pre/host.txt)" "640 1001:1002"
check host-data eq "$(cat pre/host.txt)" "from the host"

# -- ownership: any uid and gid, far beyond the host's users -----------------------
check chown sh -c 'echo x > h/owned && chmod 644 h/owned && chown 1234:5678 h/owned'
check chown-seen eq "$(stat -c %u:%g h/owned)" 1234:5678
check chown-huge sh -c 'echo y > h/huge && chmod 600 h/huge && chown 4000000000:4000000001 h/huge'
check chown-huge-seen eq "$(stat -c %u:%g h/huge)" 4000000000:4000000001
check mkdir-chown sh -c 'mkdir h/sgid && chown 2000:3000 h/sgid && chmod 2775 h/sgid'
check dir-record-seen eq "$(stat -c '%a %u:%g' h/sgid)" "2775 2000:3000"
check create-in-sgid-dir sh -c 'echo z > h/sgid/inherits && [ "$(stat -c %g h/sgid/inherits)" = 3000 ]'

# -- special files: devices and FIFOs, whatever the host user may make -------------
check mknod-char sh -c 'mknod -m 640 h/null c 1 3 && chown 1234:5678 h/null'
check mknod-block sh -c 'mknod -m 660 h/sda1 b 8 1 && chgrp 6 h/sda1'
# The largest Linux device number: 12-bit major, 20-bit minor.
check mknod-large mknod -m 600 h/bigdev c 4095 1048575
check mknod-block-large mknod -m 644 h/nvme b 259 70000
check mkfifo mkfifo -m 644 h/fifo
check mknod-fifo mknod -m 600 h/pipe p
check type-char eq "$(stat -c %F h/null)" "character special file"
check type-block eq "$(stat -c %F h/sda1)" "block special file"
check type-fifo eq "$(stat -c %F h/fifo)" "fifo"
# stat prints device numbers in hex.
check rdev-large eq "$(stat -c %t:%T h/bigdev)" fff:fffff
check rdev-block-large eq "$(stat -c %t:%T h/nvme)" 103:11170

# -- setuid, setgid, sticky ----------------------------------------------------------
check chmod-u+s sh -c 'echo s > h/suid && chmod 755 h/suid && chmod u+s h/suid'
check chmod-g+s sh -c 'echo g > h/sgidfile && chmod 750 h/sgidfile && chmod g+s h/sgidfile'
check chmod-all sh -c 'echo a > h/all && chmod 7654 h/all'
check chmod-+t sh -c 'mkdir h/sticky && chmod 777 h/sticky && chmod +t h/sticky'
check modes-seen eq "$(stat -c %a h/suid h/sgidfile h/all h/sticky | tr '\n' ' ')" "4755 2750 7654 1777 "

# -- ls -l: owner, mode letters, device numbers ----------------------------------------
lsl() { # NAME: mode letters, owner, group, and size or "major, minor" (busybox ls -ln)
  ls -ln "h/$1" | tr -s ' ' | cut -d' ' -f1,3-6 | sed 's/ [A-Z][a-z][a-z]$//'
}
check ls-owned eq "$(lsl owned)" "-rw-r--r-- 1234 5678 2"
check ls-huge eq "$(lsl huge)" "-rw------- 4000000000 4000000001 2"
check ls-null eq "$(lsl null)" "crw-r----- 1234 5678 1, 3"
check ls-sda1 eq "$(lsl sda1)" "brw-rw---- 0 6 8, 1"
check ls-bigdev eq "$(lsl bigdev)" "crw------- 0 0 4095, 1048575"
check ls-fifo eq "$(lsl fifo)" "prw-r--r-- 0 0 0"
check ls-suid eq "$(lsl suid)" "-rwsr-xr-x 0 0 2"
check ls-sgidfile eq "$(lsl sgidfile)" "-rwxr-s--- 0 0 2"
check ls-all eq "$(lsl all)" "-rwSr-sr-T 0 0 2"
check ls-sticky-dir eq "$(ls -lnd h/sticky | cut -c1-10)" drwxrwxrwt
check ls-sgid-dir eq "$(ls -lnd h/sgid | tr -s ' ' | cut -d' ' -f1,3,4)" "drwxrwsr-x 2000 3000"

# -- special files are the guest's own: nothing reaches the host's devices ------------
# c 1 3 is the guest's /dev/null; what is written there never reaches data/.
check char-dev-is-guests sh -c 'echo into-the-guest > h/null && [ -z "$(cat h/null)" ]'
check block-dev-no-device refused 'No such device or address' cat h/sda1
check char-dev-no-driver refused 'No such device or address' cat h/bigdev
check fifo-carries-data sh -c '(echo through > h/fifo &) ; [ "$(cat h/fifo)" = through ]'

# -- links, renames and removals carry their records -----------------------------------
check hardlink sh -c 'ln h/owned h/owned2 && [ "$(stat -c %u:%g h/owned2)" = 1234:5678 ]'
check hardlink-inode eq "$(stat -c %i h/owned2)" "$(stat -c %i h/owned)"
# 9P2000.u's stat has no link count: the client shows 1.
[ "$HB_DIALECT" = 9p2000.L ] && check hardlink-nlink eq "$(stat -c %h h/owned2)" 2
check hardlink-chown-both sh -c 'chown 1235 h/owned2 && [ "$(stat -c %u h/owned)" = 1235 ]'
check symlink sh -c 'ln -s owned h/sym && [ "$(readlink h/sym)" = owned ] && [ "$(cat h/sym)" = x ]'
rename_device() {
  mknod -m 600 h/tmpdev c 10 200 && mv h/tmpdev h/renamed && eq "$(lsl renamed)" "crw------- 0 0 10, 200"
}
check rename-device rename_device
check remove-device sh -c 'mknod h/gone b 7 0 && rm h/gone && [ ! -e h/gone ]'
rename_tree() {
  mkdir -p h/tree/sub && mknod -m 600 h/tree/sub/dev c 5 1 && chown 7:8 h/tree/sub && mv h/tree h/moved &&
    eq "$(lsl moved/sub/dev)" "crw------- 0 0 5, 1" && eq "$(stat -c %u:%g h/moved/sub)" 7:8
}
check rename-dir-with-records rename_tree
check rm-rf-tree-with-devices rm -rf h/moved

# -- several guest processes racing on the same few names -------------------------
# Creates, removals, renames, links, chmod and chown of one name at once: the
# host checks afterwards that humfsify --check finds every record in place.
race() {
  mkdir h/race || return 1
  for p in 1 2 3 4; do
    (
      i=0
      while [ $i -lt 20 ]; do
        case $(((i + p) % 5)) in
          0) mkdir h/race/n 2>/dev/null; rmdir h/race/n 2>/dev/null ;;
          1) echo "$p" 2>/dev/null > h/race/n; rm -f h/race/n 2>/dev/null ;;
          2) mv h/race/n h/race/m 2>/dev/null; mv h/race/m h/race/n 2>/dev/null ;;
          3) ln h/race/n h/race/l 2>/dev/null; chmod 600 h/race/n h/race/l 2>/dev/null; rm -f h/race/l 2>/dev/null ;;
          4) mknod h/race/n c 1 3 2>/dev/null; chown "$p:$p" h/race/n 2>/dev/null; rm -f h/race/n 2>/dev/null ;;
        esac
        i=$((i + 1))
      done
    ) &
  done
  wait
  rm -rf h/race && [ ! -e h/race ]
}
check race-same-names race

# -- the export folder beside data/ stays out of reach --------------------------------
# data/ is the mount's root; its parent holds the superblock and the records.
check link-up-superblock sh -c 'ln -s ../superblock h/sb && ln -s ../.. h/up && ln -s / h/root'
check superblock-unreachable refused 'No such file' cat h/sb
check records-unreachable refused 'No such file' ls h/up/file_metadata h/root/dir_metadata
# The guest resolves links in its own tree: ../.. from /mnt/9p/h is its /mnt.
check up-is-guests eq "$(ls h/up/)" 9p

# -- df: the superblock's size (9P2000.L: 9P2000.u has no statfs) -----------------------------
if [ "$HB_DIALECT" = 9p2000.L ]; then
  total=$(cat "$EXTRA/total")
  check df-total eq "$(df -k . | tail -n 1 | tr -s ' ' | cut -d' ' -f2)" "$((total / 1024))"
  fact statfs "$(hbtool statfs .)"
fi

# -- after a fresh mount (tcp) the records read back the same ----------------------------------
before=$(ls -ln h | tr -s ' ' | cut -d' ' -f1,3-6,10)
check_here remount remount
check remount-same eq "$(ls -ln h | tr -s ' ' | cut -d' ' -f1,3-6,10)" "$before"
finish_checks
