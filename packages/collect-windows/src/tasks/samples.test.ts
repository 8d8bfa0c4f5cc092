/**
 * Every task file in the shared samples parses, and tasks/EXPECTED.json holds.
 */
import { describe, expect, it } from 'vitest';
import { listSamples, manifest, readSample, sha256 } from '../testing/sample-files.js';
import { parseTaskXml } from './task-xml.js';

interface ExpectedTask {
  uri?: string;
  author?: string;
  date?: string;
  enabled: boolean;
  hidden: boolean;
  principal_user?: string;
  principal_group?: string;
  run_level?: string;
  triggers: string[];
  actions: {
    type: string;
    command?: string;
    arguments?: string;
    working_directory?: string;
    class_id?: string;
  }[];
}

const FILES = listSamples('tasks');
const EXPECTED = JSON.parse(readSample('tasks/EXPECTED.json').toString('utf8')) as Record<
  string,
  ExpectedTask
>;

describe('Task samples', () => {
  it('are the four files EXPECTED.json describes, unchanged', () => {
    expect(FILES.map((f) => f.slice('tasks/'.length)).sort()).toEqual(Object.keys(EXPECTED).sort());
    const entries = manifest();
    for (const file of FILES) expect(sha256(readSample(file)), file).toBe(entries.get(file)?.raw_sha256);
  });

  it.each(Object.entries(EXPECTED))('%s matches EXPECTED.json', (name, x) => {
    const task = parseTaskXml(readSample(`tasks/${name}`));
    expect(task.encoding).toBe('utf-16le');
    expect(task.diagnostics).toEqual([]);
    if (x.uri) expect(task.uri).toBe(x.uri);
    if (x.author) expect(task.author).toBe(x.author);
    if (x.date) expect(task.date).toBe(x.date);
    expect(task.enabled).toBe(x.enabled);
    expect(task.hidden).toBe(x.hidden);
    expect(task.principal?.userId ?? undefined).toBe(x.principal_user);
    expect(task.principal?.groupId ?? undefined).toBe(x.principal_group);
    if (x.run_level) expect(task.principal?.runLevel).toBe(x.run_level);
    expect(task.triggers.map((t) => t.element)).toEqual(x.triggers);
    expect(
      task.actions.map((a) =>
        a.type === 'exec'
          ? {
              type: 'Exec',
              command: a.command,
              ...(a.arguments === null ? {} : { arguments: a.arguments }),
              ...(a.workingDirectory === null ? {} : { working_directory: a.workingDirectory }),
            }
          : a.type === 'comHandler'
            ? { type: 'ComHandler', class_id: a.classId }
            : { type: a.type },
      ),
    ).toEqual(x.actions);
  });

  it('reads the facts an examiner looks for in the suspicious one', () => {
    const task = parseTaskXml(readSample('tasks/WindowsUpdateHelper'));
    expect(task).toMatchObject({
      hidden: true,
      author: 'DESKTOP-7Q1K2LM\\Administrator',
      principal: { userId: 'S-1-5-18', runLevel: 'HighestAvailable' },
    });
    expect(task.triggers.map((t) => t.type)).toEqual(['boot', 'time']);
    expect(task.triggers[1]?.repetition).toEqual({
      interval: 'PT30M',
      duration: null,
      stopAtDurationEnd: false,
    });
    expect(task.actions[0]).toMatchObject({
      arguments: '-nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=',
    });
    const defrag = parseTaskXml(readSample('tasks/Microsoft/Windows/Defrag/ScheduledDefrag'));
    expect(defrag).toMatchObject({
      version: '1.6',
      source: '$(@%systemRoot%\\system32\\dfrgui.exe,-138)',
      author: '$(@%systemRoot%\\system32\\dfrgui.exe,-137)',
    });
  });
});
