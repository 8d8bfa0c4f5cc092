/**
 * Filtering by event id before rendering: `records({ eventIds })` yields
 * exactly the records a full render gives for those ids, and renders no
 * other record (proved with the renderer's counter, `stats.recordsRendered`).
 */
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import {
  buildChunk,
  buildFile,
  el,
  opt,
  securityTemplate,
  securityValues,
  sub,
  template,
  v,
  type XRecord,
} from '../testing/evtx-builder.js';
import { evtxSample, evtxSampleNames } from '../testing/evtx-samples.js';
import { type EvtxRecord, type EvtxRecordsOptions, openEvtx } from './evtx.js';

async function pass(bytes: Uint8Array, options: EvtxRecordsOptions = {}) {
  const evtx = await openEvtx(bufferSource(bytes));
  const records: EvtxRecord[] = [];
  for await (const r of evtx.records(options)) records.push(r);
  return { records, stats: { ...evtx.stats } };
}

describe('event-id filtering', () => {
  it.each(evtxSampleNames())(
    "%s: the filtered records are exactly the full render's, and no others are rendered",
    async (name) => {
      const bytes = evtxSample(name);
      const full = await pass(bytes);
      const counts = new Map<number | null, number>();
      for (const r of full.records) counts.set(r.eventId, (counts.get(r.eventId) ?? 0) + 1);
      // The most and least common ids of the file, and one it does not hold.
      const byCount = [...counts].filter(([id]) => id !== null).sort((a, b) => b[1] - a[1]);
      const wanted = [byCount[0]?.[0], byCount.at(-1)?.[0], 65000].filter(
        (id): id is number => typeof id === 'number',
      );
      const filtered = await pass(bytes, { eventIds: wanted });
      const expected = full.records.filter((r) => r.eventId !== null && wanted.includes(r.eventId));
      expect(filtered.records).toEqual(expected);
      expect(filtered.records.length).toBeGreaterThan(0);
      // The proof: the renderer ran once per yielded record, and every other record was decided before rendering.
      expect(filtered.stats.recordsRendered).toBe(expected.length);
      expect(filtered.stats.recordsFiltered).toBe(full.records.length - expected.length);
      expect(filtered.stats.templatesParsed).toBeLessThanOrEqual(full.stats.templatesParsed);
    },
  );

  it('decides from a literal EventID in the template, and from an optional NULL one (no EventID: never matches)', async () => {
    const literal = template(
      el(
        'Event',
        {},
        el('System', {}, el('EventID', {}, '4104')),
        el('EventData', {}, el('Data', { Name: 'x' }, sub(0, 0x01))),
      ),
    );
    const optional = template(el('Event', {}, el('System', {}, el('EventID', {}, opt(0, 0x06)))));
    const records: XRecord[] = [
      {
        id: 1,
        body: (w) =>
          w
            .fragmentHeader()
            .templateInstance(literal, [v.string('a')])
            .eof(),
      },
      { id: 2, body: (w) => w.fragmentHeader().templateInstance(optional, [v.null()]).eof() },
      {
        id: 3,
        body: (w) =>
          w
            .fragmentHeader()
            .templateInstance(optional, [v.u16(4104)])
            .eof(),
      },
    ];
    const { records: found, stats } = await pass(buildFile([buildChunk(records)]), { eventIds: [4104] });
    expect(found.map((r) => r.recordId)).toEqual([1, 3]);
    expect(stats).toMatchObject({ recordsRendered: 2, recordsFiltered: 1 });
  });

  it('renders a record written without a template to find its EventID (there is no template to look in)', async () => {
    const raw = (id: number, eventId: string): XRecord => ({
      id,
      body: (w) =>
        w
          .fragmentHeader()
          .element(el('Event', {}, el('System', {}, el('EventID', {}, eventId))), false)
          .eof(),
    });
    const logon = securityTemplate(['TargetUserName']);
    const templated: XRecord = {
      id: 3,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(logon, securityValues({ eventId: 4625, recordId: 3, data: [v.string('x')] }))
          .eof(),
    };
    const { records: found, stats } = await pass(
      buildFile([buildChunk([raw(1, '7'), raw(2, '4624'), templated])]),
      { eventIds: [4624] },
    );
    expect(found.map((r) => r.recordId)).toEqual([2]);
    // Both raw records were rendered to look; the templated one was not.
    expect(stats).toMatchObject({ recordsRendered: 2, recordsFiltered: 2 });
  });
});
