import { escapedChar } from './facts.ts';

// XML 1.0 cannot carry these code points at all, not even as character references: a raw control character
// from a Redis error or a log line would make the whole document unreadable to a test reporter.

const NOT_XML =
  // eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content: markup characters escaped, characters XML cannot carry shown as `\uXXXX`. */
export function xmlText(value: string): string {
  return value
    .replace(NOT_XML, escapedChar)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Attribute value (for double quotes). Line breaks and tabs as references: a parser would turn them into spaces. */
export function xmlAttr(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}
