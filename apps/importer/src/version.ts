import { readFileSync } from 'node:fs';

/** This importer's version, from its package.json. */
export const IMPORTER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
