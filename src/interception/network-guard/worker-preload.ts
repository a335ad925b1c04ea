import { getEnvironmentData } from 'node:worker_threads';
import { guardThread } from '.';
import { RefusalLog, WORKER_GUARD_SETTINGS, type WorkerGuardSettings } from './workers';

/** Loaded first in every Worker started while the guard is on (see ./workers): the worker gets the same guards. */
const settings = getEnvironmentData(WORKER_GUARD_SETTINGS) as WorkerGuardSettings | undefined;
if (settings) {
  const log = new RefusalLog(settings.refusals);
  guardThread(settings, (error) => log.write(error.message));
}
