/**
 * Writing files the way secrets need: mode 0600 from the first byte (never world-readable, not even
 * for a moment), written to a temporary name in the same directory, flushed, then renamed over the
 * target, so a reader sees the old file or the whole new one and an interrupted write leaves nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { JoineryError } from '../errors/index.js';

/** Writes `content` to `path` atomically with `mode` (default 0600); creates the directory (0700) when missing. */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content);
      await fh.chmod(mode); // the umask may have taken bits away; set exactly what was asked
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new JoineryError('FILE_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, `check that ${dir} is writable by this user`, {
      family: 'io',
      cause: err,
    });
  }
}
