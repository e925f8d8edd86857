/**
 * Version of the wire protocol spoken between client and server.
 *
 * The client sends it in the Socket.IO handshake (`auth.protocolVersion`). The server refuses a
 * handshake whose version differs with `PROTOCOL_MISMATCH`, so an old tab gets a clear "reload"
 * message instead of undefined behaviour. Bump it on any incompatible change to `shared/`.
 */
export const PROTOCOL_VERSION = 1;
