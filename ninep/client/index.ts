// A minimal, complete 9P client over any Duplex: for tests, the `humbridge
// 9p` command and benchmarks.
export { Client, nameBytes, type Attached, type ClientOptions, type LockRequest, type Name, type Opened, type SetattrFields, type Walked } from './client.js';
export { Connection, type ConnectionOptions, type InFlight, type ReplyTo, type Request } from './connection.js';
export { ClientError, NinepError, errnoCodeOf, errnoCodeOfText, type ClientErrorReason } from './errors.js';
export { FidPool } from './fids.js';
export { TagPool } from './tags.js';
export { dontTouchStat, infoFromGetattr, infoFromStat, linuxModeOf, type FileInfo } from './fileinfo.js';
export * from './helpers.js';
export { connectAddress, parseAddress, type Address } from './connect.js';
