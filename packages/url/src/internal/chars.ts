/**
 * Whitespace, control and invisible formatting characters: C0 and C1 controls (Cc), separators
 * (Z*), format characters such as bidi overrides and zero-width spaces (Cf), and lone surrogates
 * (Cs). None has a place in an ssh URL; several can hide what a URL really says on a terminal.
 */
export const FORBIDDEN_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u;

/** RFC 3986 reg-name, narrowed to what names a host for ssh: letters, digits, `.`, `-`, `_`. */
export const HOST_NAME = /^[A-Za-z0-9._-]+$/;

/** RFC 6874 zone identifier, after its `%25` has been decoded to `%`. */
const ZONE_ID = /^[A-Za-z0-9._~-]+$/;

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** RFC 4291 section 2.2 text forms: eight groups, one `::` for a run of zeros, an IPv4 tail. */
export function isIPv6(text: string): boolean {
  const zone = text.indexOf('%');
  if (zone >= 0 && !ZONE_ID.test(text.slice(zone + 1))) return false;
  const address = zone >= 0 ? text.slice(0, zone) : text;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | null => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === null || tail === null) return false;
  const all = [...head, ...tail];
  let count = 0;
  for (const [i, group] of all.entries()) {
    if (i === all.length - 1 && group.includes('.')) {
      if (!IPV4.test(group)) return false;
      count += 2;
    } else if (HEX_GROUP.test(group)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}
