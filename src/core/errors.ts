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

/** Bad configuration: raised before any test runs. */
export class ReplayConfigError extends ReplayError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayConfigError';
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
  }
}
