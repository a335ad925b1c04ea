/**
 * Errors that teach the fix: every message names the option, file or test at fault
 * and says what to do next (in the manner of Ruby VCR's UnhandledHTTPRequestError).
 */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/**
 * Jest prints an error's stack. For errors whose frames are all jest-replay's own (a bad option, a
 * miss), the message is the whole story: the frames would only bury it.
 */
export function withoutStack<E extends Error>(error: E): E {
  error.stack = error.message;
  return error;
}

/** Bad configuration: raised before any test runs, and printed without a stack (Jest rewrites the message, not the stack). */
export class ReplayConfigError extends ReplayError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayConfigError';
    withoutStack(this);
  }
}

/** A folder under the recordings directory reached through a symbolic link: never read, written or cleaned through. */
export class LinkedFolderError extends ReplayError {
  constructor(
    readonly folder: string,
    readonly link: string,
  ) {
    super(
      `jest-replay: not reading or writing recordings in ${folder}: ${link} is a symbolic link, and jest-replay never reads, ` +
        'writes or deletes through a link under the recordings directory (it may lead outside it). Make it a folder.',
    );
    this.name = 'LinkedFolderError';
    withoutStack(this);
  }
}

/** A recording file that cannot be used: names the file and the problem. */
export class RecordingFileError extends ReplayError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`jest-replay: cannot use recording ${file}: ${problem}`);
    this.name = 'RecordingFileError';
    withoutStack(this);
  }
}
