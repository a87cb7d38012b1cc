// One-line renderings of messages for trace logs:
//   Twalk{fid:1 newfid:2 wname:[a b]}
// The renderer is protocol-neutral and lives in src/wire (the FUSE codec
// uses it too).
export { format } from '../../src/wire/index.js';
