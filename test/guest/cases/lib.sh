# lib.sh - sourced by every case script (". $LIB"); busybox sh.
# Each check prints one line the host parses:
#   ok NAME                      the check held
#   not ok NAME: DETAIL          it did not (DETAIL is the command's output)
#   fact KEY VALUE               a value the host verifies after the guest exits
#   summary pass=N fail=M        last line, from finish_checks
HB_PASS=0
HB_FAIL=0

# With HB_TIMING=1 each check also prints "time NAME MS" (guest clock).
_now_ms() {
  read -r _up _ < /proc/uptime
  _frac=${_up#*.}
  echo $((${_up%.*} * 1000 + ${_frac#0} * 10))
}

# check NAME CMD...: runs CMD (in a subshell), records the outcome.
check() {
  _name=$1
  shift
  [ "$HB_TIMING" = 1 ] && _t0=$(_now_ms)
  _timed "$@"
  _rc=$?
  [ "$HB_TIMING" = 1 ] && echo "time $_name $(($(_now_ms) - _t0))"
  return $_rc
}
_timed() {
  if _out=$("$@" 2>&1); then
    echo "ok $_name"
    HB_PASS=$((HB_PASS + 1))
  else
    echo "not ok $_name: $(printf '%s' "$_out" | tr '\n' ' ' | head -c 400)"
    HB_FAIL=$((HB_FAIL + 1))
  fi
}

# check_here NAME CMD...: like check, but in this shell, for commands that
# must change its state (remount moves the shell's cwd off the old mount).
check_here() {
  _name=$1
  shift
  if "$@" > /tmp/hb-check.out 2>&1; then
    echo "ok $_name"
    HB_PASS=$((HB_PASS + 1))
  else
    echo "not ok $_name: $(tr '\n' ' ' < /tmp/hb-check.out | head -c 400)"
    HB_FAIL=$((HB_FAIL + 1))
  fi
}

# eq GOT WANT
eq() {
  [ "$1" = "$2" ] || { echo "got '$1' want '$2'"; return 1; }
}

# refused ERRNO-TEXT CMD...: CMD must fail, and its message must mention ERRNO-TEXT
# (busybox prints strerror: "Permission denied", "Operation not permitted").
refused() {
  _want=$1
  shift
  if _o=$("$@" 2>&1); then echo "succeeded: $_o"; return 1; fi
  case $_o in *"$_want"*) return 0 ;; esac
  echo "failed differently: $_o"
  return 1
}

fact() {
  echo "fact $1 $2"
}

sha() {
  sha256sum "$1" | cut -d' ' -f1
}

# remount [EXTRA-OPTIONS]: unmount and mount again (tcp only: the fd
# transport's relay ends with the first mount).
remount() {
  cd / && umount "$MNT" && mount -t 9p -o "$HB_MOUNT_OPTS${1:+,$1}" "$HB_MOUNT_SOURCE" "$MNT" && cd "$MNT"
}

finish_checks() {
  echo "summary pass=$HB_PASS fail=$HB_FAIL"
  [ "$HB_FAIL" = 0 ]
}
