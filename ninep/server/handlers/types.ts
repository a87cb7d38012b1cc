// The shape of a request handler. Handlers are plain functions over the
// session and a decoded message; the session owns tags, replies and errors.

import type { AnyMessage, DialectName } from '../../codec/index.js';
import type { Session } from '../session.js';

export interface RequestContext {
  readonly session: Session;
  readonly tag: number;
  /** Aborted by Tflush of this tag, a Tversion reset, or the connection closing. */
  readonly signal: AbortSignal;
  readonly dialect: DialectName;
}

/** A reply frame built in place (Rread, Rreaddir), with the buffer's way home. */
export interface FrameReply {
  frame: Buffer;
  release?: () => void;
}

export type Reply = AnyMessage | FrameReply;

export type Handler = (ctx: RequestContext, msg: AnyMessage) => Promise<Reply>;

export type Msg<K extends AnyMessage['type']> = Extract<AnyMessage, { type: K }>;

/** Handlers by message name, each typed for its message. */
export type HandlerTable = { readonly [K in AnyMessage['type']]?: (ctx: RequestContext, msg: Msg<K>) => Promise<Reply> };
