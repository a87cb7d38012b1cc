// humfs mode: the metadata store over the UML humfs layout (superblock,
// data/, file_metadata/, dir_metadata/). The parts live in src/meta/humfs/:
//   open.ts     opens an export folder (superblock, the two metadata trees)
//   store.ts    the MetadataStore: what entries look like, every change's metadata step
//   records.ts  anchored reads and atomic rewrites of record files
//   space.ts    the superblock's used/total: ENOSPC, accounting, write-out
//   missing.ts  the policy for data/ entries without a record
// The on-disk spelling belongs to humfs-format.ts alone.

export { openHumfs, SUPERBLOCK_DELAY_MS, type HumfsOpenOptions, type OpenedHumfs } from './humfs/open.js';
export { HumfsStore } from './humfs/store.js';
