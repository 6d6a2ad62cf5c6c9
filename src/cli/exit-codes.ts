export const OK = 0;
export const FINDINGS = 1;
export const FAILURE = 2;
/** Interrupted (SIGINT) or cancelled at a prompt: 128 + SIGINT, as shells report it. */
export const INTERRUPTED = 130;
