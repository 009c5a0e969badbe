/**
 * IAM wildcard matching (`*` = any run of characters, `?` = exactly one), as used by Action,
 * Resource, StringLike and ArnLike. Patterns are compiled once with the policy; matching is a
 * linear scan with single-star backtracking, so a request never compiles a regular expression
 * and a hostile pattern cannot cause catastrophic backtracking.
 */

const LITERAL = 0;
const STAR = 1;
const ONE = 2;

export interface Glob {
  /** One entry per pattern character (UTF-16 code unit). */
  readonly chars: string;
  /** LITERAL, STAR or ONE for each character of `chars`. */
  readonly kinds: Uint8Array;
}

/** A pattern whose `*` and `?` are wildcards (when `wildcards` is true) or plain characters. */
export function compileGlob(text: string, wildcards: boolean): Glob {
  const kinds = new Uint8Array(text.length);
  if (wildcards) {
    for (let i = 0; i < text.length; i++) kinds[i] = text[i] === '*' ? STAR : text[i] === '?' ? ONE : LITERAL;
  }
  return { chars: text, kinds };
}

/** Joins compiled pieces, keeping each piece's own wildcard positions (substituted variables stay literal). */
export function concatGlobs(pieces: readonly Glob[]): Glob {
  if (pieces.length === 1) return pieces[0] as Glob;
  let chars = '';
  let length = 0;
  for (const piece of pieces) length += piece.chars.length;
  const kinds = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    chars += piece.chars;
    kinds.set(piece.kinds, at);
    at += piece.kinds.length;
  }
  return { chars, kinds };
}

export function hasWildcard(glob: Glob): boolean {
  return glob.kinds.some((kind) => kind !== LITERAL);
}

/** Whether the pattern is only `*`s, which match any text. */
export function matchesEverything(glob: Glob): boolean {
  for (const kind of glob.kinds) if (kind !== STAR) return false;
  return glob.kinds.length > 0;
}

export function globMatches(glob: Glob, text: string): boolean {
  const { chars, kinds } = glob;
  const n = chars.length;
  let p = 0;
  let t = 0;
  let starAt = -1;
  let starText = 0;
  while (t < text.length) {
    if (p < n && (kinds[p] === ONE || (kinds[p] === LITERAL && chars[p] === text[t]))) {
      p++;
      t++;
    } else if (p < n && kinds[p] === STAR) {
      starAt = p++;
      starText = t;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (p < n && kinds[p] === STAR) p++;
  return p === n;
}
