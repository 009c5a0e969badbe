/** `kmsd hsm ...`: the HSM management CLI (CloudHSM CLI equivalent). Not built yet. */
export async function hsmMain(argv: string[]): Promise<void> {
  process.stderr.write(`kmsd hsm: not implemented yet (${argv.join(' ')})\n`);
  process.exitCode = 2;
}
