/**
 * The request's condition keys as the evaluator reads them: names folded to lower case (IAM: "Context
 * key names are not case-sensitive", elements_condition), every value as a list of strings, and the
 * principal-derived global keys added from the Principal (IAM User Guide, reference_policies_condition-keys).
 */
import type { Principal } from '../principal.js';
import type { ConditionValues } from './types.js';

interface Fact {
  readonly values: readonly string[];
  /** The request gave a list (a multi-valued key such as kms:EncryptionContextKeys), even of one element. */
  readonly multi: boolean;
}

export class RequestFacts {
  private readonly facts = new Map<string, Fact>();

  constructor(principal: Principal, context: ConditionValues) {
    // kmsd has no AWS service principals and no service calls on a caller's behalf, so these are false
    // unless the caller of the evaluator says otherwise. Without them a common guard such as
    // Deny … "Bool": {"aws:ViaAWSService": "false"} would silently never apply.
    for (const name of ['aws:viaawsservice', 'aws:principalisawsservice']) this.facts.set(name, { values: ['false'], multi: false });
    for (const [name, value] of Object.entries(context)) {
      const fact = toFact(value);
      if (fact) this.facts.set(name.toLowerCase(), fact);
    }
    // The principal's own keys win over anything the caller put in the context under the same name.
    const single = (name: string, value: string | undefined): void => {
      if (value !== undefined) this.facts.set(name, { values: [value], multi: false });
    };
    // For a role session aws:PrincipalArn is the role's ARN, not the session's (condition-keys, aws:PrincipalArn).
    single('aws:principalarn', principal.type === 'AssumedRole' ? (principal.roleArn ?? principal.arn) : principal.arn);
    single('aws:principalaccount', principal.accountId);
    single('aws:principaltype', principal.type);
    single('aws:userid', principal.userId);
    single('aws:username', principal.type === 'User' ? principal.userName : undefined);
    for (const [tag, value] of Object.entries(principal.tags)) single(`aws:principaltag/${tag.toLowerCase()}`, value);
  }

  /** The key's values; undefined when absent. An empty list is kept: ForAllValues/ForAnyValue treat it as "no values". */
  values(lowerName: string): readonly string[] | undefined {
    return this.facts.get(lowerName)?.values;
  }

  /** A policy variable's value: only single-valued keys substitute (reference_policies_variables). */
  variable = (name: string): string | undefined => {
    const fact = this.facts.get(name.toLowerCase());
    return fact && !fact.multi ? fact.values[0] : undefined;
  };
}

function toFact(value: ConditionValues[string]): Fact | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return { values: value.map(String), multi: true };
  return { values: [String(value)], multi: false };
}
