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
