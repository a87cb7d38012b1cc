// Kernel-module bookkeeping for the guest image: read a module's .modinfo
// fields and order a set of modules so each one's dependencies load first
// (there is no modprobe or modules.dep in the guest; init uses insmod).

/** A NUL-separated `key=value` field of a .ko file's .modinfo section. */
export function modinfoField(ko: Buffer, key: string): string | undefined {
  const needle = Buffer.from(`\0${key}=`, 'latin1');
  const at = ko.indexOf(needle);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = ko.indexOf(0, start);
  return ko.toString('latin1', start, end < 0 ? ko.length : end);
}

/** Module names use '-' and '_' interchangeably; the kernel compares them as '_'. */
export function moduleName(name: string): string {
  return name.replace(/\.ko$/, '').replace(/-/g, '_');
}

/**
 * Depth-first closure of `roots` over `depends`, dependencies before their
 * users, each module once. Throws when a needed module is unknown.
 */
export function loadOrder(roots: readonly string[], depends: (name: string) => readonly string[] | undefined): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (raw: string, from: string): void => {
    const name = moduleName(raw);
    if (seen.has(name)) return;
    seen.add(name);
    const deps = depends(name);
    if (deps === undefined) throw new Error(`kernel module ${name} (needed by ${from}) is not in the package`);
    for (const d of deps) visit(d, name);
    order.push(name);
  };
  for (const r of roots) visit(r, 'the guest');
  return order;
}

/** The `depends=` list of a module file ("" means none). */
export function moduleDepends(ko: Buffer): string[] {
  const field = modinfoField(ko, 'depends') ?? '';
  return field.split(',').filter((d) => d !== '');
}
