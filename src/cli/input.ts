/**
 * Reading what flags point at: a file named by a flag, or stdin for `-` (how secrets reach joinery
 * without touching argv), and port numbers. Failures name the flag and what it should hold.
 */
import { readFile } from 'node:fs/promises';
import { JoineryError } from '../errors/index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of the file `path` given to `flag`, or of stdin when `path` is `-`. `what` completes "give ...". */
export async function readFlagFile(path: string, flag: string, what: string): Promise<string> {
  try {
    return path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw new JoineryError('FILE_UNREADABLE', `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, `give ${what}`, {
      family: 'io',
      path: flag,
      cause: err,
    });
  }
}

/** A TCP port given to `flag`, or undefined when the flag is absent. */
export function portFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new JoineryError('PORT_INVALID', `${flag} ${JSON.stringify(value)} is not a port number`, 'give a port between 1 and 65535 (kube-apiserver listens on 6443 by default)', {
      family: 'usage',
      path: flag,
    });
  }
  return port;
}
