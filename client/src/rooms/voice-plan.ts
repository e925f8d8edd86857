/**
 * Who connects to whom in a voice room's mesh, as pure functions of the room state, so every
 * participant computes the same answer from the same `room:state` and the rules are unit-tested.
 */
import type { RoomRole, RoomState } from '@hackmeshi/shared';

/** The host and speakers are on stage (they send audio); listeners only receive. */
export const onStage = (role: RoomRole): boolean => role !== 'listener';

/**
 * The peers this user needs a connection with, as user id → socket id (the socket id tells a
 * reconnected or moved participant apart from their old connection). A pair connects when at least
 * one side is on stage: listener↔listener pairs carry no audio, so they do not connect. Empty
 * when the user is not (or no longer) in the room.
 */
export function wantedPeers(state: RoomState, meId: string): Map<string, string> {
  const wanted = new Map<string, string>();
  const me = state.participants.find((p) => p.user.id === meId);
  if (!me) return wanted;
  const iAmOnStage = onStage(me.role);
  for (const p of state.participants) {
    if (p.user.id === meId) continue;
    const socketId = state.peers[p.user.id];
    if (socketId === undefined) continue;
    if (iAmOnStage || onStage(p.role)) wanted.set(p.user.id, socketId);
  }
  return wanted;
}

/**
 * Perfect negotiation needs exactly one polite side per pair (it yields on an offer collision).
 * Both sides derive it from the two user ids, so no extra signalling is needed.
 */
export const isPolite = (meId: string, otherId: string): boolean => meId < otherId;
