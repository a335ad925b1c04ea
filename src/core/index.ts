/** The pure core, for tools built on jest-replay's files (no Jest, no interception). */
export { type ReplayOptions, type ResolvedConfig, resolveConfig, validateOptions } from './config';
export { ReplayConfigError, RecordingFileError, ReplayError } from './errors';
export { serializeRecording, type Recording, type StoredRequest, type StoredResponse } from './recording/format';
export { parseRecording } from './recording/parse';
export { importRecordings } from './inspect/import';
export { type ExportOptions, planExport, writeExport } from './inspect/export';
export { isSharedEndpoint, keyedPath, normalizeForKey, requestKey } from './keying/key';
export { MODES, type Mode, resolveMode } from './mode';
export { recordingFileName, safeSegment, testFolder } from './store/paths';
export { RecordingStore } from './store/store';
export { assignTestIds, type TestIdContext, type TestIdResolver } from '../jest/test-id';
export { verifyRecording } from './inspect/verify';
export { diagnoseTest, scanRecordings } from './inspect/inspect';
export { keysOf } from './inspect/keys';
export { applyMove, type MoveRequest, planMove } from './inspect/move';
export type { KeyRules } from './keying/rules';
export { mergeShards, readUsage } from './store/usage';
export { judgeRecordings, summarizeUsage } from './store/unused';
