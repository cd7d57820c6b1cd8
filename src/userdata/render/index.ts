/**
 * Renderers of the boot plan (DESIGN "One plan, three renderers"): cloud-init cloud-config, Ignition v3 and
 * a POSIX sh script, each a thin translation of the same BootPlan, plus the user-data size limit. Pure and
 * deterministic; no I/O.
 */
export { renderCloudConfig, type CloudConfigOptions } from './cloud-config.js';
export {
  renderIgnition,
  dataUrlResource,
  IGNITION_VERSIONS,
  BOOTSTRAP_UNIT_NAME,
  BOOTSTRAP_SCRIPT_PATH,
  STAGING_DIR,
  type IgnitionOptions,
  type IgnitionVersion,
} from './ignition.js';
export { renderScript } from './script.js';
export { renderedSize, fitToMaxSize, DEFAULT_MAX_USER_DATA_SIZE, type FittedUserData } from './size.js';

import type { BootPlan, Format } from '../plan.js';
import { renderCloudConfig } from './cloud-config.js';
import { renderIgnition, type IgnitionVersion } from './ignition.js';
import { renderScript } from './script.js';

/** The boot plan in one of the three formats: the one switch the CLI and the provisioner share. */
export function renderBootData(plan: BootPlan, format: Format, options: { ignitionVersion?: IgnitionVersion; jinja?: boolean } = {}): string {
  if (format === 'cloud-config') return renderCloudConfig(plan, { jinja: options.jinja === true });
  if (format === 'ignition') return renderIgnition(plan, options.ignitionVersion === undefined ? {} : { version: options.ignitionVersion });
  return renderScript(plan);
}
