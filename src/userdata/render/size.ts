/**
 * The byte size of rendered bootstrap data and its fit under a user-data limit (EC2's 16384 bytes by
 * default): gzip when over, since cloud-init and Ignition both read gzipped user data; when even that is too
 * large, the answer is the provisioner's stub mode, which serves the full document over HTTPS.
 */
import { JoineryError } from '../../errors/index.js';
import type { Format } from '../plan.js';
import { gzipDeterministic } from './shared.js';

/** EC2's user-data limit, the default `--max-size`. */
export const DEFAULT_MAX_USER_DATA_SIZE = 16384;

const UTF8 = new TextEncoder();

/** The size in bytes of the rendered text (UTF-8), as it counts against a user-data limit. */
export function renderedSize(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export interface FittedUserData {
  /** The bytes to hand to the platform: the text itself, or its gzip. */
  data: Uint8Array;
  gzipped: boolean;
  bytes: number;
}

/**
 * `text` as user data of at most `maxSize` bytes: the UTF-8 text when it fits, else its gzip (RFC 1952, fixed
 * header) when that fits. Throws USERDATA_TOO_LARGE otherwise, pointing at the provisioner's stub mode
 * (`"delivery": "stub"`). The text is gzipped once, only when it is over the limit.
 */
export function fitToMaxSize(text: string, format: Format, maxSize: number = DEFAULT_MAX_USER_DATA_SIZE): FittedUserData {
  if (!Number.isInteger(maxSize) || maxSize <= 0) {
    throw new JoineryError('USERDATA_MAX_SIZE_INVALID', `the maximum user-data size must be a positive whole number of bytes, not ${maxSize}`, 'give --max-size a byte count such as 16384', { path: 'maxSize', family: 'usage' });
  }
  const data = UTF8.encode(text);
  if (data.length <= maxSize) return { data, gzipped: false, bytes: data.length };
  const gz = gzipDeterministic(data);
  if (gz.length <= maxSize) return { data: gz, gzipped: true, bytes: gz.length };
  throw new JoineryError(
    'USERDATA_TOO_LARGE',
    `the ${format} bootstrap data is ${data.length} bytes (${gz.length} gzipped), over the ${maxSize}-byte user-data limit`,
    'use the provisioner\'s stub mode ("delivery": "stub"): the machine gets a small stub that fetches the full bootstrap data once over HTTPS; or raise --max-size if your platform accepts more',
    { path: 'maxSize' },
  );
}
