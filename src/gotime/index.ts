/**
 * Go's time package where kubeadm's formats depend on it: time.Parse and Time.Format for RFC 3339 (a
 * bootstrap token's `expiration`, a kubeadm BootstrapToken's `expires`) and its calendar (month
 * lengths, which yaml.v2's timestamp resolution checks too). No I/O, no clock.
 *
 * A leaf module, like src/errors, src/duration and src/goyaml: it imports nothing of ours (src/errors at
 * most), so every layer, src/goyaml included, may import it.
 */
export { daysIn } from './calendar.js';
export {
  dateOfGoTime,
  formatGoRfc3339,
  goTimeNanos,
  goTimeOfDate,
  isFormattableYear,
  parseGoRfc3339,
  type GoTime,
} from './rfc3339.js';
