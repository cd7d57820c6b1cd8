/**
 * The joinery command line. Only commander is imported at start-up; each command's module (and with
 * it the core it needs) is imported when that command runs, so `joinery token generate` does not pay
 * for the kubeadm config API or the YAML library. One file per command in this folder.
 */
import { Command, CommanderError, Option } from 'commander';
import { processIo, reportError, type Io } from './report.js';
import { outputFormat, type OutputFormat } from './output.js';

/** Kept equal to package.json's version by a unit test. */
export const VERSION = '0.1.0';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format: text, json or yaml').default('text').argParser(outputFormat);
}

/** Builds the command tree; actions write through `io` and set `exit.code`. */
export function program(io: Io, exit: { code: number }): Command {
  const run = (action: () => Promise<number>) => async () => {
    try {
      exit.code = await action();
    } catch (err) {
      exit.code = reportError(err, io);
    }
  };

  const root = new Command('joinery')
    .description('Turns machines into Kubernetes nodes: bootstrap tokens, CA pins and kubeadm join configuration.')
    .version(VERSION, '--version', 'print the joinery version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const token = root
    .command('token')
    .description('manage bootstrap tokens (drop-in for `kubeadm token`)')
    .helpOption('-h, --help', 'show help for a command');
  token
    .command('generate')
    .description('print a fresh random bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}); nothing is sent anywhere')
    .helpOption('-h, --help', 'show help for a command')
    .action(
      run(async () => {
        const { tokenGenerate } = await import('./token-generate.js');
        return tokenGenerate(io);
      }),
    );

  const clusterOptions = (cmd: Command): Command =>
    cmd
      .addOption(new Option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, /etc/kubernetes/admin.conf, then the in-cluster service account)'))
      .addOption(new Option('--context <name>', 'kubeconfig context to use (default: its current-context)'));

  clusterOptions(
    token
      .command('create [token]')
      .description('create a bootstrap token in the cluster and print it (kubeadm token create); TOKEN is generated when not given')
      .helpOption('-h, --help', 'show help for a command')
      .addOption(new Option('--ttl <duration>', 'time before the token is deleted, as a Go duration (0 = never)').default('24h0m0s'))
      .addOption(new Option('--description <text>', 'a human-friendly description of the token'))
      .addOption(new Option('--usages <list>', 'comma-separated usages: signing, authentication').argParser(collect))
      .addOption(new Option('--groups <list>', 'comma-separated extra groups the token authenticates as').argParser(collect))
      .addOption(new Option('--print-join-command', 'print the full `kubeadm join` line instead of the token'))
      .addOption(new Option('--certificate-key <hex>', 'with --print-join-command: print a control-plane join line with this key')),
  ).action((tokenArg: string | undefined, opts: Record<string, unknown>) =>
    run(async () => (await import('./token.js')).tokenCreate({ ...(opts as unknown as import('./token.js').TokenCreateOptions), ...(tokenArg === undefined ? {} : { token: tokenArg }) }, io))(),
  );
  clusterOptions(
    token
      .command('list')
      .description('list the bootstrap tokens of the cluster (kubeadm token list; the table is byte-identical)')
      .helpOption('-h, --help', 'show help for a command')
      .addOption(
        new Option('-o, --output <format>', 'output format: table, json or yaml').default('table').argParser((v: string) => (v === 'table' ? 'table' : outputFormat(v))),
      ),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./token.js')).tokenList(opts as never, io))());
  clusterOptions(
    token
      .command('delete <token...>')
      .description('delete bootstrap tokens by id (abcdef) or whole token (kubeadm token delete)')
      .helpOption('-h, --help', 'show help for a command'),
  ).action((tokens: string[], opts: Record<string, unknown>) =>
    run(async () => (await import('./token.js')).tokenDelete({ ...(opts as unknown as import('./token.js').TokenDeleteOptions), tokens }, io))(),
  );

  clusterOptions(
    root
      .command('join-config')
      .description('mint a token for one node and write its kubeadm join configuration (and discovery file), mode 0600; the token is never printed')
      .helpOption('-h, --help', 'show help for a command')
      .addOption(new Option('--node-name <name>', 'the name the node registers as (the token is minted for it)'))
      .addOption(new Option('--out <dir>', 'directory to write join-configuration.yaml (and discovery.kubeconfig) into'))
      .addOption(new Option('--discovery <mode>', 'file (token adds nothing to cluster-info) or token (kubeadm token discovery)').default('file'))
      .addOption(new Option('--discovery-file-path <path>', 'where the node will find the discovery file').default('/etc/kubernetes/discovery.kubeconfig'))
      .addOption(new Option('--ttl <duration>', 'lifetime of the minted token (Go duration)').default('1h'))
      .addOption(new Option('--control-plane', 'join as an extra control-plane node'))
      .addOption(new Option('--certificate-key <hex>', 'key of the uploaded certificates (kubeadm init phase upload-certs); prefer --certificate-key-file'))
      .addOption(new Option('--certificate-key-file <file>', 'file holding the certificate key, or - for stdin'))
      .addOption(new Option('--advertise-address <ip>', 'control-plane join: the address this API server advertises'))
      .addOption(new Option('--bind-port <port>', 'control-plane join: the port this API server listens on'))
      .addOption(new Option('--kubernetes-version <v>', "the node's Kubernetes version, which picks the config API (default: the server's)"))
      .addOption(outputOption()),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./join-config.js')).joinConfig(opts as never, io))());

  clusterOptions(
    root
      .command('userdata')
      .description('render the bootstrap data (cloud-config, Ignition or sh script) that makes a machine a node; the token goes only into it')
      .helpOption('-h, --help', 'show help for a command')
      .addOption(new Option('--role <role>', 'init (first control plane), control-plane or worker'))
      .addOption(new Option('--node-name <name>', 'the name the node registers as (the token is minted for it)'))
      .addOption(new Option('--format <format>', "cloud-config, ignition or script (default: the spec's format, else cloud-config)"))
      .addOption(new Option('--ignition-version <v>', 'Ignition spec version: 3.3.0, 3.4.0 or 3.5.0').default('3.4.0'))
      .addOption(new Option('--jinja', 'cloud-config: start with the `## template: jinja` header'))
      .addOption(new Option('--spec <file>', "machine spec (Cluster API's KubeadmConfig.spec, YAML or JSON; see docs/machine-spec.md), - for stdin"))
      .addOption(new Option('--spec-namespace <ns>', "namespace of the Secrets the spec's contentFrom/passwdFrom name").default('default'))
      .addOption(new Option('--out <file>', 'write to this file (mode 0600) instead of stdout'))
      .addOption(new Option('--max-size <bytes>', 'gzip when the data is larger, fail when still larger').default('16384'))
      .addOption(new Option('--discovery <mode>', 'file (the default; the token adds nothing to cluster-info) or token').default('file'))
      .addOption(new Option('--discovery-file-path <path>', 'where the discovery file is written on the node').default('/etc/kubernetes/discovery.kubeconfig'))
      .addOption(new Option('--ttl <duration>', 'lifetime of the minted token').default('1h'))
      .addOption(new Option('--kubernetes-version <v>', "the node's Kubernetes version (default with a cluster: the server's)"))
      .addOption(new Option('--token-file <file>', 'offline: file holding the bootstrap token, or - for stdin'))
      .addOption(new Option('--token <token>', 'offline: the bootstrap token (visible in ps; prefer --token-file)'))
      .addOption(new Option('--ca-cert-hash <pin>', 'offline: CA pin sha256:<hex> (repeatable)').argParser(collect))
      .addOption(new Option('--endpoint <host:port>', 'offline and init: the API server endpoint'))
      .addOption(new Option('--pki-dir <dir>', 'init: CAs to use (generated and written there when absent); control-plane: CAs to upload or inline (default /etc/kubernetes/pki)'))
      .addOption(new Option('--upload-certs', "control-plane: upload the CAs encrypted to kube-system/kubeadm-certs (kubeadm's way; the default with a cluster); init: kubeadm init --upload-certs"))
      .addOption(new Option('--certificate-key-file <file>', 'control-plane: key of an earlier upload; init with --upload-certs: read or written here (0600)'))
      .addOption(new Option('--inline-cas', 'control-plane: put the CAs into the bootstrap data (Cluster API style) instead of uploading them'))
      .addOption(new Option('--advertise-address <ip>', 'control-plane: the address this API server advertises'))
      .addOption(new Option('--bind-port <port>', 'control-plane: the port this API server listens on'))
      .addOption(new Option('--cluster-name <name>', 'init: the cluster name (default kubernetes)'))
      .addOption(new Option('--cas-from-secrets <ns/cluster>', "init: the CAs from Cluster API's Secrets <cluster>-ca, -etcd, -proxy, -sa"))
      .addOption(new Option('--ca-validity <duration>', 'init, generated CAs: validity as a Go duration (default 87600h, kubeadm\'s 10 years)'))
      .addOption(new Option('--ca-key-algorithm <alg>', 'init, generated CAs: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384')),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./userdata.js')).userdata(opts as never, io))());

  root
    .command('ca-hash')
    .description('print the pin of each CA certificate (sha256:<hex> of its public key), as --discovery-token-ca-cert-hash takes it')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--cert <file>', 'PEM file with one or more CA certificates (repeatable); without it, the CA of the cluster').argParser(collect).default([]))
    .addOption(new Option('--kubeconfig <file>', 'without --cert: the cluster whose CA to pin (default: as for token create)'))
    .addOption(new Option('--context <name>', 'kubeconfig context to use'))
    .addOption(outputOption())
    .action((opts: { cert: string[]; output: OutputFormat; kubeconfig?: string; context?: string }) =>
      run(async () => {
        const { caHash } = await import('./ca-hash.js');
        return caHash(
          {
            certFiles: opts.cert,
            output: opts.output,
            ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
            ...(opts.context === undefined ? {} : { context: opts.context }),
          },
          io,
        );
      })(),
    );

  root
    .command('discover [api-server-endpoint]')
    .description(
      "on a node: kubeadm join's discovery step on its own (token discovery with HOST:PORT, or --discovery-file); checks the cluster's identity, " +
        'writes the TLS bootstrap kubeconfig (mode 0600), and names the cause and fix of each failure',
    )
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--config <file>', 'a JoinConfiguration (e.g. the join-configuration.yaml of `joinery join-config`) to take the discovery settings from; recommended'))
    .addOption(new Option('--token-file <file>', 'file holding the bootstrap token, or - to read it from stdin'))
    .addOption(new Option('--token <token>', 'the bootstrap token (kubeadm compatibility; visible in ps and shell history: prefer --token-file)'))
    .addOption(new Option('--discovery-token-ca-cert-hash <pin>', 'CA pin sha256:<hex> the cluster CA must match (repeatable)').argParser(collect))
    .addOption(new Option('--discovery-token-unsafe-skip-ca-verification', 'token discovery without a CA pin (only the token then protects the node)'))
    .addOption(new Option('--discovery-file <path-or-url>', 'file discovery: a local kubeconfig path or an https:// URL serving one'))
    .addOption(new Option('--discovery-file-ca <file>', 'PEM CA to verify the https:// server of --discovery-file (default: the system roots)'))
    .addOption(new Option('--timeout <duration>', 'how long to wait for cluster-info and its signature, as a Go duration (default: the config\'s discovery timeout, else 5m0s)'))
    .addOption(new Option('--out <file>', 'where to write the TLS bootstrap kubeconfig (mode 0600)').default('bootstrap-kubelet.conf'))
    .addOption(outputOption())
    .action((endpoint: string | undefined, opts: Record<string, unknown>) =>
      run(async () => (await import('./discover.js')).discover({ ...(opts as unknown as import('./discover.js').DiscoverOptions), ...(endpoint === undefined ? {} : { endpoint }) }, io))(),
    );

  clusterOptions(
    root
      .command('doctor')
      .description(
        'check what joins need from the cluster, with a fix for each failure: cluster-info readable anonymously, the bootstrap RBAC, ' +
          'the bootstrapsigner (probe token signed within 10 s), kubeadm-config readable with a bootstrap token, the tokencleaner; exits 1 when a check fails',
      )
      .helpOption('-h, --help', 'show help for a command')
      .addOption(outputOption()),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./doctor.js')).doctor(opts as never, io))());

  clusterOptions(
    root
      .command('setup')
      .description(
        "let joinery's tokens join: bind the group system:bootstrappers:joinery:nodes to what kubeadm's token group may read " +
          '(mirroring kubeadm\'s bindings), but not to CSR auto-approval: joinery serve approves each node for its own name. Idempotent',
      )
      .helpOption('-h, --help', 'show help for a command')
      .addOption(new Option('--dry-run', 'only report what is missing (exit 1 when something is)'))
      .addOption(outputOption()),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./setup.js')).setup(opts as never, io))());

  clusterOptions(
    root
      .command('serve')
      .description(
        'run the host provisioner: an HTTP API that mints one short-lived token per machine, bound to its node name, and serves its bootstrap data; ' +
          'approves its nodes\' CSRs and revokes each token once its Node registers (SIGHUP reloads the config)',
      )
      .helpOption('-h, --help', 'show help for a command')
      .addOption(new Option('--config <file>', 'the service configuration (joinery.yaml; see docs/provisioner.md)'))
      .addOption(new Option('--port <port>', "override the config's listen port (0: any free port)"))
      .addOption(new Option('--expired-retention <duration>', 'how long a machine whose token expired unused stays listed as expired before joinery deletes the token').default('10m')),
  ).action((opts: Record<string, unknown>) => run(async () => (await import('./serve.js')).serve(opts as never, io))());

  root
    .command('manifests')
    .description(
      'print the Kubernetes objects that run joinery serve in a cluster: Namespace, ServiceAccount, least-privilege RBAC, ' +
        'Deployment (non-root, read-only root filesystem, probes) and Service; nothing is sent anywhere (joinery manifests | kubectl apply -f -)',
    )
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--namespace <name>', 'the namespace to run in').default('joinery-system'))
    .addOption(new Option('--image <ref>', `the joinery image (default: ghcr.io/joinery/joinery:${VERSION})`))
    .addOption(new Option('--replicas <n>', 'pods of the Deployment (one leader runs the loops, every pod serves the API)').default('2'))
    .addOption(new Option('-o, --output <format>', 'yaml (multi-document, with a comment on the Secrets to create first) or json (a v1 List)').default('yaml'))
    .action((opts: Record<string, unknown>) => run(async () => (await import('./manifests.js')).manifests(opts as never, io))());

  const testbed = root
    .command('testbed')
    .description('a real kubeadm-shaped control plane on 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager) for tests and trials')
    .helpOption('-h, --help', 'show help for a command');
  const dirOption = () => new Option('--dir <dir>', 'the testbed directory (default: $TMPDIR/joinery-testbed-<uid>)');
  testbed
    .command('up')
    .description('start a testbed, wait until it is ready and print its admin kubeconfig path')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .addOption(new Option('--kubernetes-version <v>', 'Kubernetes version of the binaries').default('v1.20.2'))
    .addOption(new Option('--build', "build the binaries when they are missing: 1.20.2 from Debian's source package (root, ~10 min), newer versions from Go modules (Go, ~13 min)"))
    .action((opts: { dir?: string; kubernetesVersion: string; build?: boolean }) =>
      run(async () => (await import('./testbed.js')).testbedUpCommand(opts, io))(),
    );
  testbed
    .command('down')
    .description('stop every process of the testbed and remove its directory')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .action((opts: { dir?: string }) => run(async () => (await import('./testbed.js')).testbedDownCommand(opts, io))());
  testbed
    .command('env')
    .description('print KUBECONFIG=<path> and KUBE_BIN=<dir of its kubeadm> for a shell (eval "$(joinery testbed env)")')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .action((opts: { dir?: string }) => run(async () => (await import('./testbed.js')).testbedEnvCommand(opts, io))());
  testbed
    .command('versions')
    .description('list the Kubernetes versions a testbed can run here: available, buildable (and how) or missing (and why)')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(outputOption())
    .action((opts: { output: OutputFormat }) => run(async () => (await import('./testbed.js')).testbedVersionsCommand(opts, io))());

  testbed
    .command('build')
    .description("make sure a version's binaries (kubeadm, kubelet, kube-apiserver, kube-controller-manager and its etcd) are on this machine: from the cache, ../shared/testbed, or built (1.20.2 from Debian's source package, newer versions from Go modules)")
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--kubernetes-version <v>', 'Kubernetes version of the binaries').default('v1.20.2'))
    .addOption(outputOption())
    .action((opts: { kubernetesVersion: string; output: OutputFormat }) => run(async () => (await import('./testbed.js')).testbedBuildCommand(opts, io))());
  const node = testbed
    .command('node')
    .description('testbed nodes: real kubeadm + kubelet + containerd joins, each node in its own mount namespace with a supervisor in systemd\'s place')
    .helpOption('-h, --help', 'show help for a command');
  node
    .command('add')
    .argument('<name>', 'the node (a DNS label)')
    .description('start a node (containerd on first use, a mount namespace with tmpfs over /etc/kubernetes, /var/lib/kubelet, /run/kubeadm, /run/cluster-api); with --userdata, run it there and report')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .addOption(new Option('--userdata <file>', 'bootstrap data to run in the node: a joinery script or #cloud-config (- for stdin); exit 0 only when it succeeds and the Node registers'))
    .addOption(new Option('--timeout <duration>', 'how long the bootstrap data may run').default('5m'))
    .addOption(outputOption())
    .action((name: string, opts: { dir?: string; userdata?: string; timeout?: string; output: OutputFormat }) => run(async () => (await import('./testbed.js')).testbedNodeAddCommand(name, opts, io))());
  node
    .command('run')
    .argument('<name>', 'the node')
    .argument('<file>', 'bootstrap data: a joinery script or #cloud-config (- for stdin)')
    .description("run bootstrap data in a node and report: exit status, the files written with their modes, whether the kubelet's Node registered")
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .addOption(new Option('--timeout <duration>', 'how long the bootstrap data may run').default('5m'))
    .addOption(outputOption())
    .action((name: string, file: string, opts: { dir?: string; timeout?: string; output: OutputFormat }) => run(async () => (await import('./testbed.js')).testbedNodeRunCommand(name, file, opts, io))());
  node
    .command('ls')
    .description("list the testbed's nodes with their supervisor and kubelet state")
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .addOption(outputOption())
    .action((opts: { dir?: string; output: OutputFormat }) => run(async () => (await import('./testbed.js')).testbedNodeListCommand(opts, io))());
  node
    .command('rm')
    .argument('<names...>', 'the nodes')
    .description('stop the nodes (kubelet, supervisor, namespace) and remove their directories; their Node objects stay in the cluster')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(dirOption())
    .action((names: string[], opts: { dir?: string }) => run(async () => (await import('./testbed.js')).testbedNodeRemoveCommand(names, opts, io))());

  return root;
}

/** Runs the CLI with `argv` (process.argv shape) and exits with the command's status. */
export async function main(argv: string[], io: Io = processIo): Promise<void> {
  process.exitCode = await runCli(argv, io);
}

/** Runs the CLI and returns its exit status (for tests and `main`). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const exit = { code: 0 };
  const root = program(io, exit);
  try {
    await root.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 64;
    }
    return reportError(err, io);
  }
  return exit.code;
}
