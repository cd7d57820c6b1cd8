/**
 * Undoing Cluster API's file encodings the way cloud-init's write_files does (cloudinit/config/
 * cc_write_files.py): `base64` is base64 text, `gzip` is gzip data, `gzip+base64` is base64 text of gzip
 * data (base64 is undone first, then gzip — whatever Cluster API's comment says about the order).
 */
import { gunzipSync } from 'node:zlib';
import { specError, SPEC_INVALID } from './check.js';
import type { FileEncoding } from './model.js';

/** Largest decoded file accepted, so that a small gzip stream cannot expand without bound. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const BASE64_FORM = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromBase64(text: string, path: string): Uint8Array {
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (!BASE64_FORM.test(compact)) {
    throw specError(
      SPEC_INVALID,
      path,
      'is not valid base64 (standard alphabet A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters; line breaks are allowed)',
      'encode the file with `base64` (or `gzip -c FILE | base64` for gzip+base64), or remove the encoding and give the text as it is',
    );
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function gunzip(data: Uint8Array, path: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(data, { maxOutputLength: MAX_FILE_BYTES }));
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
    throw specError(
      SPEC_INVALID,
      path,
      tooLarge ? `decompresses to more than ${MAX_FILE_BYTES} bytes` : 'is not valid gzip data',
      tooLarge ? 'ship large files another way (for example download them in preKubeadmCommands)' : 'compress the file with `gzip -c FILE` (and base64 it for gzip+base64)',
    );
  }
}

/**
 * The bytes of a file given as `data` with `encoding` (undefined: as is). `path` names the content
 * field in errors. Text given inline is read as its UTF-8 bytes, as cloud-init reads YAML text.
 */
export function decodeFileContent(data: string | Uint8Array, encoding: FileEncoding | undefined, path: string): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  switch (encoding) {
    case undefined:
      return bytes;
    case 'base64':
      return fromBase64(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'), path);
    case 'gzip':
      return gunzip(bytes, path);
    case 'gzip+base64':
      return gunzip(fromBase64(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'), path), path);
  }
}
