// ssh2 ships no types for its constants module; only what algorithms.ts reads is declared.
declare module 'ssh2/lib/protocol/constants.js' {
  const constants: { readonly DEFAULT_CIPHER: readonly string[] };
  export default constants;
}
