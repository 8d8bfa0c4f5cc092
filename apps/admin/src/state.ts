import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TriageError } from '@triage/errors';

/** What setup records about a client, kept 0600 in the admin's state folder. Holds the uploader's key. */
export interface ClientState {
  readonly client: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly accountId: string;
  readonly bucket: string;
  readonly uploaderUserName: string;
  readonly uploaderUserArn: string;
  readonly roleArn: string;
  readonly roleMaxSessionSeconds: number;
  readonly mfaSerial: string;
  /** The uploader's long-term key: used only on this machine to mint short-lived tokens. Secret. */
  readonly uploaderKey?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Examiner public keys collections are sealed to. */
  readonly recipients: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Checks a client name: lower-case letters, digits and dashes (it becomes part of bucket and IAM names). */
export function checkClientName(name: string): string {
  if (!NAME.test(name)) {
    throw new TriageError(
      'USAGE',
      `--client ${JSON.stringify(name).slice(0, 50)} is not a client name: use 1–32 lower-case letters, digits and inner dashes`,
    );
  }
  return name;
}

/** The admin's state folder: clients/<name>.json and ledger.jsonl, all 0600. */
export class StateStore {
  constructor(readonly dir: string) {}

  /** The ledger file path. */
  get ledgerPath(): string {
    return join(this.dir, 'ledger.jsonl');
  }

  #clientPath(client: string): string {
    return join(this.dir, 'clients', `${checkClientName(client)}.json`);
  }

  /**
   * @throws TriageError `NOT_FOUND` when setup has not been run for the client
   */
  async load(client: string): Promise<ClientState> {
    let text: string;
    try {
      text = await readFile(this.#clientPath(client), 'utf8');
    } catch (cause) {
      throw new TriageError(
        'NOT_FOUND',
        `unknown client ${client}: run triage-admin setup --client ${client} first`,
        {
          cause,
          context: { client },
        },
      );
    }
    try {
      return JSON.parse(text) as ClientState;
    } catch (cause) {
      throw new TriageError('CONFIG_INVALID', `the state file of client ${client} is damaged; re-run setup`, {
        cause,
      });
    }
  }

  /** The state if setup ran before, else undefined. */
  async find(client: string): Promise<ClientState | undefined> {
    try {
      return await this.load(client);
    } catch (error) {
      if ((error as TriageError).code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** Writes the state atomically, mode 0600. */
  async save(state: ClientState): Promise<string> {
    const path = this.#clientPath(state.client);
    await mkdir(join(this.dir, 'clients'), { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.tmp`;
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    return path;
  }
}
