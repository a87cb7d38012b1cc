// Extended attributes that are the layer's bookkeeping, not the file's:
// overlayfs's marks (opaque, and whatever else the kernel may write with
// `userxattr` or as root). The view never lists them, a client cannot set
// them, and copy-up does not carry a base's over.

const HIDDEN = ['user.overlay.', 'trusted.overlay.'];

export function isHiddenXattr(name: string): boolean {
  return HIDDEN.some((p) => name.startsWith(p));
}
