// runGuest: boot the test guest once, mount a 9P server that runs on this
// host, run a shell script inside the mount, and bring back the script's
// output (byte-exact) and exit status. QEMU and any per-boot server process
// are stopped and the temporary files removed however the run ends.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { concatInitramfs, cpioArchive, type CpioEntry } from './cpio.js';
import { ensureGuestImage, type GuestImage } from './image.js';
import { guestSourceDir } from './paths.js';
import { GroupProcess } from './proc.js';
import { qemuArgs, type GuestChannel } from './qemu.js';
import type { Dialect, NinepServer } from './servers.js';

export type GuestTransport = 'tcp' | 'virtio';
export type AccessMode = 'user' | 'client' | 'any' | number;
export type CacheMode = 'none' | 'loose' | 'fscache' | 'mmap';

export interface MountOptions {
  version?: Dialect;
  access?: AccessMode;
  cache?: CacheMode;
  msize?: number;
  uname?: string;
  /** Defaults to the server's aname; pass '' to send none. */
  aname?: string;
  /** Further options, passed through verbatim ("noextend", "posixacl"...). */
  extra?: readonly string[];
}

export interface RunGuestOptions {
  /** Defaults to ensureGuestImage() (built on first use, then cached). */
  image?: GuestImage;
  server: NinepServer;
  /** busybox sh script; runs with cwd = the mount point, as root unless asUser. */
  script: string;
  /** Defaults to what the server listens on: tcp for tcp, virtio otherwise. */
  transport?: GuestTransport;
  mountOptions?: MountOptions;
  timeoutMs?: number;
  /** Runs the script as this uid:gid (no supplementary groups). */
  asUser?: { uid: number; gid: number };
  /** Files placed under $EXTRA (/run/extra) in the guest. */
  files?: Readonly<Record<string, string | Buffer>>;
}

export type GuestStage = 'setup' | 'mount' | 'script' | 'timeout' | 'no-result';

export interface GuestResult {
  /** The script's stdout and stderr, interleaved, as UTF-8. */
  output: string;
  /** The same bytes, unchanged. */
  raw: Buffer;
  /** The script's exit status (meaningful when stage is 'script'). */
  status: number;
  /** How far the guest got. */
  stage: GuestStage;
  /** Status of the final umount, when the mount was still there. */
  umountStatus: number | undefined;
  durationMs: number;
  /** The guest's serial console (kernel messages, init's progress). */
  console: string;
  /** The mount options the guest used. */
  mountOptions: string;
}

/** The -o string for mount -t 9p. */
export function mountOptionString(server: NinepServer, transport: GuestTransport, m: MountOptions = {}): string {
  const opts =
    transport === 'tcp'
      ? [`trans=tcp`, `port=${server.port ?? 564}`]
      : // init.sh opens the FIFOs as fds 3 (from the host) and 4 (to the host).
        ['trans=fd', 'rfdno=3', 'wfdno=4'];
  opts.push(`version=${m.version ?? '9p2000.L'}`, `msize=${m.msize ?? 262144}`);
  const aname = m.aname ?? server.aname;
  if (aname) opts.push(`aname=${aname}`);
  if (m.uname !== undefined) opts.push(`uname=${m.uname}`);
  if (m.access !== undefined) opts.push(`access=${m.access}`);
  if (m.cache !== undefined) opts.push(`cache=${m.cache}`);
  opts.push(...(m.extra ?? []));
  return opts.join(',');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function channelFor(server: NinepServer, transport: GuestTransport): GuestChannel {
  if (transport === 'tcp') {
    if (server.port === undefined) throw new Error(`${server.kind} listens on ${server.listen}, not tcp`);
    return { kind: 'tcp', port: server.port };
  }
  if (server.listen === 'unix' && server.socketPath) return { kind: 'unix', socketPath: server.socketPath };
  if (server.listen === 'stdio') return { kind: 'stdio' };
  throw new Error(`virtio transport needs a server listening on unix or stdio, not ${server.listen}`);
}

/** Splits the result port's bytes into the script output and the end marker. */
export function parseResult(
  bytes: Buffer,
  mark: string,
): { raw: Buffer; status: number; stage: GuestStage; umountStatus: number | undefined } | undefined {
  const at = bytes.lastIndexOf(`\n${mark} `);
  if (at < 0) return undefined;
  const nl = bytes.indexOf('\n', at + 1);
  const line = bytes.toString('utf8', at + 1, nl < 0 ? bytes.length : nl);
  const m = / status=(\d+) stage=(\S+) umount=(\S+)/.exec(line);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  const stage = m[2].startsWith('setup') ? 'setup' : m[2] === 'mount' ? 'mount' : 'script';
  return {
    raw: bytes.subarray(0, at),
    status: Number(m[1]),
    stage,
    umountStatus: m[3] === '-' ? undefined : Number(m[3]),
  };
}

export async function runGuest(o: RunGuestOptions): Promise<GuestResult> {
  const transport = o.transport ?? (o.server.listen === 'tcp' ? 'tcp' : 'virtio');
  const channel = channelFor(o.server, transport);
  const image = o.image ?? (await ensureGuestImage());
  for (const p of [image.kernel, image.initramfs]) {
    // QEMU splits option values at commas.
    if (p.includes(',')) throw new Error(`path with a comma: ${p}`);
  }
  const mountOptions = mountOptionString(o.server, transport, o.mountOptions);
  const mark = `HB-END-${randomBytes(8).toString('hex')}`;
  const env = {
    HB_MARK: mark,
    HB_TRANSPORT: transport === 'tcp' ? 'tcp' : 'fd',
    HB_MOUNT_SOURCE: transport === 'tcp' ? '10.0.2.2' : 'hb9p',
    HB_MOUNT_OPTS: mountOptions,
    HB_DIALECT: o.mountOptions?.version ?? '9p2000.L',
    HB_RUNAS: o.asUser ? `${o.asUser.uid}:${o.asUser.gid}` : '',
    HB_DMESG: process.env['HUMBRIDGE_GUEST_DMESG'] === '1' ? '1' : '0',
    HB_TIMING: process.env['HUMBRIDGE_GUEST_TIMING'] === '1' ? '1' : '0',
  };
  for (const name of Object.keys(o.files ?? {})) {
    if (name.includes('/') || name === '' || name === '.' || name === '..') throw new Error(`files: "${name}" is not a plain name`);
  }
  const src = guestSourceDir();
  const entries: CpioEntry[] = [
    { kind: 'file', name: 'init', data: await readFile(path.join(src, 'init.sh')), mode: 0o755 },
    { kind: 'dir', name: 'run' },
    { kind: 'file', name: 'run/guest.env', data: Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join('') },
    { kind: 'file', name: 'run/lib.sh', data: await readFile(path.join(src, 'cases', 'lib.sh')) },
    { kind: 'file', name: 'run/script.sh', data: o.script, mode: 0o755 },
    { kind: 'dir', name: 'run/extra' },
    ...Object.entries(o.files ?? {}).map(([name, data]): CpioEntry => ({ kind: 'file', name: `run/extra/${name}`, data })),
  ];

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hb-guest-'));
  const initrd = path.join(tmp, 'initrd');
  const consoleFile = path.join(tmp, 'console');
  const resultFile = path.join(tmp, 'result');
  let qemu: GroupProcess | undefined;
  let server: GroupProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  const t0 = Date.now();
  try {
    await writeFile(initrd, concatInitramfs([await readFile(image.initramfs), cpioArchive(entries)]));
    const args = qemuArgs({ kernel: image.kernel, initrd, consoleFile, resultFile, channel });
    if (channel.kind === 'stdio') {
      server = o.server.spawnStdio();
      qemu = new GroupProcess('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const q = qemu.child;
      const s = server.child;
      if (!q.stdin || !q.stdout || !s.stdin || !s.stdout) throw new Error('stdio pipes missing');
      q.stdout.pipe(s.stdin);
      s.stdout.pipe(q.stdin);
      // Either side may go first; a write to a closed pipe is not our failure.
      for (const stream of [q.stdin, s.stdin]) stream.on('error', () => {});
    } else {
      qemu = new GroupProcess('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    let qemuStderr = '';
    qemu.child.stderr?.on('data', (c: Buffer) => {
      qemuStderr += c.toString('utf8');
    });
    const timeoutMs = o.timeoutMs ?? 120_000;
    let timedOut = false;
    const running = qemu;
    timer = setTimeout(() => {
      timedOut = true;
      void running.stop(0);
    }, timeoutMs);
    const qemuStatus = await qemu.exited;
    clearTimeout(timer);
    const durationMs = Date.now() - t0;
    const consoleText = (await readFile(consoleFile, 'utf8').catch(() => '')) + qemuStderr;
    const resultBytes = await readFile(resultFile).catch(() => Buffer.alloc(0));
    const parsed = parseResult(resultBytes, mark);
    if (process.env['HUMBRIDGE_GUEST_VERBOSE'] === '1') {
      process.stderr.write(`--- guest console ---\n${consoleText}\n--- guest output ---\n${parsed?.raw.toString('utf8') ?? '(none)'}\n`);
    }
    if (!parsed) {
      // No end marker: hand back whatever the script had written by then.
      return {
        output: resultBytes.toString('utf8'),
        raw: resultBytes,
        status: timedOut ? 124 : qemuStatus,
        stage: timedOut ? 'timeout' : 'no-result',
        umountStatus: undefined,
        durationMs,
        console: consoleText,
        mountOptions,
      };
    }
    return { ...parsed, output: parsed.raw.toString('utf8'), durationMs, console: consoleText, mountOptions };
  } finally {
    clearTimeout(timer);
    await Promise.all([qemu?.stop(), server?.stop()]);
    await rm(tmp, { recursive: true, force: true });
  }
}
