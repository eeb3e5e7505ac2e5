import type { JsonObject, JsonValue } from '../../../src/manifests/model.ts';
import { parseQuantity } from '../../../src/manifests/quantity.ts';
import { same } from './field-managers.ts';

/**
 * The API server's value validation for the fields the default manifests, the fixtures and common charts use,
 * with its messages word for word. Sources (kubernetes/kubernetes):
 * - k8s.io/apimachinery/pkg/util/validation/validation.go: IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label,
 *   IsQualifiedName, IsValidLabelValue, IsValidPortNum, IsConfigMapKey, InclusiveRangeError and their messages;
 * - k8s.io/apimachinery/pkg/util/validation/field/errors.go: how an error reads (`<field>: Invalid value: 755:
 *   <detail>`, strings quoted, `Forbidden: <detail>`);
 * - k8s.io/apimachinery/pkg/api/errors/errors.go NewInvalid: 422 `<Kind>.<group> "<name>" is invalid: <errors>`
 *   (several errors in [a, b]), reason Invalid, details.causes one per error;
 * - pkg/apis/core/validation/validation.go: ValidateObjectMeta (names), ValidatePodSpec (volumes:
 *   fileModeErrorMsg "must be a number between 0 and 0777 (octal), both inclusive" for defaultMode and items[].mode;
 *   container names; ports; resources), ValidateService (ports, nodePort), ValidateConfigMap;
 * - pkg/apis/apps/validation/validation.go: ValidateStatefulSet. It does NOT validate the pod template's spec
 *   (a TODO there since 2016; kubernetes/kubernetes#81147, #137728 on 1.33): an invalid template is accepted, and
 *   each pod the controller creates from it is refused (a FailedCreate event on the StatefulSet). The fixture does
 *   the same: the pod spec rules run on Pod creation.
 * - pkg/registry/core/service/portallocator: a nodePort outside --service-node-port-range (default 30000-32767).
 */

export interface FieldError {
  /** metav1.CauseType: FieldValueInvalid, FieldValueForbidden, FieldValueRequired, FieldValueNotSupported. */
  type: string;
  field: string;
  /** field.Error.ErrorBody(): what follows `<field>: `. */
  body: string;
}

/** How field.Error prints a bad value: numbers and booleans bare, strings quoted (%q), the rest as JSON. */
const shown = (v: JsonValue | undefined): string =>
  typeof v === 'string'
    ? JSON.stringify(v)
    : v === undefined || v === null
      ? 'null'
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

export const invalid = (field: string, value: JsonValue | undefined, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  body: `Invalid value: ${shown(value)}: ${detail}`,
});
export const forbidden = (field: string, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  body: `Forbidden: ${detail}`,
});
const required = (field: string): FieldError => ({ type: 'FieldValueRequired', field, body: 'Required value' });

/** NewInvalid's message and details (the Status is 422, reason Invalid): `<Kind>.<group> "<name>" is invalid: <e>`
 * or `...: [<e1>, <e2>]`, one cause per error. */
export function invalidStatus(kind: string, group: string, name: string, errors: FieldError[]) {
  const lines = errors.map((e) => `${e.field}: ${e.body}`);
  const aggregate = lines.length === 1 ? lines[0]! : `[${lines.join(', ')}]`;
  return {
    message: `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${aggregate}`,
    details: {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.body, field: e.field })),
    } as JsonObject,
  };
}

// ---- apimachinery/pkg/util/validation ----

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const LABEL_VALUE = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const CONFIG_KEY = '[-._a-zA-Z0-9]+';
const full = (re: string) => new RegExp(`^${re}$`);
const maxLen = (n: number) => `must be no more than ${n} characters`;

function isDNS1123Label(v: string): string[] {
  const errs = v.length > 63 ? [maxLen(63)] : [];
  if (!full(DNS1123_LABEL).test(v))
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${DNS1123_LABEL}')`,
    );
  return errs;
}
function isDNS1123Subdomain(v: string): string[] {
  const errs = v.length > 253 ? [maxLen(253)] : [];
  if (!full(DNS1123_SUBDOMAIN).test(v))
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`,
    );
  return errs;
}
function isDNS1035Label(v: string): string[] {
  const errs = v.length > 63 ? [maxLen(63)] : [];
  if (!full(DNS1035_LABEL).test(v))
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${DNS1035_LABEL}')`,
    );
  return errs;
}
function isValidLabelValue(v: string): string[] {
  const errs = v.length > 63 ? [maxLen(63)] : [];
  if (!full(LABEL_VALUE).test(v))
    errs.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${LABEL_VALUE}')`,
    );
  return errs;
}
/** IsQualifiedName: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
function isQualifiedName(v: string): string[] {
  const parts = v.split('/');
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length > 2)
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  const errs = parts.length === 2 ? isDNS1123Subdomain(parts[0]!).map((m) => `prefix part ${m}`) : [];
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name && !full(QUALIFIED_NAME).test(name))
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}')`,
    );
  return errs;
}
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

// ---- the object rules ----

const isObj = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const objs = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** ValidateObjectMeta: the name by the kind's rule; labels (keys qualified names, values label values). */
function objectMeta(kind: string, meta: JsonObject): FieldError[] {
  const name = typeof meta.name === 'string' ? meta.name : '';
  const nameRule = kind === 'Service' ? isDNS1035Label : kind === 'Namespace' ? isDNS1123Label : isDNS1123Subdomain;
  const errs = name ? nameRule(name).map((m) => invalid('metadata.name', name, m)) : [required('metadata.name')];
  return [...errs, ...labels(meta.labels, 'metadata.labels')];
}

/** ValidateLabels: errors at the labels map's path, as apimachinery reports them (not at each key). */
function labels(value: JsonValue | undefined, at: string): FieldError[] {
  if (!isObj(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...isQualifiedName(k).map((m) => invalid(at, k, m)),
    ...(typeof v === 'string' ? isValidLabelValue(v).map((m) => invalid(at, v, m)) : []),
  ]);
}

function fileMode(v: JsonValue | undefined, at: string): FieldError[] {
  return typeof v === 'number' && (v > 0o777 || v < 0)
    ? [invalid(at, v, 'must be a number between 0 and 0777 (octal), both inclusive')]
    : [];
}

/** The file modes of configMap, secret, downwardAPI and projected volumes (validateConfigMapVolumeSource, ...). */
function volumeModes(volume: JsonObject, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const source = volume[kind];
    if (!isObj(source)) continue;
    errs.push(...fileMode(source.defaultMode, `${at}.${kind}.defaultMode`));
    objs(source.items).forEach((item, i) => errs.push(...fileMode(item.mode, `${at}.${kind}.items[${i}].mode`)));
    objs(source.sources).forEach((s, i) => {
      for (const inner of ['configMap', 'secret', 'downwardAPI']) {
        const projected = s[inner];
        if (isObj(projected))
          objs(projected.items).forEach((item, j) =>
            errs.push(...fileMode(item.mode, `${at}.${kind}.sources[${i}].${inner}.items[${j}].mode`)),
          );
      }
    });
  }
  return errs;
}

/** ValidateResourceRequirements: each quantity non-negative (a malformed one never gets here: see quantityErrors). */
function resources(value: JsonValue | undefined, at: string): FieldError[] {
  if (!isObj(value)) return [];
  const errs: FieldError[] = [];
  for (const which of ['limits', 'requests']) {
    const list = value[which];
    if (!isObj(list)) continue;
    for (const [name, q] of Object.entries(list)) {
      const n = parseQuantity(q);
      if (n !== undefined && n < 0)
        errs.push(invalid(`${at}.${which}[${name}]`, q, 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

/** ValidatePodSpec, the parts in use here: volume names and modes, container names, ports and resources. */
export function podSpec(spec: JsonObject, at: string): FieldError[] {
  const errs: FieldError[] = [];
  objs(spec.volumes).forEach((v, i) => {
    const name = typeof v.name === 'string' ? v.name : '';
    errs.push(...isDNS1123Label(name).map((m) => invalid(`${at}.volumes[${i}].name`, name, m)));
    errs.push(...volumeModes(v, `${at}.volumes[${i}]`));
  });
  for (const list of ['initContainers', 'containers']) {
    objs(spec[list]).forEach((c, i) => {
      const where = `${at}.${list}[${i}]`;
      const name = typeof c.name === 'string' ? c.name : '';
      errs.push(...isDNS1123Label(name).map((m) => invalid(`${where}.name`, name, m)));
      objs(c.ports).forEach((p, j) => {
        const port = p.containerPort;
        if (typeof port === 'number' && (port < 1 || port > 65535))
          errs.push(invalid(`${where}.ports[${j}].containerPort`, port, PORT_RANGE));
        if (typeof p.hostPort === 'number' && p.hostPort !== 0 && (p.hostPort < 1 || p.hostPort > 65535))
          errs.push(invalid(`${where}.ports[${j}].hostPort`, p.hostPort, PORT_RANGE));
      });
      errs.push(...resources(c.resources, `${where}.resources`));
    });
  }
  return errs;
}

/** ValidateService (ports) and the node port allocator (pkg/registry/core/service/portallocator). */
function service(spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  objs(spec.ports).forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
      errs.push(invalid(`${at}.port`, p.port, PORT_RANGE));
    if (typeof p.targetPort === 'number' && (p.targetPort < 1 || p.targetPort > 65535))
      errs.push(invalid(`${at}.targetPort`, p.targetPort, PORT_RANGE));
    if (typeof p.nodePort === 'number') {
      if (type === 'ClusterIP') errs.push(forbidden(`${at}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (p.nodePort < 30000 || p.nodePort > 32767)
        errs.push(
          invalid(
            `${at}.nodePort`,
            p.nodePort,
            'provided port is not in the valid range. The range of valid ports is 30000-32767',
          ),
        );
    }
  });
  return errs;
}

/** ValidateStatefulSetSpec: replicas, selector matching the template's labels, the template's labels. */
function statefulSet(spec: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0)
    errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  const template = isObj(spec.template) ? spec.template : {};
  const templateLabels = isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : {};
  const selector = isObj(spec.selector) ? spec.selector : undefined;
  const matchLabels = selector && isObj(selector.matchLabels) ? selector.matchLabels : {};
  if (!selector) errs.push(required('spec.selector'));
  else if (Object.entries(matchLabels).some(([k, v]) => templateLabels[k] !== v))
    errs.push(invalid('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`'));
  errs.push(...labels(templateLabels, 'spec.template.labels'));
  return errs;
}

/** ValidateConfigMap / ValidateSecret: every data key a valid config key. */
function dataKeys(obj: JsonObject): FieldError[] {
  return ['data', 'binaryData', 'stringData']
    .filter((f) => isObj(obj[f]))
    .flatMap((f) =>
      Object.keys(obj[f] as JsonObject)
        .filter((k) => !full(CONFIG_KEY).test(k) || k.length > 253)
        .map((k) =>
          invalid(
            `${f}[${k}]`,
            k,
            k.length > 253
              ? maxLen(253)
              : `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${CONFIG_KEY}')`,
          ),
        ),
    );
}

/** Every rule above that applies to `obj` (kind from the resource), as the API server runs them on create/update. */
export function validateObject(kind: string, obj: JsonObject): FieldError[] {
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const spec = isObj(obj.spec) ? obj.spec : {};
  const errs = objectMeta(kind, meta);
  if (kind === 'Pod') errs.push(...podSpec(spec, 'spec'));
  if (kind === 'Service') errs.push(...service(spec));
  if (kind === 'StatefulSet') errs.push(...statefulSet(spec));
  if (kind === 'ConfigMap' || kind === 'Secret') errs.push(...dataKeys(obj));
  return errs;
}

/**
 * Quantities are decoded before validation (resource.Quantity's UnmarshalJSON): a malformed one fails the
 * decoding, which the API server answers 400 BadRequest, `<Kind> in version "<v>" cannot be handled as a <Kind>:
 * quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`. Returns that
 * message for the first malformed quantity in the places this project's manifests hold them, or undefined.
 */
export function quantityError(kind: string, version: string, obj: JsonValue): string | undefined {
  const malformed = (v: JsonValue | undefined, underQuantities: boolean): boolean => {
    if (v === undefined || v === null) return false;
    if (Array.isArray(v)) return v.some((x) => malformed(x, false));
    if (!isObj(v)) return underQuantities && parseQuantity(v) === undefined;
    return Object.entries(v).some(([k, x]) =>
      ['requests', 'limits', 'capacity', 'hard'].includes(k) && isObj(x)
        ? Object.values(x).some((q) => malformed(q, true))
        : malformed(x, false),
    );
  };
  return malformed(obj, false)
    ? `${kind} in version "${version}" cannot be handled as a ${kind}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
    : undefined;
}

/**
 * ValidateStatefulSetUpdate: only these spec fields may change; any other change is one error at `spec`.
 * The message as current servers word it (quoted from 1.35 servers' answers in published reports; the list grows
 * with each field made mutable, older servers name fewer). The 1.36 source could not be read here: the code
 * corpus holds an older validation.go whose list is shorter.
 */
export const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];
export function statefulSetUpdate(next: JsonObject, old: JsonObject): FieldError[] {
  const strip = (o: JsonObject): JsonObject =>
    Object.fromEntries(Object.entries(isObj(o.spec) ? o.spec : {}).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (same(strip(next), strip(old))) return [];
  const list = STATEFULSET_MUTABLE.map((f) => `'${f}'`);
  return [
    forbidden(
      'spec',
      `updates to statefulset spec for fields other than ${list.slice(0, -1).join(', ')} and ${list.at(-1)!} are forbidden`,
    ),
  ];
}
