// USER and GROUP of the command line → numeric ids. Numbers are taken as they
// are (the original does the same); names go through getent(1), so every NSS
// source (files, LDAP, systemd) answers, which Node alone cannot ask.
import { spawnSync } from 'node:child_process';
import { HumfsifyError } from './errors.js';

export function resolveUser(user: string): number {
  return resolveId(user, 'passwd', 'user', 'password database');
}

export function resolveGroup(group: string): number {
  return resolveId(group, 'group', 'group', 'group database');
}

function resolveId(text: string, db: 'passwd' | 'group', what: string, where: string): number {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    // (uid_t)-1 means "do not change" to chown(2): never a real owner.
    if (n >= 0xffffffff) throw new HumfsifyError(`${what} id ${text} is out of range`);
    return n;
  }
  if (text === '' || text.includes(':') || text.includes('\n') || text.startsWith('-')) {
    throw new HumfsifyError(`${what} '${text}' is not a valid name`);
  }
  const r = spawnSync('getent', [db, text], { encoding: 'utf8' });
  if (r.error !== undefined) throw new HumfsifyError(`cannot look up ${what} '${text}': getent: ${r.error.message}`);
  if (r.status === 2) throw new HumfsifyError(`${what} '${text}' is not in the ${where}`);
  if (r.status !== 0) throw new HumfsifyError(`cannot look up ${what} '${text}': getent exited with ${r.status}`);
  // name:passwd:uid:... or name:passwd:gid:members
  const id = r.stdout.split('\n')[0]?.split(':')[2];
  if (id === undefined || !/^[0-9]+$/.test(id)) throw new HumfsifyError(`getent ${db} ${text} printed no id`);
  return Number(id);
}
