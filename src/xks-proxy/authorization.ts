/**
 * Secondary authorization (xks-proxy.md §5, optional): after a request's signature checks
 * out, allow rules over who signed it and its requestMetadata decide whether the proxy uses
 * the external key; a denial is 403 AccessDeniedException (§6). GetHealthStatus is exempt
 * (§4.4), so rules can never stop KMS from connecting a key store.
 *
 * With no rules, everything is allowed, as in the AWS sample proxy. With rules, a request
 * is allowed when at least one rule matches it; a rule matches when every attribute it lists
 * matches (any of its values; `*` stands for any run of characters). An attribute the
 * request lacks matches no listed value: GetKeyMetadata (KMS CreateKey) carries no
 * kmsKeyArn, so a rule naming KMS key ARNs never covers it.
 */
import { XksError } from './errors.js';

/** The attributes a rule can list, each as the request carries it. */
export const RULE_ATTRIBUTES = ['accessKeyIds', 'xksKeyIds', 'kmsKeyArns', 'awsPrincipalArns', 'kmsOperations'] as const;
export type RuleAttribute = (typeof RULE_ATTRIBUTES)[number];

export type XksAuthorizationRule = Partial<Record<RuleAttribute, string[]>>;

/** One request to a key API, as the rules see it. */
export type XksAccessRequest = Record<RuleAttribute, string | undefined>;

export class XksAuthorizer {
  private readonly rules: Partial<Record<RuleAttribute, RegExp[]>>[];

  constructor(rules: XksAuthorizationRule[]) {
    this.rules = rules.map((rule) => Object.fromEntries(Object.entries(rule).map(([name, values]) => [name, values.map(pattern)])));
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /** Throws 403 AccessDeniedException unless a rule allows the request (or there are none). */
  authorize(request: XksAccessRequest): void {
    if (!this.enabled) return;
    const allowed = this.rules.some((rule) =>
      RULE_ATTRIBUTES.every((name) => {
        const patterns = rule[name];
        if (!patterns) return true;
        const value = request[name];
        return value !== undefined && patterns.some((p) => p.test(value));
      }),
    );
    if (!allowed) throw new XksError('AccessDeniedException', 'no authorization rule of the proxy allows this request');
  }
}

/**
 * Reads rules from configuration. An unknown attribute is refused rather than ignored:
 * a misspelt attribute would otherwise widen the rule to every request.
 */
export function parseAuthorizationRules(value: unknown): XksAuthorizationRule[] {
  if (!Array.isArray(value)) throw new Error('authorization must be a list of rules');
  return value.map((entry: unknown, i) => {
    const where = `authorization rule ${i + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${where} must be an object`);
    const rule: XksAuthorizationRule = {};
    for (const [name, values] of Object.entries(entry)) {
      if (!(RULE_ATTRIBUTES as readonly string[]).includes(name)) {
        throw new Error(`${where}: unknown attribute "${name}" (expected ${RULE_ATTRIBUTES.join(', ')})`);
      }
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
        throw new Error(`${where}: "${name}" must be a non-empty list of non-empty strings`);
      }
      rule[name as RuleAttribute] = values as string[];
    }
    if (Object.keys(rule).length === 0) throw new Error(`${where} lists no attribute; it would allow every request`);
    return rule;
  });
}

/** `*` matches any run of characters; everything else literally, over the whole value. */
function pattern(glob: string): RegExp {
  const literal = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}
