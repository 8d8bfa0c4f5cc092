/**
 * Differential tests against Debian's EVTX parsers (installed by the test
 * kit): libyal evtxexport 20181227 and python-evtx 0.6.1. For every record
 * both read: record id, written time, event id, provider, computer,
 * channel, EventRecordID, TimeCreated and every EventData (and UserData)
 * value. Each difference must fall under a documented rule of
 * src/testing/evtx-differential.ts (where we follow Windows or the
 * specification and the reference does not); any other fails the test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DebianTools, debianParsers } from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import {
  compareRecord,
  evtxexportRecords,
  type FieldResult,
  type OracleRecord,
  pairRecords,
  pythonEvtxRecords,
  RULES,
  type Rule,
  type Tool,
} from '../testing/evtx-differential.js';
import { evtxSample, evtxSampleNames } from '../testing/evtx-samples.js';
import { type EvtxRecord, openEvtx } from './evtx.js';

let tools: DebianTools & { readonly processEnv: NodeJS.ProcessEnv };
let scratch: string;
const used = new Map<string, number>();
let fieldsCompared = 0;
let recordsCompared = 0;

beforeAll(async () => {
  tools = await debianParsers();
  scratch = await mkdtemp(join(tmpdir(), 'triage-evtx-diff-'));
}, 180_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function tally(results: readonly FieldResult[], tool: Tool): FieldResult[] {
  fieldsCompared += results.length;
  for (const r of results)
    if (r.verdict && r.verdict !== 'unexplained')
      used.set(`${tool}:${r.verdict}`, (used.get(`${tool}:${r.verdict}`) ?? 0) + 1);
  return results.filter((r) => r.verdict === 'unexplained');
}

function compareAll(pairs: readonly [EvtxRecord, OracleRecord][], tool: Tool): FieldResult[] {
  recordsCompared += pairs.length;
  return pairs.flatMap(([ours, theirs]) => tally(compareRecord(ours, theirs, tool), tool));
}

describe('differential: evtxexport 20181227 and python-evtx 0.6.1', () => {
  it.each(evtxSampleNames())(
    '%s: every record both read agrees field by field',
    async (name) => {
      const bytes = evtxSample(name);
      const path = join(scratch, name.replace(/\.gz$/, ''));
      await writeFile(path, bytes);
      const evtx = await openEvtx(bufferSource(bytes, name));
      const ours: EvtxRecord[] = [];
      for await (const r of evtx.records()) ours.push(r);
      const scanned = ours.filter((r) => r.warnings.includes('found-by-scan'));

      // evtxexport: its allocated records are ours except the ones we found by scanning after damage…
      const items = await evtxexportRecords(tools, path, join(scratch, `${name}.items`));
      const ee = pairRecords(ours, items);
      expect(items.filter((r) => r.error)).toEqual([]);
      expect(ee.onlyTheirs).toEqual([]);
      expect(ee.onlyOurs.map((r) => r.recordId)).toEqual(scanned.map((r) => r.recordId));
      expect(compareAll(ee.pairs, 'evtxexport')).toEqual([]);
      // …which evtxexport lists among its recovered records, with the same content.
      if (scanned.length > 0) {
        const recovered = await evtxexportRecords(
          tools,
          path,
          join(scratch, `${name}.recovered`),
          'recovered',
        );
        const rec = pairRecords(scanned, recovered);
        expect(rec.onlyOurs).toEqual([]);
        expect(compareAll(rec.pairs, 'evtxexport')).toEqual([]);
      }

      // python-evtx: the same, and it fails on no record we render.
      const py = await pythonEvtxRecords(tools, path);
      const pe = pairRecords(ours, py);
      const failed = py.filter((r) => r.error);
      expect(pe.onlyTheirs).toEqual([]);
      expect(compareAll(pe.pairs, 'python-evtx')).toEqual([]);
      if (name === 'RemoteConnectionManager_omer.evtx.gz') {
        // python-evtx follows the size of the torn record 463011 past the end of the file; we report it and skip it.
        expect(failed.map((r) => r.id)).toEqual([463011]);
        expect(evtx.diagnostics.some((d) => d.kind === 'record-size' && d.chunk === 1)).toBe(true);
        expect(pe.onlyOurs.map((r) => r.recordId)).toEqual(scanned.map((r) => r.recordId));
      } else {
        expect(failed).toEqual([]);
        expect(pe.onlyOurs).toEqual([]);
      }
    },
    180_000,
  );

  it('compared every field of every record, with only the documented disagreements', () => {
    // We read 5,977 records from the 10 samples: 5,956 are compared with each tool, and the 21 we find by
    // scanning past the torn record are compared with evtxexport's recovered list. Each rule is exercised.
    expect(recordsCompared).toBe(2 * 5956 + 21);
    expect(fieldsCompared).toBeGreaterThan(140_000);
    const rules = new Set([...used.keys()].map((k) => k.split(':')[1] as Rule));
    expect([...rules].sort()).toEqual(Object.keys(RULES).sort());
    // evtxexport differs from us only in the padding of 64-bit hex values.
    expect([...used.keys()].filter((k) => k.startsWith('evtxexport:'))).toEqual(['evtxexport:hex-padding']);
  });
});
