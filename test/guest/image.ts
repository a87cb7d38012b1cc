// Builds and caches the guest image: a Debian kernel (decompressed to an ELF
// vmlinux when it can boot through PVH) and a small base initramfs holding
// static busybox, the 9P and virtio modules in load order, and hbtool.
// The guest's /init and each run's script are appended per run (run-guest.ts),
// so editing them never rebuilds the image.
//
// An image lives in <cache>/img-<key>, where the key hashes the package
// versions, the module list and the helper's source: a new kernel or busybox
// in apt makes a new image. Builds happen in a private temporary directory
// that is renamed into place, so concurrent builders never see half an image;
// the loser of the rename race discards its copy and uses the winner's.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioArchive, type CpioEntry } from './cpio.js';
import { downloadDebs, extractDeb, resolveGuestPackages, type DebPackage, type GuestPackages } from './debian.js';
import { loadOrder, modinfoField, moduleDepends, moduleName } from './kmod.js';
import { guestCacheDir, guestSourceDir } from './paths.js';
import { run } from './proc.js';
import { extractVmlinux } from './vmlinux.js';

/** Bumped whenever the image layout changes in a way the key cannot see. */
const IMAGE_FORMAT = 1;

/**
 * What the guest loads: 9pnet_fd carries the tcp, unix and fd transports (it
 * is needed even for TCP), 9p is the file system, virtio_net gives the slirp
 * network and virtio_console the virtio-serial port for trans=fd.
 * virtio_pci is the bus both devices sit on.
 */
const ROOT_MODULES = ['9pnet_fd', '9p', 'virtio_pci', 'virtio_net', 'virtio_console'];

/** Kernel package members to unpack; the dependency closure must lie inside them. */
const KERNEL_MEMBERS = [
  './boot/vmlinuz-*',
  './lib/modules/*/kernel/fs/*',
  './lib/modules/*/kernel/net/*',
  './lib/modules/*/kernel/lib/*',
  './lib/modules/*/kernel/drivers/virtio/*',
  './lib/modules/*/kernel/drivers/net/*',
  './lib/modules/*/kernel/drivers/char/*',
];

export interface GuestImage {
  dir: string;
  /** vmlinux (ELF, PVH) or vmlinuz (bzImage). */
  kernel: string;
  /** gzip-compressed newc archive, the base every run appends to. */
  initramfs: string;
  kernelRelease: string;
  modules: string[];
  packages: DebPackage[];
}

interface Manifest {
  kernelFile: string;
  kernelRelease: string;
  modules: string[];
  packages: DebPackage[];
}

function helperSource(): string {
  return path.join(guestSourceDir(), 'helper', 'hbtool.c');
}

async function readImage(dir: string): Promise<GuestImage | undefined> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return {
      dir,
      kernel: path.join(dir, m.kernelFile),
      initramfs: path.join(dir, 'initramfs.img'),
      kernelRelease: m.kernelRelease,
      modules: m.modules,
      packages: m.packages,
    };
  } catch {
    return undefined;
  }
}

/** Without apt (offline), the most recently built complete image, if any. */
async function newestCachedImage(cache: string): Promise<GuestImage | undefined> {
  let best: { image: GuestImage; mtime: number } | undefined;
  for (const name of await readdir(cache).catch(() => [] as string[])) {
    if (!name.startsWith('img-')) continue;
    const image = await readImage(path.join(cache, name));
    if (!image) continue;
    const mtime = (await stat(path.join(cache, name, 'manifest.json'))).mtimeMs;
    if (!best || mtime > best.mtime) best = { image, mtime };
  }
  return best?.image;
}

/** Returns a ready image, building it first when the cache has none for today's packages. */
export async function ensureGuestImage(log: (msg: string) => void = () => {}): Promise<GuestImage> {
  const cache = guestCacheDir();
  const helper = await readFile(helperSource());
  let pkgs: GuestPackages;
  try {
    await mkdir(cache, { recursive: true });
    pkgs = await resolveGuestPackages(path.join(cache, 'packages.json'));
  } catch (e) {
    const cached = await newestCachedImage(cache);
    if (cached) return cached;
    throw new Error(`cannot resolve the guest's Debian packages: ${(e as Error).message}`);
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ IMAGE_FORMAT, pkgs, ROOT_MODULES, KERNEL_MEMBERS }))
    .update(helper)
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(cache, `img-${key}`);
  const ready = await readImage(dir);
  if (ready) return ready;

  await removeStaleBuilds(cache);
  const work = await mkdtemp(path.join(cache, '.build-'));
  try {
    log(`building guest image ${dir} (${pkgs.kernel.name} ${pkgs.kernel.version}, busybox ${pkgs.busybox.version})`);
    await buildImage(work, pkgs.kernel, pkgs.busybox);
    try {
      await rename(path.join(work, 'image'), dir);
    } catch (e) {
      // Another process renamed its build into place first: use that one.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const built = await readImage(dir);
  if (!built) throw new Error(`guest image ${dir} is incomplete`);
  return built;
}

/** Build directories of builders that died (a build takes well under an hour). */
async function removeStaleBuilds(cache: string): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await readdir(cache)) {
    if (!name.startsWith('.build-')) continue;
    const st = await stat(path.join(cache, name)).catch(() => undefined);
    if (st && st.mtimeMs < hourAgo) await rm(path.join(cache, name), { recursive: true, force: true });
  }
}

/** Every kernel module file below `dir`, by module name, decompressed. */
async function indexModules(dir: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const rel of await readdir(dir, { recursive: true })) {
    const m = /([^/]+)\.ko(\.xz|\.zst)?$/.exec(rel);
    if (!m?.[1]) continue;
    const file = path.join(dir, rel);
    const data =
      m[2] === '.xz'
        ? (await run('xz', ['-dc', file])).stdout
        : m[2] === '.zst'
          ? (await run('zstd', ['-qdc', file])).stdout
          : await readFile(file);
    found.set(moduleName(m[1]), data);
  }
  return found;
}

async function buildImage(work: string, kernelPkg: DebPackage, busyboxPkg: DebPackage): Promise<void> {
  const debs = path.join(work, 'debs');
  const kroot = path.join(work, 'kernel');
  const bbroot = path.join(work, 'busybox');
  const out = path.join(work, 'image');
  await Promise.all([mkdir(debs), mkdir(kroot), mkdir(bbroot), mkdir(out)]);
  const [kernelDeb, busyboxDeb] = await downloadDebs([kernelPkg, busyboxPkg], debs);
  if (!kernelDeb || !busyboxDeb) throw new Error('download returned too few packages');
  await Promise.all([extractDeb(kernelDeb, kroot, KERNEL_MEMBERS), extractDeb(busyboxDeb, bbroot, ['./bin/busybox'])]);

  const releases = await readdir(path.join(kroot, 'lib', 'modules'));
  const kernelRelease = releases[0];
  if (releases.length !== 1 || !kernelRelease) throw new Error(`kernel package holds ${releases.length} module trees`);
  const modules = await indexModules(path.join(kroot, 'lib', 'modules', kernelRelease));
  const order = loadOrder(ROOT_MODULES, (name) => {
    const ko = modules.get(name);
    return ko ? moduleDepends(ko) : undefined;
  });
  for (const name of order) {
    const vermagic = modinfoField(modules.get(name) as Buffer, 'vermagic') ?? '';
    if (!vermagic.startsWith(`${kernelRelease} `)) throw new Error(`module ${name} was built for "${vermagic}"`);
  }

  const hbtool = path.join(work, 'hbtool');
  await run('gcc', ['-static', '-O2', '-Wall', '-o', hbtool, helperSource()]);

  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'run', 'mnt', 'mnt/9p', 'etc', 'lib', 'lib/modules'].map(
      (name): CpioEntry => ({ kind: 'dir', name, mode: name === 'tmp' ? 0o1777 : 0o755 }),
    ),
    { kind: 'file', name: 'bin/busybox', data: await readFile(path.join(bbroot, 'bin', 'busybox')), mode: 0o755 },
    { kind: 'file', name: 'bin/hbtool', data: await readFile(hbtool), mode: 0o755 },
    ...order.map((name): CpioEntry => ({ kind: 'file', name: `lib/modules/${name}.ko`, data: modules.get(name) as Buffer })),
    { kind: 'file', name: 'etc/modules', data: `${order.join('\n')}\n` },
  ];
  await writeFile(path.join(out, 'initramfs.img'), gzipSync(cpioArchive(entries), { level: 9 }));

  const bootDir = path.join(kroot, 'boot');
  const vmlinuzName = (await readdir(bootDir)).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuzName) throw new Error('kernel package holds no vmlinuz');
  const bzImage = await readFile(path.join(bootDir, vmlinuzName));
  const elf = await extractVmlinux(bzImage);
  const kernelFile = elf ? 'vmlinux' : 'vmlinuz';
  await writeFile(path.join(out, kernelFile), elf ?? bzImage);
  const manifest: Manifest = { kernelFile, kernelRelease, modules: order, packages: [kernelPkg, busyboxPkg] };
  // Written last: its presence marks the image complete.
  await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
