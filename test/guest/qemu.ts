// The QEMU command line for one guest boot. Pure: builds argv only.

/** How the 9P byte stream reaches the guest. */
export type GuestChannel =
  /** Guest dials 10.0.2.2:port through QEMU user networking (the host's 127.0.0.1:port). */
  | { kind: 'tcp'; port: number }
  /** A virtio-serial port connected to a listening unix socket. */
  | { kind: 'unix'; socketPath: string }
  /** A virtio-serial port connected to QEMU's own stdin/stdout. */
  | { kind: 'stdio' };

export interface QemuBoot {
  kernel: string;
  initrd: string;
  consoleFile: string;
  resultFile: string;
  channel: GuestChannel;
  memory?: string;
  extraAppend?: string;
}

/** The virtio-serial port name init.sh looks for in /sys/class/virtio-ports. */
export const PORT_NAME = 'hb9p';

export function qemuArgs(boot: QemuBoot): string[] {
  const append = [
    'console=ttyS0',
    'quiet',
    'loglevel=3',
    // A guest panic ends QEMU at once (with -no-reboot) instead of at the timeout.
    'panic=-1',
    // Skip probing for a keyboard and mouse, and the crypto self-tests:
    // each costs a noticeable fraction of a second under TCG.
    'i8042.noaux',
    'i8042.nokbd',
    'i8042.nopnp',
    'cryptomgr.notests',
    ...(boot.extraAppend ? [boot.extraAppend] : []),
  ].join(' ');
  const args = [
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-monitor', 'none',
    '-M', 'pc',
    '-accel', 'tcg',
    '-cpu', 'max',
    // One vCPU: under TCG a second one costs more than it gives.
    '-smp', '1',
    '-m', boot.memory ?? '256M',
    '-kernel', boot.kernel,
    '-initrd', boot.initrd,
    '-append', append,
    // ttyS0: kernel console; ttyS1: the script's output and the end marker.
    '-serial', `file:${boot.consoleFile}`,
    '-serial', `file:${boot.resultFile}`,
  ];
  const ch = boot.channel;
  if (ch.kind === 'tcp') {
    // romfile= keeps QEMU from loading the NIC's PXE option ROM.
    args.push('-netdev', 'user,id=n0,ipv6=off', '-device', 'virtio-net-pci,netdev=n0,romfile=');
  } else {
    const chardev = ch.kind === 'unix' ? `socket,id=c9p,path=${ch.socketPath}` : 'stdio,id=c9p,signal=off';
    args.push(
      '-device', 'virtio-serial-pci,id=vser,romfile=',
      '-chardev', chardev,
      '-device', `virtserialport,bus=vser.0,chardev=c9p,name=${PORT_NAME}`,
    );
  }
  return args;
}
