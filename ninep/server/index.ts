// The 9P server: sessions over Duplex streams, serving Vfs exports.
export { Server, type ServerConfig } from './server.js';
export { Session } from './session.js';
export { DEFAULT_SERVER_OPTIONS, resolveServerOptions, ServerOptionsError, type ServerOptions, type AccessModel } from './options.js';
