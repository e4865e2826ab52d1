// `npm run acl-table`: prints the ACL matrix as markdown (for the README).
import { markdownTable } from '../src/policy/acl-matrix.ts';

console.log(markdownTable());
