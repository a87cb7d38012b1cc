// Public surface of the 9P side. For now: the codec and framing.
export * from './codec/index.js';
export { FrameReader, FramingError, MIN_FRAME } from './framing.js';
