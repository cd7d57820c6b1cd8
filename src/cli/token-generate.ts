/** `joinery token generate`: kubeadm token generate's drop-in. Prints one token and a newline. */
import { generateBootstrapToken } from '../token/index.js';
import type { Io } from './report.js';

export async function tokenGenerate(io: Io): Promise<number> {
  io.stdout(`${generateBootstrapToken()}\n`);
  return 0;
}
