/**
 * Differential test against libyal's `lnkinfo` (Debian liblnk-utils
 * 20181227): for every sample shortcut, every field both tools report must
 * agree. Where they cannot, the comparison says which field and why ours
 * follows [MS-SHLLINK], and checks that exact difference (so a change on
 * either side fails the test).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DebianTools, debianParsers } from '@triage/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LnkinfoReport, lnkinfoTime, parseLnkinfo } from '../testing/lnkinfo.js';
import { listSamples, readSample, SAMPLES_DIR } from '../testing/sample-files.js';
import { type LnkFile, parseLnk } from './lnk.js';
import type { ShellItem } from './shell-items.js';

const run = promisify(execFile);
const FILES = listSamples('lnk');

/**
 * lnkinfo's UTF-16 to UTF-8 conversion turns a lone surrogate into U+FFFD
 * and also drops the code unit after it (`…d800_�exe` for `…d800_<D800>.exe`).
 * The Unicode Standard (chapter 3, "U+FFFD Substitution of Maximal
 * Subparts") and the WHATWG Encoding Standard replace the lone surrogate
 * alone; the `.` is a valid code unit and the ANSI copy of the same path in
 * the file (`…d800_?.exe`) shows it is part of the name. So where our text
 * holds U+FFFD, lnkinfo's must equal ours with the character after each
 * U+FFFD removed.
 */
function lnkinfoForm(ours: string): string {
  return ours.replace(/\uFFFD[\s\S]/g, '\uFFFD');
}

/** Compares one field; `why` documents an expected difference. */
function same(field: string, theirs: string | undefined, ours: string | null | undefined): void {
  const want = ours === null || ours === undefined ? undefined : ours;
  if (want?.includes('\uFFFD')) {
    expect(theirs, `${field}: lnkinfo drops the code unit after a lone surrogate`).toBe(lnkinfoForm(want));
  } else {
    expect(theirs, field).toBe(want);
  }
}

const ITEM_TYPES: Record<ShellItem['type'], string> = {
  rootFolder: 'Root folder',
  volume: 'Volume',
  fileEntry: 'File entry',
  networkLocation: 'Network location',
  other: '',
};

function compareItems(file: string, report: LnkinfoReport, lnk: LnkFile): void {
  const items = lnk.targetIdList?.items ?? [];
  expect(report.itemCount ?? 0, `${file}: number of shell items`).toBe(items.length);
  items.forEach((item, k) => {
    const theirs = report.items[k] as ReadonlyMap<string, string>;
    const at = `${file} item ${k + 1}`;
    const seen = new Set<string>();
    const field = (label: string) => {
      seen.add(label);
      return theirs.get(label);
    };
    expect(field('Class type indicator')?.slice(0, 4), `${at} class type`).toBe(
      `0x${item.classType.toString(16).padStart(2, '0')}`,
    );
    if (item.type !== 'other') expect(field('Item type'), `${at} type`).toBe(ITEM_TYPES[item.type]);
    if (item.type === 'rootFolder') {
      same(`${at} shell folder identifier`, field('Shell folder identifier'), item.folderId);
      // Both name well-known folders; compare where we have a name.
      if (item.folderName !== null)
        same(`${at} shell folder name`, field('Shell folder name'), item.folderName);
    } else if (item.type === 'volume') {
      same(`${at} volume name`, field('Volume name'), item.name);
    } else if (item.type === 'networkLocation') {
      same(`${at} location`, field('Location'), item.location);
      same(`${at} description`, field('Description'), item.description);
      same(`${at} comments`, field('Comments'), item.comments);
    } else if (item.type === 'fileEntry') {
      same(`${at} name`, field('Name'), item.shortName);
      expect(lnkinfoTime(field('Modification time') ?? ''), `${at} modification time`).toBe(item.modified);
      expect(Number(field('File attribute flags')), `${at} attributes`).toBe(item.attributes);
      if (item.extensionVersion !== null) {
        expect(field('ext.Signature'), `${at} extension`).toMatch(/^0xbeef0004 /);
        same(`${at} long name`, field('ext.Long name'), item.longName);
        same(`${at} localized name`, field('ext.Localized name'), item.localizedName || undefined);
        expect(lnkinfoTime(field('ext.Creation time') ?? ''), `${at} creation time`).toBe(item.created);
        expect(lnkinfoTime(field('ext.Access time') ?? ''), `${at} access time`).toBe(item.accessed);
        const reference = field('ext.NTFS file reference');
        same(
          `${at} NTFS file reference`,
          reference,
          item.mftEntry === null ? undefined : `MFT entry: ${item.mftEntry}, sequence: ${item.mftSequence}`,
        );
      }
    }
    // Extension blocks other than 0xbeef0004 (0xbeef0025 on a Windows 10 volume item) are not decoded by us.
    for (const label of theirs.keys()) {
      if (label === 'ext.Signature' && !/^0xbeef0004 /.test(theirs.get(label) ?? '')) seen.add(label);
    }
    if (item.type === 'rootFolder' && item.folderName === null) seen.add('Shell folder name');
    const unchecked = [...theirs.keys()].filter((l) => !seen.has(l));
    expect(unchecked, `${at}: lnkinfo fields not compared`).toEqual([]);
  });
}

describe('parseLnk against lnkinfo 20181227', () => {
  let tools: DebianTools & { readonly processEnv: NodeJS.ProcessEnv };

  beforeAll(async () => {
    tools = await debianParsers();
  }, 180_000);

  it.each(FILES)('%s: every field both report agrees', async (file) => {
    const bytes = readSample(file);
    const lnk = await parseLnk(bytes);
    const { stdout } = await run(`${tools.bin}/lnkinfo`, [join(SAMPLES_DIR, file)], {
      env: { ...tools.processEnv, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    });
    const report = parseLnkinfo(stdout);
    const seen = new Set<string>();
    const link = (label: string) => {
      seen.add(label);
      return report.link.get(label);
    };

    // ShellLinkHeader (2.1).
    expect(lnkinfoTime(link('Creation time') ?? ''), 'creation time').toBe(lnk.header.creationTime);
    expect(lnkinfoTime(link('Modification time') ?? ''), 'write time').toBe(lnk.header.writeTime);
    expect(lnkinfoTime(link('Access time') ?? ''), 'access time').toBe(lnk.header.accessTime);
    expect(link('File size'), 'file size').toBe(`${lnk.header.fileSize} bytes`);
    expect(link('Icon index'), 'icon index').toBe(String(lnk.header.iconIndex));
    expect(Number(link('File attribute flags')), 'attributes').toBe(lnk.header.fileAttributes);
    // Known lnkinfo 20181227 defect: "Show Window value" and "Hot Key value" print the FileSize field
    // (offset 0x34) instead of ShowCommand (0x3C) and HotKey (0x40). [MS-SHLLINK] 2.1 places them at
    // 0x3C and 0x40; ours are those bytes.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(lnk.header.showCommand).toBe(view.getUint32(0x3c, true));
    expect(lnk.header.hotKeyRaw).toBe(view.getUint16(0x40, true));
    expect(Number(link('Show Window value')), 'lnkinfo shows FileSize as the show command').toBe(
      lnk.header.fileSize,
    );
    expect(Number(link('Hot Key value')), 'lnkinfo shows FileSize as the hot key').toBe(
      lnk.header.fileSize & 0xffff,
    );

    // LinkInfo (2.3): lnkinfo prints the full paths (base + suffix, share + suffix), as we compute them.
    const info = lnk.linkInfo;
    const volume = info?.volume;
    if (volume) {
      expect(link('Drive type'), 'drive type').toMatch(new RegExp(`\\(${volume.driveType}\\)$`));
      expect(link('Drive serial number'), 'serial').toBe(`0x${volume.serialNumber.toLowerCase()}`);
      same('volume label', link('Volume label'), volume.label);
      same('local path', link('Local path'), info?.localPath);
    } else if (info?.network) {
      // A network-only LinkInfo: lnkinfo prints an empty drive, type 0.
      expect(link('Drive type')).toBe('Not set (0)');
      expect(link('Drive serial number')).toBe('0x00000000');
    }
    same('network path', link('Network path'), info?.networkPath);

    // StringData (2.4).
    same('description', link('Description'), lnk.stringData.name);
    same('relative path', link('Relative path'), lnk.stringData.relativePath);
    same('working directory', link('Working directory'), lnk.stringData.workingDirectory);
    same('arguments', link('Command line arguments'), lnk.stringData.arguments);
    // lnkinfo prints the IconEnvironmentDataBlock's path (2.5.5, unexpanded) when there is one, else
    // ICON_LOCATION (2.4); we report both, separately.
    same(
      'icon location',
      link('Icon location'),
      lnk.extraData.iconEnvironmentTarget ?? lnk.stringData.iconLocation,
    );
    same('environment variables', link('Environment variables location'), lnk.extraData.environmentTarget);

    const unchecked = [...report.link.keys()].filter((l) => !seen.has(l));
    expect(unchecked, 'lnkinfo link fields not compared').toEqual([]);

    // TrackerDataBlock (2.5.10).
    const t = lnk.extraData.tracker;
    expect(report.tracking.size > 0, 'tracker present in both').toBe(t !== null);
    if (t) {
      expect(report.tracking.get('Machine identifier')).toBe(t.machineId);
      expect(report.tracking.get('Droid volume identifier')).toBe(t.droidVolumeId);
      expect(report.tracking.get('Droid file identifier')).toBe(t.droidFileId);
      expect(report.tracking.get('Birth droid volume identifier')).toBe(t.birthDroidVolumeId);
      expect(report.tracking.get('Birth droid file identifier')).toBe(t.birthDroidFileId);
      expect(report.tracking.size).toBe(5);
    }

    // LinkTargetIDList (2.2) shell items.
    compareItems(file, report, lnk);
  });
});
