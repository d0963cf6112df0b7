// @ts-check
// The rows, in the order the tables print them; the floor first.
import { bareRow, cliProxyRow, cliSshRow, dockerodeSshRow, floorRow, oursRow } from './rows.mjs';

export const ROWS = [floorRow, oursRow, cliProxyRow, dockerodeSshRow, cliSshRow, bareRow];
