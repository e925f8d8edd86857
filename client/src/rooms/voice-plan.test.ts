import type { Participant, RoomRole, RoomState } from '@hackmeshi/shared';
import { describe, expect, it } from 'vitest';
import { isPolite, onStage, wantedPeers } from './voice-plan.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function person(n: number, role: RoomRole): Participant {
  return {
    user: { id: uuid(n), handle: `u${n}`, displayName: `User ${n}`, avatarColor: '#3f88c5', role: 'member' },
    role,
    muted: false,
    handRaisedAt: null,
    joinedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    presence: { state: 'online', lastSeen: null },
  };
}

function state(people: Participant[], peers?: Record<string, string>): RoomState {
  return {
    rev: 1,
    room: {
      id: uuid(900),
      title: 'room',
      tag: null,
      visibility: 'open',
      host: people[0]?.user ?? null,
      capacity: 12,
      participantCount: people.length,
      full: false,
      preview: [],
      createdAt: new Date(0).toISOString(),
    },
    conversationId: uuid(901),
    inviteToken: null,
    participants: people,
    hands: [],
    speakerCap: 8,
    peers: peers ?? Object.fromEntries(people.map((p) => [p.user.id, `sock-${p.user.handle}`])),
  };
}

describe('wantedPeers', () => {
  const room = state([person(1, 'host'), person(2, 'speaker'), person(3, 'listener'), person(4, 'listener')]);

  it('connects someone on stage with everyone else, keyed by user id with their socket id', () => {
    expect(wantedPeers(room, uuid(2))).toEqual(
      new Map([
        [uuid(1), 'sock-u1'],
        [uuid(3), 'sock-u3'],
        [uuid(4), 'sock-u4'],
      ]),
    );
  });

  it('connects a listener with the stage only: listener↔listener pairs carry no audio', () => {
    expect([...wantedPeers(room, uuid(3)).keys()]).toEqual([uuid(1), uuid(2)]);
  });

  it('agrees on both ends of every pair', () => {
    for (const a of room.participants) {
      for (const b of room.participants) {
        if (a === b) continue;
        expect(wantedPeers(room, a.user.id).has(b.user.id)).toBe(wantedPeers(room, b.user.id).has(a.user.id));
      }
    }
  });

  it('wants nobody once the user is not in the room', () => {
    expect(wantedPeers(room, uuid(99)).size).toBe(0);
  });

  it('skips a participant without a known socket (no address to signal)', () => {
    const partial = state([person(1, 'host'), person(2, 'speaker')], { [uuid(1)]: 's1' });
    expect(wantedPeers(partial, uuid(1)).size).toBe(0);
  });
});

describe('roles and politeness', () => {
  it('puts the host and speakers on stage, not listeners', () => {
    expect([onStage('host'), onStage('speaker'), onStage('listener')]).toEqual([true, true, false]);
  });

  it('makes exactly one side of a pair polite', () => {
    expect(isPolite(uuid(1), uuid(2))).toBe(true);
    expect(isPolite(uuid(2), uuid(1))).toBe(false);
  });
});
