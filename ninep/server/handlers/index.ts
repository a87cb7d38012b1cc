// The handler table of each dialect. 9P2000 and 9P2000.u share one table
// (the .u differences are decided inside the handlers from the dialect);
// 9P2000.L has no open/create/stat/wstat (Linux never sends them there).

import type { DialectName } from '../../codec/index.js';
import { COMMON_HANDLERS } from './common.js';
import { L_HANDLERS } from './ext-L.js';
import { U_HANDLERS } from './ext-u.js';
import type { Handler, HandlerTable } from './types.js';

export type { Handler, Reply, FrameReply, RequestContext } from './types.js';

const TABLES: Readonly<Record<DialectName, HandlerTable>> = Object.freeze({
  '9P2000': Object.freeze({ ...COMMON_HANDLERS, ...U_HANDLERS }),
  '9P2000.u': Object.freeze({ ...COMMON_HANDLERS, ...U_HANDLERS }),
  '9P2000.L': Object.freeze({ ...COMMON_HANDLERS, ...L_HANDLERS }),
});

/** Handlers by message name; each handler accepts only its own message type. */
export function handlersFor(dialect: DialectName): Readonly<Record<string, Handler>> {
  return TABLES[dialect] as Readonly<Record<string, Handler>>;
}
