import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TriageError } from '@triage/errors';

const run = promisify(execFile);

/** A throwaway CA and a server certificate for `localhost` and 127.0.0.1 (PEM). */
export interface TestCertificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Makes a test CA and a server certificate signed by it, with the `openssl`
 * command (EC P-256, valid two days), in `dir`.
 *
 * @throws TESTKIT_INSTALL_FAILED when openssl is missing (Debian: apt-get install openssl)
 */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=triage test CA',
    ]);
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    await writeFile(file('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.crt'),
      '-days',
      '2',
      '-extfile',
      file('ext'),
    ]);
  } catch (error) {
    throw new TriageError(
      'TESTKIT_INSTALL_FAILED',
      'Could not make test certificates with openssl; install it (Debian: apt-get install openssl).',
      {
        cause: error,
      },
    );
  }
  return {
    caCert: await readFile(file('ca.crt'), 'utf8'),
    cert: await readFile(file('server.crt'), 'utf8'),
    key: await readFile(file('server.key'), 'utf8'),
  };
}
