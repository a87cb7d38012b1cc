// A scripted 9P peer for client tests: a real loopback socket pair whose far
// end decodes each request and lets the test answer it when and how it
// likes (out of order, with errors, not at all). Built on the codec, so the
// bytes are real 9P.

import net from 'node:net';
import { decode, dialect9P2000L, encode, FrameReader, type AnyDialect, type AnyMessage } from '../../../ninep/index.js';

export interface Received {
  tag: number;
  msg: AnyMessage;
}

export class Peer {
  dialect: AnyDialect = dialect9P2000L;
  private readonly queue: Received[] = [];
  private readonly waiters: ((r: Received) => void)[] = [];

  constructor(readonly socket: net.Socket) {
    const reader = new FrameReader(1 << 21, (frame) => {
      const copy = Buffer.from(frame);
      const isVersion = copy[4] === 100;
      const r = { tag: copy.readUInt16LE(5), msg: decode(isVersion ? dialect9P2000L : this.dialect, copy).msg };
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  /** The next request the client sent. */
  next(): Promise<Received> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next n requests. */
  async take(n: number): Promise<Received[]> {
    const out: Received[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  reply(tag: number, msg: AnyMessage): void {
    this.socket.write(encode(this.dialect, tag, msg));
  }

  /** Answers the next request, which must be Tversion, with the given msize/version. */
  async acceptVersion(msize?: number, version?: string): Promise<Received> {
    const r = await this.next();
    if (r.msg.type !== 'Tversion') throw new Error(`expected Tversion, got ${r.msg.type}`);
    this.reply(r.tag, { type: 'Rversion', msize: msize ?? r.msg.msize, version: version ?? r.msg.version });
    return r;
  }
}

export interface PeerPair {
  /** The client's end. */
  socket: net.Socket;
  peer: Peer;
  close(): Promise<void>;
}

/** A connected loopback socket pair: one end for the client, one for the peer. */
export async function peerPair(): Promise<PeerPair> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const socket = net.connect(port, '127.0.0.1');
  const far = await accepted;
  server.close();
  return {
    socket,
    peer: new Peer(far),
    async close() {
      socket.destroy();
      far.destroy();
      await new Promise<void>((resolve) => (far.closed ? resolve() : far.once('close', () => resolve())));
    },
  };
}
