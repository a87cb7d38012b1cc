// Transports: each only listens/accepts or wraps descriptors, and hands over
// a connected Duplex. They know nothing of 9P.
export { listenTcp, closeServer, checkTcpHost, isLoopbackHost, TcpListenError, DEFAULT_TCP_HOST, DEFAULT_TCP_PORT, type Listener, type TcpListener, type TcpOptions } from './tcp.js';
export { decidePeer, defaultAllowUids, resolvePeerPolicy, type PeerDecision, type PeerPolicy } from './peers.js';
export { listenUnix, UnixPathError, type UnixListener } from './unix.js';
export { fdConnection, parseFdPair, type FdPair, type FdOptions } from './stdio.js';
