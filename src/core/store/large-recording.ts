import { JSONParser } from '@streamparser/json';
import * as fs from 'node:fs';
import { RecordingFileError } from '../errors';
import { idNormalizer, LazyChunks, type Recording } from '../recording/format';
import { checkedRecording, invalidJson } from '../recording/parse';
import { checkTypedValue } from '../recording/typed-values';
import { type StreamShape, StreamShapeReader } from '../recording/stream-shape';
import { type Tokens, StreamTokensReader } from '../recording/tokens';

/**
 * A large stream's recording, replayed in bounded memory: the file is read a batch at a time by a streaming JSON
 * parser, never whole. A first pass checks it and keeps everything but the stream's chunks (each checked, then
 * dropped); the chunks are read again, one at a time, each time the stream is played, and dropped once sent.
 * JSON.parse of the whole text is faster, so smaller files are read whole (see `RecordingStore.readForReplay`).
 */

/** Bytes of the file read at a time. */
const BATCH_BYTES = 1 << 20;

/** A stream's chunks read from their file as they are iterated, with the shape and the tokens the first pass learnt. */
export class FileChunks extends LazyChunks {
  constructor(
    make: () => Iterator<unknown>,
    readonly shape: StreamShape,
    readonly tokens: Tokens | undefined,
  ) {
    super(make);
  }
}

/**
 * Feeds the file's bytes to `parser` a batch at a time, yielding between batches; a parse error, or a file that
 * ends before its JSON does, is a `RecordingFileError` naming it as `shownAs`.
 */
function* parseInBatches(file: string, shownAs: string, parser: JSONParser): Generator<void> {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(BATCH_BYTES);
    for (let read; (read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
      try {
        parser.write(buffer.subarray(0, read));
      } catch (error) {
        throw error instanceof RecordingFileError ? error : invalidJson(shownAs, error);
      }
      yield;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!parser.isEnded) throw invalidJson(shownAs, new Error('the file ends before its JSON does'));
}

const drain = (batches: Generator<void>) => {
  for (const _ of batches);
};

/**
 * Reads a recording whose stream chunks are left in the file (`FileChunks`); undefined when it is not a stream,
 * which is read whole instead. Every problem names the file as `shownAs`, as `readRecordingFile` does.
 */
export function readLargeRecording(file: string, shownAs: string): Recording | undefined {
  const top: Record<string, unknown> = {};
  const shape = new StreamShapeReader();
  const tokens = new StreamTokensReader();
  const parser = new JSONParser({ paths: ['$.*', '$.response.*', '$.response.body.*'], keepStack: false });
  parser.onValue = ({ value, key, parent, stack }) => {
    if (stack.length === 1) top[key as string] = value;
    if (stack.length !== 3 || !Array.isArray(parent)) return;
    checkTypedValue(value, key as number, shownAs);
    shape.add(value);
    tokens.add(value);
    // Checked and judged: not kept.
    parent.pop();
  };
  try {
    drain(parseInBatches(file, shownAs, parser));
  } catch (error) {
    throw error instanceof RecordingFileError ? error : new RecordingFileError(shownAs, (error as Error).message);
  }
  const recording = checkedRecording(top, shownAs);
  if (!recording.response.is_streaming || !Array.isArray(recording.response.body)) return undefined;
  const normalize = idNormalizer(recording.id_normalization_mapping) ?? ((value: unknown) => value);
  const chunks = new FileChunks(() => chunksOf(file, shownAs, normalize), shape.shape, tokens.tokens);
  const rest = normalize({ ...recording, response: { ...recording.response, body: [] }, id_normalization_mapping: {} }) as Recording;
  return { ...rest, response: { ...rest.response, body: chunks } };
}

/** The stream's chunks, read from the file again, one at a time. */
function* chunksOf(file: string, shownAs: string, normalize: (value: unknown) => unknown): Generator<unknown> {
  const ready: unknown[] = [];
  const parser = new JSONParser({ paths: ['$.response.body.*'], keepStack: false });
  parser.onValue = ({ value }) => void ready.push(value);
  for (const _ of parseInBatches(file, shownAs, parser)) {
    for (const chunk of ready.splice(0)) yield normalize(chunk);
  }
}
