/**
 * The Condition element: operators, the IfExists modifier, the ForAnyValue:/ForAllValues: set
 * qualifiers and Null (IAM User Guide: reference_policies_elements_condition_operators,
 * reference_policies_multi-value-conditions). Each operator is a row of OPERATORS: how its policy
 * values compile and how one request value is tested against them. Everything is compiled with the
 * policy; a request only compares strings, numbers and addresses.
 */
import { BlockList, isIP } from 'node:net';
import { arnMatches, compileArnPattern, splitArn } from './arn.js';
import { globMatches } from './glob.js';
import { compileTemplate, resolveTemplate } from './template.js';
import type { RequestFacts } from './request-facts.js';

/** Whether one request value matches any of the operator's policy values (before negation). */
type ValueTest = (requestValue: string, facts: RequestFacts) => boolean;

interface OperatorFamily {
  /** Operators whose result is inverted per value: true when the value matches none of the policy values. */
  negated: boolean;
  compile(policyValues: readonly string[], variables: boolean): ValueTest;
}

export class ConditionValueError extends Error {}

const anyOf =
  <T>(compiled: readonly T[], test: (policyValue: T, requestValue: string, facts: RequestFacts) => boolean): ValueTest =>
  (requestValue, facts) =>
    compiled.some((policyValue) => test(policyValue, requestValue, facts));

function stringFamily(negated: boolean, wildcards: boolean, fold: boolean): OperatorFamily {
  return {
    negated,
    compile(policyValues, variables) {
      const templates = policyValues.map((value) => compileTemplate(value, { variables, wildcards, fold }));
      return anyOf(templates, (template, requestValue, facts) => {
        // A variable without a value makes this policy value match nothing (reference_policies_variables).
        const glob = resolveTemplate(template, facts.variable);
        return glob !== undefined && globMatches(glob, fold ? requestValue.toLowerCase() : requestValue);
      });
    },
  };
}

function parseNumber(text: string): number | undefined {
  const value = text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function numericFamily(negated: boolean, compare: (request: number, policy: number) => boolean, parse = parseNumber): OperatorFamily {
  return {
    negated,
    compile(policyValues) {
      const numbers = policyValues.map(parse).filter((n): n is number => n !== undefined);
      return anyOf(numbers, (policyValue, requestValue) => {
        const value = parse(requestValue);
        return value !== undefined && compare(value, policyValue);
      });
    },
  };
}

/** Dates are ISO 8601 or seconds since the epoch (condition_operators "Date condition operators"). */
const EPOCH_SECONDS = /^-?\d+(\.\d+)?$/;

function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_SECONDS.test(trimmed)) return Number(trimmed) * 1000;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

const booleanFamily: OperatorFamily = {
  negated: false,
  compile(policyValues) {
    const wanted = policyValues.map((value) => value.toLowerCase());
    return anyOf(wanted, (policyValue, requestValue) => policyValue === requestValue.toLowerCase());
  },
};

const binaryFamily: OperatorFamily = {
  negated: false,
  compile(policyValues) {
    return anyOf(policyValues, (policyValue, requestValue) => policyValue === requestValue);
  },
};

/** IPv4 clients reach a dual-stack socket as ::ffff:a.b.c.d; policies name them in IPv4 form. */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function normalizeAddress(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  return mapped?.[1] ?? address;
}

function ipFamily(negated: boolean): OperatorFamily {
  return {
    negated,
    compile(policyValues) {
      const list = new BlockList();
      for (const value of policyValues) {
        const [address = '', prefixText, ...rest] = value.trim().split('/');
        const family = isIP(address);
        const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
        const max = family === 6 ? 128 : 32;
        if (family === 0 || rest.length > 0 || !/^\d+$/.test(prefixText ?? '0') || prefix > max) {
          throw new ConditionValueError(`Invalid IP address or CIDR block: ${value}`);
        }
        list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
      }
      return (requestValue) => {
        const address = normalizeAddress(requestValue.trim());
        const family = isIP(address);
        return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
      };
    },
  };
}

function arnFamily(negated: boolean): OperatorFamily {
  return {
    negated,
    compile(policyValues, variables) {
      const patterns = policyValues.map((value) => compileArnPattern(value, variables, 0));
      return anyOf(patterns, (pattern, requestValue, facts) => arnMatches(pattern, splitArn(requestValue), facts.variable));
    },
  };
}

interface OperatorRow {
  family: OperatorFamily;
  /** Policy variables are substituted only in String and ARN operators (reference_policies_variables). */
  variables: boolean;
}

const row = (family: OperatorFamily, variables = false): OperatorRow => ({ family, variables });

/** Keyed by the lower-cased operator name. */
const OPERATORS = new Map<string, OperatorRow>([
  ['stringequals', row(stringFamily(false, false, false), true)],
  ['stringnotequals', row(stringFamily(true, false, false), true)],
  ['stringequalsignorecase', row(stringFamily(false, false, true), true)],
  ['stringnotequalsignorecase', row(stringFamily(true, false, true), true)],
  ['stringlike', row(stringFamily(false, true, false), true)],
  ['stringnotlike', row(stringFamily(true, true, false), true)],
  ['numericequals', row(numericFamily(false, (a, b) => a === b))],
  ['numericnotequals', row(numericFamily(true, (a, b) => a === b))],
  ['numericlessthan', row(numericFamily(false, (a, b) => a < b))],
  ['numericlessthanequals', row(numericFamily(false, (a, b) => a <= b))],
  ['numericgreaterthan', row(numericFamily(false, (a, b) => a > b))],
  ['numericgreaterthanequals', row(numericFamily(false, (a, b) => a >= b))],
  ['dateequals', row(numericFamily(false, (a, b) => a === b, parseDate))],
  ['datenotequals', row(numericFamily(true, (a, b) => a === b, parseDate))],
  ['datelessthan', row(numericFamily(false, (a, b) => a < b, parseDate))],
  ['datelessthanequals', row(numericFamily(false, (a, b) => a <= b, parseDate))],
  ['dategreaterthan', row(numericFamily(false, (a, b) => a > b, parseDate))],
  ['dategreaterthanequals', row(numericFamily(false, (a, b) => a >= b, parseDate))],
  ['bool', row(booleanFamily)],
  ['binaryequals', row(binaryFamily)],
  ['ipaddress', row(ipFamily(false))],
  ['notipaddress', row(ipFamily(true))],
  ['arnequals', row(arnFamily(false), true)],
  ['arnlike', row(arnFamily(false), true)],
  ['arnnotequals', row(arnFamily(true), true)],
  ['arnnotlike', row(arnFamily(true), true)],
]);

type Qualifier = 'single' | 'forAnyValue' | 'forAllValues';

export interface CompiledCondition {
  /** The condition key, lower-cased. */
  readonly key: string;
  test(facts: RequestFacts): boolean;
}

interface ParsedOperator {
  qualifier: Qualifier;
  ifExists: boolean;
  /** undefined for Null */
  row: OperatorRow | undefined;
}

/** Splits `ForAnyValue:StringLikeIfExists` into its parts; undefined for an unknown operator. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name.toLowerCase();
  let qualifier: Qualifier = 'single';
  if (rest.startsWith('foranyvalue:')) {
    qualifier = 'forAnyValue';
    rest = rest.slice('foranyvalue:'.length);
  } else if (rest.startsWith('forallvalues:')) {
    qualifier = 'forAllValues';
    rest = rest.slice('forallvalues:'.length);
  }
  if (rest === 'null') return qualifier === 'single' ? { qualifier, ifExists: false, row: undefined } : undefined;
  const ifExists = rest.endsWith('ifexists');
  const found = OPERATORS.get(ifExists ? rest.slice(0, -'ifexists'.length) : rest);
  return found ? { qualifier, ifExists, row: found } : undefined;
}

/** `variables`: the policy's Version allows them (2012-10-17). Throws ConditionValueError for unusable values. */
export function compileCondition(
  operator: ParsedOperator,
  key: string,
  policyValues: readonly string[],
  variables: boolean,
): CompiledCondition {
  const lowerKey = key.toLowerCase();
  const { qualifier, ifExists, row: found } = operator;
  if (found === undefined) {
    // Null: "true" asks for the key to be absent, "false" for it to be present; an empty list counts as absent.
    const wanted = policyValues.map((value) => value.toLowerCase() === 'true');
    return {
      key: lowerKey,
      test: (facts) => {
        const values = facts.values(lowerKey);
        const absent = values === undefined || values.length === 0;
        return wanted.some((wantAbsent) => wantAbsent === absent);
      },
    };
  }
  const matches = found.family.compile(policyValues, variables && found.variables);
  const negated = found.family.negated;
  const valueTest = (value: string, facts: RequestFacts): boolean => matches(value, facts) !== negated;
  return {
    key: lowerKey,
    test: (facts) => {
      const values = facts.values(lowerKey);
      if (values === undefined || values.length === 0) {
        // Absent key: IfExists and ForAllValues hold, ForAnyValue fails; a plain operator holds only when negated.
        if (ifExists || qualifier === 'forAllValues') return true;
        if (qualifier === 'forAnyValue') return false;
        return negated;
      }
      if (qualifier === 'forAllValues') return values.every((value) => valueTest(value, facts));
      // ForAnyValue, and (our reading, undocumented) a list tested without a qualifier: some element holds.
      return values.some((value) => valueTest(value, facts));
    },
  };
}
