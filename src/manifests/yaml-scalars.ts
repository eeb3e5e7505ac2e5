/**
 * Scalars as kubectl reads them. kubectl (and the API server for YAML bodies) turns a manifest into JSON with
 * sigs.k8s.io/yaml, which decodes with its fork of go-yaml v2 into interface{} and marshals the result as JSON
 * (sigs.k8s.io/yaml yaml.go, yamlToJSON). go-yaml v2 resolves plain scalars by YAML 1.1's rules, in its own way
 * (gopkg.in/yaml.v2 resolve.go, `resolve`; decode.go, `scalar`):
 * - booleans: y Y yes Yes YES true True TRUE on On ON, and n N no No NO false False FALSE off Off OFF;
 * - null: empty, ~, null Null NULL;
 * - integers: Go's strconv.ParseInt(s, 0, 64) after removing every `_`: decimal, `0755` octal (493), `0o755`,
 *   `0x1f`, `0b101`, with a sign;
 * - floats: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (so `089` is 89), `.5`, .inf/.nan;
 * - timestamps (`2001-12-14`) resolve, but decoding into interface{} keeps the text, "for backward
 *   compatibility" (decode.go): the JSON holds the string as written;
 * - no base-60 numbers (`1:20` stays a string), unlike YAML 1.1 and the `yaml` package's 1.1 schema;
 * - quoted scalars are strings; a scalar tagged `!!str` is a string; other tags resolve as the tag says
 *   (an unknown tag leaves the text); `!!binary` is base64 decoded.
 * The `yaml` package's `version: '1.1'` differs from this in `0o17` (a string there), `1:20` (80 there) and
 * timestamps (a Date there), so the loader resolves every scalar here instead of trusting either schema.
 * Known remaining differences: an integer past 2^53 loses precision in a JS number (Go keeps int64); a `<<`
 * merge written after explicit keys overrides them in go-yaml v2 (it merges in order), while the loader lets
 * explicit keys win wherever `<<` stands (as go-yaml does for the usual `<<` first).
 */

export type ScalarValue = string | number | boolean | null;

const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULL = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s): [string, number] => [s, NaN]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s): [string, number] => [s, Infinity]),
  ...['-.inf', '-.Inf', '-.INF'].map((s): [string, number] => [s, -Infinity]),
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What strconv.ParseInt / ParseUint accept with base 0 (the base from the prefix; a leading 0 is octal). */
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** The integer Go's strconv.ParseInt(s, 0, 64) reads (or ParseUint for what only fits unsigned), or undefined. */
function goInt(plain: string): number | undefined {
  const m = GO_INT.exec(plain);
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  const prefix = digits.slice(0, 2).toLowerCase();
  const magnitude =
    prefix === '0x' || prefix === '0o' || prefix === '0b'
      ? BigInt(`0${prefix[1]!}${digits.slice(2)}`)
      : digits.length > 1 && digits.startsWith('0')
        ? BigInt(`0o${digits.slice(1)}`)
        : BigInt(digits);
  const value = sign === '-' ? -magnitude : magnitude;
  // int64, or uint64 for an unsigned value past int64 (ParseUint refuses a sign).
  if (value < -(2n ** 63n) || value >= 2n ** 64n || (value >= 2n ** 63n && sign !== '')) return undefined;
  return Number(value);
}

/** The value go-yaml v2 resolves an untagged plain scalar's text to (resolve.go `resolve` with tag ""). */
export function resolvePlain(text: string): ScalarValue {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  if (NULL.has(text)) return null;
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return special;
  const first = text[0]!;
  if (first === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : text;
  if (!/[-+0-9]/.test(first)) return text;
  if (isTimestamp(text)) return text; // kept as written (see above)
  const plain = text.replaceAll('_', '');
  const int = goInt(plain);
  if (int !== undefined) return int;
  if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
  return text;
}

/** resolve.go parseTimestamp's quick check and formats: YYYY-M-D, optionally with a time. */
function isTimestamp(text: string): boolean {
  return /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})?)?$/.test(
    text,
  );
}

const TAG = 'tag:yaml.org,2002:';

/**
 * A scalar's value as kubectl reads it: `text` is the scalar's content (quotes and escapes resolved), `plain`
 * whether it was written without quotes, `tag` its explicit tag if any. Throws (with go-yaml's wording) for a
 * tag the text does not fit, and for numbers JSON cannot carry (.nan, .inf: kubectl fails to marshal them).
 */
export function kubectlScalar(text: string, plain: boolean, tag: string | undefined): ScalarValue {
  let value: ScalarValue;
  if (!tag) value = plain ? resolvePlain(text) : text;
  else if (tag === `${TAG}str`) value = text;
  else if (tag === `${TAG}binary`) value = Buffer.from(text, 'base64').toString('utf8');
  else if (!tag.startsWith(TAG)) value = text;
  else {
    const resolved = resolvePlain(text);
    const short = `!!${tag.slice(TAG.length)}`;
    const kind =
      resolved === null
        ? '!!null'
        : typeof resolved === 'boolean'
          ? '!!bool'
          : typeof resolved === 'number'
            ? goInt(text.replaceAll('_', '')) === undefined
              ? '!!float'
              : '!!int'
            : isTimestamp(text)
              ? '!!timestamp'
              : '!!str';
    if (short === kind || (short === '!!float' && kind === '!!int')) value = resolved;
    else throw new Error(`cannot decode ${kind} \`${text}\` as a ${short}`);
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Error(`${text} is not a number JSON can carry (kubectl refuses to send it)`);
  return value;
}
