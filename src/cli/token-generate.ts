/** `joinery token generate`: kubeadm token generate's drop-in. Prints one token and a newline. */
// token.js alone, not the token module's index: the Secret codec and list table are not needed here.
import { generateBootstrapToken } from '../token/token.js';
import type { Io } from './report.js';

export async function tokenGenerate(io: Io): Promise<number> {
  io.stdout(`${generateBootstrapToken()}\n`);
  return 0;
}
