import { readFileSync } from 'node:fs';

/**
 * Set by the single-file build (esbuild `define`, scripts/build-sea.mjs),
 * where there is no package.json beside the code; undeclared everywhere else.
 */
declare const TRIAGE_COLLECTOR_VERSION: string | undefined;

/** This collector's version, from its package.json. */
export const COLLECTOR_VERSION: string =
  typeof TRIAGE_COLLECTOR_VERSION === 'string'
    ? TRIAGE_COLLECTOR_VERSION
    : (
        JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version;

/** The collector's name in manifests. */
export const COLLECTOR_NAME = 'triage-collect';
