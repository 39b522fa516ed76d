/**
 * The V1 limits the page checks before sending, so a person sees the problem at once
 * instead of as a server error. The server stays the authority: it may be configured
 * lower, and then its error reply is shown.
 */

/** Longest uid in UTF-8 bytes (V1 default). */
export const MAX_UID_BYTES = 64;

/** Longest message text in UTF-8 bytes (V1 default; longer is 413). */
export const MAX_MESSAGE_BYTES = 65536;

const encoder = new TextEncoder();

/** Length of `text` in UTF-8 bytes, the unit every V1 limit is stated in. */
export function utf8Length(text) {
  return encoder.encode(text).length;
}

/** Returns why `uid` is not a valid V1 user id, or null when it is valid. */
export function uidProblem(uid) {
  if (uid.length === 0) {
    return 'Enter a user id.';
  }
  if (utf8Length(uid) > MAX_UID_BYTES) {
    return `A user id is at most ${MAX_UID_BYTES} bytes.`;
  }
  // V1 forbids control characters (C0, DEL and C1) in a uid.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(uid)) {
    return 'A user id cannot contain control characters.';
  }
  return null;
}
