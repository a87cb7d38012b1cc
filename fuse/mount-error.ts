/** A mount or unmount that could not be done, with a message saying why. */
export class MountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MountError';
  }
}
