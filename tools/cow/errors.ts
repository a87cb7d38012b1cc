// A cow command's refusal or failure, told to the user as one line (exit 1).
export class CowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CowError';
  }
}
