import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openVolumeFile, readVolumeFile, Volume } from './volume.js';

async function tree(): Promise<{ outside: string; root: string }> {
  const base = await mkdtemp(join(tmpdir(), 'triage-volume-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(join(root, 'Windows', 'System32', 'config'), { recursive: true });
  await mkdir(join(root, 'Users', 'alice'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(root, 'Windows', 'System32', 'config', 'SAM'), 'inside sam');
  await writeFile(join(root, 'Windows', 'System32', 'cmd.exe'), 'inside cmd');
  await writeFile(join(outside, 'secret'), 'outside');
  await writeFile(join(root, 'secret'), 'inside secret');
  return { outside, root };
}

describe('Volume', () => {
  it('finds names case-insensitively and reports them as they are on disk', async () => {
    const { root } = await tree();
    const volume = new Volume(root);
    const found = await volume.find(['WINDOWS', 'system32', 'CONFIG', 'sam']);
    expect(found?.components).toEqual(['Windows', 'System32', 'config', 'SAM']);
    expect(found?.hostPath).toBe(join(root, 'Windows', 'System32', 'config', 'SAM'));
    expect(found?.stats.isFile()).toBe(true);
    expect(await volume.find(['Windows', 'nothere'])).toBeNull();
    expect(await volume.find(['Windows', 'System32', 'cmd.exe', 'below-a-file'])).toBeNull();
    expect((await volume.find([]))?.components).toEqual([]);
  });

  it('prefers the exact name when a case-sensitive file system holds two spellings', async () => {
    const { root } = await tree();
    await writeFile(join(root, 'Windows', 'System32', 'CMD.EXE'), 'the other one');
    const volume = new Volume(root);
    expect((await volume.find(['Windows', 'System32', 'CMD.EXE']))?.components.at(-1)).toBe('CMD.EXE');
    expect((await volume.find(['Windows', 'System32', 'cmd.exe']))?.components.at(-1)).toBe('cmd.exe');
  });

  it('follows links inside the volume, and keeps absolute and climbing links inside it', async () => {
    const { outside, root } = await tree();
    // A junction as a mount may show it: relative, inside the volume.
    await symlink('Users', join(root, 'Documents and Settings'));
    // Absolute links, to this machine's path of the root, to a Windows path, and out of the root.
    await symlink(join(root, 'Windows'), join(root, 'Users', 'alice', 'win'));
    await symlink('C:\\Windows\\System32', join(root, 'Users', 'alice', 'sys'));
    await symlink(outside, join(root, 'Users', 'alice', 'out'));
    await symlink(join(outside, 'secret'), join(root, 'Users', 'alice', 'secret-link'));
    await symlink('../../../../outside/secret', join(root, 'Users', 'alice', 'climb'));
    const volume = new Volume(root);
    expect((await volume.find(['documents and settings', 'ALICE']))?.components).toEqual(['Users', 'alice']);
    expect((await volume.find(['Users', 'alice', 'win', 'system32', 'cmd.exe']))?.components).toEqual([
      'Windows',
      'System32',
      'cmd.exe',
    ]);
    expect((await volume.find(['Users', 'alice', 'sys', 'cmd.exe']))?.hostPath).toBe(
      join(root, 'Windows', 'System32', 'cmd.exe'),
    );
    // /…/outside is read as a path inside the volume, where it does not exist.
    expect(await volume.find(['Users', 'alice', 'out', 'secret'])).toBeNull();
    // The absolute link to outside/secret becomes <root>/…/outside/secret: not there either.
    expect(await volume.find(['Users', 'alice', 'secret-link'])).toBeNull();
    // Climbing stops at the root: ../../../../outside/secret is <root>/outside/secret.
    expect(await volume.find(['Users', 'alice', 'climb'])).toBeNull();
    await mkdir(join(root, 'outside'));
    await writeFile(join(root, 'outside', 'secret'), 'inside, named like outside');
    // (A new Volume: listings are read once per run, and the volume changed.)
    const climbed = await new Volume(root).find(['Users', 'alice', 'climb']);
    expect(climbed?.hostPath).toBe(join(root, 'outside', 'secret'));
    expect(await readVolumeFile(climbed?.hostPath as string, 'x', 100)).toEqual(
      new TextEncoder().encode('inside, named like outside'),
    );
  });

  it('gives up on a loop of links with ELOOP', async () => {
    const { root } = await tree();
    await symlink('b', join(root, 'a'));
    await symlink('a', join(root, 'b'));
    await expect(new Volume(root).find(['a'])).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('lists a folder with links resolved, leaving out links that lead nowhere', async () => {
    const { root } = await tree();
    await symlink('nowhere', join(root, 'Users', 'dangling'));
    await symlink('../Windows', join(root, 'Users', 'winlink'));
    const entries = await new Volume(root).list(['users']);
    expect(entries.map((e) => e.components.join('/'))).toEqual(['Users/alice', 'Windows']);
    expect(await new Volume(root).list(['nothere'])).toEqual([]);
  });

  it('opens regular files only, and bounds what it reads', async () => {
    const { root } = await tree();
    const sam = join(root, 'Windows', 'System32', 'config', 'SAM');
    const source = await openVolumeFile(sam, 'C:\\Windows\\System32\\config\\SAM');
    expect(source.size).toBe(10);
    expect(new TextDecoder().decode(await source.read(0, 6))).toBe('inside');
    expect(await source.read(20, 5)).toEqual(new Uint8Array(0));
    await source.close();
    await expect(openVolumeFile(join(root, 'Windows'), 'C:\\Windows')).rejects.toMatchObject({
      code: 'DATA_INVALID',
    });
    await expect(readVolumeFile(sam, 'SAM', 4)).rejects.toMatchObject({ code: 'DATA_INVALID' });
  });
});
