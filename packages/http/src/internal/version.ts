/** Parses "1.41" into [1, 41]; undefined for anything else. */
export function parseApiVersion(text: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2])];
}

/** The lower of two API versions, as Docker's own clients negotiate. */
export function minApiVersion(a: string, b: string): string {
  const x = parseApiVersion(a);
  const y = parseApiVersion(b);
  if (x === undefined) return b;
  if (y === undefined) return a;
  return x[0] < y[0] || (x[0] === y[0] && x[1] <= y[1]) ? a : b;
}
