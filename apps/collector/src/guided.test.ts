import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCollection } from '@triage/collection';
import { describe, expect, it } from 'vitest';
import { cli, examiner, workDir, writeBundle } from './testing/support.js';

/** The one collection file (and its receipt) in a folder. */
async function collectionIn(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.triage'));
  expect(names).toHaveLength(1);
  expect(await readdir(dir)).toContain(`${names[0]}.receipt.json`);
  return join(dir, names[0] as string);
}

describe('triage-collect with no command (guided)', () => {
  it('uses bundle.json here, says what it will do, collects read-only and says where the sealed copy is', async () => {
    const dir = await workDir();
    const keys = examiner();
    await writeBundle(dir, { recipient: keys.recipient });
    const run = await cli(['--no-upload'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Case:           IR-1 (client acme)');
    expect(run.stdout).toContain('This computer:  test-host');
    expect(run.stdout).toContain('It only reads: nothing on this computer is changed or deleted.');
    expect(run.stdout).toContain('Nothing is uploaded (--no-upload)');
    expect(run.stdout).not.toContain('Note:');
    const file = await collectionIn(dir);
    expect(run.stdout).toContain(`Saved:     ${file}`);
    expect(run.stderr).toContain('    collecting accounts');
    const contents = await readCollection(await readFile(file), { identities: [keys.identity] });
    expect(run.stdout).toContain(`manifest sha256 ${contents.manifestSha256}`);
    expect(contents.manifest.record_count).toBeGreaterThan(0);
    expect(run.stdout + run.stderr).not.toContain('FAKEcanarySECRET');
  });

  it('when the destination cannot be reached, collects anyway, keeps the copy and says how to upload it', async () => {
    const dir = await workDir();
    await writeBundle(dir, { recipient: examiner().recipient });
    const run = await cli([], dir);
    expect(run.code).toBe(69);
    const file = await collectionIn(dir);
    expect(run.stdout).toContain('cannot be reached right now. Collecting anyway');
    expect(run.stdout).toContain('it was NOT uploaded');
    expect(run.stdout).toContain(`Saved:     ${file}`);
    const name = file.slice(dir.length + 1);
    expect(run.stdout).toContain(`      triage-collect upload ${name}\n`);
    expect(run.stderr).toMatch(
      /triage-collect: not uploaded: .*ECONNREFUSED.*retry with: .*\[NETWORK_ERROR\]\n$/,
    );
    expect(run.stderr).not.toContain('pre-flight failed, nothing was collected');
    expect(run.stdout + run.stderr).not.toContain('FAKEcanarySECRET');
  });

  it('finds the bundle beside the single-file program, saves there, and asks once on a terminal', async () => {
    const cwd = await workDir();
    const folder = join(cwd, 'usb stick');
    await mkdir(folder);
    await writeBundle(folder, { recipient: examiner().recipient });
    const questions: string[] = [];
    const self = { path: join(folder, 'triage-collect'), command: join(folder, 'triage-collect') };
    const prompt = async (q: string) => {
      questions.push(q);
      return '';
    };
    const run = await cli(['--no-upload'], cwd, {}, { self, prompt, uid: 1000 });
    expect(run.code).toBe(0);
    expect(questions).toEqual(['Press Enter to start, or Ctrl-C to stop: ']);
    expect(run.stdout).toContain(`you are not root`);
    expect(run.stdout).toContain(`sudo '${folder}/triage-collect'`);
    await collectionIn(folder);
    expect(await readdir(cwd)).toEqual(['usb stick']);

    const again = await cli(['--no-upload', '--yes'], cwd, {}, { self, prompt, uid: 0 });
    expect(again.code).toBe(0);
    expect(questions).toHaveLength(1);
    expect(again.stdout).not.toContain('not root');
  });

  it('without a bundle, says where it looked and exits 66', async () => {
    const dir = await workDir();
    const run = await cli([], dir);
    expect(run.code).toBe(66);
    expect(run.stderr).toBe(
      `triage-collect: no bundle.json in ${dir}: run this program in the folder the admin gave you (or see triage-collect --help) [NOT_FOUND]\n`,
    );
  });

  it('a bundle for another host is pointed out before starting', async () => {
    const dir = await workDir();
    await writeBundle(dir, { recipient: examiner().recipient, host: 'db-7' });
    const run = await cli(['--no-upload'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('this bundle is for db-7, but this computer is called test-host.example');
  });
});
