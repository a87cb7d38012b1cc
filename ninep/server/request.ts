// One running request as the session tracks it (InFlight) and as its
// handler sees it (Context).

import type { DialectName } from '../codec/index.js';
import type { RequestContext } from './handlers/types.js';
import type { Session } from './session.js';

/**
 * A running request. Its AbortController is made only when a handler asks
 * for the signal (few do: a waiting lock), since making one per request
 * showed in profiles.
 */
/** Shared by every InFlight until its run starts: one promise fewer per request. */
const SETTLED: Promise<void> = Promise.resolve();

export class InFlight {
  done: Promise<void> = SETTLED;
  /** Set by a Tversion reset or teardown: the reply is not sent. */
  suppressed = false;
  private controller: AbortController | undefined;
  private aborted = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

/** What a handler sees of its request; the signal is made on first use. */
export class Context implements RequestContext {
  constructor(
    readonly session: Session,
    readonly tag: number,
    private readonly entry: InFlight,
    readonly dialect: DialectName,
  ) {}

  get signal(): AbortSignal {
    return this.entry.signal;
  }
}

