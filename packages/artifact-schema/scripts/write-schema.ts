/**
 * Writes docs/schema/artifact-vN.schema.json for every schema version from
 * the TypeBox definitions. `npm run schema -w @triage/artifact-schema`; a
 * test fails when a committed file is stale. Version 1 is frozen: its file
 * must come out unchanged.
 */
import { writeFileSync } from 'node:fs';
import { artifactJsonSchema, SCHEMA_VERSIONS } from '../src/index.ts';

for (const version of SCHEMA_VERSIONS) {
  const target = new URL(`../../../docs/schema/artifact-v${version}.schema.json`, import.meta.url);
  writeFileSync(target, `${JSON.stringify(artifactJsonSchema(version), null, 2)}\n`);
  process.stdout.write(`wrote ${target.pathname}\n`);
}
