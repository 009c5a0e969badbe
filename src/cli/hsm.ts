/**
 * `kmsd hsm ...`: manage an emulated CloudHSM cluster's users and keys, mirroring the
 * CloudHSM CLI's commands (cluster activate, user create/change-password/delete/list,
 * key list, login, logout). It talks to a running kmsd over the HSM management endpoint
 * (X-Amz-Target KmsdHsmManagement.*) with SigV4-signed requests, like any AWS client.
 */
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { readSecret } from './secrets.js';
import { UsageError } from './usage.js';

const HELP = `Usage: kmsd hsm <command> [options]

Manage the users and keys inside an emulated CloudHSM cluster (CloudHSM CLI equivalent).

Commands:
  cluster activate   --cluster-id <id> <new admin password>
                     Activate an INITIALIZED cluster: the unactivated admin ("admin",
                     password "password") gets the new password; the cluster becomes ACTIVE.
  user create        --cluster-id <id> <admin password> --username <name>
                     --role crypto-user|admin <new user's password>
  user change-password --cluster-id <id> <admin password> --username <name>
                     --role crypto-user|admin <new password>
                     Also unlocks a user locked out after 5 failed logins.
  user delete        --cluster-id <id> <admin password> --username <name>
                     --role crypto-user|admin
  user list          --cluster-id <id> <admin password>
  key list           --cluster-id <id> --username <crypto-user> <password>
  login              --cluster-id <id> --username <name> --role crypto-user|admin <password>
                     Opens a session that stays open until logout (while it is open,
                     AWS KMS cannot connect a key store as this user: USER_LOGGED_IN).
  logout             --cluster-id <id> --username <name> --role crypto-user|admin <password>

Passwords (<password> is the user's or new password, <admin password> the admin's), each
from one of:
  a prompt           when standard input is a terminal and no option below is given
                     (nothing is echoed; a new password is asked twice)
  --password-stdin, --admin-password-stdin
                     one line read from standard input (one of the two per command)
  --password-env <VAR>, --admin-password-env <VAR>
                     the environment variable VAR
  --password <pw>, --admin-password <pw>
                     for scripts only: visible in ps output and shell history (warns)

Options for every command:
  --admin-username <name>  Admin to authenticate as (default "admin")
  --endpoint-url <url>     kmsd endpoint [KMSD_ENDPOINT, default http://127.0.0.1:4599];
                           for https:// with a development certificate, set
                           NODE_EXTRA_CA_CERTS=<data-dir>/dev-ca.pem
  --region <region>        [AWS_REGION, AWS_DEFAULT_REGION, default us-east-1]
  -h, --help               Show this help

Requests are signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN
if set). Prints the result as JSON. Exit codes: 0 ok, 1 the request failed, 2 usage error.
`;

/** Command -> [operation, required options]. */
const COMMANDS: Record<string, { operation: string; required: string[] }> = {
  'cluster activate': { operation: 'ActivateCluster', required: ['cluster-id', 'password'] },
  'user create': { operation: 'CreateUser', required: ['cluster-id', 'admin-password', 'username', 'role', 'password'] },
  'user change-password': { operation: 'ChangePassword', required: ['cluster-id', 'admin-password', 'username', 'role', 'password'] },
  'user delete': { operation: 'DeleteUser', required: ['cluster-id', 'admin-password', 'username', 'role'] },
  'user list': { operation: 'ListUsers', required: ['cluster-id', 'admin-password'] },
  'key list': { operation: 'ListKeys', required: ['cluster-id', 'username', 'password'] },
  login: { operation: 'Login', required: ['cluster-id', 'username', 'role', 'password'] },
  logout: { operation: 'Logout', required: ['cluster-id', 'username', 'role', 'password'] },
};

const SECRET_OPTIONS = ['admin-password', 'password'] as const;
type SecretOption = (typeof SECRET_OPTIONS)[number];

/** What the prompt asks for; new passwords are asked twice. */
function secretPrompt(operation: string, option: SecretOption, username = '', adminUsername: string): { label: string; confirm: boolean } {
  if (option === 'admin-password') return { label: `Password of admin ${adminUsername}`, confirm: false };
  if (operation === 'ActivateCluster') return { label: `New password for admin ${adminUsername}`, confirm: true };
  if (operation === 'CreateUser') return { label: `Password for the new user ${username}`, confirm: true };
  if (operation === 'ChangePassword') return { label: `New password for ${username}`, confirm: true };
  return { label: `Password of ${username}`, confirm: false };
}

/** CLI option -> request member. `--password` is the admin's new password for activate. */
function requestBody(operation: string, values: Record<string, string | undefined>): Record<string, string> {
  const members: Record<string, string | undefined> = {
    ClusterId: values['cluster-id'],
    AdminUsername: values['admin-username'],
    AdminPassword: operation === 'ActivateCluster' ? values.password : values['admin-password'],
    Username: values.username,
    Role: values.role,
    Password: operation === 'ActivateCluster' ? undefined : values.password,
  };
  return Object.fromEntries(Object.entries(members).filter((e): e is [string, string] => e[1] !== undefined));
}

function fail(message: string, code: number): void {
  process.stderr.write(`kmsd hsm: ${message}\n`);
  process.exitCode = code;
}

async function call(endpoint: string, region: string, operation: string, body: Record<string, string>): Promise<unknown> {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new UsageError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set to sign requests');
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`invalid --endpoint-url '${endpoint}'`);
  }
  const payload = JSON.stringify(body);
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname || '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `KmsdHsmManagement.${operation}`,
    },
    body: payload,
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN || undefined },
    region,
    service: 'cloudhsm',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(request);
  let res: Response;
  try {
    res = await fetch(new URL(signed.path, url.origin), {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host')),
      body: payload,
    });
  } catch (err) {
    // fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    throw new Error(`cannot reach kmsd at ${url.origin}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new Error(`unexpected response from ${url.origin} (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const type = String(parsed.__type ?? `HTTP ${res.status}`)
      .split('#')
      .pop();
    const message = parsed.Message ?? parsed.message ?? 'no message';
    throw new Error(`${type}: ${String(message)}`);
  }
  return parsed;
}

export async function hsmMain(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'cluster-id': { type: 'string' },
        'admin-username': { type: 'string' },
        'admin-password': { type: 'string' },
        username: { type: 'string' },
        role: { type: 'string' },
        password: { type: 'string' },
        'admin-password-stdin': { type: 'boolean' },
        'admin-password-env': { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'password-env': { type: 'string' },
        'endpoint-url': { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0 || positionals[0] === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const name = positionals.join(' ');
  const command = COMMANDS[name];
  if (!command) return fail(`unknown command '${name}'\n\n${HELP}`, 2);
  // Passwords may come from stdin, the environment or a prompt: readSecret checks them.
  const missing = command.required.filter(
    (o) => !(SECRET_OPTIONS as readonly string[]).includes(o) && values[o as keyof typeof values] === undefined,
  );
  if (missing.length > 0) return fail(`${name}: missing ${missing.map((o) => `--${o}`).join(', ')}`, 2);
  if (values.role !== undefined && values.role !== 'crypto-user' && values.role !== 'admin') {
    return fail(`--role must be crypto-user or admin, not '${values.role}'`, 2);
  }

  const endpoint = values['endpoint-url'] ?? process.env.KMSD_ENDPOINT ?? 'http://127.0.0.1:4599';
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (values['password-stdin'] && values['admin-password-stdin']) {
    return fail('only one of --password-stdin and --admin-password-stdin can read standard input', 2);
  }
  const strings = Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'));
  try {
    for (const option of SECRET_OPTIONS) {
      if (!command.required.includes(option)) continue;
      strings[option] = await readSecret({
        option,
        inline: values[option],
        fromStdin: values[`${option}-stdin`],
        envVar: values[`${option}-env`],
        ...secretPrompt(command.operation, option, values.username, values['admin-username'] ?? 'admin'),
      });
    }
    const result = await call(endpoint, region, command.operation, requestBody(command.operation, strings));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    fail((err as Error).message, err instanceof UsageError ? 2 : 1);
  }
}
