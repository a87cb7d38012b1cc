// The host's half of cases/hostedits.sh: the export's starting tree, the
// edits a developer makes on the host, the truth the guest compares its views
// with, and the responder that answers the guest's requests in ctl/ while the
// guest runs.
import { appendFile, chmod, chown, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './proc.js';

/** 2000-01-01: the guest tells an edited entry by an mtime that is not this. */
const OLD_TIME = 946_684_800;

const git = (dir: string, ...args: string[]) =>
  run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=a', ...args], { cwd: dir });

/** Edit kind -> the entry (in e/KIND/) the guest watches, and the host's change. */
export const HOST_EDITS: Record<string, { target: string; edit(dir: string): Promise<void> }> = {
  write: {
    target: 'f',
    async edit(d) {
      const fh = await open(path.join(d, 'f'), 'r+');
      await fh.write('new', 0);
      await fh.close();
    },
  },
  append: { target: 'f', edit: (d) => appendFile(path.join(d, 'f'), '+add') },
  truncate: { target: 'f', edit: (d) => truncate(path.join(d, 'f'), 1) },
  // An editor's save: a temporary file renamed over the old one.
  renameover: {
    target: 'f',
    async edit(d) {
      await writeFile(path.join(d, '.f.swp'), 'saved');
      await rename(path.join(d, '.f.swp'), path.join(d, 'f'));
    },
  },
  delete: { target: 'f', edit: (d) => rm(path.join(d, 'f')) },
  create: { target: 'g', edit: (d) => writeFile(path.join(d, 'g'), 'made', { mode: 0o644 }) },
  chmod: { target: 'f', edit: (d) => chmod(path.join(d, 'f'), 0o600) },
  chown: { target: 'f', edit: (d) => chown(path.join(d, 'f'), 1234, 1234) },
  mkdir: { target: 'sub', edit: (d) => mkdir(path.join(d, 'sub'), { mode: 0o755 }) },
  rmdir: { target: 'sub', edit: (d) => rmdir(path.join(d, 'sub')) },
  // Branch b changes README and swaps only-a for only-b.
  git: { target: 'README', edit: async (d) => void (await git(d, 'checkout', '-q', 'b')) },
};

export type HostEdit = keyof typeof HOST_EDITS;

/** e/KIND/ for every edit: f holding "old" (sub for rmdir; a git work tree for git), all dated OLD_TIME. */
export async function prepareHostEdits(exportDir: string): Promise<void> {
  await mkdir(path.join(exportDir, 'ctl'));
  await mkdir(path.join(exportDir, 'g'));
  for (const kind of Object.keys(HOST_EDITS)) {
    const d = path.join(exportDir, 'e', kind);
    await mkdir(d, { recursive: true });
    if (kind === 'git') {
      await git(d, 'init', '-q');
      await writeFile(path.join(d, 'README'), 'branch a\n');
      await writeFile(path.join(d, 'only-a'), 'a\n');
      await git(d, 'add', '-A');
      await git(d, 'commit', '-q', '-m', 'a');
      await git(d, 'checkout', '-q', '-b', 'b');
      await writeFile(path.join(d, 'README'), 'branch b, longer\n');
      await git(d, 'rm', '-q', 'only-a');
      await writeFile(path.join(d, 'only-b'), 'b\n');
      await git(d, 'add', '-A');
      await git(d, 'commit', '-q', '-m', 'b');
      await git(d, 'checkout', '-q', 'a');
      continue;
    }
    await writeFile(path.join(d, 'f'), 'old', { mode: 0o644 });
    await chmod(path.join(d, 'f'), 0o644);
    await utimes(path.join(d, 'f'), OLD_TIME, OLD_TIME);
    if (kind === 'rmdir') {
      await mkdir(path.join(d, 'sub'), { mode: 0o755 });
      await utimes(path.join(d, 'sub'), OLD_TIME, OLD_TIME);
    }
  }
}

/** The host's own view of `name` in `dir`, formatted as cases/hostedits.sh formats the guest's. */
export async function truth(dir: string, name: string): Promise<string> {
  const p = path.join(dir, name);
  const st = await lstat(p).catch(() => undefined);
  const age = (s: { mtimeMs: number }) => (Math.floor(s.mtimeMs / 1000) === OLD_TIME ? 'old' : 'new');
  const mode = (s: { mode: number }) => (s.mode & 0o7777).toString(8);
  const statLine = !st
    ? 'ENOENT'
    : st.isDirectory()
      ? `dir ${mode(st)} ${st.uid}:${st.gid} ${age(st)}`
      : `file ${st.size} ${mode(st)} ${st.uid}:${st.gid} ${age(st)}`;
  const read = !st ? 'ENOENT' : st.isDirectory() ? '-' : (await readFile(p, 'utf8')).replace(/\n+$/, '');
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  return `stat ${statLine}\nread ${read}\nls ${names.join(' ')}\n`;
}

/** What the host must see after each step of the guest's edits in g/MODE/. */
const GUEST_STEPS: Record<string, (g: string) => Promise<boolean>> = {
  'written-open': async (g) => (await readText(path.join(g, 'w'))) === 'data1',
  closed: async (g) => (await readText(path.join(g, 'w'))) === 'data1',
  appended: async (g) => (await readText(path.join(g, 'w'))) === 'data1more',
  'open-before-sync': async (g) => (await readText(path.join(g, 'w'))) === 'data1morex',
  'synced-open': async (g) => (await readText(path.join(g, 'w'))) === 'data1morex',
  chmod: async (g) => ((await stat(path.join(g, 'w')).catch(() => undefined))?.mode ?? 0) % 0o1000 === 0o600,
  'rename-mkdir': async (g) =>
    !(await exists(path.join(g, 'w'))) &&
    (await readText(path.join(g, 'w2'))) === 'data1morex' &&
    ((await stat(path.join(g, 'sub')).catch(() => undefined))?.isDirectory() ?? false),
  delete: async (g) => !(await exists(path.join(g, 'w2'))) && !(await exists(path.join(g, 'sub'))),
};

const readText = (p: string) => readFile(p, 'utf8').catch(() => undefined);
const exists = (p: string) => lstat(p).then(() => true, () => false);

/** What the responder did: guest step "MODE:STEP" -> whether the host saw it at once. */
export interface Responder {
  guestSteps: Map<string, boolean>;
  hostEditsDone: string[];
  errors: string[];
  stop(): Promise<void>;
}

/** Answers the guest's requests in EXPORT/ctl/ until stopped. */
export function startResponder(exportDir: string): Responder {
  const ctl = path.join(exportDir, 'ctl');
  const r: Responder = { guestSteps: new Map(), hostEditsDone: [], errors: [], stop: async () => {} };
  const handled = new Set<string>();
  let stopped = false;
  const answer = async (req: string): Promise<string> => {
    const [verb, a, b] = (await readFile(path.join(ctl, req), 'utf8')).trim().split(' ');
    if (verb === 'edit' && a && b && a in HOST_EDITS) {
      const dir = path.join(exportDir, 'e', a);
      await (HOST_EDITS[a] as (typeof HOST_EDITS)[string]).edit(dir);
      r.hostEditsDone.push(a);
      return truth(dir, b);
    }
    const step = b ? GUEST_STEPS[b] : undefined;
    if (verb === 'g2h' && a && b && step) {
      r.guestSteps.set(`${a}:${b}`, await step(path.join(exportDir, 'g', a)));
      return 'ok\n';
    }
    throw new Error(`unknown request ${req}`);
  };
  const loop = (async () => {
    while (!stopped) {
      for (const req of await readdir(ctl)) {
        if (!req.startsWith('req.') || handled.has(req)) continue;
        handled.add(req);
        const n = req.slice(4);
        let reply: string;
        try {
          reply = await answer(req);
        } catch (e) {
          r.errors.push(`${req}: ${(e as Error).message}`);
          reply = 'error\n';
        }
        await writeFile(path.join(ctl, `.done.${n}`), reply);
        await rename(path.join(ctl, `.done.${n}`), path.join(ctl, `done.${n}`));
      }
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  r.stop = async () => {
    stopped = true;
    await loop;
  };
  return r;
}
