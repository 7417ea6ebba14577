/** Wire protocol version. Bumped on any incompatible change to a route body or the encoded file. */
export const PROTOCOL_VERSION = 1;

/** Format tag carried in the first line of every encoded file. */
export const ENCODED_FORMAT = 'blindlink/encoded';
export const ENCODED_FORMAT_VERSION = 1;
