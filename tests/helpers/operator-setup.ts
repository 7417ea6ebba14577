import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { BROKER_BIN, ROOT, run } from './processes.js';

/**
 * The operator's set-up through the real CLI: register council-tax and police (returning their
 * one-time enrolment codes), load the community-safety example policy, add an IG lead and have her
 * approve it — a policy is in force only once an IG lead (not whoever loaded it) approves it.
 */
export async function operatorSetup(
  t: Test,
  dir: string,
  dataDir: string,
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const codes: Record<string, string> = {};
  for (const a of ['council-tax', 'police']) {
    const r = await run(BROKER_BIN, ['agency', 'register', a, '--data-dir', dataDir], { env });
    t.equal(r.code, 0, `register ${a}: ${r.stderr}`);
    codes[a] = JSON.parse(r.stdout).enrolmentCode;
  }
  const load = await run(
    BROKER_BIN,
    ['policy', 'load', join(ROOT, 'policies/examples/community-safety.yaml'), '--data-dir', dataDir],
    { env },
  );
  t.equal(load.code, 0, `policy load: ${load.stderr}`);
  const ig = await run(BROKER_BIN, ['user', 'add', 'iona', '--role', 'ig-lead', '--data-dir', dataDir], { env });
  t.equal(ig.code, 0, `user add: ${ig.stderr}`);
  writeFileSync(join(dir, 'iona.password'), JSON.parse(ig.stdout).password + '\n');
  const approve = await run(
    BROKER_BIN,
    [
      'policy',
      'approve',
      'csp-2026',
      '1',
      '--as',
      'iona',
      '--password-file',
      join(dir, 'iona.password'),
      '--data-dir',
      dataDir,
    ],
    { env },
  );
  t.equal(approve.code, 0, `policy approve: ${approve.stderr}`);
  return codes;
}
