# confine.sh - symlinks made in the guest that point out of the export (to
# /, to ../.., to the host path of a canary file beside the export) are
# followed by the guest, in the guest: nothing reaches the host outside the
# export. Operations on the links themselves (lstat, chown -h, utimensat
# with AT_SYMLINK_NOFOLLOW) must act on the links, never on their targets.
# $EXTRA/canary-path is the canary's host path, $EXTRA/canary-text its text.
. "$LIB"
canary=$(cat "$EXTRA/canary-path")
mkdir c
check link-root ln -s / c/root
check link-up ln -s ../.. c/up
check link-canary-rel ln -s ../../canary c/canary-rel
check link-canary-abs ln -s "$canary" c/canary-abs
never_canary() { # CMD...: whatever it prints, it is not the canary's text
  _o=$("$@" 2>&1)
  case $_o in *"$(cat "$EXTRA/canary-text")"*) echo "read the canary via $*"; return 1 ;; esac
  return 0
}
check read-rel never_canary cat c/canary-rel
check read-abs never_canary cat c/canary-abs
check read-up never_canary cat c/up/canary
check read-root never_canary cat "c/root$canary"
check list-up never_canary ls c/up/
check write-through-rel sh -c 'echo pwned > c/canary-rel; true'
check write-through-abs sh -c 'echo pwned > c/canary-abs; true'
check write-through-up sh -c 'echo pwned > c/up/escaped; mkdir c/up/escaped-dir; true'
check lstat-is-link eq "$(stat -c %F c/canary-abs)" "symbolic link"
check lstat-size eq "$(stat -c %s c/canary-abs)" "${#canary}"
check chown-h-link sh -c 'chown -h 1234:1234 c/canary-abs c/canary-rel && [ "$(stat -c %u c/canary-abs)" = 1234 ]'
check utimens-link hbtool utimens c/canary-rel 1000000000 0 1000000000 0
check hardlink-link sh -c 'ln c/up c/up-hard 2>/dev/null; true'
check rename-onto-link sh -c 'echo f > c/file && mv -T c/file c/canary-rel && [ ! -L c/canary-rel ] && [ "$(cat c/canary-rel)" = f ]'
check readlink-kept eq "$(readlink c/canary-abs)" "$canary"
finish_checks
