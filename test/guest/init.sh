#!/bin/busybox sh
# /init (PID 1) of the 9P test guest. run-guest.ts appends it, with
# /run/guest.env, /run/script.sh and /run/lib.sh, to the base initramfs.
#
# Steps: load the modules listed in /etc/modules; bring up the transport
# (tcp: slirp network, the host's loopback is 10.0.2.2; fd: the
# virtio-serial port "hb9p" relayed through two FIFOs); mount 9P on /mnt/9p;
# run the script there with its stdout+stderr going to the result port
# (ttyS1, raw); unmount; write the end marker; power off.
# The marker is "\n<HB_MARK> status=N stage=S umount=U\n" where S is
# setup, mount or script; the host finds the script's output before it.

/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
. /run/guest.env

RESULT=/dev/ttyS1
# Raw and without echo: the script's bytes reach the host unchanged
# (no \n -> \r\n).  Each write below reopens the port; the last close waits
# until the UART has sent everything.
stty -F $RESULT raw -echo

finish() { # status stage [umount-status]
  printf '\n%s status=%s stage=%s umount=%s\n' "$HB_MARK" "$1" "$2" "${3:--}" >> $RESULT
  echo "guest: status=$1 stage=$2 umount=${3:--} uptime=$(cut -d' ' -f1 /proc/uptime)"
  if [ "$2" != script ] || [ "${HB_DMESG:-0}" = 1 ]; then dmesg | tail -n 40; fi
  sync
  poweroff -f
  sleep 5 # only if poweroff failed: PID 1 exiting panics, and QEMU stops (-no-reboot)
  exit 1
}

echo "guest: init uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /etc/modules); do
  insmod /lib/modules/$m.ko || finish 125 "setup:insmod-$m"
done

if [ "$HB_TRANSPORT" = fd ]; then
  # No udev: find the port by name in sysfs. The device announces its ports
  # asynchronously, so poll (up to about 10 s).
  port=
  for i in $(seq 100); do
    for p in /sys/class/virtio-ports/*; do
      [ "$(cat "$p/name" 2>/dev/null)" = hb9p ] && port=/dev/${p##*/}
    done
    [ -n "$port" ] && break
    usleep 100000
  done
  [ -c "$port" ] || finish 125 setup:no-virtio-port
  # trans=fd cannot use the port itself (virtio_console has no
  # read_iter/write_iter, which the kernel's 9P fd transport needs), and the
  # port opens only once: two cats on one descriptor relay it through FIFOs.
  mkfifo /run/h2g /run/g2h
  exec 5<>"$port"
  cat <&5 >/run/h2g &
  cat /run/g2h >&5 &
  exec 5>&-
  mount -t 9p -o "$HB_MOUNT_OPTS" "$HB_MOUNT_SOURCE" /mnt/9p 3</run/h2g 4>/run/g2h || finish 126 mount
else
  ip link set lo up
  ip link set eth0 up || finish 125 setup:eth0
  # No default route: the guest reaches 10.0.2.0/24 (the host) and nothing else.
  ip addr add 10.0.2.15/24 dev eth0 || finish 125 setup:address
  mount -t 9p -o "$HB_MOUNT_OPTS" "$HB_MOUNT_SOURCE" /mnt/9p || finish 126 mount
fi

echo "guest: script start uptime=$(cut -d' ' -f1 /proc/uptime)"
export MNT=/mnt/9p HB_TRANSPORT HB_MOUNT_OPTS HB_MOUNT_SOURCE HB_DIALECT HB_TIMING LIB=/run/lib.sh EXTRA=/run/extra
# In a subshell: init's own cwd must stay off the mount, or a remount in
# the script finds it busy.
(
  cd /mnt/9p || exit 125
  if [ -n "$HB_RUNAS" ]; then exec hbtool runas "${HB_RUNAS%:*}" "${HB_RUNAS#*:}" sh /run/script.sh; fi
  exec sh /run/script.sh
) >> $RESULT 2>&1
status=$?
echo "guest: script end uptime=$(cut -d' ' -f1 /proc/uptime)"
# The script may have remounted or unmounted; unmount whatever is there.
umount_status=-
if grep -q ' /mnt/9p ' /proc/mounts; then umount /mnt/9p; umount_status=$?; fi
finish $status script $umount_status
