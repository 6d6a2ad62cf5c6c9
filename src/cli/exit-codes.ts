export const OK = 0;
export const FINDINGS = 1;
export const FAILURE = 2;
