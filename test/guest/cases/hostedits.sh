# hostedits.sh - what the guest sees after edits made on the host, per cache
# mode, and what the host sees after edits made in the guest.
#
# $MNT is mounted cache=none; it carries the handshake with the host (ctl/)
# and is the "none" view. Each other mode in $EXTRA/modes gets a mount of its
# own at /mnt/c-MODE on the same export.
#
# Host edits: for each edit E (e/E/ holds a file f, "old", mtime 2000-01-01)
# every mount first caches the target (stat, read, ls) and opens f; the guest
# asks the host to make the edit (ctl/req.N = "edit E TARGET"); the host edits
# and answers ctl/done.N with the truth as it sees it ("stat ...", "read
# ...", "ls ..."). Then, per mode and view, the guest reports
#   fact see:E:MODE:VIEW now|later:MS|stale   (at once, within $BOUND_MS, never)
#   fact fd:E:MODE CONTENT                    (read through the descriptor opened before)
#   fact drop:E:MODE:VIEW fresh|stale         (after closing and drop_caches)
#
# Guest edits: the guest changes g/MODE/ through each mount and asks the host
# after each step ("g2h MODE STEP"); the host records what it sees.
. "$LIB"
MODES=$(cat "$EXTRA/modes")
BOUND_MS=$(cat "$EXTRA/bound-ms")
N=0

root() { if [ "$1" = none ]; then echo "$MNT"; else echo "/mnt/c-$1"; fi; }

# ask WORDS...: hands a request to the host, waits for its answer (in $REPLY_FILE).
ask() {
  N=$((N + 1))
  echo "$*" > "$MNT/ctl/.req" && mv "$MNT/ctl/.req" "$MNT/ctl/req.$N" || return 1
  _i=0
  while [ ! -e "$MNT/ctl/done.$N" ]; do
    _i=$((_i + 1))
    [ $_i -gt 1200 ] && { echo "no answer to request $N ($*)"; return 1; }
    usleep 50000
  done
  REPLY_FILE=$MNT/ctl/done.$N
}

# view VIEW PATH: one line, formatted as the host formats its truth.
view() {
  case $1 in
    stat)
      _s=$(stat -c '%F|%s|%a|%u:%g|%Y' "$2" 2>/dev/null) || { echo ENOENT; return; }
      _o=$IFS; IFS='|'; set -- $_s; IFS=$_o
      _age=new; [ "$5" = 946684800 ] && _age=old
      if [ "$1" = directory ]; then echo "dir $3 $4 $_age"; else echo "file $2 $3 $4 $_age"; fi ;;
    read)
      if [ -d "$2" ]; then echo -; elif _c=$(cat "$2" 2>/dev/null); then echo "$_c"; else echo ENOENT; fi ;;
    ls)
      ls -1 "${2%/*}" 2>&1 | tr '\n' ' ' | sed 's/ $//' ;;
  esac
}

want() { sed -n "s/^$1 //p" "$REPLY_FILE"; }

for mode in $MODES; do
  [ $mode = none ] && continue
  mkdir -p /mnt/c-$mode
  if mount -t 9p -o "$(echo "$HB_MOUNT_OPTS" | sed "s/cache=none/cache=$mode/")" "$HB_MOUNT_SOURCE" /mnt/c-$mode 2>/tmp/mount.err; then
    fact mount:$mode ok
  else
    fact mount:$mode "refused $(tr '\n' ' ' < /tmp/mount.err)"
    MODES=$(echo " $MODES " | sed "s/ $mode / /")
  fi
done

edit_count=0
for line in $(cat "$EXTRA/edits"); do
  edit=${line%%:*}
  target=${line#*:}
  edit_count=$((edit_count + 1))
  fdfile=f; [ $edit = git ] && fdfile=README
  fd=5
  for mode in $MODES; do
    r=$(root $mode)/e/$edit
    for v in stat read ls; do view $v "$r/$target" > /dev/null; done
    eval "exec $fd<\"$r/$fdfile\""
    fd=$((fd + 1))
  done
  check_here edit-$edit ask edit $edit $target || continue
  pending=
  fd=5
  for mode in $MODES; do
    r=$(root $mode)/e/$edit
    for v in stat read ls; do
      if [ "$(view $v "$r/$target")" = "$(want $v)" ]; then fact see:$edit:$mode:$v now; else pending="$pending $mode:$v"; fi
    done
    fact fd:$edit:$mode "$(eval "cat <&$fd" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
    fd=$((fd + 1))
  done
  t0=$(_now_ms)
  while [ -n "$pending" ] && [ $(($(_now_ms) - t0)) -lt "$BOUND_MS" ]; do
    usleep 200000
    still=
    for p in $pending; do
      mode=${p%:*}
      v=${p#*:}
      if [ "$(view $v "$(root $mode)/e/$edit/$target")" = "$(want $v)" ]; then
        fact see:$edit:$mode:$v later:$(($(_now_ms) - t0))
      else
        still="$still $p"
      fi
    done
    pending=$still
  done
  for p in $pending; do fact see:$edit:$p stale; done
  fd=5
  for mode in $MODES; do eval "exec $fd<&-"; fd=$((fd + 1)); done
  echo 3 > /proc/sys/vm/drop_caches
  for mode in $MODES; do
    for v in stat read ls; do
      if [ "$(view $v "$(root $mode)/e/$edit/$target")" = "$(want $v)" ]; then fact drop:$edit:$mode:$v fresh; else fact drop:$edit:$mode:$v stale; fi
    done
  done
done
fact edits $edit_count

# Guest edits, each followed by a question to the host.
for mode in $MODES; do
  g=$(root $mode)/g/$mode
  check g2h-mkdir-$mode mkdir -p $g
  exec 5>"$g/w"
  printf data1 >&5
  check_here g2h-$mode-written-open ask g2h $mode written-open
  exec 5>&-
  check_here g2h-$mode-closed ask g2h $mode closed
  printf more >> "$g/w"
  check_here g2h-$mode-appended ask g2h $mode appended
  exec 5>>"$g/w"
  printf x >&5
  check_here g2h-$mode-open-before-sync ask g2h $mode open-before-sync
  sync
  check_here g2h-$mode-synced-open ask g2h $mode synced-open
  exec 5>&-
  chmod 600 "$g/w"
  check_here g2h-$mode-chmod ask g2h $mode chmod
  mv "$g/w" "$g/w2" && mkdir "$g/sub"
  check_here g2h-$mode-rename-mkdir ask g2h $mode rename-mkdir
  rm "$g/w2" && rmdir "$g/sub"
  check_here g2h-$mode-delete ask g2h $mode delete
done

for mode in $MODES; do [ $mode = none ] || umount /mnt/c-$mode; done
finish_checks
