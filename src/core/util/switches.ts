/** Yes/no environment variables (`RECORD`, `JEST_REPLAY_VERBOSE`, `CI`), read alike everywhere: case and spaces ignored. */
const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['', '0', 'false', 'no', 'off']);
const flag = (value: string | undefined): string => (value ?? '').trim().toLowerCase();

/** Set to yes: `1`, `true`, `yes` or `on`. */
export const switchedOn = (value: string | undefined): boolean => ON.has(flag(value));
/** Unset, empty, or set to no: `0`, `false`, `no` or `off`. */
export const switchedOff = (value: string | undefined): boolean => OFF.has(flag(value));
