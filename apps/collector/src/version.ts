import { readFileSync } from 'node:fs';

/** This collector's version, from its package.json. */
export const COLLECTOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The collector's name in manifests. */
export const COLLECTOR_NAME = 'triage-collect';
