// Transports: each only listens/accepts or wraps descriptors, and hands over
// a connected Duplex. They know nothing of 9P.
export { listenTcp, closeServer, DEFAULT_TCP_HOST, DEFAULT_TCP_PORT, type Listener, type TcpListener } from './tcp.js';
export { listenUnix, UnixPathError, type UnixListener } from './unix.js';
export { fdConnection, parseFdPair, type FdPair, type FdOptions } from './stdio.js';
