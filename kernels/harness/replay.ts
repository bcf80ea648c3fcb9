// Replay commands: how a student runs one failing test under its seed again.

/**
 * The command that runs one test under one seed, as a POSIX shell line. The test is named by its
 * id (letters, digits, dots and dashes), so nothing in it needs quoting in any shell; names
 * with backticks or brackets once broke `-t "<name>"`. `replayPowerShell` gives Windows' form.
 */
export function replayCommand(exercise: string, seed: number, testId: string, mode?: 'process' | 'in-process'): string {
  return `${mode ? `MP_KERNEL=${mode} ` : ''}SEED=${seed} TEST_ID=${testId} npm test -- ${exercise}`;
}

/** The same replay for PowerShell (`$env:NAME='value'; …`), from the POSIX line. */
export function replayPowerShell(posix: string): string {
  const m = /^((?:[A-Z_]+=\S+ )*)npm (.*)$/.exec(posix);
  if (!m) return posix;
  const envs = m[1]!
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((kv) => {
      const [k, v] = kv.split('=');
      return `$env:${k}='${v}'; `;
    });
  return `${envs.join('')}npm ${m[2]}`;
}
