/**
 * The service's logger (pino, JSON lines). Requests are logged by method and path only: the query (a
 * one-time nonce) and the Authorization header never reach the log, and fields that could hold a token
 * or bootstrap data are censored wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export function provisionerLogger(destination?: DestinationStream, level = 'info'): Logger {
  // Standard output, written asynchronously (pino flushes it on exit): a slow reader of the log (a full pipe)
  // must not stall requests.
  const out = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: { service: 'joinery' },
      redact: { paths: ['req.headers.authorization', 'req.query', 'userdata', 'token', 'nonce', 'url', '*.userdata', '*.token', '*.nonce'], censor: '<redacted>' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, path: req.url.split('?')[0], remoteAddress: req.ip }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    out,
  );
}
