/**
 * `joinery setup`: binds joinery's node group to what a kubeadm join reads (mirroring kubeadm's bindings
 * for its default token group) but not to CSR auto-approval, so that the provisioner alone approves its
 * nodes' client certificates, each for the node name its token was minted for. Idempotent;
 * `--dry-run` only reports.
 */
import { setupNodeGroup, JOINERY_NODE_GROUP } from '../provisioner/setup/index.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';

export interface SetupOptions extends ClusterOptions {
  dryRun?: boolean;
  output: OutputFormat;
}

export async function setup(options: SetupOptions, io: Io): Promise<number> {
  const client = clusterClient(options, io);
  try {
    const items = await setupNodeGroup(client, options.dryRun !== true);
    const text = (): string => {
      const lines = items.map((i) => `${i.state.padEnd(8)} ${i.kind} ${i.namespace === undefined ? '' : `${i.namespace}/`}${i.name} -> ${i.role}`);
      const pending = items.filter((i) => i.state === 'missing' || i.state === 'differs').length;
      lines.push(
        options.dryRun === true
          ? pending === 0
            ? `${JOINERY_NODE_GROUP} is set up`
            : `${pending} binding(s) to make: run joinery setup`
          : `${JOINERY_NODE_GROUP} can join; CSRs of its tokens are left to joinery serve's approver`,
      );
      return `${lines.join('\n')}\n`;
    };
    io.stdout(await formatOutput(options.output, { group: JOINERY_NODE_GROUP, bindings: items }, text));
    return options.dryRun === true && items.some((i) => i.state !== 'present') ? 1 : 0;
  } finally {
    client.close();
  }
}
