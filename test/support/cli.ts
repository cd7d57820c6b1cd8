/** Runs the CLI in-process (runCli) and captures what it prints. */
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/report.js';

export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await runCli(['node', 'joinery', ...args], io);
  return { code, stdout, stderr };
}
