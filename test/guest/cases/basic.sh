# basic.sh - the operations every dialect carries: mount (done by init), read,
# write, create, mkdir, readdir, rename, remove, stat, chmod, truncate, and a
# symlink where the dialect has one (9P2000.u and .L; plain 9P2000 has none).
# Leaves b/ for the host to check: data.bin (sha in fact sha:data.bin),
# renamed.txt ("renamed\n"), mode.txt (0640), link -> data.bin (.u/.L).
. "$LIB"
check mkdir mkdir b b/sub
check read-host-file eq "$(cat pre/hello.txt)" "hello from the host"
check write dd if=/dev/urandom of=b/data.bin bs=4096 count=64
fact sha:data.bin "$(sha b/data.bin)"
check read-back eq "$(cat b/data.bin | sha256sum | cut -d' ' -f1)" "$(sha b/data.bin)"
check stat-size eq "$(stat -c %s b/data.bin)" 262144
check create sh -c 'echo before > b/old.txt && [ "$(cat b/old.txt)" = before ]'
check overwrite sh -c 'echo renamed > b/old.txt && [ "$(cat b/old.txt)" = renamed ]'
check rename sh -c 'mv b/old.txt b/renamed.txt && [ ! -e b/old.txt ] && [ -f b/renamed.txt ]'
check rename-into-dir sh -c 'echo moved > b/m && mv b/m b/sub/m && [ "$(cat b/sub/m)" = moved ]'
check readdir eq "$(ls b | tr '\n' ' ')" "data.bin renamed.txt sub "
check remove sh -c 'echo x > b/gone && rm b/gone && [ ! -e b/gone ]'
check rmdir sh -c 'mkdir b/empty && rmdir b/empty && [ ! -e b/empty ]'
check chmod sh -c 'echo m > b/mode.txt && chmod 640 b/mode.txt && [ "$(stat -c %a b/mode.txt)" = 640 ]'
check truncate sh -c 'truncate -s 100 b/sub/m && [ "$(stat -c %s b/sub/m)" = 100 ]'
check stat-type eq "$(stat -c %F b/sub)" directory
if [ "$HB_DIALECT" != 9p2000 ]; then
  check symlink ln -s data.bin b/link
  check readlink eq "$(readlink b/link)" data.bin
  check symlink-follow eq "$(sha b/link)" "$(sha b/data.bin)"
else
  check no-symlink-in-9p2000 refused '' ln -s data.bin b/link
fi
check df df -k .
if [ "$HB_TRANSPORT" = fd ]; then
  # The virtio-serial path works with no network device at all.
  check no-guest-network eq "$(ls /sys/class/net | tr '\n' ' ')" "lo "
fi
finish_checks
