/** The pure core, for tools built on jest-replay's files (no Jest, no interception). */
export { type ReplayOptions, type ResolvedConfig, resolveConfig, validateOptions } from './config';
export { ReplayConfigError, RecordingFileError, ReplayError } from './errors';
export { parseRecording, serializeRecording, type Recording, type StoredRequest, type StoredResponse } from './format';
export { importRecordings } from './import';
export { isSharedEndpoint, keyedPath, normalizeForKey, requestKey } from './key';
export { MODES, type Mode, resolveMode } from './mode';
export { recordingFileName, safeSegment, testFolder } from './paths';
export { RecordingStore } from './store';
export { assignTestIds, type TestIdContext, type TestIdResolver } from './test-id';
export { verifyRecording } from './verify';
export { diagnoseTest, keysOf, scanRecordings } from './inspect';
export { mergeShards, readUsage, summarizeUsage, unusedRecordings } from './usage';
