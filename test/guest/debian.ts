// The Debian packages the guest image is made of, resolved and fetched with
// the ordinary apt tools: the generic kernel (the -cloud flavour has no 9P
// client) and busybox-static (the plain busybox package links libc).
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './proc.js';

export interface DebPackage {
  name: string;
  version: string;
}

async function aptShow(name: string): Promise<string> {
  return (await run('apt-cache', ['show', '--no-all-versions', name])).stdout.toString('utf8');
}

function field(control: string, key: string): string | undefined {
  const m = new RegExp(`^${key}: (.*)$`, 'm').exec(control);
  return m?.[1];
}

/** The candidate versions of the kernel image and busybox-static. */
async function resolveOnce(): Promise<GuestPackages> {
  // linux-image-amd64 is a metapackage; its first Depends names the real image.
  const meta = await aptShow('linux-image-amd64');
  const dep = /(linux-image-\d[^\s,]*) \(= ([^)]+)\)/.exec(field(meta, 'Depends') ?? '');
  if (!dep?.[1] || !dep[2]) throw new Error('apt-cache: linux-image-amd64 names no kernel image');
  const bbVersion = field(await aptShow('busybox-static'), 'Version');
  if (!bbVersion) throw new Error('apt-cache: no busybox-static version');
  return { kernel: { name: dep[1], version: dep[2] }, busybox: { name: 'busybox-static', version: bbVersion } };
}

export interface GuestPackages {
  kernel: DebPackage;
  busybox: DebPackage;
}

/** Names, sizes and times of apt's package lists: the answer changes only with them. */
async function aptListsStamp(): Promise<string> {
  const dir = '/var/lib/apt/lists';
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.includes('_Packages')).sort();
  const parts = await Promise.all(
    names.map(async (n) => {
      const st = await stat(path.join(dir, n));
      return `${n}:${st.size}:${st.mtimeMs}`;
    }),
  );
  return parts.join('\n');
}

/**
 * Resolves the packages, refreshing apt's lists once when they are missing.
 * apt-cache takes about a second here, so the answer is remembered in
 * `memo` (a file) for as long as apt's lists stay the same.
 */
export async function resolveGuestPackages(memo: string): Promise<GuestPackages> {
  const stamp = await aptListsStamp();
  try {
    const saved = JSON.parse(await readFile(memo, 'utf8')) as { stamp: string; pkgs: GuestPackages };
    if (stamp !== '' && saved.stamp === stamp) return saved.pkgs;
  } catch {
    // No memo yet, or a broken one: resolve afresh.
  }
  let pkgs: GuestPackages;
  try {
    pkgs = await resolveOnce();
  } catch {
    await run('apt-get', ['update', '-q']);
    pkgs = await resolveOnce();
  }
  // Written whole under a private name, then renamed: readers never see half.
  const tmp = `${memo}.${process.pid}`;
  await writeFile(tmp, JSON.stringify({ stamp: await aptListsStamp(), pkgs }));
  await rename(tmp, memo);
  return pkgs;
}

/** Downloads exact package versions into `dir`; returns the .deb paths in order. */
export async function downloadDebs(pkgs: readonly DebPackage[], dir: string): Promise<string[]> {
  // As root, apt drops to the _apt user, which cannot write into a private
  // temporary directory; keep root for the download itself.
  const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
  await run('apt-get', ['-q', ...sandbox, 'download', ...pkgs.map((p) => `${p.name}=${p.version}`)], { cwd: dir });
  const files = await readdir(dir);
  return pkgs.map((p) => {
    const deb = files.find((f) => f.startsWith(`${p.name}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download left no .deb for ${p.name}`);
    return path.join(dir, deb);
  });
}

/** Extracts the members of a .deb's data archive that match tar `--wildcards` patterns. */
export async function extractDeb(deb: string, into: string, patterns: readonly string[]): Promise<void> {
  // One pass over the data tarball; a pattern that matches nothing fails tar.
  await run('sh', ['-c', 'd=$1 to=$2; shift 2; dpkg-deb --fsys-tarfile "$d" | tar -x -C "$to" --wildcards "$@"', 'sh', deb, into, ...patterns]);
}
