/**
 * Writes docs/schema/artifact-v1.schema.json from the TypeBox definitions.
 * `npm run schema -w @triage/artifact-schema`; a test fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { artifactJsonSchema } from '../src/index.ts';

const target = new URL('../../../docs/schema/artifact-v1.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(artifactJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
